"""保証契約一覧 at a glance, in a real browser against the local cloud.

Three contracts of the demo company, made over the API: one changed once (新規, 変更ー1), one 解約, one as
issued. The contractor's list shows each one's 状態; filtered by 状態 it keeps the 解約 one; a search by the
number typed full-width, and by a part of the 工事名, finds one each. The window of the earlier version
(新規) shows its whole certificate, as it was issued, and says which version is in force. A document
fetched from the local cloud's bucket through the link the API gives is saved under its Japanese name
with its label. Every screen is checked with axe-core at 1366 and 390 px wide and photographed.
"""
from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect

from browser_support import browser, check_screen, new_page, sign_in  # noqa: F401 (fixture)
from e2e_support import http, local_cloud, tokens, wait_for  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
expect.set_options(timeout=30_000)  # the local cloud starts each function's first process on demand
SAMPLE = json.loads((ROOT / "events" / "bodies" / "application.json").read_text("utf-8"))
JST = timezone(timedelta(hours=9))
BRIDGE, SCHOOL, ROAD = "鬼怒川橋梁補修工事", "市立第一小学校体育館改築工事", "県道宇都宮線道路改良工事（その３）"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def issued(http, tokens, work_name: str) -> str:  # noqa: F811
    body = {**SAMPLE, "work": {**SAMPLE["work"], "name": work_name}}
    status, created = http.call("POST", "/applications", tokens["contractor"], body)
    assert status == 201, created
    status, answer = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
    assert status == 202, answer
    return answer["contract_number"]


def shown(http, tokens, number: str, label: str) -> dict:  # noqa: F811
    """The contractor's overview once `label` is on the platform (the publisher's first start takes a while)."""
    return wait_for(lambda: (d := http.call("GET", f"/contracts/{number}", tokens["contractor"])[1]).get("certificate")
                    and d["certificate"]["label"] == label and d, timeout=180, interval=1)


def staff_revision(http, tokens, number: str) -> str:  # noqa: F811
    return f'"{http.call("GET", f"/staff/contracts/{number}", tokens["staff"])[1]["revision"]}"'


def served_name(url: str) -> tuple[str, str]:
    """The Content-Disposition the bucket answers the link with, and the name a browser saves the file under."""
    with urllib.request.urlopen(url, timeout=30) as response:
        header = response.headers["Content-Disposition"]
        assert response.read(5) == b"%PDF-"
    star = re.search(r"filename\*=UTF-8''([^;]+)", header).group(1)
    return header, urllib.parse.unquote(star, errors="strict")


def test_the_contract_list_by_status_and_search_and_an_earlier_version(local_cloud, http, tokens, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]

    # ---- three contracts over the API: a change issued on one, a 解約 recorded on another
    bridge, school, road = (issued(http, tokens, name) for name in (BRIDGE, SCHOOL, ROAD))
    for number in (bridge, school, road):
        shown(http, tokens, number, "新規")
    status, change = http.call("POST", f"/contracts/{bridge}/changes", tokens["contractor"],
                               {"guarantee": {"amount": 30_000_000}, "reason": "前払金の追加請求（増額）のため"})
    assert status == 201, change
    status, answer = http.call("POST", f"/staff/applications/{change['application_id']}/issue", tokens["staff"])
    assert status == 202, answer
    today = datetime.now(JST).date().isoformat()
    status, ended = http.call("POST", f"/staff/contracts/{school}/termination", tokens["staff"],
                              {"kind": "cancelled", "date": today, "reason": "工事の中止による解約"},
                              headers={"If-Match": staff_revision(http, tokens, school)})
    assert status == 200, ended
    shown(http, tokens, bridge, "変更ー1")

    # ---- 保証契約一覧: every row says its 状態
    contractor = new_page(browser)
    contractor.goto(site + "/#/contracts")
    sign_in(contractor, "contractor")
    rows = contractor.locator("#contracts tbody tr")
    expect(contractor.locator(f"#contracts tbody tr[data-contract='{road}']")).to_contain_text("有効")
    expect(contractor.locator(f"#contracts tbody tr[data-contract='{school}']")).to_contain_text("解約")
    expect(contractor.locator(f"#contracts tbody tr[data-contract='{bridge}']")).to_contain_text("30,000,000 円")
    check_screen(contractor, "contracts-status")

    # ---- filtered by 状態: 解約 only
    contractor.select_option("#contracts-status", "terminated")
    contractor.get_by_role("button", name="検索").click()
    expect(contractor).to_have_url(re.compile(r"#/contracts\?status=terminated$"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-contract", school)
    expect(contractor.locator("#contracts caption")).to_contain_text("状態：解約")
    check_screen(contractor, "contracts-terminated", photograph=False)
    contractor.select_option("#contracts-status", "claimed")
    contractor.get_by_role("button", name="検索").click()
    expect(contractor.locator("#contracts-empty")).to_have_text("状態が「履行請求」の保証契約はありません。")

    # ---- a search: the number typed full-width and lower-case, then a part of the 工事名
    contractor.goto(site + "/#/contracts")
    contractor.fill("#contracts-q", full_width(bridge.lower()))
    contractor.get_by_role("button", name="検索").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-contract", bridge)
    contractor.fill("#contracts-q", "体育館")
    contractor.get_by_role("button", name="検索").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(SCHOOL)
    check_screen(contractor, "contracts-search")

    # ---- the earlier version's window: its whole certificate, as issued
    contractor.goto(f"{site}/#/contracts/{bridge}/history")
    history = contractor.locator("#history tbody tr")
    expect(history).to_have_count(2)
    with contractor.expect_popup() as popup:
        history.nth(0).get_by_role("button", name="選択").click()
    window = popup.value
    certificate = window.locator("#certificate")
    expect(certificate).to_contain_text("20,000,000 円")  # the 新規's amount, not the 変更ー1's
    expect(certificate).to_contain_text(BRIDGE)
    expect(certificate).to_contain_text("さくら建設 株式会社")
    expect(certificate).to_contain_text("みどり銀行 本町支店")
    expect(certificate).to_contain_text("令和")
    expect(window.locator(".message.info")).to_contain_text("現在有効な電子保証は「変更ー1」です")
    assert "PDFでご覧ください" not in window.locator("#main").inner_text()
    check_screen(window, "certificate-window-earlier")
    window.close()

    # ---- a download's name: Japanese, with the label, as the bucket serves it
    status, link = http.call("GET", f"/contracts/{bridge}/certificates/1", tokens["contractor"])
    assert status == 200, link
    header, name = served_name(link["url"])
    assert header.isascii() and f'filename="certificate-{bridge}-new.pdf"' in header
    assert name == f"保証証書_{bridge}_新規.pdf"
    status, fee = http.call("GET", f"/contracts/{bridge}/fee-statements/2", tokens["contractor"])
    assert status == 200, fee
    assert served_name(fee["url"])[1] == f"保証料計算書_{bridge}_変更ー1.pdf"
    status, staff_view = http.call("GET", f"/staff/contracts/{bridge}", tokens["staff"])
    record = next(r for r in staff_view["records"] if r["label"] == "変更ー1" and r["certificate"])
    assert served_name(record["certificate"]["url"])[1] == f"保証証書_{bridge}_変更ー1.pdf"
