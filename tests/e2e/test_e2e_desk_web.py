"""The orderer's desk (発注者デスク) and 提出 in a real browser, against the local cloud, and what a clerk met
at the 保証確認 form.

The desk's journey: the contractor presents a 前払金保証 with 提出 to 栃木県's 県土整備部 技術管理課 on Net Desk
(a 契約保証 to 足利市, which takes no 提出 for it, shows the orderer's rule instead); 栃木県's whole-desk clerk
presents a second one by number + key; the department's clerk sees both on the desk without typing a key,
confirms the first from its page, staff correct it, and the desk shows 訂正 with what it replaced, the
receipt as 受領済み（訂正前） and the row 要確認 again; the clerk ticks both rows and confirms them in one
step (a confirmed row offers no tick), exports the list as CP932 CSV and downloads the evidence ZIP; the
contractor sees where and when it was presented and confirmed; 足利市's clerk sees none of it.

The clerk's fixes: a wrong number says which field and why; 印刷 opens the PDF in its own tab and keeps
the screen and the typed key; a lock says until when and whom to ask; the contractor's screen names a
receipt's version by its label, never by an internal version number, even after a 訂正.
Every screen is checked with axe-core at 1366 and 390 px wide and photographed for the README.
"""
from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import browser, check_screen, new_page, sign_in  # noqa: F401 (fixture)
from e2e_support import download, http, local_cloud, tokens, wait_for  # noqa: F401 (fixtures)
from esurety.domain.identifiers.contract_number import check_letter

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# The local cloud starts each function's first process on demand: a first call takes seconds.
expect.set_options(timeout=30_000)
SAMPLE = json.loads((ROOT / "events" / "bodies" / "application.json").read_text("utf-8"))
WORKS = "県土整備部 技術管理課"  # 栃木県's department for 前払金保証 in the registry


def published(http, tokens, work_name: str, **overrides) -> tuple[str, str]:  # noqa: F811
    """A guarantee applied for and issued over the API, once on the platform: (number, key)."""
    body = {**SAMPLE, **overrides, "work": {**SAMPLE["work"], "name": work_name}}
    status, created = http.call("POST", "/applications", tokens["contractor"], body)
    assert status == 201, created
    status, issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
    assert status == 202, issued
    number = issued["contract_number"]
    detail = wait_for(lambda: (d := http.call("GET", f"/contracts/{number}", tokens["contractor"])[1]).get("auth_key") and d, timeout=180)
    return number, detail["auth_key"]


def correct_work_name(http, tokens, number: str, version: int, name: str) -> int:  # noqa: F811
    """Staff correct a shown version's 工事名 over the API; the corrected record's version."""
    revision = http.call("GET", f"/staff/contracts/{number}", tokens["staff"])[1]["revision"]
    status, corrected = http.call("POST", f"/staff/contracts/{number}/versions/{version}/corrections", tokens["staff"],
                                  {"work": {"name": name}, "reason": "工事名の誤記"}, headers={"If-Match": f'"{revision}"'})
    assert status == 202, corrected
    return corrected["version"]


def open_orderer(browser: Browser, site: str, role: str, path: str = "/verify") -> Page:
    page = new_page(browser)
    page.goto(site + path)
    sign_in(page, role)
    return page


def open_key_form(browser: Browser, site: str, number: str, key: str) -> Page:
    """The notice's QR link: the form pre-filled on the 保証確認 tab."""
    page = new_page(browser)
    page.goto(f"{site}/verify?contract_number={number}#auth_key={key}")
    sign_in(page, "orderer")
    expect(page.locator("#auth_key")).to_have_value(key)
    return page


def desk_row(page: Page, number: str):
    return page.locator(f"#desk tbody tr[data-contract='{number}']")


def show_all(page: Page) -> None:
    page.locator(".tabs a[data-view=all]").click()
    expect(page.locator(".tabs a[data-view=all]")).to_have_attribute("aria-current", "page")


