"""The insurer's 公共工事履行保証証券 and the bank's 保証書, with their notices and fee statements: what an
orderer checks on each is printed, under the issuer's own name, and nothing of the surety's document."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pypdf import PdfReader

from esurety.documents.certificate import render_certificate
from esurety.documents.fee_statement import render_fee_statement
from esurety.documents.formal import add_months
from esurety.documents.kinds import wording
from esurety.documents.notice import render_notice
from esurety.domain.catalogue import fees
from esurety.domain.application import schemas
from esurety.domain.catalogue.issuer import DEFAULT_ISSUER_ID, Document, issuer_from_json, load_issuer, seed_entries
from esurety.domain.identifiers import contract_number
from pdf_checks import assert_fonts_embedded, layout_problems
from support.documents import AUTH_KEY, make_certificate, pdf_text, squash

# The bond and the 保証書 carry their clauses (特約条項, 保証の条件): more glyphs than the 保証証書.
MAX_BYTES = 48 * 1024
SURETY = "東都建設保証株式会社"
JV = {"name": "見本建設株式会社", "address": "栃木県宇都宮市見本町一丁目２番３号", "jv_name": "見本・架空特定建設工事共同企業体"}


def seed_issuer(issuer_id: str):
    return issuer_from_json(next(entry for entry in seed_entries() if entry["issuer_id"] == issuer_id))


@pytest.fixture(scope="module")
def insurer():
    return seed_issuer("mihon-sonpo")


@pytest.fixture(scope="module")
def bank():
    return seed_issuer("mirai-bank")


def contract_of(issuer, change_number: int | None = None, **overrides) -> dict:
    branch = issuer.branches[0].code
    number = contract_number.make(branch, 2024, "contract", 7, issuer_code=issuer.number_code)
    return make_certificate("contract", change_number, contract_number=number, branch_code=branch, deposit_bank=None, **overrides)


def table_of(issuer):
    return fees.parse_fee_table(issuer.fee_rates, issuer.issuer_id)


def assert_prints(text: str, items) -> None:
    for item in items:
        assert squash(item) in text, item


@pytest.mark.parametrize("change", [None, 1])
def test_the_insurer_issues_a_performance_bond(insurer, change):
    certificate = contract_of(insurer, change, contractor=JV)
    pdf = render_certificate(certificate, insurer)
    text = pdf_text(pdf)
    assert_prints(text, [
        "公共工事履行保証証券",
        f"証券番号{certificate['contract_number']}",
        "債権者（発注者）栃木県知事",
        "債務者（受注者）栃木県宇都宮市見本町一丁目２番３号見本・架空特定建設工事共同企業体代表者見本建設株式会社",
        "保証金額20,000,000円",
        # from the 契約締結日 (before the 工期 here) to the guarantee deadline: it covers the 工期
        "保証期間令和06年03月25日から令和07年04月30日まで",
        "主契約",
        "工事名県道宇都宮見本線道路改良工事（その２）",
        "契約金額50,000,000円",
        "工期令和06年04月01日～令和07年03月31日",
        "契約締結日令和06年03月25日",
        "公共工事用保証契約基本約款及び下記の特約条項に基づき",
        "特約条項",
        "破産管財人",
        "前払金の返還債務を含みません",
        "保証人",
        insurer.company,
        insurer.address,
        insurer.representative,
        "取扱箇所宇都宮支店",
        "TEL：028-000-1000",
        "保証証券（書面）の発行は行わない電子的な取扱となります",
    ])
    # The surety's document, its parties and its issuer are nowhere on it.
    for absent in ("保証証書", "被保証者", "保証契約者", SURETY, "契約保証約款"):
        assert absent not in text, absent
    assert ("変更ー1" in text) == (change == 1)
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata.title.startswith(f"公共工事履行保証証券 {certificate['contract_number']}")
    assert metadata.author == insurer.company


@pytest.mark.parametrize("change", [None, 2])
def test_the_bank_issues_a_guarantee_letter(bank, change):
    certificate = contract_of(bank, change)
    pdf = render_certificate(certificate, bank)
    text = pdf_text(pdf)
    assert_prints(text, [
        "保証書",
        "栃木県知事　様",
        f"保証契約番号{certificate['contract_number']}",
        "債権者栃木県知事",
        "主たる債務者栃木県宇都宮市見本町一丁目２番３号見本建設株式会社",
        "保証金額20,000,000円",
        "保証期限令和07年04月30日",
        "請求期限令和07年10月30日（保証期限の経過後6か月）",
        "契約の内容",
        "請負代金額50,000,000円",
        "契約締結日令和06年03月25日",
        "当行は、下記の主たる債務者が債権者との間に締結した工事請負契約に基づく債務の不履行により",
        "保証の条件",
        "破産管財人",
        "保証期限の経過後6か月以内",
        "保証人",
        bank.company,
        bank.address,
        bank.representative,
        "取扱店宇都宮営業部",
        "保証書（書面）の発行は行わない電子的な取扱となります",
    ])
    for absent in ("保証証書", "被保証者", "当社", SURETY, "公共工事履行保証証券"):
        assert absent not in text, absent
    assert ("変更ー2" in text) == (change == 2)


def test_the_bond_period_includes_the_whole_works_period(insurer):
    """A bond issued after the contract (a change) still covers the 工期 from its start."""
    change = contract_of(insurer, 1, issue_date="2024-11-15", contract_date="2024-04-10", guarantee_deadline="2025-06-30")
    assert "保証期間令和06年04月01日から令和07年06月30日まで" in pdf_text(render_certificate(change, insurer))


def test_a_correction_restates_its_version(insurer):
    """A 訂正 renders its version's content again: the same mark, the corrected figures."""
    first = contract_of(insurer, 1)
    corrected = contract_of(insurer, 1, guarantee_amount=21_000_000)
    text = pdf_text(render_certificate(corrected, insurer))
    assert "変更ー1" in text and "21,000,000円" in text and "20,000,000円" not in text
    assert render_certificate(first, insurer) != render_certificate(corrected, insurer)


