"""Staff actions on a guarantee's life (issue #8): 訂正, 変更取消, 解約 / 履行請求, key rotation,
the staff's views of applications and contracts, the reject e-mail and the audit trail.

Asserted as the users notice it: the contractor's overview (GET /contracts/{n}), the orderer's
verification (POST /verifications), the PDFs' text, the e-mails (never the key), and the answers
staff get when they act on something the history no longer shows or that changed under them.
"""
from __future__ import annotations

from datetime import datetime

import boto3
import pytest

from conftest import CONTRACTOR_A, ORDERER_ASHIKAGA, ORDERER_TOCHIGI, STAFF, application_body
from esurety.domain.japanese import clock
from esurety.config import settings
from esurety.aws.models import AuditItem, ContractItem
from support.flows import (
    BANK_FIX,
    EXTENSION,
    INCREASE,
    JST,
    STAFF_2,
    at,
    cancel,
    correct,
    issue_and_publish,
    issue_change,
    key_of,
    labels,
    no_key_anywhere,
    overview,
    pdf_text,
    publish,
    records,
    rotate,
    staff_contract,
    terminate,
    verify,
)

# ----------------------------------------------------------------------------- the journey


def test_new_change_correction_change_cancellation_termination(api, handlers, sent_mail, contract, monkeypatch):
    number, key = contract

    # 変更ー1: an increase.
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    assert issue_change(api, handlers, number, INCREASE, "2024-06-03T02:00:00.000Z")["label"] == "変更ー1"

    # 訂正 of 変更ー1: the deposit bank was printed wrongly.
    at(monkeypatch, datetime(2024, 6, 10, 10, 0, tzinfo=JST))
    status, corrected = correct(api, number, 2, BANK_FIX)
    assert status == 202, corrected
    assert {k: corrected[k] for k in ("version", "kind", "target_version", "label", "state")} == {
        "version": 3, "kind": "訂正", "target_version": 2, "label": "変更ー1", "state": "rendered",
    }
    # Until it arrives on the platform both sides still see the record it corrects.
    assert labels(overview(api, number)) == [("新規", 1), ("変更ー1", 2)]
    publish(handlers, number, 3, "2024-06-10T02:00:00.000Z")

    detail = overview(api, number)
    assert labels(detail) == [("新規", 1), ("変更ー1", 3)]  # in 変更ー1's place; the wrong one is hidden
    certificate = detail["certificate"]
    assert (certificate["label"], certificate["deposit_bank"], certificate["guarantee_amount"]) == ("変更ー1", "みどり銀行 駅前支店", 30_000_000)
    assert certificate["issue_date"] == "2024-06-10" and detail["history"][1]["issued_at"] == "2024-06-10T11:00:00+09:00"
    assert detail["auth_key"] == key
    # A correction changes no fee: 変更ー1's statement stays the one listed under its label.
    assert [(f["version"], f["kind"]) for f in detail["fee_statements"]] == [(1, "fee"), (3, "additional")]
    assert key_of(api.get(f"/contracts/{number}/fee-statements/3", CONTRACTOR_A)[1]) == f"fees/{number}/v002.pdf"
    status, seen = verify(api, number, key)
    assert status == 200, seen
    assert labels(seen) == [("新規", 1), ("変更ー1", 3)]
    assert (seen["certificate"]["deposit_bank"], seen["status"], seen["chain_valid"]) == ("みどり銀行 駅前支店", "valid", True)
    assert verify(api, number, key, version=2)[0] == 404  # the corrected record is not shown to anyone
    text = pdf_text(f"certificates/{number}/v003.pdf")
    assert "変更ー1" in text and "みどり銀行駅前支店" in text and "30,000,000円" in text
    assert "本町支店" not in text

    # 変更ー2: an extension, restating the corrected content.
    at(monkeypatch, datetime(2024, 11, 5, 10, 0, tzinfo=JST))
    issued = issue_change(api, handlers, number, EXTENSION, "2024-11-05T02:00:00.000Z")
    assert (issued["version"], issued["label"]) == (4, "変更ー2")
    seen = verify(api, number, key)[1]
    assert labels(seen) == [("新規", 1), ("変更ー1", 3), ("変更ー2", 4)]
    assert (seen["certificate"]["guarantee_deadline"], seen["certificate"]["deposit_bank"]) == ("2025-09-30", "みどり銀行 駅前支店")
    assert seen["chain_valid"] is True  # 変更ー2 links to the correction
    assert records(number)[3].previous_sha256 == records(number)[2].record_sha256

    # 変更取消 of 変更ー2: 変更ー1 (corrected) is in force again.
    at(monkeypatch, datetime(2024, 11, 20, 10, 0, tzinfo=JST))
    status, cancelled = cancel(api, number, 4)
    assert status == 200, cancelled
    assert (cancelled["version"], cancelled["kind"], cancelled["cancelled_label"], cancelled["in_force"]) == (
        5, "変更取消", "変更ー2", {"version": 3, "label": "変更ー1"},
    )
    detail = overview(api, number)
    assert labels(detail) == [("新規", 1), ("変更ー1", 3)]
    assert detail["certificate"]["guarantee_deadline"] == "2025-03-31"
    seen = verify(api, number, key)[1]
    assert labels(seen) == [("新規", 1), ("変更ー1", 3)] and seen["current_version"] == 3
    assert (seen["status"], seen["chain_valid"]) == ("valid", True)
    assert ContractItem.get(*ContractItem.key(number)).content["guarantee_deadline"] == "2025-03-31"
    cancel_mail = sent_mail()[-1]
    assert cancel_mail.subject == "電子保証の変更取消のお知らせ" and "変更ー2" in cancel_mail.body

    # 解約: the refund of the days after it, its statement, the e-mail; the certificate stays viewable.
    at(monkeypatch, datetime(2024, 12, 2, 10, 0, tzinfo=JST))
    status, ending = terminate(api, number, {"kind": "cancelled", "date": "2024-12-02", "reason": "工事の中止による解約"})
    assert status == 200, ending
    assert (ending["kind"], ending["date"], ending["version"]) == ("cancelled", "2024-12-02", 3)
    refund = ending["refund"]["amount"]
    assert ending["refund"]["kind"] == "refund" and refund > 0
    detail = overview(api, number)
    assert (detail["status"], detail["status_label"]) == ("terminated", "解約")
    assert detail["certificate"]["version"] == 3
    status, seen = verify(api, number, key)
    assert status == 200 and (seen["status"], seen["chain_valid"]) == ("terminated", True)
    assert seen["certificate"]["deposit_bank"] == "みどり銀行 駅前支店"
    status, link = api.get(f"/contracts/{number}/termination-statement", CONTRACTOR_A)
    assert status == 200 and key_of(link) == f"fees/{number}/termination.pdf" and link["expires_in"] <= 300
    statement = pdf_text(f"fees/{number}/termination.pdf")
    assert "保証料返還計算書" in statement and "解約" in statement and f"{refund:,}円" in statement
    assert "令和06年12月02日" in statement
    mail = sent_mail()[-1]
    assert mail.subject == "保証契約の解約のお知らせ" and f"{refund:,} 円" in mail.body and number in mail.body

    # Every e-mail of the journey to the contractor: 新規, 変更ー1, 訂正, 変更ー2 (publication), 変更取消, 解約.
    # (The verifications presented it to 栃木県's desk: its department is told too.) None has the key.
    mails = sent_mail()
    assert len([m for m in mails if m.destinations["ToAddresses"] == ["keiri@maruyama-kensetsu.example"]]) == 6
    assert {m.destinations["ToAddresses"][0] for m in mails} == {"keiri@maruyama-kensetsu.example", "gijutsu@tochigi-pref.demo.example"}
    no_key_anywhere(key, [(m.subject, m.body) for m in mails])

    # Staff see every record, hidden ones too, and who did what.
    view = staff_contract(api, number)
    assert [(r["version"], r["kind"], r["label"], r["shown"]) for r in view["records"]] == [
        (1, "新規", "新規", True), (2, "変更", "変更ー1", False), (3, "訂正", "変更ー1", True),
        (4, "変更", "変更ー2", False), (5, "変更取消", "変更ー2", False),
    ]
    assert [r["target_version"] for r in view["records"]] == [None, None, 2, None, 4]
    assert view["records"][2]["reason"] == "預託金融機関の支店名の誤記" and view["records"][2]["decided_by"] == "staff-1"
    assert view["records"][4]["certificate"] is None and view["records"][4]["record_sha256"]
    assert key_of(view["records"][1]["certificate"]) == f"certificates/{number}/v002.pdf"  # the hidden one too
    assert key_of(view["records"][0]["fee_statement"]) == f"fees/{number}/v001.pdf"
    assert key_of(view["termination_statement"]) == f"fees/{number}/termination.pdf"
    assert (view["chain_valid"], view["status"], view["termination"]["refund"]["amount"]) == (True, "terminated", refund)
    assert [a["action"] for a in view["audit"]] == ["issue", "issue", "correct", "issue", "cancel-change", "terminate"]
    assert {a["staff_subject"] for a in view["audit"]} == {"staff-1"}
    assert len(view["views"]) >= 1
    no_key_anywhere(key, view)


