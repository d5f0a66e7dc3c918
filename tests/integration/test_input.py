"""Input that used to answer 5xx, be accepted wrongly, or park an application for good.

Every refused request leaves the table and the bucket exactly as they were.
"""
from __future__ import annotations

import base64
import copy
import json

import boto3
import pytest

from conftest import (
    CONTRACTOR_A,
    ORDERER_TOCHIGI,
    STAFF,
    LambdaContext,
    application_body,
    interim_body,
    issued_paper_advance,
    http_event,
)
from esurety.config import settings
from esurety.aws.models import ApplicationItem, ContractItem, OrdererItem


def snapshot() -> tuple:
    """Every item of the table and every object of the bucket (tests only: the code never scans)."""
    table = boto3.client("dynamodb").scan(TableName=settings().table_name, ConsistentRead=True)["Items"]
    objects = boto3.client("s3").list_objects_v2(Bucket=settings().bucket_name).get("Contents", [])
    return (
        sorted(json.dumps(item, sort_keys=True) for item in table),
        sorted((o["Key"], o["ETag"]) for o in objects),
    )


@pytest.fixture
def unchanged(api):
    """Asserts, after the test, that nothing was stored since it started."""
    before = snapshot()
    yield
    assert snapshot() == before


def raw(api, method: str, path: str, claims: dict, body, headers: dict | None = None, drop_content_type=False, base64_body=False):
    event = http_event(method, path, claims, body, headers)
    if drop_content_type:
        event["headers"].pop("content-type")
    if base64_body:
        event["isBase64Encoded"] = True
    response = api._function(path).lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def _set(body: dict, path: str, value) -> dict:
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = body
    for part in parents:
        target = target[part]
    target[last] = value
    return body


def submit(api, body) -> tuple[int, dict]:
    return api.post("/applications", CONTRACTOR_A, body)


# --- bodies: one JSON object, declared as JSON ------------------------------------------------------


def _one_json_error(status: int, answer: dict, field: str = "body") -> str:
    assert status == 422, answer
    assert "JSON" in answer["message"]
    assert len(answer["errors"]) == 1 and answer["errors"][0]["field"] == field, answer
    return answer["errors"][0]["reason"]


BODIES = {
    "an array": "[" + json.dumps(application_body(), ensure_ascii=False) + "]",
    "a string": '"hello"',
    "null": "null",
    "malformed": '{"product": "advance_payment", "format": }',
    "truncated": json.dumps(application_body())[:-11],
    "NaN": '{"product": NaN}',
    "a duplicate field": '{"product": "contract", "product": "advance_payment"}',
    "nested 5,000 deep": "[" * 5000 + "]" * 5000,
    "object nested 5,000 deep": '{"a":' * 5000 + "1" + "}" * 5000,
    "an integer of 5,000 digits": '{"guarantee": {"amount": ' + "9" * 5000 + "}}",
}


@pytest.mark.parametrize("name", BODIES)
def test_a_body_that_is_not_one_json_object_is_one_clear_error(api, unchanged, name):
    reason = _one_json_error(*raw(api, "POST", "/applications", CONTRACTOR_A, BODIES[name]))
    assert "JSON" in reason or "nested" in reason or "integer" in reason or "twice" in reason
    assert not reason.isdigit()  # was the parser's offset ("11")


def test_malformed_json_is_not_reported_as_a_field_named_by_its_offset(api, unchanged):
    status, answer = raw(api, "POST", "/applications", CONTRACTOR_A, '{"a": 1,, }')
    reason = _one_json_error(status, answer)
    assert "line 1, column 9" in reason


@pytest.mark.parametrize(
    "headers, drop",
    [({}, True), ({"Content-Type": "text/plain"}, False), ({"Content-Type": "application/x-www-form-urlencoded"}, False),
     ({"Content-Type": "application/json; charset=shift_jis"}, False)],
)
def test_a_body_not_declared_json_is_415(api, unchanged, headers, drop):
    status, answer = raw(api, "POST", "/applications", CONTRACTOR_A, application_body(), headers, drop_content_type=drop)
    assert status == 415, answer
    assert "application/json" in answer["message"] and "JSON" in answer["message"]
    assert "errors" not in answer  # not the old list of every field "is required"


