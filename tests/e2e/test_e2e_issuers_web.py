"""Several issuers on the three web fronts, in a real browser against the local cloud.

The contractor chooses the issuer on Net Desk's application: only those taking applications, offering the
product and of a kind the orderer accepts for it today are offered (a 前払金保証 only the surety's; a
契約保証 to 栃木県 the surety's, the insurer's and the bank's; to 足利市, sureties only), the surety first
chosen; the branch follows the issuer; a choice the API refuses (an issuer it does not know, a kind the
orderer does not accept) is said in Japanese at the field. The insurer's staff see its name in their header,
its application in their queue (the surety's staff do not), and issue it; the contractor sees the insurer
on 申込一覧, 保証契約一覧, 電子保証概要 and the document's own title (公共工事履行保証証券); the orderer sees
the insurer named on 保証確認 and on the desk, where the list filters by issuer.
Every screen is checked with axe-core at 1366 and 390 px wide and photographed for the README.
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
from esurety.domain.error_codes import MESSAGES
from tools.localcloud import demo

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# The local cloud starts each function's first process on demand: a first call takes seconds.
expect.set_options(timeout=30_000)
SAMPLE = json.loads((ROOT / "events" / "bodies" / "application.json").read_text("utf-8"))

SURETY = "東都建設保証株式会社（保証事業会社）"
INSURER = "見本損害保険株式会社（損害保険会社）"
BANK = "株式会社みらい見本銀行（銀行）"
DEFAULT_ISSUER = "toto-hosho"


def staff_role(issuer_id: str) -> str:
    """The demo staff user of an issuer, as `make run` seeds them (a staff member without
    custom:issuer_id is the default issuer's)."""
    for role, user in demo.USERS.items():
        if user.cognito_group == "staff" and user.attributes.get("custom:issuer_id", DEFAULT_ISSUER) == issuer_id:
            return role
    raise AssertionError(f"no demo staff user of {issuer_id} in tools/localcloud/demo.py")


def fill_the_rest(page: Page, work_name: str) -> None:
    """Everything but the product, the orderer and the issuer: the sample's work, as a 契約保証 (no 預託金融機関)."""
    work, guarantee, contractor = SAMPLE["work"], SAMPLE["guarantee"], SAMPLE["contractor"]
    page.check("input[name=format][value=electronic]")
    page.fill("#f-notify_email", SAMPLE["notify_email"])
    page.fill("#f-work-name", work_name)
    page.fill("#f-work-contract_price", "５０，０００，０００")
    page.fill("#f-work-contract_date", work["contract_date"])
    page.fill("#f-work-period_start", work["period_start"])
    page.fill("#f-work-period_end", work["period_end"])
    page.fill("#f-guarantee-amount", str(guarantee["amount"]))
    page.fill("#f-guarantee-deadline", guarantee["deadline"])
    page.fill("#f-contractor-name", contractor["name"])
    page.fill("#f-contractor-address", contractor["address"])


def issuer_options(page: Page) -> list[str]:
    return sorted(page.locator("#f-issuer_id option").all_inner_texts())


def choose_unoffered(page: Page, orderer_id: str, issuer_id: str, text: str) -> None:
    """What a form left open while the registry changed sends: values the screen would no longer offer
    (set without a change event, so the form does not filter them away; the field last typed in is left
    first, so its own change event comes before)."""
    page.evaluate("""([ordererId, issuerId, text]) => {
        document.activeElement?.blur();
        const issuer = document.querySelector('#f-issuer_id');
        if (![...issuer.options].some((o) => o.value === issuerId)) issuer.append(new Option(text, issuerId));
        issuer.value = issuerId;
        document.querySelector('#f-orderer_id').value = ordererId;
    }""", [orderer_id, issuer_id, text])


def test_the_issuer_chosen_and_named_on_every_screen(local_cloud, http, tokens, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]
    work_name = "県道栃木二宮線道路改良工事（契約保証）"

    # ---- contractor: the choice follows the product and the orderer; the surety first
    contractor = new_page(browser)
    contractor.goto(site + "/#/apply")
    sign_in(contractor, "contractor")
    expect(contractor.locator("h1")).to_have_text("保証申込")
    contractor.select_option("#f-product", "advance_payment")
    contractor.select_option("#f-orderer_id", "tochigi-pref")
    expect(contractor.locator("#f-issuer_id")).to_have_value("toto-hosho")
    assert issuer_options(contractor) == [SURETY]  # the insurer and the bank offer no 前払金保証
    expect(contractor.locator("#f-branch_code option")).to_have_text(["栃木支店", "営業部"])
    contractor.select_option("#f-product", "contract")
    contractor.select_option("#f-orderer_id", "tochigi-pref")
    expect(contractor.locator("#f-issuer_id")).to_have_value("toto-hosho")
    assert issuer_options(contractor) == sorted([SURETY, INSURER, BANK])  # 栃木県 accepts all three kinds for 契約保証
    contractor.select_option("#f-orderer_id", "ashikaga-city")  # 足利市: sureties only
    assert issuer_options(contractor) == [SURETY]
    contractor.select_option("#f-orderer_id", "tochigi-pref")
    contractor.select_option("#f-issuer_id", "mihon-sonpo")
    expect(contractor.locator("#f-branch_code option")).to_have_text(["宇都宮支店"])  # the insurer's own branch
    expect(contractor.locator("#issuer-help")).to_contain_text("見本損害保険株式会社は契約保証を「公共工事履行保証証券」で発行します")
    fill_the_rest(contractor, work_name)
    check_screen(contractor, "apply-issuer")

    # ---- choices the API refuses are said at the field, in Japanese
    choose_unoffered(contractor, "tochigi-pref", "no-such-issuer", "登録のない保証会社")
    contractor.click("#apply-submit")
    issuer_error = contractor.locator("[data-field=issuer_id] .field-error")
    expect(issuer_error).to_contain_text(MESSAGES["unknown_issuer"])
    expect(contractor.locator("#f-issuer_id")).to_have_attribute("aria-invalid", "true")
    check_screen(contractor, "apply-issuer-unknown", photograph=False)
    choose_unoffered(contractor, "ashikaga-city", "mihon-sonpo", INSURER)
    contractor.click("#apply-submit")
    expect(issuer_error).to_contain_text(MESSAGES["issuer_kind_not_accepted"])
    check_screen(contractor, "apply-issuer-not-accepted")

    # ---- the insurer, to 栃木県, accepted; the list names it
    contractor.select_option("#f-orderer_id", "tochigi-pref")
    contractor.select_option("#f-issuer_id", "mihon-sonpo")
    expect(contractor.locator("#f-branch_code")).to_have_value("41")
    contractor.click("#apply-submit")
    expect(contractor.locator("#confirm-facts")).to_contain_text("見本損害保険株式会社")  # the 確認画面, then 申込む
    contractor.click("#apply-confirm-submit")
    expect(contractor.locator(".message.info")).to_contain_text("お申込みを受け付けました")
    expect(contractor.locator("#apply-issuer")).to_contain_text("見本損害保険株式会社の審査のうえ発行します")
    contractor.goto(site + "/#/applications")
    applied = contractor.locator("#applications tbody tr", has_text=work_name)
    expect(applied).to_contain_text("見本損害保険株式会社")
    expect(applied).to_contain_text("審査中")
    check_screen(contractor, "applications-issuer", photograph=False)

    # ---- the surety's staff: their issuer in the header; the insurer's application is not theirs
    surety_staff = new_page(browser)
    surety_staff.goto(site + "/staff/")
    sign_in(surety_staff, staff_role(DEFAULT_ISSUER), cloud)
    expect(surety_staff.locator("#staff-issuer")).to_have_text(SURETY)
    expect(surety_staff.locator("#status-filter")).to_be_visible(timeout=120_000)  # the queue has answered
    expect(surety_staff.locator("#queue tbody tr", has_text=work_name)).to_have_count(0)

    # ---- the insurer's staff: its name in the header, the application in full with the issuer, issued
    staff = new_page(browser)
    staff.goto(site + "/staff/")
    sign_in(staff, staff_role("mihon-sonpo"), cloud)
    expect(staff.locator("#staff-issuer")).to_have_text(INSURER)
    row = staff.locator("#queue tbody tr", has_text=work_name)
    expect(row).to_be_visible(timeout=120_000)
    check_screen(staff, "staff-queue-issuer")
    row.get_by_role("link").first.click()
    expect(staff.locator("#application-issuer")).to_have_text(INSURER)
    expect(staff.locator("#application-request")).to_contain_text("宇都宮支店")
    check_screen(staff, "staff-application-issuer")
    staff.locator("#main").get_by_role("button", name="発行").click()
    staff.locator("dialog").get_by_role("button", name="発行する").click()
    issued = staff.locator(".message.info")
    expect(issued).to_contain_text("発行しました")
    number = re.search(r"保証契約番号 (\S+)", issued.inner_text()).group(1)
    assert number.startswith("51-41"), number  # the insurer's code, its branch
    staff.goto(f"{site}/staff/#/contracts/{number}")
    expect(staff.locator("#contract-issuer")).to_have_text(INSURER)
    check_screen(staff, "staff-contract-issuer", photograph=False)

    # ---- contractor: the insurer on 保証契約一覧, 電子保証概要 and the document's title
    contractor.goto(site + "/#/contracts")
    expect(contractor.locator("#contracts tbody tr", has_text=number)).to_contain_text("見本損害保険株式会社")
    check_screen(contractor, "contracts-issuer", photograph=False)
    contractor.goto(f"{site}/#/contracts/{number}")
    deadline = time.monotonic() + 180  # the publisher's first start (fonts, pyHanko) on a busy machine
    while not contractor.locator("#auth-key").is_visible() and time.monotonic() < deadline:
        contractor.wait_for_timeout(500)
        contractor.reload()
    key = contractor.locator("#auth-key").inner_text().strip()
    expect(contractor.locator("#overview-issuer")).to_have_text(INSURER)
    check_screen(contractor, "overview-issuer")
    contractor.goto(f"{site}/#/contracts/{number}/certificate/1")
    expect(contractor.locator("#certificate caption")).to_contain_text("公共工事履行保証証券（契約保証）")
    expect(contractor.locator("#certificate")).to_contain_text(INSURER)

    # ---- orderer: 保証確認 names the insurer (and puts the guarantee on 栃木県's desk)
    orderer = new_page(browser)
    orderer.goto(f"{site}/verify?contract_number={number}#auth_key={key}")
    sign_in(orderer, "orderer")
    orderer.get_by_role("button", name="閲覧").click()
    expect(orderer.locator("#certificate-issuer")).to_have_text(INSURER)
    expect(orderer.locator(".deposit")).to_contain_text("見本損害保険株式会社が本サービスに掲載した寄託の電子証書")
    check_screen(orderer, "verify-issuer")

    # ---- the desk: a surety's guarantee beside it; the 発行者 column; the filter by issuer
    body = {**SAMPLE, "work": {**SAMPLE["work"], "name": "県道栃木二宮線道路改良工事（前払金）"}}
    status, created = http.call("POST", "/applications", tokens["contractor"], body)
    assert status == 201, created
    status, surety_issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens[staff_role(DEFAULT_ISSUER)])
    assert status == 202, surety_issued
    surety_number = surety_issued["contract_number"]
    surety_key = wait_for(lambda: http.call("GET", f"/contracts/{surety_number}", tokens["contractor"])[1].get("auth_key"), timeout=180)
    status, _ = http.call("POST", "/verifications", tokens["orderer"], {"contract_number": surety_number, "auth_key": surety_key})
    assert status == 200
    orderer.goto(f"{site}/verify#/desk?view=all")
    insurer_row = orderer.locator(f"#desk tbody tr[data-contract='{number}']")
    surety_row = orderer.locator(f"#desk tbody tr[data-contract='{surety_number}']")
    expect(insurer_row.locator(".desk-issuer")).to_contain_text("見本損害保険株式会社")
    expect(surety_row.locator(".desk-issuer")).to_contain_text("東都建設保証株式会社")
    orderer.select_option("#desk-issuer", "mihon-sonpo")
    orderer.locator("#desk-search").get_by_role("button", name="検索").click()
    expect(surety_row).to_have_count(0)
    expect(insurer_row).to_be_visible()
    assert "issuer_id=mihon-sonpo" in orderer.url
    check_screen(orderer, "desk-issuer")
    insurer_row.get_by_role("link", name=number).click()
    expect(orderer.locator("#certificate-issuer")).to_have_text(INSURER)
    check_screen(orderer, "desk-guarantee-issuer", photograph=False)
