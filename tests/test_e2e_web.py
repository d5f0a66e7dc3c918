"""The three web fronts in a real browser (Debian's chromium, driven by Playwright), against the
site the local cloud serves through its CloudFront, signed in through its managed login.

One journey: the contractor applies (a 422 lands on its field first), staff issue it, the contractor
sees the key and prints the notice, the orderer opens the notice's QR link, signs in and sees the
certificate; a wrong key gets the uniform message; sign-out leads back to the sign-in page. Every
screen is checked with axe-core at 1366×768 and 390 px wide, and photographed for the README.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from e2e_support import local_cloud  # noqa: F401 (fixture)
from tools.localcloud import demo

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WIDE = {"width": 1366, "height": 768}
NARROW = {"width": 390, "height": 844}
NOT_FOUND = "該当する情報が見つかりません。保証契約番号と認証キーをご確認ください。"
# The local cloud starts each function's first process on demand: a first call takes seconds.
expect.set_options(timeout=30_000)
SAMPLE = json.loads((ROOT / "events" / "bodies" / "application.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now.

    axe is evaluated through the DevTools protocol: the site's CSP forbids any script not its own."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text("utf-8") + "\n;0")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def check_screen(page: Page, name: str, photograph: bool = True) -> None:
    """No serious/critical axe finding and no sideways scrolling, wide and narrow; a picture of each."""
    for size, suffix in ((WIDE, ""), (NARROW, "-390")):
        page.set_viewport_size(size)
        page.wait_for_timeout(100)
        assert axe_violations(page) == [], f"{name} at {size['width']} px"
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} scrolls sideways at {size['width']} px ({overflow} px)"
        if photograph:
            IMAGES.mkdir(parents=True, exist_ok=True)
            # The pictures go into the repository: the key is blacked out, even a throwaway demo one.
            page.screenshot(path=str(IMAGES / f"web-{name}{suffix}.png"), full_page=True,
                            mask=[page.locator("#auth_key, #auth-key")], mask_color="#222")
    page.set_viewport_size(WIDE)


def sign_in(page: Page, role: str) -> None:
    """The local cloud's managed login page: user name and password."""
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.fill("#username", demo.USERS[role].username)
    page.fill("#password", demo.PASSWORD)
    page.click("button[type=submit]")


def new_page(browser: Browser, requests: list[str] | None = None) -> Page:
    context = browser.new_context(viewport=WIDE, locale="ja-JP")
    context.set_default_timeout(60_000)
    page = context.new_page()
    if requests is not None:
        page.on("request", lambda request: requests.append(request.url))
    return page


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
    expect(contractor.locator(".message.info")).to_contain_text("お申込みを受け付けました")

    # ---- staff: the queue, issue with confirmation
    staff = new_page(browser)
    staff.goto(site + "/staff/")
    sign_in(staff, "staff")
    row = staff.locator("#queue tbody tr", has_text=SAMPLE["work"]["name"]).first
    expect(row).to_be_visible(timeout=120_000)  # the staff function's first start loads fonts and pyHanko
    check_screen(staff, "staff-queue")
    row.get_by_role("button", name="発行").click()
    dialog = staff.locator("dialog")
    expect(dialog).to_be_visible()
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
    check_screen(contractor, "overview")
    with contractor.expect_popup() as popup:
        contractor.click("#print-notice")
    notice = popup.value
    notice.wait_for_url(re.compile(rf"notices/{number}/v001\.pdf"))  # the window opens first, the link follows
    notice.close()
    contractor.goto(f"{site}/#/contracts/{number}/history")
    expect(contractor.locator("#history tbody tr")).to_have_count(1)
    check_screen(contractor, "history")

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
    expect(orderer.locator("#versions").get_by_role("link", name="表示")).to_have_attribute("href", re.compile(r"certificates/"))
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
