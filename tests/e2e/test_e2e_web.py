"""The three web fronts in a real browser (Debian's chromium, driven by Playwright), against the
site the local cloud serves through its CloudFront, signed in through its managed login.

The journeys: the contractor applies (a 422 lands on its field first), staff issue it, the contractor
sees the key and prints the notice, the orderer opens the notice's QR link, signs in and sees the
certificate; a wrong key gets the uniform message; sign-out leads back to the sign-in page. Then on
a second contract: the orderer records 受領確認 and the contractor sees it; the contractor applies
for a change (変更ー1) in the browser, staff issue it on the review desk, and once it arrives the
orderer sees 変更ー1 with the history 新規, 変更ー1 and can open the 新規 it replaced. A rejected
application's reason reaches the contractor's 申込一覧, and repeated wrong keys end in the lockout's
message (until when, and whom to ask). Staff correct the 新規's 工事名 (the orderer sees it under the same label, the wrong record
hidden) and record a 解約 (the orderer sees 解約 with the certificate still on view; the contractor
sees 解約 and opens the 保証料返還計算書). A 中間前払金保証 is applied for with its 認定調書 posted from
the browser straight to the bucket (a presigned POST): over 2割 of the price and a file that is not a
PDF are refused at their fields, a real PDF is judged on arrival, staff open it and issue. Every
screen is checked with axe-core at 1366×768 and 390 px wide, and photographed for the README.
"""
from __future__ import annotations

import io
import json
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import browser, check_screen, new_page, sign_in  # noqa: F401 (fixture)
from e2e_support import download, http, local_cloud, tokens, wait_for  # noqa: F401 (fixtures)
from esurety.domain.identifiers.contract_number import check_letter

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NOT_FOUND = "該当する情報が見つかりません。保証契約番号と認証キーをご確認ください。"
# The local cloud starts each function's first process on demand: a first call takes seconds.
expect.set_options(timeout=30_000)
SAMPLE = json.loads((ROOT / "events" / "bodies" / "application.json").read_text("utf-8"))


def fill_application(page: Page, contract_date: str) -> None:
    work, guarantee, contractor = SAMPLE["work"], SAMPLE["guarantee"], SAMPLE["contractor"]
    page.select_option("#f-product", SAMPLE["product"])
    page.check("input[name=format][value=electronic]")
    page.fill("#f-notify_email", SAMPLE["notify_email"])
    page.select_option("#f-orderer_id", SAMPLE["orderer_id"])
    page.fill("#f-work-name", work["name"])
    page.fill("#f-work-contract_price", "５０，０００，０００")  # full-width, as typed on a Japanese keyboard
    page.fill("#f-work-contract_date", contract_date)
    page.fill("#f-work-period_start", work["period_start"])
    page.fill("#f-work-period_end", work["period_end"])
    page.fill("#f-guarantee-amount", str(guarantee["amount"]))
    page.fill("#f-guarantee-deadline", guarantee["deadline"])
    page.fill("#f-contractor-name", contractor["name"])
    page.fill("#f-contractor-address", contractor["address"])
    page.fill("#f-deposit_bank", SAMPLE["deposit_bank"])


