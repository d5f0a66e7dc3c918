"""The orderer's desk (発注者デスク): presentation by 提出 and by key, the list, one guarantee without the
key, the event log, 受領確認 in bulk, the department e-mails, and the tenants kept apart."""
from __future__ import annotations

from datetime import datetime

import pytest

from conftest import (
    CONTRACTOR_A,
    CONTRACTOR_B,
    ORDERER_ASHIKAGA,
    ORDERER_TOCHIGI,
    ORDERER_TOCHIGI_CONTRACTS,
    ORDERER_TOCHIGI_WORKS,
    drain_mail,
)
from support.flows import BANK_FIX, INCREASE, JST, at, cancel, correct, issue_and_publish, issue_change, publish, terminate, verify

from esurety.aws.models import DeskEventItem, MailItem


def submit(api, number, department="works", claims=CONTRACTOR_A):
    return api.post(f"/contracts/{number}/submissions", claims, {"department_id": department})


def rows(api, claims=ORDERER_TOCHIGI, **query):
    status, page = api.get("/desk/guarantees", claims, query=query or None)
    assert status == 200, page
    return page


def numbers(page) -> list[str]:
    return [row["contract_number"] for row in page["items"]]


def one(api, number, claims=ORDERER_TOCHIGI, **query):
    return api.get(f"/desk/guarantees/{number}", claims, query=query or None)


@pytest.fixture
def guarantee(api, handlers):
    _, number, _ = issue_and_publish(api, handlers)
    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    return number, key


def test_a_guarantee_issued_in_favour_of_the_orderer_is_not_on_its_desk_until_presented(api, guarantee):
    number, _ = guarantee
    assert rows(api)["items"] == []
    assert one(api, number)[0] == 404


def test_submission_puts_it_in_the_departments_inbox_at_once_and_a_repeat_answers_the_first(api, guarantee):
    number, _ = guarantee
    status, first = submit(api, number)
    assert status == 201, first
    assert first["via"] == "submission" and first["department_id"] == "works" and first["department_name"] == "県土整備部 技術管理課"
    status, again = submit(api, number)
    assert status == 201 and again == first

    row = rows(api, ORDERER_TOCHIGI_WORKS)["items"][0]
    assert row["contract_number"] == number and row["label"] == "新規" and row["via"] == "submission"
    assert row["product_name"] == "前払金保証" and row["amount"] == 20_000_000 and row["project_name"] == "県道宇都宮線道路改良工事（その２）"
    assert row["needs_attention"] is True and row["receipt"] is None
    # The other department does not see it; the whole desk does.
    assert rows(api, ORDERER_TOCHIGI_CONTRACTS)["items"] == []
    assert one(api, number, ORDERER_TOCHIGI_CONTRACTS)[0] == 404
    assert numbers(rows(api)) == [number]
    # The department's mailbox is told once, whatever the repeats.
    drain_mail()
    mails = [m for m in MailItem.query(f"CONTRACT#{number}", MailItem.sk.startswith("MAIL#")) if m.to == "gijutsu@tochigi-pref.demo.example"]
    assert [m.subject for m in mails] == [f"【電子保証】提出がありました 保証契約番号 {number}"]


def test_submission_refusals(api, handlers, guarantee):
    number, _ = guarantee
    status, body = submit(api, number, "contracts")  # 契約検査課 takes 契約保証 only
    assert status == 422 and body["errors"][0]["field"] == "department_id" and body["errors"][0]["code"] == "unknown_department"
    assert submit(api, number, "no-such")[0] == 422
    assert submit(api, number, claims=CONTRACTOR_B)[0] == 404  # another company's guarantee
    # 足利市 takes 提出 for 前払金保証 only: a 契約保証 in its favour is handed over as before.
    _, other, _ = issue_and_publish(api, handlers, "contract", orderer_id="ashikaga-city", deposit_bank=None)
    status, body = submit(api, other, "keiyaku")
    assert status == 409 and body["code"] == "direct_submission_not_accepted"
    assert rows(api)["items"] == [] and rows(api, ORDERER_ASHIKAGA)["items"] == []