@pytest.mark.parametrize("issuer_id,number_label,product_text,branch", [
    ("mihon-sonpo", "証券番号", "契約保証（公共工事履行保証証券）", "取扱箇所見本損害保険株式会社宇都宮支店"),
    ("mirai-bank", "保証契約番号", "契約保証（金融機関の保証書）", "取扱店株式会社みらい見本銀行宇都宮営業部"),
])
def test_the_notice_names_the_document_and_the_issuer(issuer_id, number_label, product_text, branch):
    issuer = seed_issuer(issuer_id)
    certificate = contract_of(issuer)
    text = pdf_text(render_notice(certificate, AUTH_KEY, issuer))
    assert_prints(text, [
        "電子保証にかかる「認証キー」のお知らせ",
        f"商品（保証区分）：{product_text}",
        AUTH_KEY,
        f"{number_label}：{certificate['contract_number']}（新規）",
        f"発注者様への「{number_label}」と「認証キー」のご提出をもって",
        "請負契約締結手続（契約保証）が完了いたします",
        f"上記の「{number_label}」と「認証キー」をもって電子証書を閲覧ください",
        branch,
        issuer.branches[0].tel,
    ])
    assert SURETY not in text
    # The orderer's page asks for a 保証契約番号: the insurer's notice says where its 証券番号 goes.
    assert ("照会画面の「保証契約番号」欄に入力してください" in text) == (number_label == "証券番号")


# The 保証確認 page beside the notice's QR code, on the notice of every kind of issuer.
KINDS = [(DEFAULT_ISSUER_ID, "保証契約番号"), ("mihon-sonpo", "証券番号"), ("mirai-bank", "保証契約番号")]
SEED_PAGE = "https://verify.esurety.example/verify"