def test_apply_issue_and_verify_in_the_browser(local_cloud, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]

    # ---- the site itself: private bucket behind CloudFront, with its security headers
    contractor = new_page(browser)
    response = contractor.goto(site + "/config.json")
    assert response.ok and response.json()["apiUrl"] == deployed["api_url"]
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "max-age=" in headers["strict-transport-security"]
    s3 = cloud.client("s3")
    bucket = deployed["outputs"]["SiteBucketName"]
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())

    # ---- contractor: sign in, apply; the API's 422 is shown at the field it names
    first_load: dict[str, int] = {}
    fresh = new_page(browser)
    fresh.on("response", lambda r: r.url.startswith(site) and first_load.setdefault(r.url, int(r.headers.get("content-length", 0))))
    fresh.goto(site + "/")
    fresh.wait_for_url(re.compile(r"/oauth2/authorize"))
    fresh.context.close()
    contractor.goto(site + "/")
    sign_in(contractor, "contractor")
    expect(contractor.locator("h1")).to_have_text("保証申込")
    print(f"\nNet Desk first load (empty cache): {sum(first_load.values()) / 1024:.1f} KiB from the site, {len(first_load)} files")
    check_screen(contractor, "apply")
    fill_application(contractor, "2027-02-30")
    contractor.click("button[type=submit].primary")
    error = contractor.locator("[data-field='work.contract_date'] .field-error")
    expect(error).not_to_be_empty()
    expect(contractor.locator("#f-work-contract_date")).to_have_attribute("aria-invalid", "true")
    check_screen(contractor, "apply-error", photograph=False)

    # An expired session sends the user to sign in again, and the form comes back as typed.
    contractor.fill("#f-work-contract_date", SAMPLE["work"]["contract_date"])
    contractor.evaluate("""() => { const k = 'esurety.tokens.contractor';
        const t = JSON.parse(sessionStorage.getItem(k)); t.expiresAt = 0; sessionStorage.setItem(k, JSON.stringify(t)); }""")
    contractor.click("button[type=submit].primary")
    sign_in(contractor, "contractor")
    expect(contractor.locator("#f-work-contract_date")).to_have_value(SAMPLE["work"]["contract_date"])
    expect(contractor.locator("#f-work-name")).to_have_value(SAMPLE["work"]["name"])
    contractor.click("button[type=submit].primary")
    expect(contractor.locator("#apply-confirm")).to_contain_text("保証料（見込み）")  # the 確認画面, then 申込む
    contractor.click("#apply-confirm-submit")
    expect(contractor.locator(".message.info")).to_contain_text("お申込みを受け付けました")

    # ---- staff: the queue, issue with confirmation
    staff = new_page(browser)
    staff.goto(site + "/staff/")
    sign_in(staff, "staff", cloud)
    row = staff.locator("#queue tbody tr", has_text=SAMPLE["work"]["name"]).first
    expect(row).to_be_visible(timeout=120_000)  # the staff function's first start loads fonts and pyHanko
    check_screen(staff, "staff-queue")
    row.get_by_role("link").first.click()  # 発行 is on the application in full, not on the queue row
    staff.locator("#main").get_by_role("button", name="発行").click()
    dialog = staff.locator("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("被保証者")
    check_screen(staff, "staff-confirm", photograph=False)
    dialog.get_by_role("button", name="発行する").click()
    issued = staff.locator(".message.info")
    expect(issued).to_contain_text("発行しました")
    number = re.search(r"保証契約番号 (\S+)", issued.inner_text()).group(1)

    # ---- contractor: the contract list, the overview with the key (once published), the notice
    contractor.goto(site + "/#/contracts")
    expect(contractor.locator("#contracts")).to_contain_text(number)
    check_screen(contractor, "contracts")
    contractor.goto(f"{site}/#/contracts/{number}")
    deadline = time.monotonic() + 180  # the publisher's first start (fonts, pyHanko) on a busy machine
    while not contractor.locator("#auth-key").is_visible() and time.monotonic() < deadline:
        contractor.wait_for_timeout(500)
        contractor.reload()
    key = contractor.locator("#auth-key").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{8,}", key), key
    expect(contractor.locator(".key")).to_contain_text("発注者にお知らせください")
    check_screen(contractor, "overview-new", photograph=False)  # photographed after a change, below
    with contractor.expect_popup() as popup:
        contractor.click("#print-notice")
    notice = popup.value
    notice.wait_for_url(re.compile(rf"notices/{number}/v001\.pdf"))  # the window opens first, the link follows
    notice.close()
    contractor.goto(f"{site}/#/contracts/{number}/history")
    expect(contractor.locator("#history tbody tr")).to_have_count(1)
    check_screen(contractor, "history-new", photograph=False)

    # ---- orderer: the QR link, sign-in, the form pre-filled, the fragment gone, the certificate
    requests: list[str] = []
    orderer = new_page(browser, requests)
    orderer.goto(f"{site}/verify?contract_number={number}#auth_key={key}")
    sign_in(orderer, "orderer")
    expect(orderer.locator("#contract_number")).to_have_value(number)
    expect(orderer.locator("#auth_key")).to_have_value(key)
    assert orderer.evaluate("location.hash") == "" and key not in orderer.url
    check_screen(orderer, "verify-form")
    started = time.monotonic()
    orderer.get_by_role("button", name="閲覧").click()
    expect(orderer.locator("#certificate")).to_be_visible()
    first_view = time.monotonic() - started
    certificate = orderer.locator("#certificate").inner_text()
    for shown in ("新規", SAMPLE["work"]["name"], "栃木県知事", "20,000,000 円", "電子保証発行日時", "令和"):
        assert shown in certificate, shown
    expect(orderer.locator(".deposit")).to_contain_text("寄託の電子証書")
    expect(orderer.locator("#versions").get_by_role("link", name="表示").first).to_have_attribute("href", re.compile(r"certificates/"))
    expect(orderer.locator("#certificate")).to_contain_text("有効")
    expect(orderer.locator("#chain")).to_contain_text("正常")
    check_screen(orderer, "certificate")
    # warm: the same view again
    orderer.locator("#result").evaluate("el => el.replaceChildren()")
    started = time.monotonic()
    orderer.get_by_role("button", name="閲覧").click()
    expect(orderer.locator("#certificate")).to_be_visible()
    warm_view = time.monotonic() - started
    print(f"\n閲覧 → certificate on screen: first {first_view:.2f} s, warm {warm_view:.2f} s")

    # A wrong key gets the one message that tells nothing about the number.
    orderer.fill("#auth_key", "WRONGKEY2345")
    orderer.get_by_role("button", name="閲覧").click()
    expect(orderer.locator("#result .message.error")).to_have_text(NOT_FOUND)
    check_screen(orderer, "verify-wrong-key", photograph=False)
    assert not [url for url in requests if key in url], "the auth key went into a request URL"

    # ---- sign-out: back to the managed login, and the site no longer holds a session
    orderer.get_by_role("button", name="ログアウト").click()
    orderer.wait_for_url(re.compile(r"/oauth2/authorize"))
    assert orderer.evaluate("sessionStorage.length") == 0
    staff.get_by_role("button", name="ログアウト").click()
    staff.wait_for_url(re.compile(r"/oauth2/authorize"))


def published_contract(http, tokens, work_name: str) -> tuple[str, str]:  # noqa: F811
    """A 前払金保証 applied for and issued over the API, once on the platform: (number, key)."""
    body = {**SAMPLE, "work": {**SAMPLE["work"], "name": work_name}}
    status, created = http.call("POST", "/applications", tokens["contractor"], body)
    assert status == 201, created
    status, issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
    assert status == 202, issued
    number = issued["contract_number"]
    detail = wait_for(lambda: (d := http.call("GET", f"/contracts/{number}", tokens["contractor"])[1]).get("auth_key") and d, timeout=180)
    return number, detail["auth_key"]


def open_verify(browser: Browser, site: str, number: str, key: str) -> Page:
    orderer = new_page(browser)
    orderer.goto(f"{site}/verify?contract_number={number}#auth_key={key}")
    sign_in(orderer, "orderer")
    expect(orderer.locator("#auth_key")).to_have_value(key)
    return orderer


def test_receipt_and_a_change_in_the_browser(local_cloud, http, tokens, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]
    number, key = published_contract(http, tokens, "市道鹿沼線舗装修繕工事")

    # ---- orderer: the certificate in force, 受領確認 with its confirmation
    orderer = open_verify(browser, site, number, key)
    orderer.get_by_role("button", name="閲覧").click()
    expect(orderer.locator("#certificate")).to_contain_text("新規")
    orderer.get_by_role("button", name="受領確認").click()
    dialog = orderer.locator("dialog")
    expect(dialog).to_contain_text(number)
    check_screen(orderer, "receipt-confirm", photograph=False)
    dialog.get_by_role("button", name="受領を記録する").click()
    expect(orderer.locator("#receipt-result .message.info")).to_contain_text("受領確認を記録しました（新規、令和")
    check_screen(orderer, "receipt")

    # ---- contractor: sees the 受領確認 (who, when) on 電子保証概要, applies for a change there
    contractor = new_page(browser)
    contractor.goto(f"{site}/#/contracts/{number}")
    sign_in(contractor, "contractor")
    receipts = contractor.locator("#receipts")
    expect(receipts).to_contain_text("新規")
    expect(receipts).to_contain_text("栃木県")
    expect(receipts).to_contain_text("令和")
    expect(contractor.locator("#overview")).to_contain_text("有効")
    contractor.click("#change-link")
    expect(contractor.locator("h1")).to_contain_text("変更申込")
    check_screen(contractor, "change")
    # A contract price alone is refused, at its field, with the leaflet's reason.
    contractor.fill("#f-work-contract_price", "６０，０００，０００")
    contractor.fill("#f-reason", "設計変更による請負金額の増額")
    contractor.get_by_role("button", name="変更を申込む").click()
    expect(contractor.locator("[data-field='work.contract_price'] .field-error")).to_contain_text("請負金額だけの変更は申込みが不要です")
    expect(contractor.locator("#f-work-contract_price")).to_have_attribute("aria-invalid", "true")
    check_screen(contractor, "change-error")
    contractor.fill("#f-guarantee-amount", "３０，０００，０００")  # with it, the amount of the guarantee
    contractor.fill("#f-reason", "前払金の追加請求（増額）のため")
    contractor.get_by_role("button", name="変更を申込む").click()
    expect(contractor.locator(".message.info")).to_contain_text("変更申込を受け付けました")
    change_row = contractor.locator("#applications tbody tr").first
    expect(change_row).to_contain_text("変更")
    expect(change_row).to_contain_text("審査中")
    expect(change_row).to_contain_text(number)

    # ---- staff: the change in the queue (filtered to 変更), issued with a confirmation
    staff = new_page(browser)
    staff.goto(site + "/staff/")
    sign_in(staff, "staff", cloud)
    expect(staff.locator("#queue")).to_be_visible(timeout=120_000)
    staff.select_option("#kind-filter", "change")
    row = staff.locator("#queue tbody tr", has_text=number)
    expect(row).to_contain_text("30,000,000 円")
    check_screen(staff, "staff-change")
    row.get_by_role("link").first.click()
    staff.locator("#main").get_by_role("button", name="発行").click()
    started = time.monotonic()
    staff.locator("dialog").get_by_role("button", name="発行する").click()
    expect(staff.locator(".message.info")).to_contain_text("変更ー1")

    # ---- contractor: once it arrived, 電子保証概要 says 変更ー1, the history 新規, 変更ー1
    deadline = time.monotonic() + 180
    contractor.goto(f"{site}/#/contracts/{number}")
    while "変更ー1" not in (contractor.locator("#overview").text_content() or "") and time.monotonic() < deadline:
        contractor.wait_for_timeout(500)
        contractor.reload()
    expect(contractor.locator("#overview")).to_contain_text("30,000,000 円")
    print(f"\n変更ー1: 発行する → on the contractor's screen {time.monotonic() - started:.2f} s")
    expect(contractor.locator("#fee-statements")).to_contain_text("追加保証料")
    check_screen(contractor, "overview")
    contractor.get_by_role("link", name="電子保証履歴一覧").click()
    history = contractor.locator("#history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("新規")
    expect(history.nth(1)).to_contain_text("変更ー1")
    check_screen(contractor, "history")
    with contractor.expect_popup() as popup:  # each version's own notice
        history.nth(0).get_by_role("button", name="印刷").click()
    popup.value.wait_for_url(re.compile(rf"notices/{number}/v001\.pdf"))
    popup.value.close()
    with contractor.expect_popup() as popup:  # the certificate in its own window
        history.nth(1).get_by_role("button", name="選択").click()
    window = popup.value
    expect(window.locator("#certificate")).to_contain_text("30,000,000 円")
    expect(window.locator(".statements")).to_contain_text("発注者に提出した保証証書と同一です")
    check_screen(window, "certificate-window")
    window.get_by_role("button", name="閉じる").click()

    # ---- orderer: 変更ー1 in force, the history 新規, 変更ー1; the 新規 it replaced can be opened
    orderer.get_by_role("button", name="閲覧").click()
    expect(orderer.locator("#certificate")).to_contain_text("変更ー1")
    expect(orderer.locator("#certificate")).to_contain_text("30,000,000 円")
    versions = orderer.locator("#versions tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("新規")
    expect(versions.nth(1)).to_contain_text("変更ー1（最新）")
    check_screen(orderer, "certificate-change")
    versions.nth(0).get_by_role("button", name="選択").click()
    expect(orderer.locator("#certificate")).to_contain_text("20,000,000 円")
    expect(orderer.locator("#result")).to_contain_text("現在有効な電子証書は 変更ー1")
    expect(orderer.locator("#versions tbody tr").nth(0).get_by_role("link", name="表示")).to_have_attribute("href", re.compile(r"v001\.pdf"))
    check_screen(orderer, "certificate-old", photograph=False)

    # ---- staff: the contract by number with every record, receipts and the audit trail;
    # 変更取消 of 変更ー1 (its record stays, marked hidden) and a new auth key
    staff.get_by_role("link", name="申込の審査へ戻る").click()
    staff.fill("#search-number", number)
    staff.get_by_role("button", name="保証契約を開く").click()
    expect(staff.locator("#records tbody tr")).to_have_count(2)
    expect(staff.locator("#staff-receipts")).to_contain_text("栃木県")
    expect(staff.locator("#audit")).to_contain_text("発行")
    staff.locator("#cancellation-form").locator("xpath=..").locator("summary").click()
    staff.fill("#cancellation-form-f-reason", "増額の申込みが取り下げられたため")
    staff.locator("#cancellation-form").get_by_role("button", name="変更取消").click()
    staff.locator("dialog").get_by_role("button", name="変更取消する").click()
    expect(staff.locator(".message.info")).to_contain_text("変更ー1 を取り消しました")
    expect(staff.locator("#records tr[data-version='2']")).to_contain_text("非表示")
    expect(staff.locator("#audit")).to_contain_text("変更取消")
    staff.locator("#key-rotation-form").locator("xpath=..").locator("summary").click()
    staff.locator("#key-rotation-form").get_by_role("button", name="再発行").click()
    staff.locator("dialog").get_by_role("button", name="再発行する").click()
    expect(staff.locator(".message.info")).to_contain_text("第2世代")
    expect(staff.locator("#audit")).to_contain_text("認証キー再発行")
    check_screen(staff, "staff-contract")
    # The orderer: the old key opens nothing any more, and the clerk is told it was renewed (so
    # they ask the contractor for the new notice rather than retry into the lock).
    orderer.get_by_role("button", name="閲覧").click()
    expect(orderer.locator("#result .message.error")).to_contain_text("再発行により使えなくなりました")


def test_a_rejected_application_and_a_lockout_in_the_browser(local_cloud, http, tokens, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]
    work_name = "県営住宅外壁改修工事"
    body = {**SAMPLE, "work": {**SAMPLE["work"], "name": work_name}}
    status, created = http.call("POST", "/applications", tokens["contractor"], body)
    assert status == 201, created

    # ---- staff: reject with a reason, after a confirmation; the 却下 filter shows it with its reason
    reason = "預託金融機関の口座が確認できません"
    staff = new_page(browser)
    staff.goto(site + "/staff/")
    sign_in(staff, "staff", cloud)
    row = staff.locator("#queue tbody tr", has_text=work_name)
    expect(row).to_be_visible(timeout=120_000)
    row.get_by_role("link").first.click()  # the application in full before deciding
    expect(staff.locator("#application-request")).to_contain_text(work_name)
    expect(staff.locator("#application-request")).to_contain_text("みどり銀行 本町支店")
    check_screen(staff, "staff-application")
    staff.locator("#main").get_by_role("button", name="却下").click()
    dialog = staff.locator("dialog")
    dialog.locator("#reject-reason").fill(reason)
    check_screen(staff, "staff-reject", photograph=False)
    dialog.get_by_role("button", name="却下する").click()
    expect(staff.locator(".message.info")).to_contain_text("却下しました")
    expect(staff.locator("#application")).to_contain_text(reason)
    staff.get_by_role("link", name="申込の審査へ戻る").click()
    staff.select_option("#status-filter", "rejected")
    expect(staff.locator("#queue tbody tr", has_text=work_name)).to_contain_text(reason)

    # ---- contractor: 申込一覧 with the status and the reason
    contractor = new_page(browser)
    contractor.goto(f"{site}/#/applications")
    sign_in(contractor, "contractor")
    rejected = contractor.locator(f"#applications tbody tr[data-application='{created['application_id']}']")
    expect(rejected).to_contain_text("却下")
    expect(rejected.locator(".reject-reason")).to_have_text(reason)
    check_screen(contractor, "applications")

    # ---- orderer: repeated wrong keys end in the lockout's message (a number nobody holds)
    digits = "3107399999"
    unknown = f"{digits[:5]}-{digits[5:]}{check_letter(digits)}"
    orderer = open_verify(browser, site, unknown, "WRONGKEY2345")
    for _ in range(5):
        orderer.get_by_role("button", name="閲覧").click()
        expect(orderer.locator("#result .message.error")).to_have_text(NOT_FOUND)
        orderer.locator("#result").evaluate("el => el.replaceChildren()")
    orderer.get_by_role("button", name="閲覧").click()
    # The lock says until when (the API's Retry-After, as a clock time) and whom to ask.
    locked = orderer.locator("#result .message.error")
    expect(locked).to_contain_text(re.compile(r"\d+時\d\d分まで照会できません"))
    expect(locked).to_contain_text("保証会社の支店")
    check_screen(orderer, "verify-locked", photograph=False)


def test_the_api_answers_cors_for_the_site_only(local_cloud):  # noqa: F811
    import urllib.request

    _, deployed = local_cloud
    def preflight(origin: str):
        request = urllib.request.Request(deployed["api_url"] + "/contracts", method="OPTIONS", headers={
            "Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers.get("Access-Control-Allow-Origin")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Access-Control-Allow-Origin")

    assert preflight(deployed["site_url"]) == (204, deployed["site_url"]) or preflight(deployed["site_url"])[1] == deployed["site_url"]
    status, allowed = preflight("https://evil.example")
    assert allowed is None and status >= 400


def test_the_documents_bucket_takes_a_browser_post_from_the_site_only(local_cloud, http, tokens):  # noqa: F811
    """The bucket's CORS rule (the template's, as the local cloud applied it): POST, the site's origin."""
    import urllib.request

    cloud, deployed = local_cloud
    site = deployed["site_url"]
    rules = cloud.client("s3").get_bucket_cors(Bucket=deployed["outputs"]["BucketName"])["CORSRules"]
    assert [(r["AllowedMethods"], r["AllowedOrigins"]) for r in rules] == [(["POST"], [site])]
    status, upload = http.call("POST", "/applications/uploads", tokens["contractor"])
    assert status == 201, upload

    def preflight(origin: str, method: str = "POST"):
        request = urllib.request.Request(upload["url"], method="OPTIONS", headers={"Origin": origin, "Access-Control-Request-Method": method})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers.get("Access-Control-Allow-Origin")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Access-Control-Allow-Origin")

    assert preflight(site) == (200, site)
    for origin, method in (("https://evil.example", "POST"), (site, "PUT"), (site, "DELETE")):
        status, allowed = preflight(origin, method)
        assert allowed is None and status == 403, (origin, method)


def today_jst() -> str:
    return datetime.now(timezone(timedelta(hours=9))).date().isoformat()


def open_operation(staff: Page, form_id: str) -> None:
    """A contract's operation sits in a disclosure: open it."""
    staff.locator(f"#{form_id}").locator("xpath=..").locator("summary").click()


def test_staff_correct_and_terminate_in_the_browser(local_cloud, http, tokens, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]
    number, key = published_contract(http, tokens, "市営住宅屋根改修工事")
    corrected_name = "市営住宅屋根防水改修工事"

    # ---- staff: 訂正 of the 新規 (its 工事名), after a confirmation
    staff = new_page(browser)
    staff.goto(f"{site}/staff/#/contracts/{number}")
    sign_in(staff, "staff", cloud)
    expect(staff.locator("#records tbody tr")).to_have_count(1, timeout=120_000)
    open_operation(staff, "correction-form")
    staff.select_option("#correct-version", "1")
    staff.fill("#correction-form-f-work-name", corrected_name)
    staff.fill("#correction-form-f-reason", "工事名の誤記（防水の脱落）")
    check_screen(staff, "staff-correction", photograph=False)
    staff.locator("#correction-form").get_by_role("button", name="訂正").click()
    dialog = staff.locator("dialog")
    expect(dialog).to_contain_text("新規を訂正します")
    expect(dialog.locator("#correction-diff")).to_contain_text(corrected_name)  # before → after
    check_screen(staff, "staff-correction-confirm", photograph=False)
    started = time.monotonic()
    dialog.get_by_role("button", name="訂正する").click()
    expect(staff.locator(".message.info")).to_contain_text("訂正しました（新規、")

    # ---- orderer: once the corrected certificate arrived, the same label 新規 with the new 工事名
    orderer = open_verify(browser, site, number, key)
    deadline = time.monotonic() + 180
    while True:
        orderer.get_by_role("button", name="閲覧").click()
        expect(orderer.locator("#certificate")).to_be_visible()
        if corrected_name in (orderer.locator("#certificate").text_content() or "") or time.monotonic() > deadline:
            break
        orderer.wait_for_timeout(500)
    expect(orderer.locator("#certificate")).to_contain_text(corrected_name)
    print(f"\n訂正: 訂正する → the orderer sees it {time.monotonic() - started:.2f} s")
    expect(orderer.locator("#certificate")).to_contain_text("新規")
    versions = orderer.locator("#versions tbody tr")
    expect(versions).to_have_count(1)  # the corrected record took the 新規's place; the wrong one is hidden
    expect(versions.nth(0)).to_contain_text("新規")
    expect(versions.nth(0).get_by_role("link", name="表示")).to_have_attribute("href", re.compile(rf"certificates/{number}/v002\.pdf"))
    expect(orderer.locator("#chain")).to_contain_text("正常")
    check_screen(orderer, "certificate-corrected", photograph=False)

    # ---- staff: both records, the first marked hidden; the audit trail names the 訂正
    staff.reload()
    expect(staff.locator("#records tr[data-version='1']")).to_contain_text("非表示")
    expect(staff.locator("#records tr[data-version='2']")).to_contain_text("訂正")
    expect(staff.locator("#audit")).to_contain_text("訂正")

    # ---- staff: 解約 from today, after a confirmation; its 保証料返還計算書. Another staff member
    # renews the key meanwhile (over the API): this screen's revision is stale, the API answers 409
    # and the screen shows the contract as it is now; the 解約 is then recorded on it.
    def terminate() -> None:
        open_operation(staff, "termination-form")
        staff.check("#termination-form input[name=kind][value=cancelled]")
        staff.fill("#termination-form-f-date", today_jst())
        staff.fill("#termination-form-f-reason", "工事の中止による解約")
        staff.locator("#termination-form").get_by_role("button", name="記録").click()

    revision = http.call("GET", f"/staff/contracts/{number}", tokens["staff"])[1]["revision"]
    status, rotated = http.call("POST", f"/staff/contracts/{number}/key-rotation", tokens["staff"], headers={"If-Match": f'"{revision}"'})
    assert status in (200, 201, 202), rotated
    terminate()
    staff.locator("dialog").get_by_role("button", name="記録する").click()
    expect(staff.locator(".message.error")).to_contain_text("最新の状態を表示しました")
    expect(staff.locator("#audit")).to_contain_text("認証キー再発行")
    expect(staff.locator("#contract")).to_contain_text("有効")
    check_screen(staff, "staff-stale", photograph=False)
    key = http.call("GET", f"/contracts/{number}", tokens["contractor"])[1]["auth_key"]  # the renewed key
    terminate()
    check_screen(staff, "staff-termination-confirm", photograph=False)
    dialog = staff.locator("dialog")
    expect(dialog).to_contain_text("解約")
    dialog.get_by_role("button", name="記録する").click()
    expect(staff.locator(".message.info")).to_contain_text("解約を記録しました")
    expect(staff.locator("#contract")).to_contain_text("解約")
    expect(staff.locator("#contract").get_by_role("link", name="保証料返還計算書")).to_have_attribute("href", re.compile(rf"fees/{number}/termination\.pdf"))
    expect(staff.locator("#termination-form")).to_have_count(0)  # an ended guarantee cannot end again
    expect(staff.locator("#audit")).to_contain_text("解約・履行請求")
    check_screen(staff, "staff-terminated", photograph=False)

    # ---- orderer: the status 解約, the certificate still on view with its PDF
    orderer.fill("#auth_key", key)
    orderer.get_by_role("button", name="閲覧").click()
    expect(orderer.locator("#certificate")).to_contain_text("解約")
    expect(orderer.locator("#ended")).to_contain_text("電子証書は引き続き閲覧できます")
    expect(orderer.locator("#certificate")).to_contain_text(corrected_name)
    pdf = orderer.locator("#certificate").get_by_role("link", name="表示").get_attribute("href")
    assert download(pdf).startswith(b"%PDF")
    check_screen(orderer, "certificate-terminated")

    # ---- contractor: 電子保証概要 says 解約, no 変更申込, and opens the 保証料返還計算書
    contractor = new_page(browser)
    contractor.goto(f"{site}/#/contracts/{number}")
    sign_in(contractor, "contractor")
    expect(contractor.locator("#overview")).to_contain_text("解約")
    expect(contractor.locator("#overview")).to_contain_text(corrected_name)
    expect(contractor.locator("#change-link")).to_have_count(0)
    check_screen(contractor, "overview-terminated")
    with contractor.expect_popup() as popup:
        contractor.click("#termination-statement")
    statement = popup.value
    statement.wait_for_url(re.compile(rf"fees/{number}/termination\.pdf"))
    assert download(statement.url).startswith(b"%PDF")
    statement.close()
    contractor.get_by_role("link", name="電子保証履歴一覧").click()
    history = contractor.locator("#history tbody tr")
    expect(history).to_have_count(1)
    expect(history.nth(0)).to_contain_text("新規")


def nintei_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "chukan maebaraikin nintei chousho")
    canvas.save()
    return buffer.getvalue()


def test_an_interim_advance_with_its_nintei_chousho_in_the_browser(local_cloud, http, tokens, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]
    work_name = "県道鹿沼日光線橋梁補修工事"
    advance, _ = published_contract(http, tokens, work_name)

    # ---- contractor: 中間前払金保証, the 前払金保証 it follows chosen and copied
    contractor = new_page(browser)
    contractor.goto(site + "/#/apply")
    sign_in(contractor, "contractor")
    expect(contractor.locator("h1")).to_have_text("保証申込")
    expect(contractor.locator("#interim")).to_be_hidden()
    contractor.select_option("#f-product", "interim_advance_payment")
    expect(contractor.locator("#interim")).to_be_visible()
    expect(contractor.locator("#f-upload_id-help")).to_contain_text("10 MBまで")
    expect(contractor.locator(f"#f-advance_contract_number option[value='{advance}']")).to_have_count(1)
    contractor.select_option("#f-advance_contract_number", advance)
    contractor.click("#copy-advance")
    expect(contractor.locator("#copy-result")).to_contain_text(advance)
    expect(contractor.locator("#f-work-name")).to_have_value(work_name)
    expect(contractor.locator("#f-orderer_id")).to_have_value(SAMPLE["orderer_id"])
    expect(contractor.locator("#f-deposit_bank")).to_have_value(SAMPLE["deposit_bank"])
    expect(contractor.locator("#f-guarantee-amount-help")).to_contain_text("上限 10,000,000 円")
    contractor.fill("#f-notify_email", SAMPLE["notify_email"])

    # More than 2割 of the price: the API's 422 at the amount.
    contractor.fill("#f-guarantee-amount", "１５，０００，０００")
    contractor.set_input_files("#f-upload_id", files=[{"name": "nintei.pdf", "mimeType": "application/pdf",
                                                       "buffer": b"this is a scanned page, not a PDF\n" * 20}])
    expect(contractor.locator("#upload-status")).to_contain_text("添付しました")
    contractor.click("#apply-submit")
    expect(contractor.locator("[data-field='guarantee.amount'] .field-error")).to_contain_text("2割")
    expect(contractor.locator("#f-guarantee-amount")).to_have_attribute("aria-invalid", "true")
    check_screen(contractor, "apply-interim-amount", photograph=False)

    # A file that is not a real PDF: S3 takes it (the policy binds type and size), the check refuses it.
    contractor.fill("#f-guarantee-amount", "10000000")
    contractor.click("#apply-submit")
    refused = contractor.locator("[data-field='upload_id'] .field-error")
    expect(refused).to_contain_text("PDF ファイルではありません", timeout=60_000)
    expect(contractor.locator("#f-upload_id")).to_have_attribute("aria-invalid", "true")
    check_screen(contractor, "apply-interim-refused")

    # A real PDF: uploaded at once, judged on arrival; the application waits for the judgement.
    real = nintei_pdf()
    contractor.set_input_files("#f-upload_id", files=[{"name": "nintei-chousho.pdf", "mimeType": "application/pdf", "buffer": real}])
    expect(contractor.locator("#upload-status")).to_contain_text("nintei-chousho.pdf")
    expect(contractor.locator("#upload-status")).to_contain_text("添付しました")
    expect(refused).to_be_empty()
    check_screen(contractor, "apply-interim")

    # Until the check has judged the upload the API answers 422 at upload_id; the screen retries and
    # says so. The local cloud judges faster than a person clicks, so that answer is played here
    # (Playwright's route) until the progress has been looked at; then the real API answers.
    held = {"released": False, "held": 0}

    def not_checked_yet(route):
        if route.request.method == "POST" and not held["released"]:
            held["held"] += 1
            route.fulfill(status=422, content_type="application/json", headers={"access-control-allow-origin": site},
                          body=json.dumps({"message": "入力内容に誤りがあります。", "errors": [
                              {"field": "upload_id", "code": "upload_pending", "reason": "the upload has not arrived or is still being checked"}]}))
        else:
            route.continue_()

    # (The 確認画面's estimate judges the 認定調書 as the application does: it is the call held here.)
    contractor.route(deployed["api_url"] + "/applications/estimate", not_checked_yet)
    contractor.click("#apply-submit")
    expect(contractor.locator("#check-progress")).to_contain_text("認定調書がPDFであることを確認しています")
    expect(contractor.locator("#apply-submit")).to_be_disabled()
    check_screen(contractor, "apply-interim-checking", photograph=False)
    held["released"] = True
    started = time.monotonic()
    expect(contractor.locator("#apply-confirm")).to_contain_text("認定調書", timeout=60_000)
    contractor.click("#apply-confirm-submit")
    expect(contractor.locator(".message.info")).to_contain_text("お申込みを受け付けました", timeout=60_000)
    print(f"\n中間前払金: {held['held']} answers 'not checked yet', then accepted {time.monotonic() - started:.2f} s after the hold ended")
    contractor.unroute(deployed["api_url"] + "/applications/estimate")

    # ---- staff: the application in full with its 認定調書, then issued
    staff = new_page(browser)
    staff.goto(site + "/staff/")
    sign_in(staff, "staff", cloud)
    expect(staff.locator("#queue")).to_be_visible(timeout=120_000)
    staff.select_option("#kind-filter", "interim")
    row = staff.locator("#queue tbody tr", has_text=work_name)
    expect(row).to_contain_text("中間前払金保証")
    expect(row).to_contain_text("10,000,000 円")
    row.get_by_role("link").first.click()
    expect(staff.locator("#application")).to_contain_text("新規（中間前払金）")
    expect(staff.locator("#application-request")).to_contain_text(advance)
    documents = staff.locator("#documents")
    expect(documents).to_contain_text("確認済み")
    link = documents.get_by_role("link", name="認定調書のPDFを開く")
    expect(link).to_have_attribute("href", re.compile(r"uploads/[0-9a-f]{24}\.pdf"))
    assert download(link.get_attribute("href")) == real  # the very file the browser posted to the bucket
    check_screen(staff, "staff-interim-application", photograph=False)
    staff.locator("#main").get_by_role("button", name="発行").click()
    staff.locator("dialog").get_by_role("button", name="発行する").click()
    expect(staff.locator(".message.info")).to_contain_text("発行しました")
    interim = re.search(r"保証契約番号 (\S+)", staff.locator(".message.info").inner_text()).group(1)

    # ---- contractor: the new guarantee in 保証契約一覧, its own contract beside the 前払金保証
    contractor.goto(site + "/#/contracts")
    row = contractor.locator("#contracts tbody tr", has_text=interim)
    expect(row).to_contain_text("中間前払金保証")
    expect(row).to_contain_text("10,000,000 円")