def test_json_with_a_charset_is_accepted(api):
    status, _ = raw(api, "POST", "/applications", CONTRACTOR_A, application_body(), {"Content-Type": "Application/JSON; charset=UTF-8"})
    assert status == 201


def test_a_form_body_for_reject_is_not_read_as_fields(api):
    created = submit(api, application_body())[1]
    path = f"/staff/applications/{created['application_id']}/reject"
    status, _ = raw(api, "POST", path, STAFF, "reason=x", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    assert ApplicationItem.get(f"APP#{created['application_id']}", "APPLICATION").status == "submitted"


def test_a_missing_body_says_a_json_object_is_expected(api, unchanged):
    _one_json_error(*raw(api, "POST", "/applications", CONTRACTOR_A, None))


def test_a_base64_body_that_is_not_utf8_is_422(api, unchanged):
    body = base64.b64encode(b'{"product": "\xff\xfe"}').decode()
    _one_json_error(*raw(api, "POST", "/applications", CONTRACTOR_A, body, base64_body=True))


@pytest.mark.parametrize("path", ["contractor.name", "work.name", "contractor.address", "deposit_bank", "notify_email", "orderer_id", "product"])
def test_a_lone_surrogate_in_any_text_field_is_422_naming_it(api, unchanged, path):
    body = json.dumps(_set(application_body(), path, "PLACEHOLDER"), ensure_ascii=False).replace("PLACEHOLDER", "丸山\\ud800建設")
    status, answer = raw(api, "POST", "/applications", CONTRACTOR_A, body)
    assert status == 422, answer
    assert answer["errors"] == [{"field": path, "code": "lone_surrogate", "reason": answer["errors"][0]["reason"]}]
    assert "surrogate" in answer["errors"][0]["reason"]


def test_a_lone_surrogate_in_a_field_name_is_422(api, unchanged):
    status, answer = raw(api, "POST", "/applications", CONTRACTOR_A, '{"product\\udc00": 1}')
    assert status == 422 and answer["errors"][0]["field"] == "body"
    json.dumps(answer).encode("utf-8")  # the answer itself is valid UTF-8


def test_a_lone_surrogate_in_a_reject_reason_or_verification_is_422(api):
    created = submit(api, application_body())[1]
    before = snapshot()
    status, answer = raw(api, "POST", f"/staff/applications/{created['application_id']}/reject", STAFF, '{"reason": "\\ud83d"}')
    assert status == 422 and answer["errors"][0]["field"] == "reason"
    status, answer = raw(api, "POST", "/verifications", ORDERER_TOCHIGI, '{"contract_number": "31073-00001M", "auth_key": "\\ud800"}')
    assert status == 422 and answer["errors"][0]["field"] == "auth_key"
    assert snapshot() == before


# --- path ids: shape-checked before any lookup ----------------------------------------------------

LONG = "a" * 3000  # over DynamoDB's 2 KB partition-key limit: AWS answers ValidationException


@pytest.mark.parametrize(
    "method, path, claims, field",
    [
        ("GET", f"/applications/{LONG}", CONTRACTOR_A, "application_id"),
        ("GET", "/applications/not-an-id", CONTRACTOR_A, "application_id"),
        ("POST", f"/staff/applications/{LONG}/issue", STAFF, "application_id"),
        ("POST", "/staff/applications/..%2F..%2Fx/issue", STAFF, "application_id"),
        ("GET", f"/contracts/{LONG}", CONTRACTOR_A, "number"),
        ("GET", "/contracts/٣١073-00001M", CONTRACTOR_A, "number"),
        ("GET", f"/contracts/{LONG}/notice", CONTRACTOR_A, "number"),
        ("GET", f"/contracts/{LONG}/certificates/1", CONTRACTOR_A, "number"),
        ("GET", f"/contracts/{LONG}/fee-statements/1", CONTRACTOR_A, "number"),
        ("GET", "/contracts/31063-00001J/certificates/0", CONTRACTOR_A, "version"),
        ("GET", "/contracts/31063-00001J/certificates/1000", CONTRACTOR_A, "version"),
        ("GET", "/contracts/31063-00001J/fee-statements/-1", CONTRACTOR_A, "version"),
    ],
)
def test_path_ids_are_checked_before_any_lookup(api, unchanged, method, path, claims, field):
    status, answer = api.call(method, path, claims)
    assert status == 422, answer
    assert field in [e["field"] for e in answer["errors"]]


def test_a_long_path_id_on_reject_is_422(api, unchanged):
    status, answer = api.post(f"/staff/applications/{LONG}/reject", STAFF, {"reason": "書類不備"})
    assert status == 422 and answer["errors"][0]["field"] == "application_id"


def test_a_version_of_5000_digits_is_422(api, unchanged):
    status, _ = api.get("/contracts/31063-00001J/certificates/" + "1" * 5000, CONTRACTOR_A)
    assert status == 422


# --- accepted but wrong -------------------------------------------------------------------------


WRONG = [
    ("branch_code", "99"),
    ("branch_code", "00"),
    ("branch_code", "٣١"),  # Arabic-Indic 31
    ("work.contract_price", "٥٠٠٠٠٠٠٠"),
    ("work.contract_date", "٢٠٢٤-٠٤-٠١"),
    ("work.contract_date", "1989-01-07"),  # the day before 平成: no document prints it
    ("work.period_start", "1900-01-01"),
    ("guarantee.deadline", "9999-12-31"),
    ("guarantee.deadline", "2034-04-02"),  # today (2024-04-01) + 10 years + 1 day
    ("work.period_end", "2099-03-31"),
    ("contractor.name", "丸山\x00建設"),
    ("contractor.name", "\u202e設建山丸"),  # right-to-left override: prints reversed
    ("contractor.name", "\u200b\u200b"),  # zero-width only
    ("contractor.name", "\u3164"),  # Hangul filler: a letter that prints nothing
    ("contractor.name", "\u0301"),  # a combining mark alone
    ("contractor.address", "栃木県\u200d宇都宮市"),
    ("contractor.jv_name", "\x1b[31m共同企業体"),
    ("work.name", "道路改良工事\ufeff"),
    ("deposit_bank", "みどり銀行\u2066本町支店"),
    ("notify_email", "keiri\u202e@maruyama-kensetsu.example"),
    ("contractor.name", "丸" * 21),
    ("contractor.jv_name", "共" * 23),
    ("contractor.address", "栃" * 37),
    ("work.name", "工" * 41),
    ("deposit_bank", "銀" * 16),
    ("orderer_id", "x" * 3000),
]


@pytest.mark.parametrize("field, value", WRONG)
def test_accepted_but_wrong_is_now_422(api, unchanged, field, value):
    status, answer = submit(api, _set(application_body(), field, value))
    assert status == 422, answer
    assert field in [e["field"] for e in answer["errors"]], answer


def test_limits_are_inclusive(api):
    body = application_body()
    body["contractor"]["name"] = "丸" * 20
    body["contractor"]["jv_name"] = "共" * 22
    body["contractor"]["address"] = "栃" * 36
    body["work"]["name"] = "工" * 40
    body["deposit_bank"] = "銀" * 15
    body["guarantee"]["deadline"] = "2034-04-01"  # today + 10 years
    body["work"]["contract_date"] = "1989-01-08"
    assert submit(api, body)[0] == 201


def test_line_breaks_and_tabs_in_free_text_become_one_space(api):
    body = _set(application_body(), "contractor.address", "栃木県宇都宮市\n\t本町1-2-3")
    status, created = submit(api, body)
    assert status == 201
    stored = ApplicationItem.get(f"APP#{created['application_id']}", "APPLICATION").request
    assert stored["contractor"]["address"] == "栃木県宇都宮市 本町1-2-3"


def test_full_width_digits_are_still_accepted(api):
    body = _set(application_body(), "branch_code", "３１")
    body = _set(body, "guarantee.amount", "２０，０００，０００円")
    assert submit(api, body)[0] == 201


def test_an_arabic_indic_contract_number_is_not_read_as_one(api, unchanged):
    status, answer = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": "٣١063-00001J", "auth_key": "Z28YUE4J3Bux"})
    assert status == 422 and answer["errors"][0]["field"] == "contract_number"


def test_an_idempotency_key_of_invisible_characters_is_422(api, unchanged):
    status, answer = api.post("/applications", CONTRACTOR_A, application_body(), headers={"Idempotency-Key": "\u200b"})
    assert status == 422 and answer["errors"][0]["field"] == "Idempotency-Key"


# --- paper for any orderer ----------------------------------------------------------------------

NASU = {"name": "那須町", "beneficiary_name": "那須町長"}


def _paper_outside_registry(**overrides) -> dict:
    body = application_body("contract", format="paper", deposit_bank=None, **{"orderer": NASU, **overrides})
    del body["orderer_id"]
    return body


def test_paper_for_an_orderer_outside_the_registry(api, handlers):
    from support.flows import pdf_text

    status, created = submit(api, _paper_outside_registry())
    assert status == 201, created
    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202, issued
    number = issued["contract_number"]
    contract = ContractItem.get(f"CONTRACT#{number}", "CONTRACT")
    assert (contract.orderer_id, contract.orderer_name, contract.content["beneficiary"]) == (None, "那須町", "那須町長")
    assert contract.key_digest is None
    text = pdf_text(f"paper/{number}/v001.pdf")
    assert "那須町長" in text and "電子的な取扱" not in text
    listing = api.get("/contracts", CONTRACTOR_A)[1]["contracts"]
    assert [(c["orderer_name"], c["format"]) for c in listing] == [("那須町", "paper")]
    detail = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]
    assert detail["format"] == "paper" and detail["auth_key"] is None
    # No orderer can read it on the platform.
    assert api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": "Z28YUE4J3Bux"})[0] == 404


