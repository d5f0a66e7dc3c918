"""Verification answers: one 404 for every kind of miss, 422 for a mistyped number, 429 after 5 failures."""
from __future__ import annotations

import json

import pytest

from conftest import CONTRACTOR_A, ORDERER_ASHIKAGA, ORDERER_TOCHIGI, STAFF, LambdaContext, application_body, s3_put_event
from esurety.domain.identifiers import contract_number
from esurety.services.views import verification


@pytest.fixture
def contract(api, handlers):
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    return number


def publish(handlers, number):
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())


def key_of(api, number):
    return api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]


def test_every_miss_looks_the_same(api, handlers, contract):
    # Unpublished: even the right key cannot read it yet (the key is read from the table for the test).
    from esurety.aws import keys
    from esurety.aws.models import ContractItem

    stored = ContractItem.get(f"CONTRACT#{contract}", "CONTRACT")
    right_key = keys.decrypt(stored.key_ciphertext, contract)
    unpublished = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": contract, "auth_key": right_key})
    publish(handlers, contract)
    unknown_number = contract_number.make("31", 2025, "advance_payment", 999)
    misses = [
        api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": unknown_number, "auth_key": right_key}),
        api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": contract, "auth_key": "ABCDEFGHJKLM"}),
        api.post("/verifications", ORDERER_ASHIKAGA, {"contract_number": contract, "auth_key": right_key}),
        unpublished,
    ]
    assert [status for status, _ in misses] == [404] * 4
    assert all(body == misses[0][1] for _, body in misses)


def test_mistyped_number_is_told_apart(api, contract):
    wrong_letter = contract[:-1] + ("A" if contract[-1] != "A" else "B")
    status, body = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": wrong_letter, "auth_key": "x"})
    assert status == 422 and body["errors"][0]["field"] == "contract_number"


def test_lock_after_five_failures_within_fifteen_minutes(api, handlers, contract, monkeypatch):
    publish(handlers, contract)
    key = key_of(api, contract)
    clock = {"now": 1_800_000_000.0}
    monkeypatch.setattr(verification.time, "time", lambda: clock["now"])
    wrong = {"contract_number": contract, "auth_key": "ABCDEFGHJKLM"}
    for _ in range(5):
        assert api.post("/verifications", ORDERER_TOCHIGI, wrong)[0] == 404
        clock["now"] += 60
    status, _ = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": contract, "auth_key": key})
    assert status == 429  # locked even for the right key
    clock["now"] += 15 * 60
    assert api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": contract, "auth_key": key})[0] == 200


def test_failures_spread_over_time_do_not_lock(api, handlers, contract, monkeypatch):
    publish(handlers, contract)
    key = key_of(api, contract)
    clock = {"now": 1_800_000_000.0}
    monkeypatch.setattr(verification.time, "time", lambda: clock["now"])
    for _ in range(8):
        api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": contract, "auth_key": "ABCDEFGHJKLM"})
        clock["now"] += 4 * 60  # four per window at most
    assert api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": contract, "auth_key": key})[0] == 200


def test_429_tells_when_to_retry(api, handlers, contract):
    publish(handlers, contract)
    for _ in range(5):
        api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": contract, "auth_key": "ABCDEFGHJKLM"})
    response = handlers["verify"].lambda_handler(
        __import__("conftest").http_event("POST", "/verifications", ORDERER_TOCHIGI, {"contract_number": contract, "auth_key": "x"}),
        LambdaContext(),
    )
    assert response["statusCode"] == 429
    assert 0 < int(response["headers"]["Retry-After"]) <= 15 * 60


def _record_aws(monkeypatch) -> list:
    """Every AWS call made from now on (boto3's and PynamoDB's clients): operation, request
    parameters without key values, and the attribute names of the item a GetItem returned."""
    import botocore.session

    from esurety import aws
    from esurety.aws.models import ALL_MODELS

    seen: list = []
    original = botocore.session.Session.create_client

    def create_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)

        def parameters(params, context, **_):
            context["recorded_params"] = dict(params)

        def after(model, parsed, context, **_):
            params = context.get("recorded_params", {})
            shape = sorted(k for k in params if k not in ("Key", "ExpressionAttributeValues", "TableName"))
            extra = {k: params[k] for k in ("ProjectionExpression", "ExpressionAttributeNames", "ConsistentRead") if k in params}
            returned = sorted(parsed.get("Item", {})) if model.name == "GetItem" else None
            seen.append((model.name, shape, json.dumps(extra, sort_keys=True), returned))

        client.meta.events.register("before-parameter-build", parameters)
        client.meta.events.register("after-call", after)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    aws.client.cache_clear()
    for model in ALL_MODELS:
        monkeypatch.setattr(model, "_connection", None)
    return seen


def test_an_existing_number_and_an_unknown_one_cost_the_same(api, handlers, contract, monkeypatch):
    """A wrong key on an existing contract and any key on an unknown number do the same work before
    the same 404: the same AWS calls with the same requests, one HMAC of the typed key each, and the
    read that judges the key brings back only what judging needs (the contract's content, its
    encrypted key and the rest are read after a success only): about 3 ms told them apart."""
    from esurety.domain.identifiers import auth_key

    publish(handlers, contract)
    hashed = []
    digest = auth_key.digest
    monkeypatch.setattr(auth_key, "digest", lambda key, pepper: hashed.append(1) or digest(key, pepper))
    unknown = contract_number.make("31", 2025, "advance_payment", 998)
    # The lockout's counters in the same state on both paths: the caller's window open, each
    # number's counter new (a counter's state is the caller's own history, not the contract's).
    warm_up = contract_number.make("31", 2025, "advance_payment", 997)
    assert api.post("/verifications", ORDERER_ASHIKAGA, {"contract_number": warm_up, "auth_key": "ABCDEFGHJKLM"})[0] == 404
    paths = {}
    seen = _record_aws(monkeypatch)
    for name, number in (("existing", contract), ("unknown", unknown)):
        hashed.clear()
        seen.clear()
        status, _ = api.post("/verifications", ORDERER_ASHIKAGA, {"contract_number": number, "auth_key": "ABCDEFGHJKLM"})
        assert status == 404
        paths[name] = (list(seen), len(hashed))
    (existing, existing_hashes), (unknown_calls, unknown_hashes) = paths["existing"], paths["unknown"]
    assert existing_hashes == unknown_hashes == 1
    assert [call[:3] for call in existing] == [call[:3] for call in unknown_calls]
    # the caller's counter (a conditional update refused, then one that counts), the number's, the read
    assert [call[0] for call in existing] == ["UpdateItem", "UpdateItem", "UpdateItem", "GetItem"]
    judged = [returned for operation, *_, returned in existing if operation == "GetItem"]
    assert judged == [["format", "key_digest", "orderer_id"]], judged