def test_a_verification_by_key_presents_it_and_later_looks_need_no_key(api, guarantee):
    number, key = guarantee
    assert verify(api, number, key)[0] == 200
    row = rows(api)["items"][0]
    assert row["via"] == "key" and row["department_id"] == "works"  # the registry's department for 前払金保証
    status, seen = one(api, number)
    assert status == 200, seen
    assert seen["certificate"]["label"] == "新規" and seen["chain_valid"] is True and "auth_key" not in seen
    assert seen["desk"]["contract_number"] == number
    assert [e["kind"] for e in seen["events"]] == ["registered", "presented"]
    # another orderer: not found, the same as a number that does not exist
    assert one(api, number, ORDERER_ASHIKAGA)[0] == 404
    assert rows(api, ORDERER_ASHIKAGA)["items"] == []


def test_life_events_keep_the_row_true_and_a_correction_shows_what_it_replaces(api, handlers, guarantee, monkeypatch):
    number, _ = guarantee
    assert submit(api, number)[0] == 201
    status, confirmed = api.post("/desk/receipts", ORDERER_TOCHIGI_WORKS, {"items": [{"contract_number": number, "version": 1}]})
    assert status == 201 and confirmed["items"][0]["new"] is True and confirmed["items"][0]["received_by"] == "orderer-works"
    assert rows(api)["items"][0]["needs_attention"] is False
    # Confirmed again: who and when of the first.
    again = api.post("/desk/receipts", ORDERER_TOCHIGI, {"items": [{"contract_number": number, "version": 1}]})[1]["items"][0]
    assert again["new"] is False and again["received_by"] == "orderer-works" and again["received_at"] == confirmed["items"][0]["received_at"]

    at(monkeypatch, datetime(2024, 6, 3, 10, 0, tzinfo=JST))
    issue_change(api, handlers, number, INCREASE, "2024-06-03T01:00:00.000Z")
    row = rows(api)["items"][0]
    assert row["label"] == "変更ー1" and row["amount"] == 30_000_000 and row["needs_attention"] is True
    assert row["receipt"]["current"] is False
    assert numbers(rows(api, view="changed")) == [number] and numbers(rows(api, view="attention")) == [number]

    # 訂正 of 変更ー1: the same label, marked, and the receipt on the replaced record superseded.
    api.post("/desk/receipts", ORDERER_TOCHIGI, {"items": [{"contract_number": number, "version": 2}]})
    replaced = one(api, number)[1]["certificate"]
    at(monkeypatch, datetime(2024, 6, 10, 10, 0, tzinfo=JST))
    assert correct(api, number, 2, BANK_FIX)[0] == 202
    publish(handlers, number, 3, "2024-06-10T01:00:00.000Z")
    row = rows(api)["items"][0]
    assert row["label"] == "変更ー1" and row["corrected"] is True and row["needs_attention"] is True
    seen = one(api, number)[1]
    assert seen["certificate"]["correction"]["replaces"] == {"version": 2, "issued_at": replaced["issued_at"], "sha256": replaced["sha256"]}
    assert seen["history"][-1]["correction"]["corrected_at"] == seen["certificate"]["issued_at"]
    assert [(r["version"], r["superseded"]) for r in seen["receipts"]] == [(1, False), (2, True)]

    # 変更取消 says which change was withdrawn; 新規 is in force again.
    at(monkeypatch, datetime(2024, 6, 20, 10, 0, tzinfo=JST))
    assert cancel(api, number, 3)[0] == 200
    seen = one(api, number)[1]
    assert seen["desk"]["label"] == "新規" and seen["history"][0]["withdrawn"][0]["label"] == "変更ー1"
    # 解約
    at(monkeypatch, datetime(2024, 7, 1, 10, 0, tzinfo=JST))
    assert terminate(api, number, {"kind": "cancelled", "date": "2024-07-01", "reason": "工事の中止"})[0] == 200
    row = rows(api, ORDERER_TOCHIGI_WORKS)["items"][0]
    assert row["status"] == "terminated" and row["status_label"] == "解約"

    kinds = [e["kind"] for e in api.get("/desk/events", ORDERER_TOCHIGI_WORKS)[1]["items"]]
    assert kinds == ["registered", "submitted", "received", "changed", "received", "corrected", "change_cancelled", "terminated"]
    # one e-mail per event to the department, retries or not
    drain_mail()
    subjects = sorted(m.subject for m in MailItem.query(f"CONTRACT#{number}", MailItem.sk.startswith("MAIL#")) if m.to.endswith("tochigi-pref.demo.example"))
    assert [s.split(" ")[0] for s in subjects] == sorted(
        ["【電子保証】提出がありました", "【電子保証】変更がありました", "【電子保証】訂正がありました", "【電子保証】変更取消がありました", "【電子保証】解約がありました"]
    )