# ----------------------------------------------------------------------------- 訂正


def test_correcting_the_new_certificate_keeps_its_label_and_shows_the_corrected_value(api, handlers, sent_mail, contract, monkeypatch):
    number, key = contract
    at(monkeypatch, datetime(2024, 4, 5, 10, 0, tzinfo=JST))
    status, corrected = correct(api, number, 1, {"work": {"name": "県道宇都宮線道路改良工事（その３）"}, "reason": "工事名の誤記"})
    assert status == 202 and (corrected["label"], corrected["change_number"]) == ("新規", None)
    publish(handlers, number, 2, "2024-04-05T02:00:00.000Z")
    seen = verify(api, number, key)[1]
    assert labels(seen) == [("新規", 2)] and seen["certificate"]["work_name"] == "県道宇都宮線道路改良工事（その３）"
    assert seen["chain_valid"] is True
    text = pdf_text(f"certificates/{number}/v002.pdf")
    assert "（その３）" in text and "変更ー" not in text.replace("「変更ー」", "")
    # The notice of the correction names the same label; its e-mail says it is a correction.
    assert "（新規）" in pdf_text(f"notices/{number}/v002.pdf")
    assert "電子保証（新規・訂正）" in sent_mail()[-1].body and key not in sent_mail()[-1].body


