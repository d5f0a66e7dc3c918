"""The deposit is never wrong: what the orderer holds (POST /verifications) after every staff action
that is allowed, and the refusals that keep it so.

- 変更取消 withdraws only the last change (and none while a later one is on its way): the chain
  holds and the labels run without gaps; 訂正 of an earlier version under later ones keeps it too.
- 解約 / 履行請求 waits for a change or correction on its way (409), withdraws a change application
  waiting for staff, and after it nothing is issued, corrected or published any more.
- A withdrawn change's fee is reversed with a statement of its own, listed and e-mailed.
- Staff actions need `If-Match` (428 without); a wrong group's 403 is logged.
"""
from __future__ import annotations

import logging
from datetime import date, datetime

import pytest

from conftest import CONTRACTOR_A, STAFF
from esurety.domain.guarantee import changes
from esurety.aws.models import ApplicationItem, ContractItem, VersionItem
from support.flows import (
    EXTENSION,
    INCREASE,
    JST,
    at,
    cancel,
    correct,
    issue_change,
    key_of,
    labels,
    overview,
    pdf_text,
    publish,
    records,
    staff_contract,
    terminate,
    verify,
)

DECREASE = {"guarantee": {"amount": 15_000_000}, "reason": "前払金の減額のため"}
SECOND_INCREASE = {"guarantee": {"amount": 35_000_000}, "reason": "前払金の再度の追加請求のため"}


def deposit(api, number: str, key: str) -> tuple[list[tuple[str, int]], bool]:
    status, seen = verify(api, number, key)
    assert status == 200, seen
    return labels(seen), seen["chain_valid"]


def two_changes(api, handlers, number: str, monkeypatch) -> None:
    """新規 (v1), 変更ー1 (v2, an increase), 変更ー2 (v3, an extension), all published."""
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, INCREASE, "2024-06-03T01:00:00.000Z")
    at(monkeypatch, datetime(2024, 7, 1, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, EXTENSION, "2024-07-01T01:00:00.000Z")


# ----------------------------------------------------------------------------- 変更取消 keeps the chain


def test_only_the_last_change_can_be_cancelled_so_the_chain_holds_without_gaps(api, handlers, contract, monkeypatch, sent_mail):
    number, key = contract
    two_changes(api, handlers, number, monkeypatch)
    assert deposit(api, number, key) == ([("新規", 1), ("変更ー1", 2), ("変更ー2", 3)], True)

    at(monkeypatch, datetime(2024, 7, 10, 10, 0, tzinfo=JST))
    status, body = cancel(api, number, 2)
    assert status == 409, body
    assert "変更ー2" in body["reason"] and "first" in body["reason"]  # names the change to withdraw first
    assert [h["label"] for h in body["current"]["history"]] == ["新規", "変更ー1", "変更ー2"]
    assert len(records(number)) == 3  # nothing written
    assert deposit(api, number, key) == ([("新規", 1), ("変更ー1", 2), ("変更ー2", 3)], True)

    # Withdrawn from the last one back: the deposit holds after each step.
    assert cancel(api, number, 3)[0] == 200
    assert deposit(api, number, key) == ([("新規", 1), ("変更ー1", 2)], True)
    assert cancel(api, number, 2)[0] == 200
    assert deposit(api, number, key) == ([("新規", 1)], True)

    # The next change takes 変更ー1 again; no gap, the chain holds.
    at(monkeypatch, datetime(2024, 8, 1, 10, 0, tzinfo=JST))
    issued = issue_change(api, handlers, number, SECOND_INCREASE, "2024-08-01T01:00:00.000Z")
    assert issued["label"] == "変更ー1"
    assert deposit(api, number, key) == ([("新規", 1), ("変更ー1", issued["version"])], True)
    assert staff_contract(api, number)["chain_valid"] is True


def test_a_change_cannot_be_cancelled_while_a_later_one_is_on_its_way(api, handlers, contract, monkeypatch):
    number, key = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, INCREASE, "2024-06-03T01:00:00.000Z")
    at(monkeypatch, datetime(2024, 7, 1, 10, 0, tzinfo=JST))
    _, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, EXTENSION)
    assert api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[0] == 202  # 変更ー2, not yet published

    status, body = cancel(api, number, 2)
    assert status == 409, body
    assert "変更ー2" in body["reason"] and "not yet published" in body["reason"]
    publish(handlers, number, 3, "2024-07-01T01:00:00.000Z")
    assert deposit(api, number, key) == ([("新規", 1), ("変更ー1", 2), ("変更ー2", 3)], True)


