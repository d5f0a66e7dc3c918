"""Find anything: staff find their issuer's contracts by a number as typed, a company or a 工事名,
filter and page them, and open a contract by a number typed in full-width or lower case."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import pytest

from conftest import CONTRACTOR_A, STAFF, STAFF_INSURER, STAFF_TOTO, application_body
from support.flows import INCREASE, JST, at, issue_and_publish, publish
from esurety.aws.models import ContractItem
from esurety.config import settings
from esurety.services import issuers
from esurety.services.commands import contract_index
from esurety.services.views import staff_search
from tools import contract_index as contract_index_tool


def full_width(text: str) -> str:
    """As a clerk types it with the IME on: full-width digits, letters and hyphen."""
    return "".join("－" if c == "-" else chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def search(api, claims=STAFF, **query) -> dict:
    status, page = api.get("/staff/contracts", claims, query={k: v for k, v in query.items() if v is not None} or None)
    assert status == 200, page
    return page


def numbers(page: dict) -> list[str]:
    return [row["contract_number"] for row in page["items"]]


@pytest.fixture
def three(api, handlers):
    """Three published 前払金保証 of the first surety, issued on 2024-04-01 (JST): 丸山建設's for 栃木県,
    さくら建設's for 国土交通省, and 丸山建設's short one (保証期限 2024-04-20, within 30 days)."""
    _, maruyama, _ = issue_and_publish(api, handlers)
    body = application_body(orderer_id="mlit")
    body["contractor"] = {**body["contractor"], "name": "さくら建設 株式会社"}
    body["work"] = {**body["work"], "name": "国道４号線舗装修繕工事"}
    _, sakura, _ = issue_and_publish(api, handlers, **{k: body[k] for k in ("orderer_id", "contractor", "work")})
    short = application_body()
    short["work"] = {**short["work"], "name": "市道側溝補修工事", "period_end": "2024-04-15", "contract_price": 10_000_000}
    short["guarantee"] = {"amount": 4_000_000, "deadline": "2024-04-20"}
    _, soon, _ = issue_and_publish(api, handlers, work=short["work"], guarantee=short["guarantee"])
    return {"maruyama": maruyama, "sakura": sakura, "soon": soon}


def test_a_number_typed_in_full_width_lower_case_or_without_hyphens_finds_its_contract(api, three):
    number = three["sakura"]
    for typed in (full_width(number), full_width(number).lower(), number.lower().replace("-", ""), f" {number} "):
        page = search(api, q=typed)
        assert numbers(page) == [number] and page["next_cursor"] is None, typed
    (row,) = search(api, q=full_width(number))["items"]
    assert row["contractor_name"] == "さくら建設 株式会社" and row["work_name"] == "国道４号線舗装修繕工事"
    assert (row["orderer_id"], row["orderer_name"]) == ("mlit", "国土交通省")
    assert (row["branch_code"], row["branch_name"]) == ("31", "栃木支店")
    assert (row["status"], row["status_label"], row["label"]) == ("valid", "有効", "新規")
    assert row["product_label"] == "前払金保証" and row["guarantee_amount"] == 20_000_000
    assert row["created_at"].startswith("2024-04-01T10:00") and row["pending_change"] is False
    assert row["issuer"]["name"] == "東都建設保証株式会社"

    # The contract page opens with the number as typed, and answers Japanese when there is none.
    for typed in (full_width(number), full_width(number).lower(), number.lower().replace("-", ""), quote(full_width(number))):
        status, seen = api.get(f"/staff/contracts/{typed}", STAFF)
        assert status == 200 and seen["contract_number"] == number, typed
    status, missing = api.get(f"/staff/contracts/{full_width(number).replace('０００', '９９９', 1)}", STAFF)
    assert status in (404, 422) and missing["message"] and "Not found" not in str(missing)


def test_a_company_or_a_work_name_finds_its_contracts_newest_first(api, three):
    assert set(numbers(search(api, q="丸山建設"))) == {three["maruyama"], three["soon"]}
    assert numbers(search(api, q="ｓａｋｕｒａ")) == [] and numbers(search(api, q="さくら")) == [three["sakura"]]
    assert numbers(search(api, q="舗装修繕")) == [three["sakura"]]
    assert numbers(search(api, q="国道4号")) == [three["sakura"]]  # half-width typed, full-width stored
    assert numbers(search(api, q="側溝")) == [three["soon"]]
    assert numbers(search(api, q="トンネル")) == []
    everything = search(api)
    assert numbers(everything) == [three["soon"], three["sakura"], three["maruyama"]]  # newest first
    assert everything["next_cursor"] is None


def test_filters_by_orderer_branch_status_and_issue_date_as_people_write_it(api, monkeypatch, three):
    every = {three["maruyama"], three["sakura"], three["soon"]}
    assert numbers(search(api, orderer_id="mlit")) == [three["sakura"]]
    assert set(numbers(search(api, orderer_id="tochigi-pref"))) == {three["maruyama"], three["soon"]}
    assert set(numbers(search(api, branch_code="３１"))) == every
    assert numbers(search(api, branch_code="11")) == []
    assert set(numbers(search(api, status="valid"))) == every
    for first, last in (("令和6年4月1日", "R6.4.1"), ("２０２４／４／１", None), (None, "2024-04-01")):
        assert set(numbers(search(api, issued_from=first, issued_to=last))) == every, (first, last)
    assert numbers(search(api, issued_from="令和6年4月2日")) == []
    assert numbers(search(api, issued_to="2024/3/31")) == []

    at(monkeypatch, datetime(2024, 5, 1, 9, 0, tzinfo=JST))  # the short one's 保証期限 has passed
    assert numbers(search(api, status="expired")) == [three["soon"]]
    (row,) = search(api, status="expired")["items"]
    assert (row["status"], row["status_label"]) == ("expired", "期限満了")
    assert set(numbers(search(api, status="valid", q="丸山"))) == {three["maruyama"]}


def test_worklists_expiring_soon_and_changes_waiting(api, handlers, three):
    expiring = search(api, worklist="expiring")
    assert numbers(expiring) == [three["soon"]] and expiring["items"][0]["expiring_soon"] is True
    assert numbers(search(api, worklist="changes")) == []

    status, change = api.post(f"/contracts/{three['maruyama']}/changes", CONTRACTOR_A, INCREASE)
    assert status == 201, change
    waiting = search(api, worklist="changes")
    assert numbers(waiting) == [three["maruyama"]] and waiting["items"][0]["pending_change"] is True
    assert search(api, q=three["maruyama"])["items"][0]["pending_change"] is True

    # Issued, the change leaves the worklist, and the row shows the version in force.
    status, issued = api.post(f"/staff/applications/{change['application_id']}/issue", STAFF)
    assert status == 202, issued
    publish(handlers, three["maruyama"], issued["version"], "2024-04-01T04:00:00.000Z")
    assert numbers(search(api, worklist="changes")) == []
    (row,) = search(api, q=three["maruyama"])["items"]
    assert (row["label"], row["guarantee_amount"], row["pending_change"]) == ("変更ー1", 30_000_000, False)


def test_pages_end_where_a_small_read_budget_ends_and_the_cursors_reach_every_contract(api, monkeypatch, three):
    monkeypatch.setattr(staff_search, "READ_BUDGET", 2)
    seen, cursor, pages = [], None, 0
    while True:
        page = search(api, q="建設", cursor=cursor)
        assert len(page["items"]) <= 2
        seen += numbers(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(three.values()) and len(seen) == 3 and pages >= 2
    # A selective search reads no more per page: a page may be empty, its cursor reads on.
    found, cursor = [], None
    for _ in range(5):
        page = search(api, q="舗装", cursor=cursor)
        found += numbers(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert found == [three["sakura"]] and cursor is None
    # A limit below the budget: a full page stops at its last row.
    monkeypatch.setattr(staff_search, "READ_BUDGET", 200)
    first = search(api, limit="1")
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = search(api, limit="5", cursor=first["next_cursor"])
    assert len(second["items"]) == 2 and second["next_cursor"] is None


@pytest.mark.parametrize("registered", [True, False], ids=["insurer-registered", "issuer-not-in-registry"])
def test_another_issuers_staff_never_see_these_contracts(api, three, registered):
    if registered:
        issuers.seed()  # the insurer is in the registry, with its branch 41
    number = three["sakura"]
    for query in ({}, {"q": number}, {"q": full_width(number)}, {"q": "建設"}, {"worklist": "expiring"}, {"worklist": "changes"}):
        assert search(api, STAFF_INSURER, **query) == {"items": [], "next_cursor": None}, query
    assert api.get(f"/staff/contracts/{full_width(number)}", STAFF_INSURER)[0] == 404
    # The default issuer's staff with the attribute set see them as the staff without it do.
    assert set(numbers(search(api, STAFF_TOTO))) == set(three.values())
    # A cursor of one issuer's list opens nothing of another's.
    cursor = search(api, limit="1")["next_cursor"]
    status, refused = api.get("/staff/contracts", STAFF_INSURER, query={"cursor": cursor})
    assert status == 422 and [(e["field"], e["code"]) for e in refused["errors"]] == [("cursor", "invalid_cursor")]


def test_bad_filters_are_refused_all_at_once_with_codes(api):
    status, refused = api.get("/staff/contracts", STAFF, query={
        "status": "active", "worklist": "soon", "orderer_id": "nobody", "branch_code": "9", "issued_from": "2024-02-30",
        "limit": "500",
    })
    assert status == 422
    assert sorted((e["field"], e["code"]) for e in refused["errors"]) == [
        ("branch_code", "not_branch_code"), ("issued_from", "not_a_calendar_date"), ("limit", "too_large"),
        ("orderer_id", "unknown_orderer"), ("status", "invalid_choice"), ("worklist", "invalid_choice"),
    ]
    status, refused = api.get("/staff/contracts", STAFF, query={"issued_from": "令和6年4月2日", "issued_to": "2024-04-01", "branch_code": "99"})
    assert status == 422
    assert sorted((e["field"], e["code"]) for e in refused["errors"]) == [("branch_code", "unknown_branch"), ("issued_to", "date_range_reversed")]
    assert api.get("/staff/contracts", STAFF, query={"cursor": "bm90LWEtY3Vyc29y"})[1]["errors"][0]["code"] == "invalid_cursor"
    assert api.get("/staff/contracts", STAFF, query={"q": "あ" * 101})[1]["errors"][0]["code"] == "too_long"


def test_contracts_written_before_the_index_are_found_once_backfilled(api, three, capsys):
    old = three["sakura"]
    contract = ContractItem.get(*ContractItem.key(old))
    contract.update(actions=[getattr(ContractItem, name).remove() for name in ("gsi1pk", "gsi1sk", "gsi3pk", "gsi3sk", "in_force_label")])
    assert old not in numbers(search(api))
    assert numbers(search(api, q=old)) == [old]  # a number typed whole is read by its key all the same
    assert search(api, q=old)["items"][0]["label"] == "新規"

    assert contract_index_tool.main(["--table", settings().table_name, "backfill"]) == 0
    assert f"{settings().table_name} toto-hosho: 3 contracts indexed" in capsys.readouterr().out
    assert set(numbers(search(api))) == set(three.values())
    assert contract_index.backfill()["toto-hosho"] == 3  # again: the same entries, nothing else
    assert numbers(search(api, q="舗装")) == [old]