def test_a_hidden_or_unknown_version_cannot_be_corrected(api, handlers, contract):
    number, _ = contract
    assert correct(api, number, 1, BANK_FIX)[0] == 202
    publish(handlers, number, 2, "2024-04-01T04:00:00.000Z")
    status, body = correct(api, number, 1, {"deposit_bank": "みどり銀行 西支店", "reason": "再訂正"})
    assert status == 409, body
    assert "not shown" in body["reason"]
    assert body["current"]["history"] == [{"label": "新規", "version": 2, "kind": "訂正"}]
    assert correct(api, number, 9, BANK_FIX)[0] == 404
    assert correct(api, number, 2, {"deposit_bank": "みどり銀行 西支店", "reason": "再訂正"})[0] == 202  # the shown one can


def test_a_version_whose_correction_is_on_its_way_cannot_be_corrected_again(api, contract):
    number, _ = contract
    assert correct(api, number, 1, BANK_FIX)[0] == 202  # rendered, not yet arrived
    status, body = correct(api, number, 1, {"deposit_bank": "みどり銀行 西支店", "reason": "再訂正"})
    assert status == 409 and body["current"]["history"][0]["version"] == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"reason": "誤記"}, "body"),  # names nothing
        ({"deposit_bank": "みどり銀行 本町支店", "reason": "誤記"}, "body"),  # already printed so
        ({"guarantee": {"amount": 60_000_000}, "reason": "誤記"}, "guarantee.amount"),  # over the price
        ({"work": {"period_end": "2024-03-01"}, "reason": "誤記"}, "work.period_end"),
        ({"contractor": {"name": None}, "reason": "誤記"}, "contractor.name"),
        ({"deposit_bank": None, "reason": "誤記"}, "deposit_bank"),  # an advance payment needs one
        ({"work": {"price": 1}, "reason": "誤記"}, "work.price"),  # not a field
        ({"deposit_bank": "みどり銀行"}, "reason"),
    ],
)
def test_a_correction_that_corrects_nothing_or_breaks_a_rule_names_the_field(api, contract, body, field):
    number, _ = contract
    status, answer = correct(api, number, 1, body)
    assert status == 422, answer
    assert answer["errors"][0]["field"] == field
    assert len(records(number)) == 1