def test_a_change_that_arrives_before_the_one_it_follows_waits_for_it(api, handlers, contract, monkeypatch):
    """変更ー1 and 変更ー2 issued one after the other, their arrivals delivered in the other order (S3
    does not promise order): 変更ー2 waits, the orderer never sees 新規 → 変更ー2 with a broken chain,
    and 変更ー1's publication publishes 変更ー2 after it. (Found by the random lives: the chain said
    false and the labels had a gap.)"""
    number, key = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    _, first = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    assert api.post(f"/staff/applications/{first['application_id']}/issue", STAFF)[0] == 202  # 変更ー1 (v2), held
    at(monkeypatch, datetime(2024, 6, 3, 11, 0, tzinfo=JST))
    _, second = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, EXTENSION)
    assert api.post(f"/staff/applications/{second['application_id']}/issue", STAFF)[0] == 202  # 変更ー2 (v3)

    publish(handlers, number, 3, "2024-06-03T02:00:00.000Z")  # 変更ー2 arrives first
    assert deposit(api, number, key) == ([("新規", 1)], True)
    assert VersionItem.get(*VersionItem.key(number, 3)).state == "rendered"

    publish(handlers, number, 2, "2024-06-03T01:00:00.000Z")  # then 変更ー1: both take effect, in order
    assert deposit(api, number, key) == ([("新規", 1), ("変更ー1", 2), ("変更ー2", 3)], True)
    seen = verify(api, number, key)[1]
    assert (seen["certificate"]["guarantee_amount"], seen["certificate"]["guarantee_deadline"]) == (30_000_000, "2025-09-30")
    assert seen["history"][1]["issued_at"] <= seen["history"][2]["issued_at"]


def test_correcting_earlier_versions_under_later_changes_keeps_the_chain(api, handlers, contract, monkeypatch):
    number, key = contract
    two_changes(api, handlers, number, monkeypatch)
    at(monkeypatch, datetime(2024, 7, 5, 10, 0, tzinfo=JST))
    assert correct(api, number, 2, {"deposit_bank": "みどり銀行 駅前支店", "reason": "預託金融機関の支店名の誤記"})[0] == 202
    publish(handlers, number, 4, "2024-07-05T01:00:00.000Z")
    assert deposit(api, number, key) == ([("新規", 1), ("変更ー1", 4), ("変更ー2", 3)], True)
    assert correct(api, number, 1, {"work": {"name": "県道宇都宮線道路改良工事（その３）"}, "reason": "工事名の誤記"})[0] == 202
    publish(handlers, number, 5, "2024-07-05T02:00:00.000Z")
    assert deposit(api, number, key) == ([("新規", 5), ("変更ー1", 4), ("変更ー2", 3)], True)
    # The content in force stays the last change's: a correction of an earlier version rewrites nothing later.
    assert verify(api, number, key)[1]["certificate"]["guarantee_deadline"] == "2025-09-30"

    # Then the last change is withdrawn and another follows: still whole.
    assert cancel(api, number, 3)[0] == 200
    assert deposit(api, number, key) == ([("新規", 5), ("変更ー1", 4)], True)
    at(monkeypatch, datetime(2024, 8, 1, 10, 0, tzinfo=JST))
    issued = issue_change(api, handlers, number, EXTENSION, "2024-08-01T01:00:00.000Z")
    assert deposit(api, number, key) == ([("新規", 5), ("変更ー1", 4), ("変更ー2", issued["version"])], True)


# ----------------------------------------------------------------------------- the end is the last word


ENDING = {"kind": "cancelled", "date": "2024-10-01", "reason": "工事の中止による解約"}


