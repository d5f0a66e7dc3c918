"""Bad input: each field missing or wrong gets 422 naming it, and nothing is written."""
from __future__ import annotations

import copy

import pytest

from conftest import CONTRACTOR_A, STAFF, ORDERER_TOCHIGI, application_body, interim_body, issued_paper_advance
from esurety.aws.models import ApplicationItem


def _without(body: dict, path: str) -> dict:
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = body
    for part in parents:
        target = target[part]
    del target[last]
    return body


def _with(body: dict, path: str, value) -> dict:
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = body
    for part in parents:
        target = target[part]
    target[last] = value
    return body


def _applications_stored() -> int:
    return len(list(ApplicationItem.queue.query("APPLICATIONS#submitted")))


REQUIRED = [
    "product", "format", "branch_code", "orderer_id", "work", "work.name", "work.kind", "work.contract_price",
    "work.contract_date", "work.period_start", "work.period_end", "guarantee", "guarantee.amount",
    "guarantee.deadline", "contractor", "contractor.name", "contractor.address",
]


@pytest.mark.parametrize("field", REQUIRED)
def test_missing_field(api, field):
    status, body = api.post("/applications", CONTRACTOR_A, _without(application_body(), field))
    assert status == 422
    assert {"field": field, "code": "required", "reason": "is required"} in body["errors"]
    assert _applications_stored() == 0


WRONG = [
    ("product", "surety_bond"),
    ("format", "fax"),
    ("notify_email", "not-an-address"),
    ("branch_code", "3A"),
    ("work.kind", "building"),
    ("work.contract_price", 0),
    ("work.contract_price", -5),
    ("work.contract_price", "五千万"),
    ("work.contract_price", 1.5),
    ("work.contract_price", True),
    ("work.contract_date", "2024/13/01"),
    ("work.period_start", "2024-02-30"),
    ("work.period_end", 20250314),
    ("guarantee.amount", 10**14),
    ("guarantee.deadline", "tomorrow"),
    ("contractor.name", ""),
    ("contractor.name", "　"),
    ("contractor.address", "x" * 501),
    ("unexpected", 1),
]


@pytest.mark.parametrize("field, value", WRONG)
def test_wrong_value(api, field, value):
    status, body = api.post("/applications", CONTRACTOR_A, _with(application_body(), field, value))
    assert status == 422, body
    assert field in [e["field"] for e in body["errors"]]
    assert all(e["reason"] for e in body["errors"])
    assert _applications_stored() == 0


RULES = [
    ({"orderer_id": "osaka-pref"}, "orderer_id"),
    ({"work.period_end": "2024-03-01"}, "work.period_end"),
    ({"work.contract_date": "2025-04-01"}, "work.contract_date"),
    ({"guarantee.amount": 60_000_000}, "guarantee.amount"),
    ({"guarantee.deadline": "2025-01-31"}, "guarantee.deadline"),
    ({"deposit_bank": None}, "deposit_bank"),
]


@pytest.mark.parametrize("changes, field", RULES)
def test_business_rules(api, changes, field):
    body = application_body()
    for path, value in changes.items():
        body = _with(body, path, value)
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422
    assert field in [e["field"] for e in answer["errors"]]
    assert _applications_stored() == 0


def test_contract_guarantee_asks_no_deposit_bank_and_keeps_none_sent(api):
    """契約保証 holds no advance at a bank: none is required, and one sent along (a form prefilled
    from the company profile) is dropped, so it is neither stored nor printed."""
    from esurety.aws import applications_repository

    status, answer = api.post("/applications", CONTRACTOR_A, application_body("contract"))
    assert status == 201, answer
    status, answer = api.post("/applications", CONTRACTOR_A, application_body("contract", deposit_bank="みどり銀行"))
    assert status == 201, answer
    assert applications_repository.get(answer["application_id"]).request["deposit_bank"] is None


def test_electronic_only_where_the_orderer_accepts_that_product(api):
    # 足利市 accepts no electronic 中間前払金保証 (its 前払金保証 is paper too).
    advance = issued_paper_advance(api)
    body = interim_body(api, advance, orderer_id="ashikaga-city")
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422 and answer["errors"][0]["field"] == "format"
    assert "足利市" in answer["errors"][0]["reason"]
    # Paper stays available for the same work.
    assert api.post("/applications", CONTRACTOR_A, {**body, "format": "paper"})[0] == 201