def test_a_retried_correction_writes_one_record(api, handlers, contract, sent_mail):
    number, _ = contract
    first = correct(api, number, 1, BANK_FIX)
    again = correct(api, number, 1, BANK_FIX)
    assert first[0] == again[0] == 202 and first[1]["version"] == again[1]["version"] == 2
    publish(handlers, number, 2, "2024-04-01T04:00:00.000Z")
    later = correct(api, number, 1, BANK_FIX)  # after it took effect: still the same answer
    assert later[0] == 202 and later[1] == {**first[1], "state": "published"}
    assert len(records(number)) == 2
    assert int(ContractItem.get(*ContractItem.key(number)).revision) == 1
    # One audit item per action (here both at the frozen instant, so compared unordered).
    assert sorted(a.action for a in AuditItem.query(f"CONTRACT#{number}", AuditItem.sk.startswith("AUDIT#"))) == ["correct", "issue"]
    assert len(sent_mail()) == 2  # 新規 and the correction's publication


def test_a_correction_acting_on_a_stale_revision_or_losing_a_race_is_409_with_current(api, contract, monkeypatch):
    number, _ = contract
    revision = staff_contract(api, number)["revision"]
    assert rotate(api, number)[0] == 200  # another staff action meanwhile
    status, body = correct(api, number, 1, BANK_FIX, **{"If-Match": f'"{revision}"'})
    assert status == 409 and body["current"]["revision"] == revision + 1 and body["current"]["key_generation"] == 2

    # A real race: a key rotation commits between the correction's read and its write.
    from esurety.services.commands import corrections, key_rotation

    real = corrections.render_certificate

    def rotate_meanwhile(document, issuer):
        monkeypatch.setattr(corrections, "render_certificate", real)
        key_rotation.rotate(number, "staff-2", if_match=str(revision + 1), issuer_id="toto-hosho")
        return real(document, issuer)

    monkeypatch.setattr(corrections, "render_certificate", rotate_meanwhile)
    status, body = correct(api, number, 1, BANK_FIX)
    assert status == 409, body
    assert body["current"]["key_generation"] == 3 and body["current"]["latest_version"] == 1
    assert len(records(number)) == 1  # the loser wrote nothing
    assert correct(api, number, 1, BANK_FIX, **{"If-Match": str(revision + 2)})[0] == 202  # acting on what is there


