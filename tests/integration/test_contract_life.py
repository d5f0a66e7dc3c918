"""A guarantee's life after 新規: 変更 applied by the contractor, issued by staff, published by its
arrival; the contractor's and the orderer's views, the documents, the e-mails and the hash chain."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from conftest import (
    CONTRACTOR_A,
    CONTRACTOR_B,
    ORDERER_TOCHIGI,
    STAFF,
    LambdaContext,
    s3_put_event,
)
from esurety.domain.japanese import clock
from esurety.aws.models import ContractItem, VersionItem
from support.flows import issue_and_publish, pdf_text

JST = timezone(timedelta(hours=9))


def at(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: when)


def verify(api, number: str, key: str, **extra) -> tuple[int, dict]:
    return api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key, **extra})


def publish(handlers, number: str, version: int, event_time: str) -> None:
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v{version:03d}.pdf", event_time), LambdaContext())


def apply_change(api, number: str, body: dict, claims=CONTRACTOR_A, **headers) -> tuple[int, dict]:
    return api.post(f"/contracts/{number}/changes", claims, body, headers=headers or None)


def issue_change(api, handlers, number: str, body: dict, event_time: str) -> dict:
    status, created = apply_change(api, number, body)
    assert status == 201, created
    assert (created["kind"], created["status"]) == ("change", "submitted")
    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202, issued
    publish(handlers, number, issued["version"], event_time)
    return issued


@pytest.fixture
def contract(api, handlers):
    """A published 前払金保証 (20,000,000 円 to 2025-03-31), and its auth key."""
    _, number, _ = issue_and_publish(api, handlers)
    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    return number, key


INCREASE = {"guarantee": {"amount": 30_000_000}, "reason": "前払金の追加請求（増額）のため"}
EXTENSION = {"guarantee": {"deadline": "2025-09-30"}, "work": {"period_end": "2025-09-12"}, "reason": "工期延長のため"}


def test_an_increase_is_a_whole_new_certificate_shown_as_henkou_1(api, handlers, sent_mail, contract, monkeypatch):
    number, key = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issued = issue_change(api, handlers, number, INCREASE, "2024-06-03T02:00:00.000Z")
    assert (issued["version"], issued["change_number"], issued["label"]) == (2, 1, "変更ー1")

    detail = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]
    assert detail["certificate"]["guarantee_amount"] == 30_000_000
    assert detail["certificate"]["label"] == "変更ー1"
    assert detail["certificate"]["work_name"] == "県道宇都宮線道路改良工事（その２）"  # restated whole
    assert [(h["label"], h["target"], h["version"]) for h in detail["history"]] == [("新規", "新規", 1), ("変更ー1", "変更", 2)]
    assert detail["history"][1]["issued_at"] == "2024-06-03T11:00:00+09:00"  # the arrival
    assert detail["auth_key"] == key  # one key for the contract's life
    assert detail["pending_change"] is None

    # The certificate says 変更ー1 under its title and restates the new amount.
    certificate = pdf_text(f"certificates/{number}/v002.pdf")
    assert "変更ー1" in certificate and "30,000,000円" in certificate
    # Its own notice, saying which version it announces; the first one stays as it was.
    assert "（変更ー1）" in pdf_text(f"notices/{number}/v002.pdf")
    assert "（新規）" in pdf_text(f"notices/{number}/v001.pdf")
    link = api.get(f"/contracts/{number}/notice", CONTRACTOR_A)[1]
    assert f"notices/{number}/v002.pdf" in link["url"]
    assert f"notices/{number}/v001.pdf" in api.get(f"/contracts/{number}/notice", CONTRACTOR_A, query={"version": "1"})[1]["url"]
    # The fee statement of an increase charges the additional fee of the remaining period.
    statement = pdf_text(f"fees/{number}/v002.pdf")
    assert "追加保証料" in statement and "変更ー1" in statement
    version = VersionItem.get(*VersionItem.key(number, 2))
    assert version.fee_kind == "additional" and version.fee > 0
    assert detail["fee_statements"][-1] == {"version": 2, "label": "変更ー1", "fee": int(version.fee), "kind": "additional", "withdrawn": False}
    # An e-mail for each version, never with the key.
    mails = sent_mail()
    assert len(mails) == 2 and all(key not in m.body for m in mails)
    assert "電子保証（変更ー1）の発行手続きが完了しました" in mails[1].body and "区分：変更ー1" in mails[1].body

    # The orderer sees the version in force, the whole chain, and that the chain holds.
    status, seen = verify(api, number, key)
    assert status == 200, seen
    assert seen["certificate"]["guarantee_amount"] == 30_000_000 and seen["certificate"]["label"] == "変更ー1"
    assert [h["label"] for h in seen["history"]] == ["新規", "変更ー1"]
    assert (seen["status"], seen["chain_valid"], seen["current_version"]) == ("valid", True, 2)
    # …and can still open the 新規 it replaced: superseded is not "not found".
    status, first = verify(api, number, key, version=1)
    assert status == 200 and first["certificate"]["guarantee_amount"] == 20_000_000
    assert "v001.pdf" in first["pdf_url"]


def test_a_second_change_follows_the_first_and_the_chain_links_them(api, handlers, contract, monkeypatch):
    number, key = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, INCREASE, "2024-06-03T02:00:00.000Z")
    at(monkeypatch, datetime(2024, 11, 5, 10, 0, tzinfo=JST))
    issued = issue_change(api, handlers, number, EXTENSION, "2024-11-05T02:00:00.000Z")
    assert (issued["version"], issued["label"]) == (3, "変更ー2")

    seen = verify(api, number, key)[1]
    assert [h["label"] for h in seen["history"]] == ["新規", "変更ー1", "変更ー2"]
    certificate = seen["certificate"]
    assert (certificate["guarantee_amount"], certificate["guarantee_deadline"], certificate["period_end"]) == (
        30_000_000, "2025-09-30", "2025-09-12",
    )
    assert seen["chain_valid"] is True
    records = {int(v.version): v for v in VersionItem.query(f"CONTRACT#{number}", VersionItem.sk.startswith("VERSION#"))}
    assert records[2].previous_sha256 == records[1].record_sha256
    assert records[3].previous_sha256 == records[2].record_sha256
    assert "変更ー2" in pdf_text(f"certificates/{number}/v003.pdf")


def test_a_tampered_record_breaks_the_chain_the_orderer_is_told(api, handlers, contract, monkeypatch):
    number, key = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, INCREASE, "2024-06-03T02:00:00.000Z")
    first = VersionItem.get(*VersionItem.key(number, 1))
    first.update(actions=[VersionItem.sha256.set("f" * 64)])  # someone rewrote the 新規's digest
    assert verify(api, number, key)[1]["chain_valid"] is False


def test_a_decrease_returns_fee_with_a_refund_statement(api, handlers, contract, monkeypatch):
    number, _ = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, {"guarantee": {"amount": 10_000_000}, "reason": "請負金額の減額"}, "2024-06-03T02:00:00.000Z")
    version = VersionItem.get(*VersionItem.key(number, 2))
    assert version.fee_kind == "refund" and version.fee > 0
    assert "保証料返還計算書" in pdf_text(f"fees/{number}/v002.pdf")


def test_a_change_of_the_contract_price_alone_is_refused_with_the_leaflets_reason(api, contract):
    number, _ = contract
    status, body = apply_change(api, number, {"work": {"contract_price": 60_000_000}, "reason": "請負金額の変更"})
    assert status == 422
    assert body["errors"][0]["field"] == "work.contract_price"
    assert "変更手続きは不要" in body["errors"][0]["reason"]
    assert api.get("/applications", CONTRACTOR_A)[1]["applications"][0]["kind"] == "new"  # nothing stored


def test_a_change_that_breaks_a_rule_names_the_field(api, contract):
    number, _ = contract
    status, body = apply_change(api, number, {"guarantee": {"amount": 90_000_000}, "reason": "増額"})
    assert status == 422 and body["errors"][0]["field"] == "guarantee.amount"
    status, body = apply_change(api, number, {"guarantee": {"amount": "３０，０００，０００"}, "reason": "増額"})
    assert status == 201, body  # full-width digits are accepted as everywhere


def test_one_pending_change_per_contract_and_retries_land_on_the_same(api, contract):
    number, _ = contract
    first = apply_change(api, number, INCREASE, **{"Idempotency-Key": "change-1"})
    again = apply_change(api, number, INCREASE, **{"Idempotency-Key": "change-1"})
    assert first[0] == 201 and again[0] == 201 and again[1]["application_id"] == first[1]["application_id"]
    status, body = apply_change(api, number, EXTENSION)
    assert status == 409 and first[1]["application_id"] in body["reason"]
    assert api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["pending_change"] == first[1]["application_id"]


def test_another_company_cannot_apply_to_change_the_contract(api, contract):
    number, _ = contract
    assert apply_change(api, number, INCREASE, claims=CONTRACTOR_B)[0] == 404


def test_a_rejected_change_frees_the_contract_and_the_contractor_sees_why(api, contract):
    number, _ = contract
    _, created = apply_change(api, number, INCREASE)
    status, _ = api.post(f"/staff/applications/{created['application_id']}/reject", STAFF, {"reason": "認定調書の写しが未着です"})
    assert status == 200
    listed = {a["application_id"]: a for a in api.get("/applications", CONTRACTOR_A)[1]["applications"]}
    assert listed[created["application_id"]]["status"] == "rejected"
    assert listed[created["application_id"]]["reject_reason"] == "認定調書の写しが未着です"
    assert api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[0] == 409
    assert apply_change(api, number, INCREASE)[0] == 201  # the next change may be applied for


def test_issuing_a_change_twice_makes_one_version(api, handlers, contract, monkeypatch):
    number, _ = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    _, created = apply_change(api, number, INCREASE)
    path = f"/staff/applications/{created['application_id']}/issue"
    first, second = api.post(path, STAFF), api.post(path, STAFF)
    assert first[0] == second[0] == 202 and first[1]["version"] == second[1]["version"] == 2
    assert int(ContractItem.get(*ContractItem.key(number)).latest_version) == 2
    assert len(list(VersionItem.query(f"CONTRACT#{number}", VersionItem.sk.startswith("VERSION#")))) == 2


# ---------------------------------------------------------------------------- 中間前払金保証


def test_an_interim_advance_is_its_own_guarantee_following_the_advance(api, handlers, contract, monkeypatch):
    from conftest import interim_body

    advance, _ = contract
    at(monkeypatch, datetime(2024, 10, 1, 10, 0, tzinfo=JST))
    body = interim_body(api, advance)
    status, created = api.post("/applications", CONTRACTOR_A, body)
    assert status == 201, created
    listed = {a["application_id"]: a for a in api.get("/applications", CONTRACTOR_A)[1]["applications"]}
    assert listed[created["application_id"]]["kind"] == "interim"
    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202, issued
    number = issued["contract_number"]
    assert number != advance and number[2:5] != advance[2:5]  # its own contract, its own product code
    publish(handlers, number, 1, "2024-10-01T02:00:00.000Z")
    text = pdf_text(f"certificates/{number}/v001.pdf")
    assert "中間前払金保証" in text and advance in text  # it names the 前払金保証 it follows
    detail = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]
    assert detail["certificate"]["product"] == "interim_advance_payment" and detail["status"] == "valid"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"upload_id": None}, "upload_id"),
        ({"advance_contract_number": None}, "advance_contract_number"),
        ({"upload_id": "0" * 24}, "upload_id"),  # no such upload
        ({"advance_contract_number": "31063-99999X"}, "advance_contract_number"),
        ({"guarantee": {"amount": 20_000_000, "deadline": "2025-03-31"}}, "guarantee.amount"),  # over 2割
    ],
)
def test_an_interim_application_needs_its_nintei_chousho_and_its_advance(api, contract, change, field):
    from conftest import interim_body

    advance, _ = contract
    body = {**interim_body(api, advance), **change}
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422, answer
    assert field in [e["field"] for e in answer["errors"]]
    assert [a["kind"] for a in api.get("/applications", CONTRACTOR_A)[1]["applications"]] == ["new"]  # nothing stored


def test_another_companys_nintei_chousho_cannot_be_named(api, contract):
    from conftest import interim_body

    advance, _ = contract
    body = interim_body(api, advance)
    body["upload_id"] = __import__("conftest").checked_upload(api, CONTRACTOR_B)
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422 and answer["errors"][0]["field"] == "upload_id"


def test_only_an_interim_application_names_an_upload(api):
    from conftest import application_body

    body = {**application_body(), "upload_id": "0" * 24}
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422 and answer["errors"][0]["field"] == "upload_id"


def test_the_orderer_records_receipt_and_the_contractor_sees_who_and_when(api, handlers, contract):
    number, key = contract
    assert verify(api, number, key)[1]["received_at"] is None
    body = {"contract_number": number, "auth_key": key, "version": 1}
    status, receipt = api.post("/verifications/receipts", ORDERER_TOCHIGI, body)
    assert status == 201 and receipt["received_at"] == "2024-04-01T10:00:00+09:00"
    assert api.post("/verifications/receipts", ORDERER_TOCHIGI, body)[1] == receipt  # a retry: the first stands
    assert verify(api, number, key)[1]["received_at"] == receipt["received_at"]
    receipts = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["receipts"]
    assert receipts == [{"version": 1, "orderer_id": "tochigi-pref", "orderer_name": "栃木県", "received_at": receipt["received_at"]}]
    assert api.post("/verifications/receipts", ORDERER_TOCHIGI, {**body, "auth_key": "ABCDEFGHJKLM"})[0] == 404  # the key opens it
    assert api.post("/verifications/receipts", ORDERER_TOCHIGI, {**body, "version": 7})[0] == 404


def test_the_staff_queue_filters_by_kind(api, contract):
    number, _ = contract
    _, change = apply_change(api, number, INCREASE)
    _, new = api.post("/applications", CONTRACTOR_A, __import__("conftest").application_body("contract"))
    rows = lambda **q: [(a["application_id"], a["kind"]) for a in api.get("/staff/applications", STAFF, query=q)[1]["applications"]]  # noqa: E731
    assert rows(kind="change") == [(change["application_id"], "change")]
    assert rows(kind="new") == [(new["application_id"], "new")]
    assert len(rows()) == 2
    changed = api.get("/staff/applications", STAFF, query={"kind": "change"})[1]["applications"][0]
    assert (changed["contractor_name"], changed["contract_number"]) == ("丸山建設 株式会社", number)
    status, answer = api.get("/staff/applications", STAFF, query={"kind": "other"})
    assert status == 422 and answer["errors"][0]["field"] in ("kind", "query.kind")