def test_paper_for_an_orderer_that_accepts_no_electronic_product(api):
    # 足利市 accepts no electronic 中間前払金保証: paper for it stays available.
    advance = issued_paper_advance(api)
    body = interim_body(api, advance, format="paper", orderer_id="ashikaga-city")
    assert submit(api, body)[0] == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({**_paper_outside_registry(), "format": "electronic"}, "orderer_id"),
        ({**_paper_outside_registry(), "orderer_id": "tochigi-pref"}, "orderer"),
        (application_body("contract", format="paper", deposit_bank=None, orderer_id="nasu-town"), "orderer_id"),
        ({k: v for k, v in application_body().items() if k != "orderer_id"}, "orderer_id"),
        (_paper_outside_registry(orderer={"name": "那須町"}), "orderer.beneficiary_name"),
        (_paper_outside_registry(orderer={"name": "那須町", "beneficiary_name": "\u202e長町須那"}), "orderer.beneficiary_name"),
    ],
)
def test_orderer_outside_the_registry_rules(api, unchanged, body, field):
    status, answer = submit(api, body)
    assert status == 422, answer
    assert field in [e["field"] for e in answer["errors"]], answer


def test_paper_with_an_unknown_orderer_id_says_how_to_name_it(api):
    body = application_body("contract", format="paper", deposit_bank=None, orderer_id="nasu-town")
    reason = submit(api, body)[1]["errors"][0]["reason"]
    assert "orderer.name" in reason and "orderer.beneficiary_name" in reason