def test_an_ending_waits_for_a_change_on_its_way_and_is_computed_on_it(api, handlers, contract, monkeypatch):
    number, key = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    _, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    assert api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[0] == 202

    status, body = terminate(api, number, ENDING)
    assert status == 409, body
    assert "変更ー1" in body["reason"] and "retry after its publication" in body["reason"]
    assert ContractItem.get(*ContractItem.key(number)).ending is None

    publish(handlers, number, 2, "2024-06-03T01:00:00.000Z")
    status, ending = terminate(api, number, ENDING)
    assert status == 200, ending
    assert ending["version"] == 2  # the version in force at the end: the increase
    refund = changes.termination_refund(VersionItem.get(*VersionItem.key(number, 2)).content, date(2024, 10, 1))
    assert ending["refund"]["amount"] == refund.amount
    assert "30,000,000円" in pdf_text(f"fees/{number}/termination.pdf")
    seen = verify(api, number, key)[1]
    assert (seen["current_version"], seen["chain_valid"]) == (2, True)


def test_a_correction_on_its_way_also_holds_the_ending(api, handlers, contract):
    number, _ = contract
    assert correct(api, number, 1, {"deposit_bank": "みどり銀行 駅前支店", "reason": "誤記"})[0] == 202
    status, body = terminate(api, number, ENDING)
    assert status == 409 and "訂正" in body["reason"]


def test_an_ending_withdraws_a_change_waiting_for_staff_and_says_so(api, handlers, contract, sent_mail):
    number, key = contract
    _, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    application_id = created["application_id"]

    status, ending = terminate(api, number, ENDING)
    assert status == 200, ending
    assert ending["withdrawn_change"] == {"application_id": application_id, "reason": INCREASE["reason"]}
    mine = api.get(f"/applications/{application_id}", CONTRACTOR_A)[1]
    assert (mine["status"], mine["reject_reason"]) == ("rejected", "保証契約の終了（解約/履行請求）により取り下げ")
    assert ContractItem.get(*ContractItem.key(number)).pending_change is None
    assert overview(api, number)["pending_change"] is None
    mail = sent_mail()[-1]
    assert mail.subject == "保証契約の解約のお知らせ" and application_id in mail.body and "取り下げ" in mail.body
    assert key not in mail.body

    # The withdrawn change cannot be issued; the staff queue no longer holds it.
    status, body = api.post(f"/staff/applications/{application_id}/issue", STAFF)
    assert status == 409 and "取り下げ" in body["reason"]
    queue = api.get("/staff/applications", STAFF, query={"status": "submitted"})[1]["applications"]
    assert application_id not in [a["application_id"] for a in queue]
    assert len(records(number)) == 1
    seen = verify(api, number, key)[1]
    assert labels(seen) == [("新規", 1)] and seen["certificate"]["guarantee_amount"] == 20_000_000


def test_after_the_end_nothing_is_corrected_issued_or_published(api, handlers, contract, monkeypatch):
    number, key = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    _, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    assert api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[0] == 202
    # An ending recorded anyway (as by an older version of the code): the change arrives after it.
    contract_item = ContractItem.get(*ContractItem.key(number))
    contract_item.update(actions=[ContractItem.ending.set({**ENDING, "version": 1, "label": "新規"})])

    publish(handlers, number, 2, "2024-06-03T01:00:00.000Z")
    change = VersionItem.get(*VersionItem.key(number, 2))
    assert change.state == "rendered" and change.gsi1pk is None  # not published, not asked for again
    seen = verify(api, number, key)[1]
    assert labels(seen) == [("新規", 1)] and seen["certificate"]["guarantee_amount"] == 20_000_000

    status, body = correct(api, number, 1, {"deposit_bank": "みどり銀行 駅前支店", "reason": "誤記"})
    assert status == 409 and "ended" in body["reason"]


def test_staff_cannot_issue_a_change_once_the_guarantee_has_ended(api, contract):
    number, _ = contract
    _, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    ContractItem.get(*ContractItem.key(number)).update(actions=[ContractItem.ending.set({**ENDING, "version": 1})])
    status, body = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 409 and "ended" in body["reason"]
    assert len(records(number)) == 1


# ----------------------------------------------------------------------------- a withdrawn change's fee