@pytest.mark.parametrize("stops_at", ["create_pdf", "record_stored"])
def test_a_correction_stopped_between_the_table_and_the_bucket_is_completed_by_its_retry(
    api, handlers, contract, sent_mail, monkeypatch, stops_at
):
    """Before the put (nothing stored) or after it (stored, not recorded): the retry of the same
    body finds the record, stores or reads back the one object, and it is published once."""
    from esurety.services.commands import corrections

    number, key = contract
    where = corrections.storage if stops_at == "create_pdf" else corrections.publication
    real = getattr(where, stops_at)

    def stop(*args, **kwargs):  # record_stored runs after the put: then the object is in the bucket
        raise RuntimeError("the function stopped here")

    monkeypatch.setattr(where, stops_at, stop)
    with pytest.raises(RuntimeError):
        correct(api, number, 1, BANK_FIX)
    monkeypatch.setattr(where, stops_at, real)
    (record,) = [r for r in records(number) if r.kind == "訂正"]
    assert record.sha256 is None
    status, again = correct(api, number, 1, BANK_FIX)
    assert status == 202 and again["version"] == 2
    publish(handlers, number, 2, "2024-04-01T04:00:00.000Z")
    versions = boto3.client("s3").list_object_versions(Bucket=settings().bucket_name, Prefix=f"certificates/{number}/v002.pdf")
    assert len(versions["Versions"]) == 1  # one object version, whichever call put it
    (record,) = [r for r in records(number) if r.kind == "訂正"]
    assert record.state == "published" and record.sha256
    seen = verify(api, number, key)[1]
    assert labels(seen) == [("新規", 2)] and seen["chain_valid"] is True
    assert len(sent_mail()) == 2


def test_a_paper_guarantee_s_correction_is_shown_at_once_under_paper(api):
    status, created = api.post("/applications", CONTRACTOR_A, application_body(format="paper", orderer_id="ashikaga-city"))
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    status, corrected = correct(api, number, 1, BANK_FIX)
    assert status == 202 and corrected["state"] == "rendered"
    detail = overview(api, number)
    assert labels(detail) == [("新規", 2)] and detail["certificate"]["deposit_bank"] == "みどり銀行 駅前支店"
    assert "みどり銀行駅前支店" in pdf_text(f"paper/{number}/v002.pdf")
    assert staff_contract(api, number)["chain_valid"] is True


# ----------------------------------------------------------------------------- 変更取消


def test_only_a_shown_change_can_be_cancelled_once_and_its_number_is_given_again(api, handlers, contract, monkeypatch, sent_mail):
    number, key = contract
    status, body = cancel(api, number, 1)
    assert status == 409 and "only a change" in body["reason"]  # 新規 ends by 解約
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, INCREASE, "2024-06-03T02:00:00.000Z")
    first = cancel(api, number, 2)
    again = cancel(api, number, 2)
    assert first[0] == again[0] == 200 and first[1] == again[1]
    assert cancel(api, number, 2, reason="別の理由")[0] == 409
    assert len(records(number)) == 3 and len(sent_mail()) == 3  # 新規, 変更ー1, one cancellation e-mail
    # Hidden from both sides; the key is unchanged.
    assert labels(overview(api, number)) == [("新規", 1)]
    assert verify(api, number, key, version=2)[0] == 404

    # The next change takes the withdrawn number: the orderer never sees a gap.
    at(monkeypatch, datetime(2024, 7, 1, 10, 0, tzinfo=JST))
    issued = issue_change(api, handlers, number, EXTENSION, "2024-07-01T02:00:00.000Z")
    assert (issued["version"], issued["label"]) == (4, "変更ー1")
    seen = verify(api, number, key)[1]
    assert labels(seen) == [("新規", 1), ("変更ー1", 4)] and seen["chain_valid"] is True
    assert seen["certificate"]["guarantee_amount"] == 20_000_000  # the withdrawn increase is gone
    no_key_anywhere(key, [m.body for m in sent_mail()])


def test_a_change_still_on_its_way_cannot_be_cancelled(api, contract, monkeypatch):
    number, _ = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    _, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    assert api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[0] == 202
    status, body = cancel(api, number, 2)
    assert status == 409 and [h["version"] for h in body["current"]["history"]] == [1]