# --- nothing stuck: rules re-checked at issue, reject until a contract is written -------------------


def _issue(api, application_id):
    return api.post(f"/staff/applications/{application_id}/issue", STAFF)


def _reject(api, application_id, reason="書類不備"):
    return api.post(f"/staff/applications/{application_id}/reject", STAFF, {"reason": reason})


def _no_contract_written() -> bool:
    return list(ContractItem.by_company.query("COMPANY#company-a", ContractItem.gsi2sk.startswith("CONTRACT#"))) == []


def test_an_orderer_removed_from_the_registry_is_409_and_rejectable(api):
    application_id = submit(api, application_body())[1]["application_id"]
    OrdererItem.get(*OrdererItem.key("tochigi-pref")).delete()
    status, answer = _issue(api, application_id)
    assert status == 409, answer
    assert "no longer in the orderer registry" in answer["reason"] and answer["message"]
    assert _no_contract_written()
    assert _reject(api, application_id)[1]["status"] == "rejected"


def test_an_orderer_that_stopped_accepting_electronic_gets_no_electronic_guarantee(api):
    from esurety.domain.catalogue import orderers
    from esurety.domain.catalogue.products import Product
    from esurety.services import registry

    application_id = submit(api, application_body())[1]["application_id"]
    tochigi = registry.get_orderer("tochigi-pref")
    registry.save([orderers.Orderer(tochigi.orderer_id, tochigi.name, tochigi.beneficiary_name, tochigi.accepts_from, (Product.CONTRACT,))])
    status, answer = _issue(api, application_id)
    assert status == 409 and "format" in answer["reason"] and "choose paper" in answer["reason"]
    assert _no_contract_written()
    assert _reject(api, application_id)[0] == 200


