"""The review desk as staff use it all day, in a real browser against the local cloud.

Staff find a contract by its number typed full-width and in lower case, and by the company's name; the
header says who is signed in and for which issuer; the worklists are in the menu. With four eyes on for the
demo surety, 発行 on the application in full (its confirmation shows 被保証者, 保証金額, 保証期限 and the
保証料, the button says it is working while the API works) records a decision 承認待ち: the maker sees it
without an approve button (and the API refuses their own approval with its code); a second staff member
approves it and the contract is issued, both names in the audit. A change issued shows the change it made
(新規 → 変更ー1, 20,000,000 円 → 25,000,000 円). 訂正 opens with the version in force and confirms before →
after. A number locked by wrong keys shows 照合ロック中 with its tries, and staff lift it with a reason.
Every screen is checked with axe-core at 1366 and 390 px wide, and the main ones photographed for the README.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser_support import browser, check_screen, new_page, sign_in  # noqa: F401 (fixture)
from e2e_support import http, local_cloud, tokens, wait_for  # noqa: F401 (fixtures)
from tools.localcloud import demo
from tools.localcloud.__main__ import STACK

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# The local cloud starts each function's first process on demand: a first call takes seconds.
expect.set_options(timeout=30_000)
SAMPLE = json.loads((ROOT / "events" / "bodies" / "application.json").read_text("utf-8"))
SURETY = "東都建設保証株式会社（保証事業会社）"
STAFF_NAME = "栃木 花子"  # the demo staff member's display name (make run seeds it)
APPROVER_NAME = "宇都宮 次郎"  # the second staff member of the same branch (make token ROLE=approver)


def full_width(text: str) -> str:
    """As typed with a Japanese IME left on: every ASCII character in its full-width form."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def english_words(page: Page) -> list[str]:
    """Words of Latin letters on the screen (text, aria-labels, titles, placeholders): none should be.
    Tokens with a digit (numbers, ids, dates) and e-mail addresses are data, not words."""
    texts = page.evaluate("""() => [document.body.innerText,
        ...[...document.querySelectorAll('[aria-label], [title], [placeholder]')].map((el) =>
            [el.getAttribute('aria-label'), el.getAttribute('title'), el.getAttribute('placeholder')].filter(Boolean).join(' '))]""")
    tokens = [t for text in texts for t in re.findall(r"[A-Za-z0-9@._\-]+", text)]
    return [t for t in tokens if "@" not in t and not re.search(r"\d", t) and re.search(r"[A-Za-z]{3,}", t)]


def apply(http, tokens, work_name: str) -> str:  # noqa: F811
    body = {**SAMPLE, "work": {**SAMPLE["work"], "name": work_name}}
    status, created = http.call("POST", "/applications", tokens["contractor"], body)
    assert status == 201, created
    return created["application_id"]


def published(http, tokens, number: str) -> str:  # noqa: F811
    """The contract's auth key, once its certificate is published (the contractor's overview shows it)."""
    return wait_for(lambda: http.call("GET", f"/contracts/{number}", tokens["contractor"])[1].get("auth_key"), timeout=180)


def issued_contract(http, tokens, work_name: str) -> tuple[str, str]:  # noqa: F811
    """A 前払金保証 applied for and issued over the API (four eyes off), once published: (number, key)."""
    application_id = apply(http, tokens, work_name)
    status, issued = http.call("POST", f"/staff/applications/{application_id}/issue", tokens["staff"])
    assert status == 202 and "approval_id" not in issued, issued
    number = issued["contract_number"]
    return number, published(http, tokens, number)


def four_eyes(cloud, on: bool) -> None:
    """The issuer setting, as an operator turns it (tools.issuers four-eyes <issuer> on|off)."""
    demo.issuers_tool(cloud, STACK, "four-eyes", demo.DEFAULT_ISSUER, "on" if on else "off")


def staff_page(browser, site: str, cloud, role: str = "staff", hash_: str = "#/queue") -> Page:  # noqa: F811
    page = new_page(browser)
    page.goto(f"{site}/staff/{hash_}")
    sign_in(page, role, cloud)
    return page


