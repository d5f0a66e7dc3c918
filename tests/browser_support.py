"""What the browser journeys share (tests/e2e/test_e2e_*web.py): Debian's chromium driven by Playwright,
axe-core's serious and critical findings, the screen checks at 1366 and 390 px with their pictures for the
README, and the local cloud's managed login."""
from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from support.japanese import latin_words as _latin
from tools.localcloud import demo
from tools.localcloud.cloud import LocalCloud

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WIDE = {"width": 1366, "height": 768}
NARROW = {"width": 390, "height": 844}


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


# What is not text in a language: addresses, e-mail addresses, file names, contract numbers, hex ids
# (an application's 申込番号 is shown as hex), amounts and dates are stripped before looking.
_EDGE, _END = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"  # not \b: a kana or kanji is a \w character too
NOT_WORDS = re.compile(
    r"https?://\S+|[\w.+-]+@[\w.-]+|[^\s/]+\.(?:pdf|csv|zip|json)" + _END
    + "|" + _EDGE + r"(?:\d{2}-)?\d{5}-\d{5}[A-Z]" + _END  # a contract number
    + "|" + _EDGE + r"[0-9A-Fa-f]{4}(?:-[0-9A-Fa-f]{4})+" + _END  # a 申込番号 (3F9A-21C7)
    + "|" + _EDGE + r"(?=[0-9a-f]*\d)[0-9a-f]{8,}" + _END  # a hash, an id
    + "|" + _EDGE + r"[RHS]\d{1,2}\.\d{1,2}\.\d{1,2}",  # 「R8.12.1」: a 令和 date as people type it
)


def latin_words(page: Page) -> list[str]:
    """The Latin-letter words a person sees or hears on the page (text, and the labels a screen
    reader says: aria-label, title, placeholder, alt, button values), minus the abbreviations of support/japanese.py."""
    said = page.evaluate("""() => {
        // Each visible text node on its own (innerText may space out characters a style sets apart);
        // the auth key is a code to copy, not words: its element is left out.
        const texts = [document.title];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!el || el.closest('script, style, template, #auth_key, #auth-key')) continue;
            if (!el.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true })) continue;
            texts.push(node.data);
        }
        for (const el of document.querySelectorAll('[aria-label],[title],[placeholder],[alt],input[type=submit],input[type=button]')) {
            if (!el.checkVisibility() && !el.hasAttribute('aria-label')) continue;
            for (const name of ['aria-label', 'title', 'placeholder', 'alt']) if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
            if (el.tagName === 'INPUT' && (el.type === 'submit' || el.type === 'button')) texts.push(el.value);
        }
        return texts.join('\\n');
    }""")
    words = _latin(NOT_WORDS.sub(" ", said))
    # Each word with what surrounds it, so a failure says where it is.
    return [f"{w} ({_around(said, w)})" for w in words]


def _around(text: str, word: str) -> str:
    found = re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text)
    return text[max(0, found.start() - 15): found.end() + 15].replace("\n", " ") if found else ""


def check_screen(page: Page, name: str, photograph: bool = True) -> None:
    """No serious/critical axe finding, no English, no sideways scrolling, wide and narrow; a picture of each."""
    english = latin_words(page)
    assert english == [], f"{name} shows Latin-letter words: {english}"
    for size, suffix in ((WIDE, ""), (NARROW, "-390")):
        page.set_viewport_size(size)
        page.wait_for_timeout(100)
        assert axe_violations(page) == [], f"{name} at {size['width']} px"
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} scrolls sideways at {size['width']} px ({overflow} px): {wider_than_screen(page)}"
        if photograph:
            IMAGES.mkdir(parents=True, exist_ok=True)
            # The pictures go into the repository: the key is blacked out, even a throwaway demo one.
            page.screenshot(path=str(IMAGES / f"web-{name}{suffix}.png"), full_page=True,
                            mask=[page.locator("#auth_key, #auth-key")], mask_color="#222")
    page.set_viewport_size(WIDE)


def wider_than_screen(page: Page) -> list[str]:
    """The innermost elements reaching past the right edge (to say what makes a screen scroll sideways)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > width + 1);
        return wide.filter((el) => !wide.some((other) => other !== el && el.contains(other))).slice(0, 5)
            .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}: ${(el.textContent || '').slice(0, 40)}`);
    }""")


def sign_in(page: Page, role: str, cloud: LocalCloud | None = None) -> None:
    """The local cloud's managed login: user name and password, then (staff: their pool requires
    MFA) the authenticator app's code, computed from the demo user's TOTP secret in `cloud`."""
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.fill("#username", demo.USERS[role].username)
    page.fill("#password", demo.PASSWORD)
    page.click("button[type=submit]")
    if demo.USERS[role].role != "staff":
        return
    assert cloud is not None, f"{role} signs in with the TOTP code: pass the local cloud (sign_in(page, {role!r}, cloud))"
    code = page.get_by_label("認証アプリのコード")
    code.wait_for()
    code.fill(pyotp.TOTP(demo.totp_secret(cloud, role)).now())
    page.click("button[type=submit]")


def new_page(browser: Browser, requests: list[str] | None = None) -> Page:
    context = browser.new_context(viewport=WIDE, locale="ja-JP", accept_downloads=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    if requests is not None:
        page.on("request", lambda request: requests.append(request.url))
    return page
