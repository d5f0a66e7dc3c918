"""Route x group x tenant: the wrong group gets 403; another tenant's data does not exist (404).

Tenants are companies and orderers, and for staff the issuer they belong to (custom:issuer_id):
staff of one issuer get the same 404 on another issuer's applications, contracts and audit as on
ones that do not exist, and their queue holds their issuer's applications only."""
from __future__ import annotations

import secrets

import boto3
import pytest

from conftest import (
    CONTRACTOR_A,
    CONTRACTOR_B,
    ORDERER_ASHIKAGA,
    ORDERER_TOCHIGI,
    STAFF,
    STAFF_INSURER,
    STAFF_TOTO,
    LambdaContext,
    application_body,
    s3_put_event,
)
from esurety.aws.models import ApplicationItem, AuditItem, ContractItem
from esurety.config import settings
from esurety.domain.identifiers import contract_number
from esurety.domain.japanese import clock
from support.approvals import four_eyes
from support.flows import BANK_FIX, INCREASE

GROUPS = {"contractor": CONTRACTOR_A, "staff": STAFF, "orderer": ORDERER_TOCHIGI, "none": {}}
INSURER = "mihon-sonpo"  # the seed's insurer (見本損害保険株式会社); the default issuer is toto-hosho


@pytest.fixture
def published(api, handlers):
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    _, pending = api.post("/applications", CONTRACTOR_A, application_body("contract", deposit_bank=None))
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    # A 発行 of the waiting application decided under four eyes by one of the default issuer's staff:
    # the approval another of them may read and return (STAFF), and no other issuer's staff.
    four_eyes(True)
    status, approval = api.post(f"/staff/applications/{pending['application_id']}/issue", STAFF_TOTO)
    assert status == 202 and approval["status"] == "pending", approval
    four_eyes(False)
    return {
        "application": created["application_id"], "pending": pending["application_id"], "number": number, "key": key,
        "approval": approval["approval_id"],
    }


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
        ("GET", "/profile", None, "contractor", 200),
        ("PUT", "/profile", {"deposit_bank": "みどり銀行 本町支店"}, "contractor", 200),
        ("POST", "/applications/estimate", application_body(), "contractor", 200),
        ("GET", "/staff/applications", None, "staff", 200),
        ("GET", f"/staff/applications/{p['application']}", None, "staff", 200),
        ("GET", f"/staff/contracts/{p['number']}", None, "staff", 200),
        ("GET", "/staff/contracts", None, "staff", 200, {"q": "丸山建設"}),
        ("POST", f"/staff/contracts/{p['number']}/lock-release", {"reason": "発注者から電話で確認"}, "staff", 200),
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
        ("GET", "/staff/approvals", None, "staff", 200),
        ("GET", f"/staff/approvals/{p['approval']}", None, "staff", 200),
        ("POST", f"/staff/approvals/{p['approval']}", {"decision": "return", "reason": "書類を確認してください"}, "staff", 200),
    ]


def test_each_route_answers_its_group_and_refuses_the_others(api, published):
    for method, path, body, allowed, ok_status, *query in routes(published):
        for group, claims in GROUPS.items():
            status, answer = api.call(method, path, claims, body, query=query[0] if query else None)
            expected = ok_status if group == allowed else 403
            assert status == expected, (method, path, group, answer)
        # Staff of another issuer: in the staff group, but none of this is theirs.
        status, answer = api.call(method, path, STAFF_INSURER, body, query=query[0] if query else None)
        if allowed != "staff":
            assert status == 403, (method, path, answer)
        elif path == "/staff/applications":
            assert (status, answer) == (200, {"applications": [], "next_cursor": None})
        elif path in ("/staff/contracts", "/staff/approvals"):  # lists of their own issuer: none of these
            assert (status, answer) == (200, {"items": [], "next_cursor": None})
        else:
            assert status == 404, (method, path, answer)


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
    assert api.get("/contracts", CONTRACTOR_B)[1] == {"contracts": [], "next_cursor": None}


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


# ----------------------------------------------------------------------------- staff of another issuer


def _table() -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName=settings().table_name, ConsistentRead=True)["Items"]  # tests may scan
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def _objects() -> list[tuple[str, str]]:
    listed = boto3.client("s3").list_object_versions(Bucket=settings().bucket_name)
    return sorted((v["Key"], v["VersionId"]) for v in listed.get("Versions", []))


def _queue(api, claims: dict, status: str = "submitted") -> list[str]:
    """The ids in the caller's queue of `status`, oldest first."""
    code, page = api.get("/staff/applications", claims, query={"status": status})
    assert code == 200, page
    return [row["application_id"] for row in page["applications"]]