# ----------------------------------------------------------------------------- 解約 / 履行請求


def test_a_repeated_termination_converges_and_a_different_one_is_refused(api, contract, sent_mail):
    number, _ = contract
    body = {"kind": "cancelled", "date": "2024-10-01", "reason": "工事の中止"}
    first, again = terminate(api, number, body), terminate(api, number, body)
    assert first[0] == again[0] == 200 and first[1] == again[1]
    status, refused = terminate(api, number, {**body, "date": "2024-11-01"})
    assert status == 409 and refused["current"]["ending"]["date"] == "2024-10-01"
    assert [m.subject for m in sent_mail()].count("保証契約の解約のお知らせ") == 1
    audit = [a.action for a in AuditItem.query(f"CONTRACT#{number}", AuditItem.sk.startswith("AUDIT#"))]
    assert audit.count("terminate") == 1
    # From its date on: the status changes, nothing else may change.
    assert overview(api, number)["status"] == "valid"  # 2024-04-01 is before 2024-10-01
    assert api.get(f"/contracts/{number}/termination-statement", CONTRACTOR_A)[0] == 200
    assert api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)[0] == 409


def test_a_termination_stopped_before_its_statement_is_completed_by_the_retry(api, contract, sent_mail, monkeypatch):
    from esurety.services.commands import endings

    number, _ = contract
    body = {"kind": "cancelled", "date": "2024-10-01", "reason": "工事の中止"}

    def fail(*args, **kwargs):
        raise RuntimeError("the function stopped here")

    monkeypatch.setattr(endings.storage, "create_pdf", fail)
    with pytest.raises(RuntimeError):
        terminate(api, number, body)
    monkeypatch.undo()
    monkeypatch.setattr(clock, "now", lambda: datetime(2024, 4, 1, 10, 0, tzinfo=JST))
    assert ContractItem.get(*ContractItem.key(number)).ending is not None
    assert staff_contract(api, number)["termination_statement"] is None  # not known to be stored
    assert terminate(api, number, body)[0] == 200
    assert "保証料返還計算書" in pdf_text(f"fees/{number}/termination.pdf")
    assert [m.subject for m in sent_mail()].count("保証契約の解約のお知らせ") == 1


def test_a_claim_is_recorded_without_a_statement(api, contract, sent_mail, monkeypatch):
    number, key = contract
    status, ending = terminate(api, number, {"kind": "claimed", "date": "2024-04-01", "reason": "受注者の債務不履行による契約解除"})
    assert status == 200 and ending["refund"] is None
    assert overview(api, number)["status"] == "claimed"
    seen = verify(api, number, key)[1]
    assert (seen["status"], seen["status_label"]) == ("claimed", "履行請求")
    assert staff_contract(api, number)["termination_statement"] is None
    assert sent_mail()[-1].subject == "保証債務の履行請求受付のお知らせ"
    assert api.get(f"/contracts/{number}/termination-statement", CONTRACTOR_A)[0] == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "cancelled", "date": "2024-03-01", "reason": "x"}, "date"),  # before it was issued
        ({"kind": "cancelled", "date": "2025-04-01", "reason": "x"}, "date"),  # after its deadline
        ({"kind": "ended", "date": "2024-10-01", "reason": "x"}, "kind"),
        ({"kind": "cancelled", "date": "2024-02-30", "reason": "x"}, "date"),
    ],
)
def test_a_termination_that_cannot_be_names_the_field(api, contract, body, field):
    number, _ = contract
    status, answer = terminate(api, number, body)
    assert status == 422 and answer["errors"][0]["field"] == field
    assert ContractItem.get(*ContractItem.key(number)).ending is None


def test_a_guarantee_not_yet_published_cannot_end(api):
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    assert terminate(api, number, {"kind": "cancelled", "date": "2024-04-01", "reason": "x"})[0] == 409