def test_the_clerks_fixes_in_the_browser(local_cloud, http, tokens, browser):  # noqa: F811
    _, deployed = local_cloud
    site = deployed["site_url"]
    number, key = published(http, tokens, "市道今市線側溝改修工事")

    # ---- a wrong number says which field and why, at the field and above the result
    orderer = open_key_form(browser, site, number, key)
    orderer.fill("#contract_number", "31073-0001")
    orderer.get_by_role("button", name="閲覧").click()
    result = orderer.locator("#result .message.error")
    expect(result).to_have_text("保証契約番号：保証契約番号の形式ではありません。")
    expect(orderer.locator("#contract_number-error")).to_have_text("保証契約番号の形式ではありません。")
    expect(orderer.locator("#contract_number")).to_have_attribute("aria-invalid", "true")
    expect(orderer.locator("#auth_key")).not_to_have_attribute("aria-invalid", "true")
    check_screen(orderer, "verify-wrong-number")
    orderer.fill("#auth_key", "A" * 65)  # longer than any key: the key's field says so
    orderer.fill("#contract_number", number)
    orderer.get_by_role("button", name="閲覧").click()
    expect(result).to_contain_text("認証キー：")
    expect(orderer.locator("#auth_key")).to_have_attribute("aria-invalid", "true")
    expect(orderer.locator("#contract_number")).not_to_have_attribute("aria-invalid", "true")

    # ---- 印刷 opens the PDF in its own tab; the certificate and the typed key stay on this one
    orderer.fill("#auth_key", key)
    orderer.get_by_role("button", name="閲覧").click()
    expect(orderer.locator("#certificate")).to_contain_text("新規")
    url_before = orderer.url
    with orderer.expect_popup() as popup:
        orderer.locator("#certificate").get_by_role("link", name=re.compile("印刷")).click()
    popup.value.wait_for_url(re.compile(rf"certificates/{number}/v001\.pdf"))
    popup.value.close()
    assert orderer.url == url_before
    expect(orderer.locator("#certificate")).to_be_visible()
    expect(orderer.locator("#auth_key")).to_have_value(key)

    # ---- the contractor's receipts name the version by its label, even once it was corrected
    orderer.get_by_role("button", name="受領確認").click()
    orderer.locator("dialog").get_by_role("button", name="受領を記録する").click()
    expect(orderer.locator("#receipt-result .message.info")).to_contain_text("受領確認を記録しました（新規、令和")
    correct_work_name(http, tokens, number, 1, "市道今市線側溝改修工事（その１）")
    wait_for(lambda: "（その１）" in (http.call("GET", f"/contracts/{number}", tokens["contractor"])[1].get("certificate") or {}).get("work_name", ""),
             timeout=180)
    contractor = new_page(browser)
    contractor.goto(f"{site}/#/contracts/{number}")
    sign_in(contractor, "contractor")
    receipts = contractor.locator("#receipts")
    expect(receipts).to_contain_text("栃木県")
    expect(receipts).not_to_contain_text(re.compile(r"第\s*\d+\s*版"))
    expect(receipts).to_contain_text("訂正・変更取消の前の電子証書")
    check_screen(contractor, "overview-receipt-corrected", photograph=False)

    # ---- a lock says until when (Retry-After, read through the API's CORS) and whom to ask
    digits = "3107399998"
    unknown = f"{digits[:5]}-{digits[5:]}{check_letter(digits)}"
    orderer.fill("#contract_number", unknown)
    orderer.fill("#auth_key", "WRONGKEY2345")
    for _ in range(5):
        orderer.get_by_role("button", name="閲覧").click()
        expect(result).to_contain_text("該当する情報が見つかりません")
        orderer.locator("#result").evaluate("el => el.replaceChildren()")
    orderer.get_by_role("button", name="閲覧").click()
    expect(result).to_contain_text(re.compile(r"\d+時\d\d分まで照会できません"))
    expect(result).to_contain_text("受注者から届いた「認証キー」のお知らせ")
    expect(result).to_contain_text("保証会社の支店に電話でお問い合わせください")
    check_screen(orderer, "verify-locked")


