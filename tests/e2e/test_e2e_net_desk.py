"""The Net Desk applies without retyping, in a real browser (Debian's chromium, Playwright) against the
local cloud: the contractor saves the company profile (the header then names the company), a new
application starts from it with the orderer applied to last, the form shows only the chosen product's
fields, dates are typed in 令和, three problems come back in one round (a summary at the top, each at its
field), the 確認画面 shows everything entered with the 保証料（見込み）, 申込む answers the short 申込番号,
the application is read again, and one rejected by staff is re-applied after reading its reason. The
help pages tell where things are. Every screen is checked with axe-core at 1366 and 390 px and
photographed for the README."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser_support import browser, check_screen, new_page, sign_in  # noqa: F401 (fixture)
from e2e_support import http, local_cloud, tokens  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e

expect.set_options(timeout=30_000)  # a function's first process starts on demand in the local cloud
WORK = "市道足利駅前線歩道整備工事"
REASON = "預託金融機関の口座が確認できません"


def test_the_net_desk_applies_without_retyping(local_cloud, http, tokens, browser):  # noqa: F811
    _, deployed = local_cloud
    site = deployed["site_url"]
    page = new_page(browser)

    # ---- 会社情報: saved once (a wrong address refused at its field), then named in the header
    page.goto(site + "/#/profile")
    sign_in(page, "contractor")
    expect(page.locator("h1")).to_have_text("会社情報", timeout=120_000)
    page.fill("#f-contractor-name", "さくら建設 株式会社")
    page.fill("#f-contractor-address", "栃木県宇都宮市桜町1-2-3")
    page.fill("#f-deposit_bank", "みどり銀行 本町支店")
    page.fill("#f-notify_email", "経理@sakura-kensetsu.example")
    page.click("#profile-save")
    expect(page.locator("#error-summary")).to_contain_text("メールアドレス：")
    expect(page.locator("[data-field='notify_email'] .field-error")).to_contain_text("＠より前は半角英数字")
    page.fill("#f-notify_email", "ｋｅｉｒｉ＠ｓａｋｕｒａ－ｋｅｎｓｅｔｓｕ．ｅｘａｍｐｌｅ")  # full-width, as typed
    page.click("#profile-save")
    expect(page.locator("#profile-result .message.info")).to_contain_text("会社情報を保存しました")
    expect(page.locator("#who")).to_have_text("さくら建設 株式会社 様")
    check_screen(page, "net-desk-profile")

    # ---- 保証申込: prefilled from the profile; only the chosen product's fields
    page.goto(site + "/#/apply")
    expect(page.locator("h1")).to_have_text("保証申込")
    expect(page.locator("#f-contractor-name")).to_have_value("さくら建設 株式会社")
    expect(page.locator("#f-deposit_bank")).to_have_value("みどり銀行 本町支店")
    expect(page.locator("#f-notify_email")).to_have_value("keiri@sakura-kensetsu.example")
    expect(page.locator("#f-work-contract_date")).to_have_attribute("placeholder", "例：令和8年12月1日")
    page.select_option("#f-product", "contract")
    expect(page.locator("[data-field='deposit_bank']")).to_be_hidden()
    expect(page.locator("#f-work-low_bid_investigation")).to_be_visible()
    page.select_option("#f-product", "advance_payment")
    expect(page.locator("[data-field='deposit_bank']")).to_be_visible()
    expect(page.locator("#f-work-low_bid_investigation")).to_be_hidden()
    page.select_option("#f-orderer_id", "ashikaga-city")
    page.fill("#f-work-contract_price", "５０，０００，０００")
    page.fill("#f-work-contract_date", "令和8年4月1日")
    page.fill("#f-work-period_start", "R8.4.2")
    page.fill("#f-work-period_end", "2030/3/15")
    page.fill("#f-guarantee-amount", "60,000,000")  # over the price
    page.fill("#f-guarantee-deadline", "令和6年3月29日")  # in the past
    check_screen(page, "net-desk-apply")

    # Three problems (a field left empty and two rules between fields) in one round.
    page.click("#apply-submit")
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("入力内容に誤りがあります（3件）")
    for text in ("工事名：入力してください。", "保証金額：保証金額が請負金額を超えています。", "保証期限：保証期限が過去の日付です。"):
        expect(summary).to_contain_text(text)
    expect(page.locator("[data-field='work.name'] .field-error")).to_have_text("入力してください。")
    expect(page.locator("[data-field='guarantee.amount'] .field-error")).to_contain_text("請負金額を超えています")
    expect(page.locator("#f-guarantee-deadline")).to_have_attribute("aria-invalid", "true")
    check_screen(page, "net-desk-apply-errors")

    # ---- 確認画面: everything entered as it will be stored, and the fee
    page.fill("#f-work-name", WORK)
    page.fill("#f-guarantee-amount", "２０，０００，０００")
    page.fill("#f-guarantee-deadline", "令和12年3月29日")
    page.click("#apply-submit")
    confirm = page.locator("#apply-confirm")
    expect(confirm).to_contain_text("入力内容の確認")
    facts = page.locator("#confirm-facts")
    for shown in (WORK, "足利市", "50,000,000 円", "20,000,000 円", "令和8年4月1日", "令和8年4月2日 ～ 令和12年3月15日",
                  "令和12年3月29日", "さくら建設 株式会社", "みどり銀行 本町支店", "keiri@sakura-kensetsu.example"):
        expect(facts).to_contain_text(shown)
    fee = page.locator("#fee-estimate .fee-amount")
    expect(fee).to_have_text(re.compile(r"^[0-9,]+ 円$"))
    expect(page.locator("#fee-estimate")).to_contain_text("保証料（見込み）")
    expect(page.locator("#apply-form")).to_be_hidden()
    check_screen(page, "net-desk-confirm")
    page.click("#apply-confirm-submit")
    done = page.locator(".message.info")
    expect(done).to_contain_text("お申込みを受け付けました。申込番号 ")
    reference = re.search(r"申込番号 ([0-9A-F]{4}-[0-9A-F]{4})", done.inner_text()).group(1)

    # ---- the application read again, as sent
    page.click("#applied-link")
    expect(page.locator("h1")).to_have_text(f"申込内容（申込番号 {reference}）")
    application_id = page.evaluate("location.hash").rsplit("/", 1)[1]
    sent = page.locator("#application-request")
    for shown in (WORK, "足利市", "令和8年4月1日", "20,000,000 円", "みどり銀行 本町支店"):
        expect(sent).to_contain_text(shown)
    expect(page.locator("#application-state")).to_contain_text("審査中")
    check_screen(page, "net-desk-application")

    # ---- staff reject it (through the API); the contractor reads the reason and re-applies
    status, answer = http.call("POST", f"/staff/applications/{application_id}/reject", tokens["staff"], {"reason": REASON})
    assert status == 200, answer
    page.goto(site + "/#/applications")
    row = page.locator(f"#applications tbody tr[data-application='{application_id}']")
    expect(row).to_contain_text(reference)
    expect(row.locator(".reject-reason")).to_have_text(REASON)
    check_screen(page, "net-desk-applications")
    row.get_by_role("link", name="内容を確認して再申込").click()
    expect(page.locator("#reject-reason")).to_contain_text(REASON)
    check_screen(page, "net-desk-rejected", photograph=False)
    page.click("#reapply")
    expect(page.locator("#main .message.info").first).to_contain_text(f"却下の理由：{REASON}")
    expect(page.locator("#f-work-name")).to_have_value(WORK)
    expect(page.locator("#f-work-contract_date")).to_have_value("令和8年4月1日")
    expect(page.locator("#f-orderer_id")).to_have_value("ashikaga-city")
    page.fill("#f-deposit_bank", "みどり銀行 駅前支店")
    page.click("#apply-submit")
    expect(page.locator("#confirm-facts")).to_contain_text("みどり銀行 駅前支店")
    page.click("#apply-confirm-submit")
    expect(page.locator(".message.info")).to_contain_text("お申込みを受け付けました")

    # ---- a new application: the orderer applied to last is chosen; 「前回の申込から作成」 copies one
    page.goto(site + "/#/apply")
    expect(page.locator("#f-orderer_id")).to_have_value("ashikaga-city")
    expect(page.locator("#f-work-name")).to_have_value("")
    page.click("#from-previous")
    expect(page.locator("#f-work-name")).to_have_value(WORK)
    expect(page.locator("#f-deposit_bank")).to_have_value("みどり銀行 駅前支店")

    # ---- ヘルプ
    page.locator("#nav").get_by_role("link", name="ヘルプ").click()
    expect(page.locator("h1")).to_have_text("保証契約一覧のヘルプ")
    check_screen(page, "net-desk-help")
    page.locator("#main").get_by_role("link", name="印刷方法について").first.click()
    expect(page.locator("h1")).to_have_text("印刷方法について")
    check_screen(page, "net-desk-help-printing", photograph=False)