# ----------------------------------------------------------------------------- key rotation


def test_a_rotated_key_replaces_the_old_one_at_once(api, handlers, contract, sent_mail):
    number, old = contract
    status, rotated = rotate(api, number)
    assert status == 200 and rotated == {"contract_number": number, "key_generation": 2}
    assert verify(api, number, old)[0] == 404
    new = overview(api, number)["auth_key"]
    assert new != old and verify(api, number, new)[0] == 200
    # A new notice of the version in force, printing the new key, encrypted like every notice.
    notice_key = f"notices/{number}/v001-key2.pdf"
    head = boto3.client("s3").head_object(Bucket=settings().bucket_name, Key=notice_key)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == settings().notice_kms_key_id
    text = pdf_text(notice_key)
    assert new in text and old not in text and number in text
    assert key_of(api.get(f"/contracts/{number}/notice", CONTRACTOR_A)[1]) == notice_key
    # The e-mail says so, without either key; neither the answer nor the staff view has one.
    mail = sent_mail()[-1]
    assert mail.subject == "電子保証の認証キー再発行のお知らせ"
    no_key_anywhere(new, rotated, [(m.subject, m.body) for m in sent_mail()], staff_contract(api, number))
    no_key_anywhere(old, [(m.subject, m.body) for m in sent_mail()])


def test_a_renewed_key_says_so_to_its_orderer_and_nothing_to_anyone_else(api, contract):
    """The clerk who types the key of an old notice is told it was renewed, so they ask the
    contractor instead of retrying into the lock; a mistyped key, or the old key typed by another
    orderer, still gets the one "not found" that tells a guesser nothing."""
    number, old = contract
    rotate(api, number)
    rotate(api, number)  # renewed twice: the first key and the second are both told apart
    status, answer = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": old})
    assert (status, answer["code"]) == (404, "key_renewed") and "再発行" in answer["message"]
    assert "auth_key" not in answer and old not in str(answer)
    status, answer = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": old[:-1] + ("A" if old[-1] != "A" else "B")})
    assert (status, answer["code"]) == (404, "not_found")
    status, answer = api.post("/verifications", ORDERER_ASHIKAGA, {"contract_number": number, "auth_key": old})
    assert (status, answer["code"]) == (404, "not_found")
    stored = ContractItem.get(*ContractItem.key(number))
    assert len(stored.retired_key_digests) == 2 and old not in str(stored.retired_key_digests)
    assert verify(api, number, overview(api, number)["auth_key"])[0] == 200


def test_a_retried_rotation_with_its_idempotency_key_rotates_once(api, contract, sent_mail):
    number, _ = contract
    first = rotate(api, number, **{"Idempotency-Key": "rotate-1"})
    again = rotate(api, number, **{"Idempotency-Key": "rotate-1"})
    assert first == again == (200, {"contract_number": number, "key_generation": 2})
    assert rotate(api, number)[1]["key_generation"] == 3  # a new request rotates again
    assert [m.subject for m in sent_mail()].count("電子保証の認証キー再発行のお知らせ") == 2
    assert rotate(api, number, **{"Idempotency-Key": "bad key"})[0] == 422


def test_a_paper_guarantee_has_no_key_to_rotate(api):
    _, created = api.post("/applications", CONTRACTOR_A, application_body(format="paper", orderer_id="ashikaga-city"))
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    assert rotate(api, number)[0] == 409


# ----------------------------------------------------------------------------- staff views


def test_staff_see_a_change_application_beside_the_content_in_force(api, handlers, contract):
    number, _ = contract
    _, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    status, view = api.get(f"/staff/applications/{created['application_id']}", STAFF)
    assert status == 200, view
    assert view["kind"] == "change" and view["request"]["change"]["guarantee"]["amount"] == 30_000_000
    assert view["in_force"]["label"] == "新規" and view["in_force"]["certificate"]["guarantee_amount"] == 20_000_000
    assert (view["kinds"], view["next_label"], view["problems"]) == (["増額"], "変更ー1", [])