def test_events_follow_from_a_cursor_and_a_repeat_never_duplicates(api, handlers, guarantee):
    number, _ = guarantee
    submit(api, number)
    page = api.get("/desk/events", ORDERER_TOCHIGI, query={"limit": "1"})[1]
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = api.get("/desk/events", ORDERER_TOCHIGI, query={"cursor": page["next_cursor"]})[1]
    assert [e["kind"] for e in page["items"] + rest["items"]] == ["registered", "submitted"]
    submit(api, number)
    publish(handlers, number, 1, "2024-04-01T03:00:00.000Z")  # a repeated delivery
    assert len(list(DeskEventItem.query(f"CONTRACT#{number}", DeskEventItem.sk.startswith("DESKEVENT#")))) == 2
    latest = api.get("/desk/events", ORDERER_TOCHIGI, query={"cursor": rest["next_cursor"]})[1]
    assert latest["items"] == [] and latest["next_cursor"] == rest["next_cursor"]
    # A cursor is bound to its desk: another orderer's or a made-up one is refused.
    status, body = api.get("/desk/events", ORDERER_ASHIKAGA, query={"cursor": rest["next_cursor"]})
    assert status == 422 and body["errors"][0]["code"] == "invalid_cursor"
    assert api.get("/desk/guarantees", ORDERER_TOCHIGI, query={"cursor": "bm9wZQ"})[0] == 422


