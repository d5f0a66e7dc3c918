"""Route x group x tenant: the wrong group gets 403; another tenant's data does not exist (404)."""
from __future__ import annotations

import pytest

from conftest import CONTRACTOR_A, CONTRACTOR_B, ORDERER_ASHIKAGA, ORDERER_TOCHIGI, STAFF, LambdaContext, application_body, s3_put_event

GROUPS = {"contractor": CONTRACTOR_A, "staff": STAFF, "orderer": ORDERER_TOCHIGI, "none": {}}


@pytest.fixture
def published(api, handlers):
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    _, pending = api.post("/applications", CONTRACTOR_A, application_body("contract", deposit_bank=None))
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    return {"application": created["application_id"], "pending": pending["application_id"], "number": number, "key": key}


def routes(p):
    verify_body = {"contract_number": p["number"], "auth_key": p["key"]}
    return [
        # (method, path, body, the one group allowed, its status[, query])
        ("GET", "/applications/" + p["application"], None, "contractor", 200),
        ("POST", "/applications", application_body(), "contractor", 201),
        ("GET", "/contracts", None, "contractor", 200),
        ("GET", f"/contracts/{p['number']}", None, "contractor", 200),
        ("GET", f"/contracts/{p['number']}/notice", None, "contractor", 200),
        ("GET", f"/contracts/{p['number']}/certificates/1", None, "contractor", 200),
        ("GET", "/staff/applications", None, "staff", 200),
        ("POST", f"/staff/applications/{p['pending']}/reject", {"reason": "書類不備"}, "staff", 200),
        ("POST", f"/staff/applications/{p['application']}/issue", None, "staff", 202),
        ("POST", "/verifications", verify_body, "orderer", 200),
        ("POST", f"/contracts/{p['number']}/submissions", {"department_id": "works"}, "contractor", 201),
        ("GET", "/desk/guarantees", None, "orderer", 200),
        ("GET", f"/desk/guarantees/{p['number']}", None, "orderer", 200),
        ("GET", "/desk/events", None, "orderer", 200),
        ("POST", "/desk/receipts", {"items": [{"contract_number": p["number"], "version": 1}]}, "orderer", 201),
        ("GET", "/desk/export", None, "orderer", 200, {"format": "csv", "encoding": "cp932"}),
        ("GET", f"/desk/guarantees/{p['number']}/evidence", None, "orderer", 200),
    ]


def test_each_route_answers_its_group_and_refuses_the_others(api, published):
    for method, path, body, allowed, ok_status, *query in routes(published):
        for group, claims in GROUPS.items():
            status, answer = api.call(method, path, claims, body, query=query[0] if query else None)
            expected = ok_status if group == allowed else 403
            assert status == expected, (method, path, group, answer)


def test_registry_is_open_to_anyone(api):
    for claims in GROUPS.values():
        status, body = api.get("/orderers", claims)
        assert status == 200
    names = {o["orderer_id"]: o for o in body["orderers"]}
    assert names["tochigi-pref"]["beneficiary_name"] == "栃木県知事"
    assert names["tochigi-pref"]["accepts_from"] == "2024-04-01"
    assert names["mlit"]["accepts_from"] == "2022-05-09"
    assert set(names) == {"mlit", "tochigi-pref", "ashikaga-city", "kanuma-city"}
    assert set(names["ashikaga-city"]["products"]) == {"advance_payment", "contract"}
    # who takes 提出 for what, and the departments a contractor chooses from
    assert names["ashikaga-city"]["accepts_direct_submission"] == ["advance_payment"] and names["mlit"]["accepts_direct_submission"] == []
    assert [(d["department_id"], d["products"]) for d in names["tochigi-pref"]["departments"]] == [
        ("contracts", ["contract"]), ("works", ["advance_payment", "interim_advance_payment"])
    ]


def test_issuer_registry_is_open_to_anyone(api):
    for claims in GROUPS.values():
        status, body = api.get("/issuers", claims)
        assert status == 200, body
    assert "toto-hosho" in {entry["issuer_id"] for entry in body["issuers"]}


def test_another_company_sees_nothing(api, published):
    number = published["number"]
    for path in (f"/applications/{published['application']}", f"/contracts/{number}", f"/contracts/{number}/notice", f"/contracts/{number}/certificates/1"):
        assert api.get(path, CONTRACTOR_B)[0] == 404, path
    assert api.get("/contracts", CONTRACTOR_B)[1] == {"contracts": []}


def test_another_orderer_cannot_read_with_the_right_key(api, published):
    status, body = api.post("/verifications", ORDERER_ASHIKAGA, {"contract_number": published["number"], "auth_key": published["key"]})
    assert status == 404


def test_contractor_without_company_claim_is_refused(api):
    assert api.get("/contracts", {"cognito:groups": "[contractor]"})[0] == 403


def test_groups_claim_as_list_or_bracketed_string(api):
    assert api.get("/contracts", {**CONTRACTOR_A, "cognito:groups": ["contractor"]})[0] == 200
    assert api.get("/contracts", {**CONTRACTOR_A, "cognito:groups": "[staff contractor]"})[0] == 200


def test_json_is_utf8_not_escaped(api, handlers):
    from conftest import LambdaContext, http_event

    response = handlers["apply"].lambda_handler(http_event("GET", "/orderers", None), LambdaContext())
    assert "栃木県知事" in response["body"] and "\\u" not in response["body"]
