"""保証契約一覧 (GET /contracts): 状態 on every row, the 状態 filter, the search by 工事名 or number as a
clerk types it, paging by cursor within a read budget, and one company never sees another's."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

import pytest

from esurety.domain import error_codes
from conftest import CONTRACTOR_A, CONTRACTOR_B, STAFF, application_body
from support.flows import at, issue_and_publish, terminate

JST = timezone(timedelta(hours=9))
WORKS = ("県道宇都宮線道路改良工事（その２）", "鬼怒川橋梁補修工事", "市立第一小学校体育館改築工事")


def _issue(api, claims=CONTRACTOR_A, work_name=WORKS[0]) -> str:
    body = application_body()
    body["work"] = {**body["work"], "name": work_name}
    status, created = api.post("/applications", claims, body)
    assert status == 201, created
    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202, issued
    return issued["contract_number"]


def _list(api, claims=CONTRACTOR_A, **query) -> dict:
    status, page = api.get("/contracts", claims, query={k: str(v) for k, v in query.items()} or None)
    assert status == 200, page
    return page


def _numbers(page: dict) -> list[str]:
    return [row["contract_number"] for row in page["contracts"]]


def _to_full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture
def three(api, handlers):
    """Three contracts of company A (one of them 解約 from today) and one of company B."""
    _, ended, _ = issue_and_publish(api, handlers)
    assert terminate(api, ended, {"kind": "cancelled", "date": "2024-04-01", "reason": "工事の中止"})[0] == 200
    bridge = _issue(api, work_name=WORKS[1])
    school = _issue(api, work_name=WORKS[2])
    other = _issue(api, CONTRACTOR_B, work_name=WORKS[1])
    return {"ended": ended, "bridge": bridge, "school": school, "other": other}


def test_every_row_says_its_status_and_the_filter_keeps_those_of_that_status(api, three, monkeypatch):
    page = _list(api)
    assert sorted(_numbers(page)) == sorted([three["ended"], three["bridge"], three["school"]]) and page["next_cursor"] is None
    by_number = {row["contract_number"]: row for row in page["contracts"]}
    assert (by_number[three["ended"]]["status"], by_number[three["ended"]]["status_label"]) == ("terminated", "解約")
    assert (by_number[three["bridge"]]["status"], by_number[three["bridge"]]["status_label"]) == ("valid", "有効")
    assert by_number[three["bridge"]]["guarantee_deadline"] == "2025-03-31"
    assert sorted(_numbers(_list(api, status="valid"))) == sorted([three["bridge"], three["school"]])
    assert _numbers(_list(api, status="terminated")) == [three["ended"]]
    assert _numbers(_list(api, status="claimed")) == []

    # After the 保証期限 (2025-03-31) the ones still in force are 期限満了; a 解約 stays 解約.
    at(monkeypatch, datetime(2025, 4, 1, 9, 0, tzinfo=JST))
    expired = _list(api, status="expired")
    assert sorted(_numbers(expired)) == sorted([three["bridge"], three["school"]])
    assert {row["status_label"] for row in expired["contracts"]} == {"期限満了"}
    assert _numbers(_list(api, status="valid")) == []


def test_the_search_finds_a_work_name_and_a_number_as_a_clerk_types_them(api, three):
    assert _numbers(_list(api, q="鬼怒川")) == [three["bridge"]]  # never company B's bridge
    assert _numbers(_list(api, q="体育館　改築")) == [three["school"]]  # the space typed between words
    assert _numbers(_list(api, q=_to_full_width(three["school"]))) == [three["school"]]  # ３１０４３－…
    assert _numbers(_list(api, q=three["bridge"].replace("-", "").lower())) == [three["bridge"]]
    serial = three["school"].split("-")[-1]  # a part of the number: the serial and its check letter
    assert _numbers(_list(api, q=_to_full_width(serial.lower()))) == [three["school"]]
    assert _numbers(_list(api, q="鬼怒川", status="terminated")) == []
    assert _numbers(_list(api, q="存在しない工事")) == []


def test_another_company_s_contracts_never_appear(api, three):
    assert _numbers(_list(api, CONTRACTOR_B)) == [three["other"]]
    assert _numbers(_list(api, q=three["other"])) == []  # its whole number, typed by company A
    assert _numbers(_list(api, CONTRACTOR_B, q=three["school"])) == []
    assert three["other"] not in _numbers(_list(api, q="鬼怒川"))


def test_pages_follow_each_other_across_the_read_budget(api, three, monkeypatch):
    contracts = sys.modules["esurety.services.contracts"]
    monkeypatch.setattr(contracts, "READ_BUDGET", 2)
    everything = sorted([three["ended"], three["bridge"], three["school"]])

    seen, cursor, pages = [], None, 0
    while True:
        page = _list(api, limit=1, **({"cursor": cursor} if cursor else {}))
        seen += _numbers(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything and pages >= 3  # by number, each once

    # A filter that keeps little: a page may end where the budget ran out, with nothing on it yet.
    first = _list(api, status="terminated")
    found, cursor = _numbers(first), first["next_cursor"]
    assert cursor is not None  # two read, the budget spent: the rest is on later pages
    while cursor:
        page = _list(api, status="terminated", cursor=cursor)
        found, cursor = found + _numbers(page), page["next_cursor"]
    assert found == [three["ended"]]

    # A cursor is this company's list's: another company's caller cannot read on with it.
    status, refused = api.get("/contracts", CONTRACTOR_B, query={"cursor": first["next_cursor"]})
    assert status == 422 and refused["errors"][0]["field"] == "cursor" and refused["errors"][0]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"status": "active"}, "status", "invalid_choice"),
        ({"limit": "0"}, "limit", "too_small"),
        ({"limit": "101"}, "limit", "too_large"),
        ({"q": "工" * 101}, "q", "too_long"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor", "invalid_cursor"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_field(api, query, field, code):
    status, body = api.get("/contracts", CONTRACTOR_A, query=query)
    assert status == 422, body
    (error,) = body["errors"]
    assert error["field"].split(".")[-1] == field and error["code"] == code  # `query.status`, as every query field
    assert code in error_codes.MESSAGES  # the screen says it in Japanese (web/src/error_messages.ts)