def test_a_branch_closed_since_the_application_is_409(api, tmp_path, monkeypatch):
    from esurety.domain.catalogue.issuer import DEFAULT_ISSUER_ID, ISSUER_ENV_VAR, seed_entries

    application_id = submit(api, application_body())[1]["application_id"]
    data = next(entry for entry in seed_entries() if entry["issuer_id"] == DEFAULT_ISSUER_ID)
    del data["branches"]["31"]
    path = tmp_path / "issuer.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    monkeypatch.setenv(ISSUER_ENV_VAR, str(path))
    status, answer = _issue(api, application_id)
    assert status == 409 and "branch_code" in answer["reason"]


def test_a_deadline_passed_while_waiting_is_409_and_rejectable(api, monkeypatch):
    from esurety.domain.japanese import clock

    application_id = submit(api, application_body())[1]["application_id"]
    later = clock.now().replace(year=2025, month=4, day=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    status, answer = _issue(api, application_id)
    assert status == 409 and "guarantee.deadline" in answer["reason"]
    assert _reject(api, application_id)[1]["status"] == "rejected"


def test_a_number_reserved_without_a_contract_is_rejectable(api):
    application_id = submit(api, application_body())[1]["application_id"]
    item = ApplicationItem.get(*ApplicationItem.key(application_id))
    item.update(actions=[ApplicationItem.contract_number.set("31063-00001J")])  # an issue that stopped here
    status, rejected = _reject(api, application_id)
    assert status == 200 and rejected["status"] == "rejected"
    assert _issue(api, application_id)[0] == 409
    assert _no_contract_written()


def test_a_retry_completes_a_written_contract_whatever_changed(api, monkeypatch):
    """The contract is written, the application not yet marked issued; then the deadline passes."""
    from esurety.domain.japanese import clock
    from esurety.services.commands import applications

    application_id = submit(api, application_body())[1]["application_id"]
    monkeypatch.setattr(applications, "mark_issued", lambda item, decided_by=None: None)  # the crash
    number = _issue(api, application_id)[1]["contract_number"]
    monkeypatch.undo()
    later = clock.now().replace(year=2025, month=4, day=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert _reject(api, application_id)[0] == 409  # a contract exists: no longer rejectable
    status, issued = _issue(api, application_id)
    assert status == 202 and issued["contract_number"] == number
    assert ApplicationItem.get(*ApplicationItem.key(application_id)).status == "issued"


def test_a_reject_between_reservation_and_contract_wins(api, monkeypatch):
    from esurety.services.commands import applications, issuance

    application_id = submit(api, application_body())[1]["application_id"]
    render = issuance.render_certificate_pdf

    def render_then_rejected(document, issuer):
        applications.reject(application_id, "書類不備", "staff-2")  # staff 2 rejects meanwhile
        return render(document, issuer)

    monkeypatch.setattr(issuance, "render_certificate_pdf", render_then_rejected)
    status, answer = _issue(api, application_id)
    assert status == 409, answer
    assert _no_contract_written()
    item = ApplicationItem.get(*ApplicationItem.key(application_id))
    assert (item.status, item.decided_by) == ("rejected", "staff-2")
    assert boto3.client("s3").list_objects_v2(Bucket=settings().bucket_name).get("KeyCount") == 0


def test_an_issue_between_a_rejects_read_and_write_wins(api, monkeypatch):
    from esurety.services import issuers
    from esurety.services.commands import applications, issuance

    application_id = submit(api, application_body())[1]["application_id"]
    item = ApplicationItem.get(*ApplicationItem.key(application_id))
    item.update(actions=[ApplicationItem.contract_number.set(issuance._reserve_number(item, issuers.issuer_of(item)))])
    real = applications.transact
    calls = []

    def issue_first(*args, **kwargs):
        if not calls:
            calls.append(1)
            issuance.issue(application_id, "staff-2")  # the other staff member's issue completes first
        return real(*args, **kwargs)

    monkeypatch.setattr(applications, "transact", issue_first)
    status, answer = _reject(api, application_id)
    assert status == 409, answer
    assert ApplicationItem.get(*ApplicationItem.key(application_id)).status == "issued"
    assert not _no_contract_written()


# --- who decided ---------------------------------------------------------------------------------


def test_every_staff_decision_records_and_logs_who_decided(api, caplog):
    issued_id = submit(api, application_body())[1]["application_id"]
    rejected_id = submit(api, application_body("contract", deposit_bank=None))[1]["application_id"]
    caplog.clear()
    number = _issue(api, issued_id)[1]["contract_number"]
    _reject(api, rejected_id)
    assert ApplicationItem.get(*ApplicationItem.key(issued_id)).decided_by == STAFF["sub"]
    assert ApplicationItem.get(*ApplicationItem.key(rejected_id)).decided_by == STAFF["sub"]
    audit = [
        (r.action, r.application_id, getattr(r, "contract_number", None), r.staff_subject)
        for r in caplog.records
        if getattr(r, "audit", False)
    ]
    assert audit == [("issue", issued_id, number, "staff-1"), ("reject", rejected_id, None, "staff-1")]
    queue = api.get("/staff/applications", STAFF, query={"status": "rejected"})[1]["applications"]
    assert queue[0]["decided_by"] == "staff-1"


# --- the staff queue, paged ------------------------------------------------------------------------


def test_the_queue_is_paged_with_an_opaque_cursor(api):
    ids = [submit(api, application_body())[1]["application_id"] for _ in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"status": "submitted", "limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page = api.get("/staff/applications", STAFF, query=query)
        assert status == 200, page
        assert len(page["applications"]) <= 2
        seen += [a["application_id"] for a in page["applications"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 5
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    # The default page is the old one: everything (up to 100), with no next page.
    status, page = api.get("/staff/applications", STAFF)
    assert len(page["applications"]) == 5 and page["next_cursor"] is None


def test_a_hundred_stuck_applications_no_longer_hide_the_rest(api):
    from esurety.domain.identity import Caller
    from esurety.services.commands import applications

    for _ in range(3):
        submit(api, application_body())
    staff = Caller("staff-1", frozenset({"staff"}))
    first = applications.queue(staff, "submitted", limit=2)
    rest = applications.queue(staff, "submitted", limit=2, cursor=first["next_cursor"])
    assert len(first["applications"]) == 2 and len(rest["applications"]) == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJwayI6IngifQ"}, "cursor"),  # {"pk":"x"}
        ({"cursor": "%%%"}, "cursor"),
        ({"cursor": "A" * 5000}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "9" * 5000}, "limit"),
        ({"status": "lost"}, "status"),
    ],
)
def test_a_bad_cursor_or_limit_is_422(api, query, field):
    status, answer = api.get("/staff/applications", STAFF, query=query)
    assert status == 422, answer
    assert any(field in e["field"] for e in answer["errors"]), answer


def test_a_cursor_of_another_queue_is_422(api):
    for _ in range(2):
        submit(api, application_body())
    cursor = api.get("/staff/applications", STAFF, query={"status": "submitted", "limit": "1"})[1]["next_cursor"]
    status, answer = api.get("/staff/applications", STAFF, query={"status": "issued", "cursor": cursor})
    assert status == 422 and answer["errors"][0]["field"] == "cursor"