@pytest.mark.parametrize("issuer_id,number_label", KINDS)
def test_every_notice_prints_the_verification_page_and_says_where_the_key_goes(issuer_id, number_label):
    issuer = seed_issuer(issuer_id)
    text = pdf_text(render_notice(contract_of(issuer), AUTH_KEY, issuer))
    assert_prints(text, [
        # typed by a clerk who does not scan the code
        f"保証確認サービスのURL：{SEED_PAGE}",
        # the code's caption: what scanning does, where the key goes and where it may stay
        f"QRコードには{number_label}と認証キーが入っています。",
        "認証キーは「閲覧」を押すまでサーバーに送られませんが、読み取った端末の履歴には残るため、"
        "共用の端末では読み取らないでください。",
    ])
    # The key is printed once, in its boxes; the link the code holds is not printed.
    assert text.count(AUTH_KEY) == 1
    for absent in ("auth_key", "contract_number=", "#auth", "?"):
        assert absent not in text, absent
    # The old caption said the key was not in the URL: it is, after 「#」.
    assert "URLに含めず" not in text


def test_the_printed_address_is_the_page_without_its_query():
    issuer = replace(seed_issuer("mirai-bank"), verify_url="https://orderer.example/check?lang=ja")
    text = pdf_text(render_notice(contract_of(issuer), AUTH_KEY, issuer))
    assert "保証確認サービスのURL：https://orderer.example/check" in text
    assert "lang=ja" not in text and text.count(AUTH_KEY) == 1


def test_without_a_verification_page_the_notice_has_no_address_and_no_caption():
    issuer = replace(seed_issuer("mihon-sonpo"), verify_url=None)
    text = pdf_text(render_notice(contract_of(issuer), AUTH_KEY, issuer))
    assert "URL" not in text and "QRコード" not in text
    assert "【発注者様へのお願い】" in text and text.count(AUTH_KEY) == 1


def longest_contract(issuer) -> dict:
    """The sample 契約保証 with every printed field of the notice at its longest (a JV, a long work name)."""
    contractor = {"name": "県" * schemas.MAX_CONTRACTOR_NAME, "address": "県" * schemas.MAX_ADDRESS,
                  "jv_name": "県" * schemas.MAX_JV_NAME}
    return contract_of(issuer, 12, contractor=contractor, work_name="県" * schemas.MAX_WORK_NAME)


# Addresses of the 保証確認 page: the seed's; a long one of 100 characters (broken over lines); one of
# 390 characters, far beyond any real one (set small, the handling branch's lines pushed down).
LONG_PAGE = "https://verify-esurety.orderers.example.lg.jp/" + "/".join(["verification-service"] * 20)
ADDRESSES = [SEED_PAGE, LONG_PAGE[:100], LONG_PAGE[:390], None]


@pytest.mark.parametrize("issuer_id", [issuer_id for issuer_id, _ in KINDS])
@pytest.mark.parametrize("verify_url", ADDRESSES, ids=["seed", "100", "390", "none"])
def test_the_longest_notice_keeps_every_word_apart_on_one_page(issuer_id, verify_url):
    issuer = replace(seed_issuer(issuer_id), verify_url=verify_url)
    pdf = render_notice(longest_contract(issuer), AUTH_KEY, issuer)
    assert layout_problems(pdf) == []
    text = pdf_text(pdf)  # one page
    assert "県" * schemas.MAX_WORK_NAME in text and AUTH_KEY in text
    if verify_url:
        # the whole address, its lines read one after the other
        assert f"保証確認サービスのURL：{verify_url}" in text


@pytest.mark.parametrize("issuer_id,document_name", [("mihon-sonpo", "保証証券"), ("mirai-bank", "保証書")])
def test_the_fee_statement_is_the_issuers(issuer_id, document_name):
    issuer = seed_issuer(issuer_id)
    certificate = contract_of(issuer)
    quote = fees.quote_for(certificate, table_of(issuer))
    text = pdf_text(render_fee_statement(certificate, quote, issuer))
    assert_prints(text, [
        "保証料計算書",
        issuer.company,
        "計算期間令和06年04月01日～令和07年04月30日",
        f"保証日数は、計算期間の初日（{document_name}の発行日）",
        f"保証料{quote.fee:,}円",
    ])
    assert SURETY not in text and "保証証書" not in text