def test_the_desk_in_the_browser(local_cloud, http, tokens, browser):  # noqa: F811
    _, deployed = local_cloud
    site = deployed["site_url"]
    first, _ = published(http, tokens, "県道宇都宮今市線道路改良工事（第２工区）")
    second, second_key = published(http, tokens, "鬼怒川河川改修工事")
    ashikaga, _ = published(http, tokens, "足利市民会館改修工事", product="contract", orderer_id="ashikaga-city", deposit_bank=None)

    # ---- the contractor: 提出 to the department the registry names for 前払金保証
    contractor = new_page(browser)
    contractor.goto(f"{site}/#/contracts/{first}")
    sign_in(contractor, "contractor")
    submission = contractor.locator("#submission")
    expect(submission).to_contain_text("栃木県は、前払金保証の電子保証を本サービスでの提出で受け付けています")
    expect(contractor.locator("#f-department_id option")).to_have_text([WORKS])  # only the one that takes the product
    check_screen(contractor, "netdesk-submission")
    contractor.get_by_role("button", name="提出", exact=True).click()
    dialog = contractor.locator("dialog")
    expect(dialog).to_contain_text(f"栃木県 {WORKS}に提出します")
    dialog.get_by_role("button", name="提出する").click()
    expect(contractor.locator("#presented")).to_contain_text(re.compile(rf"令和\d+年\d+月\d+日 \d\d:\d\dに栃木県 {WORKS}へ提出しました"))
    expect(contractor.locator("#submit-to-orderer")).to_have_count(0)
    check_screen(contractor, "netdesk-submitted")
    # 足利市 takes no 提出 of a 契約保証: the orderer's rule and where its notice goes, no button
    contractor.goto(f"{site}/#/contracts/{ashikaga}")
    expect(contractor.locator("#orderer-rule")).to_contain_text("足利市は、契約保証の電子保証の提出を本サービスでは受け付けていません")
    expect(contractor.locator("#orderer-contacts")).to_contain_text("総務部 契約検査課")
    expect(contractor.locator("#submit-to-orderer")).to_have_count(0)
    check_screen(contractor, "netdesk-orderer-rule")

    # ---- 栃木県's whole-desk clerk presents the second one by number + key (the 保証確認 tab)
    whole = open_key_form(browser, site, second, second_key)
    expect(whole.locator("#nav a[href='#/verify']")).to_have_attribute("aria-current", "page")
    whole.get_by_role("button", name="閲覧").click()
    expect(whole.locator("#certificate")).to_contain_text("鬼怒川河川改修工事")

    # ---- the department's clerk: both on the desk, no key typed; 要確認 until confirmed
    works = open_orderer(browser, site, "orderer-works")
    expect(works.locator("h1")).to_have_text("発注者デスク")
    expect(works.locator("#whose-desk")).to_contain_text(f"栃木県 {WORKS}")
    expect(works.locator(".tabs a[data-view=attention]")).to_have_attribute("aria-current", "page")
    row = desk_row(works, first)
    expect(row).to_contain_text("県道宇都宮今市線道路改良工事（第２工区）")
    expect(row).to_contain_text("20,000,000 円")
    expect(row).to_contain_text("提出")
    expect(row).to_contain_text(WORKS)
    expect(row).to_contain_text("未確認")
    expect(desk_row(works, second)).to_contain_text("認証キー")
    check_screen(works, "desk")
    # search: full-width typed input finds the row by 工事名
    works.fill("#desk-q", "鬼怒川")
    works.locator("#desk-search").get_by_role("button", name="検索").click()
    expect(works.locator("#desk tbody tr")).to_have_count(1)
    expect(desk_row(works, second)).to_be_visible()
    works.fill("#desk-q", first.replace("-", "－").translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    works.locator("#desk-search").get_by_role("button", name="検索").click()
    expect(works.locator("#desk tbody tr")).to_have_count(1)
    expect(desk_row(works, first)).to_be_visible()

    # ---- one guarantee from the desk: the certificate without a key, 受領確認 there
    desk_row(works, first).get_by_role("link", name=first).click()
    expect(works.locator("#certificate")).to_contain_text("県道宇都宮今市線道路改良工事（第２工区）")
    expect(works.locator("#certificate")).to_contain_text(f"提出（{WORKS}）")
    expect(works.locator("#auth_key")).to_have_count(0)
    works.locator("#receipt").click()
    works.locator("dialog").get_by_role("button", name="受領を記録する").click()
    expect(works.locator("#receipt-result .message.info")).to_contain_text("受領確認を記録しました（新規、令和")

    # ---- staff correct it: 訂正 with what it replaced, the receipt 受領済み（訂正前）, 要確認 again
    replaced = http.call("GET", f"/desk/guarantees/{first}", tokens["orderer-works"])[1]["certificate"]
    correct_work_name(http, tokens, first, 1, "県道宇都宮今市線道路改良工事（第２工区その１）")
    works.goto(f"{site}/verify#/desk?view=attention")
    # Until the 訂正 is published the row is confirmed, so not in 要確認: look (without waiting for
    # the row to appear) and reload until it is back, marked.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        works.locator("#desk").wait_for()
        if desk_row(works, first).count() and "訂正" in (desk_row(works, first).text_content() or ""):
            break
        works.wait_for_timeout(1000)
        works.reload()
    row = desk_row(works, first)
    expect(row).to_contain_text("訂正")
    expect(row).to_contain_text("要確認")
    expect(row).to_contain_text("受領済み（訂正前）")
    expect(row).to_contain_text("（第２工区その１）")
    check_screen(works, "desk-corrected")
    row.get_by_role("link", name=first).click()
    expect(works.locator("#correction")).to_contain_text(re.compile(r"訂正（令和\d+年"))
    expect(works.locator("#correction")).to_contain_text(replaced["sha256"])
    expect(works.locator("#corrected")).to_contain_text("に代わるものです")
    expect(works.locator("#desk-receipts")).to_contain_text("受領済み（訂正前）")
    expect(works.locator("#events")).to_contain_text("訂正")
    expect(works.locator("#receipt")).to_be_visible()  # the corrected record has no 受領確認 yet
    check_screen(works, "desk-guarantee")

    # ---- 証拠一式: the PDFs and a 寄託記録
    with works.expect_response(re.compile(rf"/desk/guarantees/{first}/evidence")) as answered:
        works.locator("#evidence").click()
    evidence = zipfile.ZipFile(io.BytesIO(download(answered.value.json()["url"])))
    names = evidence.namelist()
    assert "寄託記録.pdf" in names, names
    assert sum(name.endswith(".pdf") for name in names) >= 2, names  # the certificate shown and the 寄託記録
    assert all(evidence.read(name).startswith(b"%PDF") for name in names if name.endswith(".pdf"))
    expect(works.locator("#evidence-result .message.info")).to_contain_text("ダウンロードを始めました")

    # ---- bulk 受領確認 of both from the list; a confirmed row offers no tick
    works.goto(f"{site}/verify#/desk?view=attention")
    for number in (first, second):
        desk_row(works, number).locator("input.tick").check()
    expect(works.locator("#bulk-receipt")).to_have_text("受領確認（2 件）")
    works.locator("#bulk-receipt").click()
    dialog = works.locator("dialog")
    expect(dialog).to_contain_text(first)
    expect(dialog).to_contain_text(second)
    check_screen(works, "desk-receipt-confirm", photograph=False)
    dialog.get_by_role("button", name="受領を記録する").click()
    expect(works.locator("#bulk-notice")).to_contain_text("受領確認を記録しました（2 件）")
    for number in (first, second):  # confirmed: off the 要確認 list
        expect(desk_row(works, number)).to_have_count(0)
    show_all(works)
    for number in (first, second):
        expect(desk_row(works, number)).to_contain_text("受領済み")
        expect(desk_row(works, number).locator("input.tick")).to_have_count(0)
        expect(desk_row(works, number)).to_contain_text("あなた")
    check_screen(works, "desk-received")

    # ---- CSV 出力 in CP932: both rows, decoded; the screen stays
    works.check("#export-form input[value=cp932]")
    with works.expect_response(re.compile(r"/desk/export\?")) as answered:
        works.locator("#export").click()
    exported = answered.value.json()
    assert "encoding=cp932" in answered.value.url
    text = download(exported["url"]).decode("cp932")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["保証契約番号", "発行者", "商品"], table[0]
    assert {first, second} <= {line[0] for line in table[1:]}
    expect(works.locator("#export-result .message.info")).to_contain_text(f"Shift_JIS（CP932）、{exported['rows']} 件")
    expect(works.locator("#desk")).to_be_visible()
    check_screen(works, "desk-export")

    # ---- the contractor sees it confirmed, by label
    contractor.goto(f"{site}/#/contracts/{first}")
    expect(contractor.locator("#receipts")).to_contain_text("新規")
    expect(contractor.locator("#receipts")).not_to_contain_text(re.compile(r"第\s*\d+\s*版"))

    # ---- 足利市's clerk: none of it, not even by number
    city = open_orderer(browser, site, "orderer-ashikaga")
    expect(city.locator("#whose-desk")).to_contain_text("足利市")
    show_all(city)
    expect(city.locator(f"#desk tbody tr[data-contract='{first}']")).to_have_count(0)
    expect(city.locator(f"#desk tbody tr[data-contract='{second}']")).to_have_count(0)
    city.goto(f"{site}/verify#/guarantees/{first}")
    expect(city.locator(".message.error")).to_contain_text("この保証は発注者デスクにありません")
    check_screen(city, "desk-other-orderer", photograph=False)