def test_find_a_contract_by_a_full_width_number_and_by_company(local_cloud, http, tokens, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]
    work_name = "市道今泉線歩道整備工事"
    number, _ = issued_contract(http, tokens, work_name)

    # ---- who is signed in, for which issuer; the worklists in the menu
    staff = staff_page(browser, site, cloud)
    expect(staff.locator("#staff-issuer")).to_have_text(SURETY)
    expect(staff.locator("#staff-name")).to_have_text(f"{STAFF_NAME} さん")
    menu = staff.locator("#nav")
    for text in ("審査待ち", "承認待ち", "期限間近", "変更申込あり", "保証契約の検索"):
        expect(menu.get_by_role("link", name=text)).to_be_visible()
    expect(staff.locator("#status-filter")).to_be_visible(timeout=120_000)  # the queue has answered

    # ---- by the number, typed full-width and in lower case
    menu.get_by_role("link", name="保証契約の検索").click()
    expect(staff.locator("h1")).to_have_text("保証契約の検索")
    staff.fill("#q", full_width(number.lower()))
    staff.locator("#contracts-search").get_by_role("button", name="検索").click()
    # the list of this query (the page before it may list every contract)
    found = staff.locator(f"#contracts[data-query*='q='] tbody tr[data-contract='{number}']")
    expect(found).to_be_visible()
    expect(found).to_contain_text("有効")
    expect(found).to_contain_text("栃木県")  # the orderer by name
    expect(found).to_contain_text(work_name)
    assert "q=" in staff.url  # the search is in the address: bookmarkable, back returns to it
    check_screen(staff, "staff-search")
    assert english_words(staff) == []

    # ---- by the company's name (a part of it), valid ones only
    staff.fill("#q", "さくら建設")
    staff.select_option("#status", "valid")
    staff.locator("#contracts-search").get_by_role("button", name="検索").click()
    by_company = staff.locator("#contracts[data-query*='status=valid']")
    expect(by_company.locator(f"tbody tr[data-contract='{number}']")).to_be_visible()
    expect(by_company.locator("tbody tr").first).to_contain_text("さくら建設")
    check_screen(staff, "staff-search-company", photograph=False)

    # ---- the contract: names, not ids
    staff.locator(f"#contracts tbody tr[data-contract='{number}']").get_by_role("link", name=number).click()
    expect(staff.locator("h1")).to_have_text(f"保証契約 {number}")
    expect(staff.locator("#contract")).to_contain_text("栃木県")
    expect(staff.locator("#contract")).to_contain_text(SAMPLE["contractor"]["name"])
    expect(staff.locator("#audit tbody tr", has_text="発行")).to_contain_text(STAFF_NAME)
    assert english_words(staff) == []

    # ---- a worklist: 期限間近 answers (this contract's deadline is years away)
    menu.get_by_role("link", name="期限間近").click()
    expect(staff.locator("h1")).to_contain_text("期限間近")
    expect(staff.locator(f"#contracts tbody tr[data-contract='{number}']")).to_have_count(0)
    expect(staff.locator(".message.error")).to_have_count(0)
    check_screen(staff, "staff-worklist-expiring", photograph=False)