def test_every_document_is_small_embeds_ipaex_and_is_deterministic(insurer, bank):
    for issuer in (insurer, bank):
        certificate = contract_of(issuer, contractor=JV)
        quote = fees.quote_for(certificate, table_of(issuer))
        for render in (
            lambda: render_certificate(certificate, issuer),
            lambda: render_notice(certificate, AUTH_KEY, issuer),
            lambda: render_fee_statement(certificate, quote, issuer),
        ):
            pdf = render()
            assert len(pdf) < MAX_BYTES, len(pdf)
            assert_fonts_embedded(pdf)
            assert render() == pdf


def test_an_issuer_draws_nothing_for_a_product_it_does_not_offer(insurer, bank):
    for issuer in (insurer, bank):
        certificate = make_certificate("advance_payment", None)
        with pytest.raises(ValueError, match="does not offer advance_payment"):
            render_certificate(certificate, issuer)
        with pytest.raises(ValueError, match="does not offer"):
            render_notice(certificate, AUTH_KEY, issuer)


def test_each_issuers_document_for_the_product_decides_the_drawing(insurer, bank):
    contract = make_certificate("contract", None)
    assert wording(contract, load_issuer()).document == Document.SURETY_CERTIFICATE
    assert wording(contract, insurer).document == Document.PERFORMANCE_BOND
    assert wording(contract, bank).document == Document.BANK_GUARANTEE
    # The surety's contract guarantee stays its 保証証書 when no issuer is given.
    assert "保証証書（契約保証）" in pdf_text(render_certificate(contract))


@pytest.mark.parametrize("deadline,claim", [
    ("2025-04-30", "令和07年10月30日"),
    ("2025-08-31", "令和08年02月28日"),  # no 31st in February: its last day
    ("2027-08-31", "令和10年02月29日"),  # a leap year's
    ("2025-10-15", "令和08年04月15日"),  # into the next year
])
def test_the_claim_deadline_is_six_months_after_the_guarantee_deadline(deadline, claim):
    assert add_months(deadline, 6) == claim


def test_the_statement_of_a_change_names_the_issuers_document(insurer):
    from datetime import date

    from esurety.documents.fee_difference import render_fee_difference
    from esurety.domain.guarantee import changes

    new = contract_of(insurer)
    change = contract_of(insurer, 1, issue_date="2024-11-15", guarantee_amount=22_000_000, guarantee_deadline="2025-06-30")
    difference = changes.change_fee(new, change, date(2024, 11, 15), table_of(insurer))
    text = pdf_text(render_fee_difference(change, difference, occasion="change", issuer=insurer))
    assert_prints(text, [
        f"証券番号{change['contract_number']}（変更ー1）",
        "契約保証（公共工事履行保証証券）",
        "（変更後の保証証券の発行日）",
        "変更後の保証証券の発行日（変更日）から各保証期限まで",
        "取扱箇所宇都宮支店",
        insurer.company,
    ])
    assert "保証証書" not in text and SURETY not in text


def test_a_shinkin_bank_speaks_as_one(bank):
    """A 信用金庫 onboarded as a bank writes 当金庫, not 当行, on its 保証書 and its notice."""
    shinkin = replace(bank, company="見本信用金庫", issuer_id="mihon-shinkin", number_code="72")
    certificate = contract_of(shinkin)
    text = pdf_text(render_certificate(certificate, shinkin))
    assert "当金庫は、下記の主たる債務者が" in text and "見本信用金庫" in text
    assert "当行" not in text
    assert "当金庫の取扱店までお問い合わせください" in pdf_text(render_notice(certificate, AUTH_KEY, shinkin))


def test_the_evidence_file_names_the_issuers_document(insurer, bank):
    from esurety.documents.evidence import certificate_filename

    assert certificate_filename("新規") == "保証証書_新規.pdf"
    for issuer, filename in ((insurer, "保証証券_変更ー1.pdf"), (bank, "保証書_変更ー1.pdf")):
        assert certificate_filename("変更ー1", wording(contract_of(issuer), issuer).name) == filename