def test_electronic_only_from_the_orderers_start_date(api, monkeypatch):
    from datetime import date

    from esurety.domain.japanese import clock

    monkeypatch.setattr(clock, "today", lambda: date(2024, 3, 31))
    status, answer = api.post("/applications", CONTRACTOR_A, application_body())
    assert status == 422 and answer["errors"][0]["field"] == "format"
    assert "2024-04-01" in answer["errors"][0]["reason"]


def test_full_width_input_is_accepted(api):
    body = application_body()
    body["branch_code"] = "３１"
    body["work"]["contract_price"] = "５０，０００，０００円"
    body["work"]["contract_date"] = "２０２４－０４－０１"
    body["guarantee"]["amount"] = "20,000,000"
    body["contractor"]["name"] = "  丸山建設　　株式会社（本店）  "
    body["notify_email"] = "ｋｅｉｒｉ＠maruyama-kensetsu.example"
    status, created = api.post("/applications", CONTRACTOR_A, body)
    assert status == 201, created
    stored = ApplicationItem.get(f"APP#{created['application_id']}", "APPLICATION").request
    assert stored["work"]["contract_price"] == 50_000_000
    assert stored["work"]["contract_date"] == "2024-04-01"
    assert stored["contractor"]["name"] == "丸山建設　株式会社（本店）"  # trimmed, otherwise as registered
    assert stored["notify_email"] == "keiri@maruyama-kensetsu.example"


def test_body_that_is_not_json(api):
    status, answer = api.post("/applications", CONTRACTOR_A, "{not json")
    assert status == 422
    assert _applications_stored() == 0


def test_reject_needs_a_reason(api):
    status, created = api.post("/applications", CONTRACTOR_A, application_body())
    status, answer = api.post(f"/staff/applications/{created['application_id']}/reject", STAFF, {})
    assert status == 422 and answer["errors"] == [{"field": "reason", "code": "required", "reason": "is required"}]
    assert api.get(f"/applications/{created['application_id']}", CONTRACTOR_A)[1]["status"] == "submitted"


def test_verification_fields(api):
    status, answer = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": "31073-00001M"})
    assert status == 422 and answer["errors"] == [{"field": "auth_key", "code": "required", "reason": "is required"}]


def test_idempotency_key_retry_creates_one_application(api):
    headers = {"Idempotency-Key": "b6f1c6c0-retry-1"}
    first = api.post("/applications", CONTRACTOR_A, application_body(), headers=headers)
    second = api.post("/applications", CONTRACTOR_A, application_body(), headers=headers)
    assert first == second and first[0] == 201
    assert _applications_stored() == 1


def test_idempotency_key_reused_for_another_body(api):
    headers = {"Idempotency-Key": "b6f1c6c0-retry-2"}
    api.post("/applications", CONTRACTOR_A, application_body(), headers=headers)
    status, answer = api.post("/applications", CONTRACTOR_A, application_body("contract", deposit_bank=None), headers=headers)
    assert status == 422 and answer["errors"][0]["field"] == "Idempotency-Key"
    assert _applications_stored() == 1


def test_idempotency_keys_are_per_company(api):
    from conftest import CONTRACTOR_B

    headers = {"Idempotency-Key": "same-key"}
    a = api.post("/applications", CONTRACTOR_A, application_body(), headers=headers)[1]
    b = api.post("/applications", CONTRACTOR_B, application_body(), headers=headers)[1]
    assert a["application_id"] != b["application_id"]
    assert _applications_stored() == 2


def test_deadline_in_the_past_is_refused(api):
    body = application_body()
    body["work"].update(contract_date="2023-04-01", period_start="2023-04-02", period_end="2024-03-15")
    body["guarantee"]["deadline"] = "2024-03-31"  # the day before today (2024-04-01 in these tests)
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422 and answer["errors"] == [{"field": "guarantee.deadline", "code": "deadline_in_past", "reason": "is in the past"}]
    assert _applications_stored() == 0