def _stored_application(request: dict, issuer_id: str | None, queue_key: str | None = None) -> str:
    """An application as the apply side stores it for `issuer_id` (None: as stored before there
    were several issuers, in the queue key of that time)."""
    application_id = secrets.token_hex(12)
    now = clock.now()
    entry = ApplicationItem.queue_entry("submitted", now, application_id, issuer_id)
    if queue_key is not None:
        entry["gsi1pk"] = queue_key
    ApplicationItem(
        *ApplicationItem.key(application_id),
        application_id=application_id, company_id="company-a", issuer_id=issuer_id, kind="new", status="submitted",
        request=request, request_sha256=secrets.token_hex(32), submitted_at=now,
        **entry, **ApplicationItem.company_entry("company-a", now, application_id),
    ).save()
    return application_id


def _missing_number(number: str) -> str:
    parsed = contract_number.parse(number)
    return contract_number.make(parsed.branch_code, parsed.fiscal_year, parsed.product, parsed.serial + 900)


def _contract_actions(number: str) -> list[tuple[str, dict | None]]:
    return [
        (f"/staff/contracts/{number}/versions/1/corrections", BANK_FIX),
        (f"/staff/contracts/{number}/versions/1/cancellation", {"reason": "変更契約が締結されなかったため"}),
        (f"/staff/contracts/{number}/termination", {"kind": "cancelled", "date": "2024-12-02", "reason": "工事の中止による解約"}),
        (f"/staff/contracts/{number}/key-rotation", None),
        (f"/staff/contracts/{number}/lock-release", {"reason": "発注者から電話で確認"}),
    ]


def test_an_insurers_staff_see_and_touch_nothing_of_the_default_issuers(api, published, sent_mail):
    number = published["number"]
    revision = api.get(f"/staff/contracts/{number}", STAFF)[1]["revision"]
    mails_before, table_before, objects_before = len(sent_mail()), _table(), _objects()

    for status in ("submitted", "issued", "rejected"):
        assert api.get("/staff/applications", STAFF_INSURER, query={"status": status}) == (200, {"applications": [], "next_cursor": None})
    # The same 404 as for an application or a contract that does not exist: nothing tells them apart.
    absent_application = api.get(f"/staff/applications/{'0' * 24}", STAFF_INSURER)
    absent_contract = api.get(f"/staff/contracts/{_missing_number(number)}", STAFF_INSURER)
    assert absent_application[0] == absent_contract[0] == 404
    for application_id in (published["application"], published["pending"]):
        assert api.get(f"/staff/applications/{application_id}", STAFF_INSURER) == absent_application
        assert api.post(f"/staff/applications/{application_id}/issue", STAFF_INSURER) == absent_application
        assert api.post(f"/staff/applications/{application_id}/reject", STAFF_INSURER, {"reason": "書類不備"}) == absent_application
    assert api.get(f"/staff/contracts/{number}", STAFF_INSURER) == absent_contract  # its records, audit and links with it
    # Every action, with the revision the contract is at (a lost or hidden If-Match would pass it) or
    # without one (not 428: that would say the contract exists): 404, and nothing written anywhere.
    for path, body in _contract_actions(number):
        assert api.post(path, STAFF_INSURER, body, headers={"If-Match": f'"{revision}"'}) == absent_contract, path
        assert api.post(path, STAFF_INSURER, body) == absent_contract, path
        assert api.post(path, STAFF_INSURER, body, headers={"If-Match": f'"{revision}"', "Idempotency-Key": "k-1"}) == absent_contract
    assert _table() == table_before and _objects() == objects_before
    assert len(sent_mail()) == mails_before

    # Their own issuer's staff still see it all as it was: the application waits, the contract is untouched.
    assert _queue(api, STAFF) == [published["pending"]] and _queue(api, STAFF_TOTO) == [published["pending"]]
    view = api.get(f"/staff/contracts/{number}", STAFF_TOTO)[1]
    assert view["revision"] == revision and view["key_generation"] == 1 and [r["version"] for r in view["records"]] == [1]