def test_issue_with_four_eyes_the_maker_cannot_approve_the_approver_can(local_cloud, http, tokens, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]
    work_name = "県道真岡上三川線交差点改良工事"
    four_eyes(cloud, True)
    try:
        application_id = apply(http, tokens, work_name)

        # ---- the maker: the application in full, then 発行 with what it decides
        maker = staff_page(browser, site, cloud)
        row = maker.locator("#queue tbody tr", has_text=work_name)
        expect(row).to_be_visible(timeout=120_000)
        expect(row.get_by_role("button", name="発行")).to_have_count(0)  # not on the queue row
        expect(row).to_contain_text("栃木県")
        row.get_by_role("link").first.click()
        expect(maker.locator("#application-request")).to_contain_text(work_name)
        maker.locator("#main").get_by_role("button", name="発行").click()
        dialog = maker.locator("dialog")
        expect(dialog.locator("h2")).to_have_text("発行しますか")
        facts = dialog.locator("#decision-facts")
        expect(facts).to_contain_text("新規")
        expect(facts).to_contain_text("被保証者")
        expect(facts).to_contain_text("栃木県")
        expect(facts).to_contain_text("20,000,000 円")
        expect(facts).to_contain_text("令和")
        expect(facts).to_contain_text("保証料（見込み）")
        check_screen(maker, "staff-issue-confirm")
        assert english_words(maker) == []

        # While the API works, the button says so (the request is held until that has been seen).
        held = []
        issue_url = f"{deployed['api_url']}/staff/applications/{application_id}/issue"
        maker.route(issue_url, lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
        dialog.get_by_role("button", name="発行する").click()
        button = maker.locator("#issue-button")
        expect(button).to_have_text("発行しています…")
        expect(button).to_be_disabled()
        expect(maker.locator("#decide")).to_have_attribute("aria-busy", "true")
        deadline = time.monotonic() + 30
        while not held and time.monotonic() < deadline:
            maker.wait_for_timeout(100)  # Playwright's events are dispatched while it waits
        held[0].continue_()
        maker.unroute(issue_url)
        expect(maker.locator(".message.info", has_text="承認待ち")).to_be_visible()  # beside 「本日の基準で問題はありません」
        expect(maker.locator("#pending-approval")).to_contain_text(STAFF_NAME)
        expect(maker.locator("#main").get_by_role("button", name="発行")).to_have_count(0)
        check_screen(maker, "staff-issue-pending")

        # ---- 承認待ち: the maker sees their own decision without the approve button
        maker.locator("#nav").get_by_role("link", name="承認待ち").click()
        waiting = maker.locator("#approvals tbody tr", has_text=work_name)
        expect(waiting).to_contain_text("発行")
        expect(waiting).to_contain_text(STAFF_NAME)
        check_screen(maker, "staff-approvals")
        waiting.get_by_role("link").first.click()
        expect(maker.locator("#own-decision")).to_contain_text("ご自身では承認できません")
        expect(maker.get_by_role("button", name="承認する")).to_have_count(0)
        approval_id = maker.url.rsplit("/", 1)[-1]
        status, refused = http.call("POST", f"/staff/approvals/{approval_id}", tokens["staff"], {"decision": "approve"})
        assert status == 403 and refused["code"] == "own_decision_not_approvable", refused
        check_screen(maker, "staff-approval-own", photograph=False)
        assert english_words(maker) == []

        # ---- a second staff member of the same branch approves: issued, both names in the audit
        approver = staff_page(browser, site, cloud, "approver", f"#/approvals/{approval_id}")
        expect(approver.locator("#staff-name")).to_have_text(f"{APPROVER_NAME} さん")
        expect(approver.locator("#approval")).to_contain_text(STAFF_NAME)
        expect(approver.locator("#approval")).to_contain_text(work_name)
        check_screen(approver, "staff-approval")
        approver.get_by_role("button", name="承認する").click()
        approver.locator("dialog").get_by_role("button", name="承認する").click()
        done = approver.locator(".message.info")
        expect(done).to_contain_text("承認しました")
        expect(done).to_contain_text("発行しました（新規）")
        number = re.search(r"保証契約番号 (\S+)", done.inner_text()).group(1)
        expect(approver.locator("#approval")).to_contain_text("承認済み")
        expect(approver.locator("#approval")).to_contain_text(APPROVER_NAME)
        approver.goto(f"{site}/staff/#/contracts/{number}")
        issued_row = approver.locator("#audit tbody tr", has_text="発行")
        expect(issued_row).to_contain_text(STAFF_NAME)
        expect(issued_row).to_contain_text(APPROVER_NAME)
        check_screen(approver, "staff-contract-approved", photograph=False)
    finally:
        four_eyes(cloud, False)


def test_a_decided_change_correct_with_before_and_after_and_lift_a_lock(local_cloud, http, tokens, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]
    work_name = "市営住宅給水管更新工事"
    number, key = issued_contract(http, tokens, work_name)

    # ---- a change waiting is on the 変更申込あり worklist; issued, the page shows the change it made
    status, change = http.call("POST", f"/contracts/{number}/changes", tokens["contractor"], {
        "work": {"contract_price": 62500000}, "guarantee": {"amount": 25000000}, "reason": "設計変更による請負金額の増額"})
    assert status == 201, change
    staff = staff_page(browser, site, cloud, hash_="#/contracts?worklist=changes")
    expect(staff.locator(f"#contracts tbody tr[data-contract='{number}']")).to_contain_text("変更申込あり", timeout=120_000)
    staff.goto(f"{site}/staff/#/applications/{change['application_id']}")
    staff.locator("#main").get_by_role("button", name="発行").click()
    expect(staff.locator("dialog #decision-facts")).to_contain_text("変更ー1")
    expect(staff.locator("dialog #decision-facts")).to_contain_text("25,000,000 円")
    staff.locator("dialog").get_by_role("button", name="発行する").click()
    expect(staff.locator(".message.info")).to_contain_text("発行しました（変更ー1）")
    decided = staff.locator("#decided-change")
    expect(decided.locator("caption")).to_contain_text("新規 → 変更ー1")
    expect(decided.locator("tr", has_text="保証金額")).to_contain_text("20,000,000 円")
    expect(decided.locator("tr", has_text="保証金額")).to_contain_text("25,000,000 円")
    check_screen(staff, "staff-decided-change")
    # the change's certificate arrives (the contractor's overview names 変更ー1) before it is corrected
    wait_for(lambda: "変更ー1" in json.dumps(http.call("GET", f"/contracts/{number}", tokens["contractor"])[1], ensure_ascii=False), timeout=180)

    # ---- 訂正: the form holds the version in force; the confirmation shows before → after
    staff.goto(f"{site}/staff/#/contracts/{number}")
    staff.locator("#correction-form").locator("xpath=..").locator("summary").click()
    expect(staff.locator("#correct-version option:checked")).to_have_text("変更ー1")
    expect(staff.locator("#correction-form-f-work-name")).to_have_value(work_name)
    expect(staff.locator("#correction-form-f-guarantee-amount")).to_have_value("25,000,000")
    expect(staff.locator("#correction-form-f-guarantee-deadline")).to_have_value(re.compile(r"^令和\d+年\d+月\d+日$"))  # as people write it
    corrected = "市営住宅給水管及び排水管更新工事"
    staff.fill("#correction-form-f-work-name", corrected)
    staff.fill("#correction-form-f-reason", "工事名の誤記（排水管の脱落）")
    staff.locator("#correction-form").get_by_role("button", name="訂正").click()
    dialog = staff.locator("dialog")
    expect(dialog.locator("h2")).to_have_text("訂正しますか")
    diff = dialog.locator("#correction-diff tbody tr")
    expect(diff).to_have_count(1)  # only what changed
    expect(diff).to_contain_text("工事名")
    expect(diff).to_contain_text(work_name)
    expect(diff).to_contain_text(corrected)
    expect(dialog).not_to_contain_text("第")
    check_screen(staff, "staff-correction-diff")
    dialog.get_by_role("button", name="訂正する").click()
    expect(staff.locator(".message.info")).to_contain_text("訂正しました（変更ー1")

    # ---- the lock: wrong keys until the number is locked; staff see it and lift it with a reason
    for _ in range(20):
        status, _ = http.call("POST", "/verifications", tokens["orderer"], {"contract_number": number, "auth_key": "WRONGKEY2345"})
        if status == 429:
            break
    assert status == 429
    staff.reload()
    lock = staff.locator("#lock")
    expect(lock).to_contain_text("照合ロック中")
    expect(lock).to_contain_text("回（上限")
    expect(lock).to_contain_text("令和")
    expect(staff.locator("#contract")).to_contain_text("照合ロック中")
    check_screen(staff, "staff-lock")
    assert english_words(staff) == []
    staff.fill("#lock-form-f-reason", "発注者（栃木県 土木部）から電話で本人確認のうえ解除")
    staff.get_by_role("button", name="ロックを解除する").click()
    expect(staff.locator("dialog h2")).to_have_text("照合ロックを解除しますか")
    staff.locator("dialog").get_by_role("button", name="解除する").click()
    expect(staff.locator(".message.info")).to_contain_text("照合ロックを解除しました")
    expect(staff.locator("#lock-form")).to_have_count(0)
    expect(staff.locator("#audit tbody tr", has_text="照合ロック解除")).to_contain_text(STAFF_NAME)
    status, shown = http.call("POST", "/verifications", tokens["orderer"], {"contract_number": number, "auth_key": key})
    assert status == 200, (status, shown)  # the orderer can look again