def test_search_filters_sort_and_paging(api, handlers):
    made = []
    for index, (name, deadline) in enumerate([("橋梁補修工事ＡＢ１", "2025-03-31"), ("県道改良工事", "2024-04-20"), ("河川護岸工事", "2025-01-31")]):
        work = {"name": name, "kind": "construction", "contract_price": 50_000_000, "contract_date": "2024-04-01",
                "period_start": "2024-04-02", "period_end": "2024-04-15" if index == 1 else "2025-01-14"}
        _, number, _ = issue_and_publish(api, handlers, work=work, guarantee={"amount": 20_000_000, "deadline": deadline})
        assert submit(api, number)[0] == 201
        made.append(number)
    assert numbers(rows(api)) == made[::-1]  # newest presentation first
    assert numbers(rows(api, q="ab1")) == [made[0]]  # full-width typed name, searched half-width
    assert numbers(rows(api, q="橋梁")) == [made[0]]
    assert numbers(rows(api, q=made[2].replace("-", "－"))) == [made[2]]  # the number typed full-width
    assert numbers(rows(api, sort="expiry")) == [made[1], made[2], made[0]]
    assert numbers(rows(api, sort="changed")) == made[::-1]  # the last change first (each was presented after the one before)
    assert numbers(rows(api, product="contract")) == []
    first = rows(api, limit="2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = rows(api, limit="2", cursor=first["next_cursor"])
    assert numbers(first) + numbers(second) == made[::-1]
    status, body = api.get("/desk/guarantees", ORDERER_TOCHIGI, query={"view": "nonsense"})
    assert status == 422 and body["errors"][0]["field"] == "query.view"


def test_bulk_receipts_record_nothing_when_one_row_is_not_on_the_desk(api, handlers, guarantee):
    number, _ = guarantee
    submit(api, number)
    _, other, _ = issue_and_publish(api, handlers)  # issued, never presented
    status, _ = api.post("/desk/receipts", ORDERER_TOCHIGI, {"items": [{"contract_number": number, "version": 1}, {"contract_number": other, "version": 1}]})
    assert status == 404
    assert rows(api)["items"][0]["receipt"] is None
    assert api.post("/desk/receipts", ORDERER_ASHIKAGA, {"items": [{"contract_number": number, "version": 1}]})[0] == 404
    assert api.post("/desk/receipts", ORDERER_TOCHIGI_CONTRACTS, {"items": [{"contract_number": number, "version": 1}]})[0] == 404
    status, body = api.post("/desk/receipts", ORDERER_TOCHIGI, {"items": [{"contract_number": "nonsense", "version": 1}]})
    assert status == 422 and body["errors"][0]["field"] == "items.0.contract_number"


def test_the_contractor_is_told_of_a_receipt(api, guarantee):
    number, _ = guarantee
    submit(api, number)
    api.post("/desk/receipts", ORDERER_TOCHIGI, {"items": [{"contract_number": number, "version": 1}]})
    drain_mail()
    mails = [m for m in MailItem.query(f"CONTRACT#{number}", MailItem.sk.startswith("MAIL#")) if m.to == "keiri@maruyama-kensetsu.example"]
    assert "電子保証の受領確認のお知らせ" in [m.subject for m in mails]


def test_every_desk_look_and_receipt_is_audited(api, guarantee):
    from esurety.aws.models import AuditItem

    number, _ = guarantee
    submit(api, number)
    one(api, number, ORDERER_TOCHIGI_WORKS)
    api.post("/desk/receipts", ORDERER_TOCHIGI, {"items": [{"contract_number": number, "version": 1}]})
    trail = [(a.action, a.staff_subject) for a in AuditItem.query(f"CONTRACT#{number}", AuditItem.sk.startswith("AUDIT#"))]
    assert ("desk-view", "orderer-works") in trail and ("desk-receipt", "orderer-1") in trail


def test_departments_are_reminded_30_and_7_days_before_the_deadline_once_each(api, handlers, guarantee, monkeypatch):
    from conftest import LambdaContext, load_handler

    number, _ = guarantee  # 保証期限 2025-03-31
    submit(api, number)
    reminders = load_handler("functions/desk/reminders.py", "esurety_fn_desk_reminders")
    at(monkeypatch, datetime(2025, 2, 20, 10, 0, tzinfo=JST))  # 39 days before: not yet
    assert reminders.lambda_handler({}, LambdaContext())["queued"] == 0
    at(monkeypatch, datetime(2025, 3, 2, 10, 0, tzinfo=JST))  # 29 days (the run of the 30th day was missed)
    reminders.lambda_handler({}, LambdaContext())
    reminders.lambda_handler({}, LambdaContext())  # the schedule runs twice
    at(monkeypatch, datetime(2025, 3, 25, 10, 0, tzinfo=JST))  # 6 days
    reminders.lambda_handler({}, LambdaContext())
    assert rows(api, view="expiring")["items"][0]["expiring_soon"] is True
    drain_mail()
    sent = [m for m in MailItem.query(f"CONTRACT#{number}", MailItem.sk.startswith("MAIL#")) if m.to == "gijutsu@tochigi-pref.demo.example"]
    assert sorted(m.mail_id.rsplit("#", 1)[1] for m in sent if "reminder" in m.mail_id) == ["30d", "7d"]
    assert all(m.subject == f"【電子保証】保証期限が近づいています 保証契約番号 {number}" for m in sent if "reminder" in m.mail_id)


def test_a_reminder_the_queue_refuses_is_recorded_as_undelivered(api, handlers, guarantee, monkeypatch):
    """The mail queue refusing a reminder loses nothing silently: the reminder is recorded as
    undelivered (staff see it on the contract) and the run goes on."""
    from botocore.exceptions import ClientError
    from conftest import LambdaContext, load_handler
    from esurety.aws import mail_queue

    number, _ = guarantee  # 保証期限 2025-03-31
    submit(api, number)
    reminders = load_handler("functions/desk/reminders.py", "esurety_fn_desk_reminders")

    def refused(*args, **kwargs):
        raise ClientError({"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue", "Message": "gone"}}, "SendMessage")

    monkeypatch.setattr(mail_queue, "enqueue", refused)
    at(monkeypatch, datetime(2025, 3, 2, 10, 0, tzinfo=JST))  # 29 days before
    reminders.lambda_handler({}, LambdaContext())
    (failed,) = [m for m in MailItem.query(f"CONTRACT#{number}", MailItem.sk.startswith("MAIL#")) if "reminder" in m.mail_id]
    assert failed.state == "failed" and failed.to == "gijutsu@tochigi-pref.demo.example"
    assert failed.subject == f"【電子保証】保証期限が近づいています 保証契約番号 {number}"