def test_the_default_issuers_staff_see_and_touch_nothing_of_an_insurers_application(api, published, sent_mail):
    from esurety.aws import applications_repository
    from esurety.services import issuers

    issuers.seed()
    request = {**applications_repository.get(published["pending"]).request, "branch_code": "41"}
    insurers = _stored_application(request, INSURER)
    # Written before there were several issuers: no issuer_id, the queue key of that time; never rewritten.
    earlier = _stored_application(request | {"branch_code": "31"}, None, "APPLICATIONS#submitted")

    # (the clock is frozen: both were submitted at the same instant, so no order is asserted)
    assert set(_queue(api, STAFF)) == set(_queue(api, STAFF_TOTO)) == {published["pending"], earlier}
    assert _queue(api, STAFF_INSURER) == [insurers]
    (row,) = api.get("/staff/applications", STAFF_INSURER)[1]["applications"]
    assert row["issuer"] == {"issuer_id": INSURER, "name": "見本損害保険株式会社", "kind": "insurer", "kind_label": "損害保険会社"}
    for claims in (STAFF, STAFF_TOTO):
        absent = api.get(f"/staff/applications/{'0' * 24}", claims)
        assert api.get(f"/staff/applications/{insurers}", claims) == absent and absent[0] == 404
        assert api.post(f"/staff/applications/{insurers}/issue", claims) == absent
        assert api.post(f"/staff/applications/{insurers}/reject", claims, {"reason": "書類不備"}) == absent
    assert api.get(f"/staff/applications/{earlier}", STAFF)[0] == 200
    assert api.get(f"/staff/applications/{earlier}", STAFF_INSURER)[0] == 404
    assert applications_repository.get(insurers).status == "submitted"

    # The insurer's staff decide on it: it moves to their queue of rejected ones, not the default issuer's.
    status, seen = api.get(f"/staff/applications/{insurers}", STAFF_INSURER)
    assert status == 200 and seen["request"]["branch_code"] == "41" and seen["issuer"]["name"] == "見本損害保険株式会社"
    status, rejected = api.post(f"/staff/applications/{insurers}/reject", STAFF_INSURER, {"reason": "保証金額が契約金額の一割に満たないため"})
    assert status == 200 and rejected["status"] == "rejected"
    assert _queue(api, STAFF_INSURER) == [] and _queue(api, STAFF_INSURER, "rejected") == [insurers]
    assert insurers not in _queue(api, STAFF, "rejected")
    (mail,) = [m for m in sent_mail() if insurers in m.body]
    assert "見本損害保険株式会社" in mail.body and "東都建設保証" not in mail.body  # signed by the issuer applied to
    (entry,) = AuditItem.query(ApplicationItem.partition(insurers), AuditItem.sk.startswith(AuditItem.PREFIX))
    assert (entry.action, entry.staff_subject, entry.staff_issuer_id) == ("reject", "staff-insurer", INSURER)


def test_an_issuers_contract_and_its_audit_are_not_another_issuers(api, published):
    number = published["number"]
    # Its audit names who issued it and their issuer (staff without the attribute: the default issuer's).
    view = api.get(f"/staff/contracts/{number}", STAFF)[1]
    assert [(a["action"], a["staff_subject"], a["staff_issuer_id"]) for a in view["audit"]] == [("issue", "staff-1", "toto-hosho")]
    assert view["issuer"] == {"issuer_id": "toto-hosho", "name": "東都建設保証株式会社", "kind": "surety", "kind_label": "保証事業会社"}

    # The same contract, had the insurer issued it.
    ContractItem.get(*ContractItem.key(number)).update(actions=[ContractItem.issuer_id.set(INSURER)])
    revision, table_before = view["revision"], _table()
    for claims in (STAFF, STAFF_TOTO):
        absent = api.get(f"/staff/contracts/{_missing_number(number)}", claims)
        assert api.get(f"/staff/contracts/{number}", claims) == absent and absent[0] == 404
        for path, body in _contract_actions(number):
            assert api.post(path, claims, body, headers={"If-Match": f'"{revision}"'}) == absent, path
    assert _table() == table_before
    from esurety.services import issuers

    issuers.seed()
    status, seen = api.get(f"/staff/contracts/{number}", STAFF_INSURER)
    assert status == 200 and seen["revision"] == revision and seen["audit"][0]["staff_subject"] == "staff-1"
    assert seen["issuer"]["issuer_id"] == INSURER

    # A change the contractor applies for goes to the staff of the contract's issuer, not the default's.
    status, change = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    assert status == 201, change
    assert _queue(api, STAFF_INSURER) == [change["application_id"]]
    assert change["application_id"] not in _queue(api, STAFF)
    assert api.post(f"/staff/applications/{change['application_id']}/reject", STAFF, {"reason": "書類不備"})[0] == 404


def test_a_cursor_of_one_issuers_queue_opens_no_other(api, published):
    api.post("/applications", CONTRACTOR_A, application_body(work={**application_body()["work"], "name": "市道改良工事"}))
    status, first = api.get("/staff/applications", STAFF, query={"status": "submitted", "limit": "1"})
    assert status == 200 and first["next_cursor"]
    status, answer = api.get("/staff/applications", STAFF_INSURER, query={"status": "submitted", "cursor": first["next_cursor"]})
    assert status == 422 and answer["errors"][0]["field"] == "cursor"