def test_a_withdrawn_increase_s_fee_is_returned_with_its_own_statement(api, handlers, contract, monkeypatch, sent_mail):
    number, key = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, INCREASE, "2024-06-03T01:00:00.000Z")
    charged = VersionItem.get(*VersionItem.key(number, 2)).fee
    assert charged > 0

    at(monkeypatch, datetime(2024, 6, 20, 10, 0, tzinfo=JST))
    status, cancelled = cancel(api, number, 2)
    assert status == 200, cancelled
    assert cancelled["fee"] == {"kind": "refund", "amount": charged}
    again = cancel(api, number, 2)
    assert again == (200, cancelled)

    # The contractor still sees what the change charged, marked 取消, and the statement that returns it.
    fees = overview(api, number)["fee_statements"]
    assert [(f["version"], f["label"], f["kind"], f["fee"]) for f in fees] == [
        (1, "新規", "fee", fees[0]["fee"]),
        (2, "変更ー1（取消）", "additional", charged),
        (3, "変更ー1 変更取消", "refund", charged),
    ]
    status, link = api.get(f"/contracts/{number}/fee-statements/3", CONTRACTOR_A)
    assert status == 200 and key_of(link) == f"fees/{number}/v003.pdf"
    assert key_of(api.get(f"/contracts/{number}/fee-statements/2", CONTRACTOR_A)[1]) == f"fees/{number}/v002.pdf"
    text = pdf_text(f"fees/{number}/v003.pdf")
    assert "保証料返還計算書" in text and "変更ー1・取消" in text and f"{charged:,}円" in text
    assert "令和06年06月20日" in text  # the day of the 変更取消
    # The staff view links it too.
    view = staff_contract(api, number)
    assert key_of(view["records"][2]["fee_statement"]) == f"fees/{number}/v003.pdf"

    # One e-mail, saying what happens to the fee.
    mails = [m for m in sent_mail() if m.subject == "電子保証の変更取消のお知らせ"]
    assert len(mails) == 1
    assert f"{charged:,} 円" in mails[0].body and "取消" in mails[0].body and "返還" in mails[0].body
    assert key not in mails[0].body


def test_a_withdrawn_decrease_charges_its_refund_again(api, handlers, contract, monkeypatch, sent_mail):
    number, _ = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, DECREASE, "2024-06-03T01:00:00.000Z")
    returned = VersionItem.get(*VersionItem.key(number, 2)).fee
    assert VersionItem.get(*VersionItem.key(number, 2)).fee_kind == "refund" and returned > 0
    status, cancelled = cancel(api, number, 2)
    assert status == 200 and cancelled["fee"] == {"kind": "additional", "amount": returned}
    text = pdf_text(f"fees/{number}/v003.pdf")
    assert "保証料計算書" in text and "追加保証料" in text and f"{returned:,}円" in text
    assert "お支払いいただきます" in sent_mail()[-1].body


# ----------------------------------------------------------------------------- If-Match, 403


@pytest.mark.parametrize(
    "path, body",
    [
        ("versions/1/corrections", {"deposit_bank": "みどり銀行 駅前支店", "reason": "誤記"}),
        ("versions/2/cancellation", {"reason": "変更契約が締結されなかったため"}),
        ("termination", ENDING),
        ("key-rotation", None),
    ],
)
def test_a_staff_action_without_if_match_is_428_and_changes_nothing(api, handlers, contract, monkeypatch, path, body):
    number, key = contract
    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, INCREASE, "2024-06-03T01:00:00.000Z")
    before = staff_contract(api, number)
    status, answer = api.post(f"/staff/contracts/{number}/{path}", STAFF, body)
    assert status == 428, answer
    assert set(answer) == {"message", "code", "reason"} and answer["code"] == "if_match_required" and "If-Match" in answer["reason"]
    after = staff_contract(api, number)
    assert (after["revision"], after["key_generation"], len(after["records"]), after["termination"]) == (
        before["revision"], before["key_generation"], len(before["records"]), None,
    )
    assert verify(api, number, key)[0] == 200  # the key still works


def test_a_token_of_another_group_on_a_staff_route_is_refused_and_logged(api, contract, caplog):
    number, _ = contract
    caplog.set_level(logging.INFO)
    status, body = api.get(f"/staff/contracts/{number}", CONTRACTOR_A)
    assert status == 403 and body == {"message": "この操作を行う権限がありません。", "code": "forbidden"}
    (record,) = [r for r in caplog.records if r.getMessage() == "forbidden"]
    assert record.route == f"GET /staff/contracts/{number}" and record.caller == CONTRACTOR_A["sub"]
    assert "staff" in record.reason