def test_staff_see_a_new_application_with_todays_rule_checks(api, monkeypatch):
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    view = api.get(f"/staff/applications/{created['application_id']}", STAFF)[1]
    assert view["request"]["work"]["name"] == "県道宇都宮線道路改良工事（その２）" and view["problems"] == []
    at(monkeypatch, datetime(2025, 4, 2, 10, 0, tzinfo=JST))  # its deadline passed meanwhile
    view = api.get(f"/staff/applications/{created['application_id']}", STAFF)[1]
    assert {"field": "guarantee.deadline", "code": "deadline_passed", "reason": "has passed since the application"} in view["problems"]
    assert api.get("/staff/applications/0123456789abcdef01234567", STAFF)[0] == 404
    assert api.get("/staff/applications/nope", STAFF)[0] == 422


def test_staff_open_the_certification_document_of_an_interim_application(api, handlers):
    from conftest import interim_body

    _, advance, _ = issue_and_publish(api, handlers)
    status, created = api.post("/applications", CONTRACTOR_A, interim_body(api, advance))
    assert status == 201, created
    view = api.get(f"/staff/applications/{created['application_id']}", STAFF)[1]
    document = view["certification_document"]
    assert document["state"] == "checked" and document["link"]["expires_in"] <= 300
    assert key_of(document["link"]) == f"uploads/{view['request']['upload_id']}.pdf"


def test_the_staff_contract_view_lists_receipts_views_and_never_the_key(api, contract):
    number, key = contract
    assert verify(api, number, key)[0] == 200
    assert api.post("/verifications/receipts", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key, "version": 1})[0] in (200, 201)
    view = staff_contract(api, number)
    assert [r["version"] for r in view["receipts"]] == [1]
    assert [v["orderer_id"] for v in view["views"]] == ["tochigi-pref"]
    assert (view["revision"], view["key_generation"], view["chain_valid"], view["status"]) == (0, 1, True, "valid")
    no_key_anywhere(key, view)
    assert api.get("/staff/contracts/31073-00009X", STAFF)[0] in (404, 422)
    assert api.get(f"/staff/contracts/{number}", CONTRACTOR_A)[0] == 403


# ----------------------------------------------------------------------------- reject e-mail, audit


def test_a_rejected_application_is_e_mailed_with_its_reason_once(api, sent_mail):
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    path = f"/staff/applications/{created['application_id']}/reject"
    assert api.post(path, STAFF, {"reason": "保証金額が請負金額の4割を超えています"})[0] == 200
    assert api.post(path, STAFF, {"reason": "保証金額が請負金額の4割を超えています"})[0] == 200
    (mail,) = sent_mail()
    assert mail.subject == "保証申込についてのお知らせ" and mail.destinations["ToAddresses"] == ["keiri@maruyama-kensetsu.example"]
    assert "保証金額が請負金額の4割を超えています" in mail.body and created["application_id"] in mail.body
    (item,) = AuditItem.query(f"APP#{created['application_id']}", AuditItem.sk.startswith("AUDIT#"))
    assert (item.action, item.staff_subject) == ("reject", "staff-1")


def test_a_rejected_change_is_e_mailed_to_the_contract_s_address(api, contract, sent_mail):
    number, key = contract
    _, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    assert api.post(f"/staff/applications/{created['application_id']}/reject", STAFF_2, {"reason": "変更契約書の写しが未着です"})[0] == 200
    mail = sent_mail()[-1]
    assert mail.subject == "保証申込についてのお知らせ" and "変更契約書の写しが未着です" in mail.body and number in mail.body
    no_key_anywhere(key, mail.body)
    audit = staff_contract(api, number)["audit"]
    assert [(a["action"], a["staff_subject"]) for a in audit] == [("issue", "staff-1"), ("reject", "staff-2")]
