"""The certificate and auth-key notice PDFs: every field printed, fonts embedded, small, deterministic."""
from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from esurety import fonts
from esurety.domain.catalogue import products
from esurety.documents import Issuer, load_issuer
from esurety.documents.certificate import render_certificate
from esurety.documents.notice import key_caption, render_notice
from pdf_checks import assert_fonts_embedded
from support.documents import AUTH_KEY, BANK, CASES, MAX_BYTES, make_certificate, pdf_text, squash

CLAUSE_BY_PRODUCT = {
    "advance_payment": "前払金保証約款",
    "contract": "契約保証約款",
    "interim_advance_payment": "中間前払金保証約款",
}


def assert_fonts_embedded(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    font_dict = reader.pages[0]["/Resources"]["/Font"]
    names = []
    for ref in font_dict.values():
        font = ref.get_object()
        names.append(str(font["/BaseFont"]))
        assert font["/Subtype"] == "/TrueType"
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]
        assert "/ToUnicode" in font
    assert names and all("IPAex" in name for name in names), names


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return load_issuer()


@pytest.fixture(scope="module")
def rendered(issuer):
    out = {}
    for product, change in CASES:
        certificate = make_certificate(product, change)
        out[(product, change)] = (
            render_certificate(certificate, issuer),
            render_notice(certificate, AUTH_KEY, issuer),
        )
    return out


@pytest.mark.parametrize("product,change", CASES)
def test_certificate_prints_every_field(rendered, issuer, product, change):
    pdf, _ = rendered[(product, change)]
    text = pdf_text(pdf)
    label = products.label(product)
    expected = [
        f"保証証書（{label}）",
        "31073-00001M",
        "栃木県宇都宮市見本町一丁目２番３号",
        "見本建設株式会社",
        "栃木県知事",
        "保証金額（総額）20,000,000円",
        "保証期限令和07年04月30日",
        "工事名県道宇都宮見本線道路改良工事（その２）",
        "請負金額（総額）50,000,000円",
        "令和06年04月01日～令和07年03月31日",
        "請負契約日令和06年03月25日",
        "令和06年04月01日",
        products.clause_sentence(product),
        CLAUSE_BY_PRODUCT[product],
        issuer.company,
        issuer.address,
        squash(issuer.representative),
        "栃木支店",
        "028-000-0000",
        "保証証書（書面）の発行は行わない電子的な取扱となります",
        "（注）1.",
        "表題の下に「変更ー」の表示と変更の発生番号を付記し",
        "2.請負金額のみの変更の場合は",
    ]
    for item in expected:
        assert squash(item) in text, item
    if products.has_deposit_bank(product):
        assert squash(f"預託金融機関{BANK}") in text
    else:
        assert "預託金融機関" not in text
        assert squash(BANK) not in text
    assert ("変更ー1" in text) == (change == 1)


@pytest.mark.parametrize("product,change", CASES)
def test_notice_prints_every_field(rendered, issuer, product, change):
    _, pdf = rendered[(product, change)]
    text = pdf_text(pdf)
    expected = [
        "電子保証にかかる「認証キー」のお知らせ",
        "見本建設株式会社様",
        "令和06年04月01日",
        "電子証書を「保証確認サービス」に掲載しました",
        "①電子契約システムへのアップロード",
        "②電子メールに添付して送信",
        "【発注者様へのお願い】",
        "「保証確認サービス」にログインし、上記の「保証契約番号」と「認証キー」をもって電子証書を閲覧ください。",
        "記",
        f"商品（保証区分）：{products.label(product)}",
        "認証キー：",
        AUTH_KEY,
        "受注者名：見本建設株式会社",
        "（JVの場合は代表者）",
        "工事名：県道宇都宮見本線道路改良工事（その２）",
        "保証契約番号：31073-00001M",
        "のご提出をもって",
        "が完了いたします。",
        issuer.company,
        "栃木支店",
        "TEL：028-000-0000",
        # the page the QR code opens, as text to type, and the code's caption
        f"保証確認サービスのURL：{issuer.verify_url}",
        "QRコードには保証契約番号と認証キーが入っています。",
        "認証キーは「閲覧」を押すまでサーバーに送られません",
    ]
    for item in expected:
        assert squash(item) in text, item
    assert "D-Sure" not in text and "NDN" not in text
    # The key is printed once, in its boxes: the address is the page's, not the code's link.
    assert text.count(AUTH_KEY) == 1 and "auth_key" not in text


def test_key_captions_tell_case_and_digits():
    assert [key_caption(ch) for ch in "Z2u"] == ["大", "数", "小"]


@pytest.mark.parametrize("product,change", CASES)
def test_pdfs_are_small_titled_and_embed_their_fonts(rendered, product, change):
    for pdf in rendered[(product, change)]:
        assert len(pdf) < MAX_BYTES, len(pdf)
        assert_fonts_embedded(pdf)
        title = PdfReader(io.BytesIO(pdf)).metadata.title
        assert "31073-00001M" in title


def test_pdffonts_reports_every_font_embedded(rendered):
    for certificate_pdf, notice_pdf in rendered.values():
        for pdf in (certificate_pdf, notice_pdf):
            assert_fonts_embedded(pdf)


def test_same_input_gives_same_bytes(issuer):
    certificate = make_certificate("advance_payment", None)
    assert render_certificate(certificate, issuer) == render_certificate(certificate, issuer)
    assert render_notice(certificate, AUTH_KEY, issuer) == render_notice(certificate, AUTH_KEY, issuer)


def test_jv_service_work_and_markup_characters(issuer):
    certificate = make_certificate(
        "contract",
        2,
        contractor={
            "name": "見本建設株式会社",
            "address": "栃木県宇都宮市見本町一丁目２番３号",
            "jv_name": "見本・架空特定建設工事共同企業体",
        },
        work_kind="service",
        work_name="道路台帳<整備>業務委託 & 測量",
        product_label=None,
        deposit_bank=None,
    )
    cert_text = pdf_text(render_certificate(certificate, issuer))
    for item in ["保証証書（契約保証）", "変更ー2", "見本・架空特定建設工事共同企業体",
                 "代表者見本建設株式会社", "業務名道路台帳<整備>業務委託&測量"]:
        assert item in cert_text, item
    assert "工事名" not in cert_text
    notice_text = pdf_text(render_notice(certificate, AUTH_KEY, issuer))
    for item in ["業務名：道路台帳<整備>業務委託&測量", "見本・架空特定建設工事共同企業体",
                 "請負契約締結手続（契約保証）"]:
        assert item in notice_text, item


def test_unknown_branch_falls_back_to_the_first(issuer):
    assert issuer.branch("31").name == "栃木支店"
    assert issuer.branch("11").name == "営業部"
    assert issuer.branch("99") == issuer.branches[0]
    assert issuer.branch(None) == issuer.branches[0]


def test_issuer_file_from_environment(tmp_path, monkeypatch):
    path = tmp_path / "issuer.json"
    path.write_text(json.dumps({
        "company": "試験保証株式会社",
        "address": "東京都千代田区試験町１番",
        "representative": "代表取締役　試験　花子",
        "branches": {"21": {"name": "試験支店", "tel": "000-000-0000"}},
    }, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("ESURETY_ISSUER_FILE", str(path))
    issuer = load_issuer()
    assert issuer.company == "試験保証株式会社"
    assert issuer.branch("31").name == "試験支店"
    assert issuer.branch("31").fax is None
    text = pdf_text(render_notice(make_certificate("contract", None), AUTH_KEY, issuer))
    assert "試験保証株式会社" in text and "000-000-0000" in text


def test_font_dir_from_environment_comes_first(tmp_path, monkeypatch):
    for filename in fonts.FILES.values():
        (tmp_path / filename).symlink_to(fonts.find_font(filename))
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path))
    assert fonts.find_font("ipaexm.ttf") == tmp_path / "ipaexm.ttf"


def test_missing_font_raises_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path))
    monkeypatch.setattr(fonts, "PACKAGE_DIR", tmp_path / "package")
    monkeypatch.setattr(fonts, "SYSTEM_DIRS", ())
    monkeypatch.setattr(fonts, "_registered", False)
    with pytest.raises(fonts.FontMissingError) as raised:
        fonts.ensure_fonts()
    message = str(raised.value)
    assert str(tmp_path) in message and "fonts-ipaexfont" in message
    with pytest.raises(fonts.FontMissingError):
        render_certificate(make_certificate("advance_payment", None))


def test_creation_and_modification_dates_are_the_render_time(issuer, frozen_clock, monkeypatch):
    from esurety.domain.japanese import clock
    from esurety.documents.fee_statement import render_fee_statement
    from esurety.domain.catalogue import fees

    certificate = make_certificate("advance_payment", None)
    rendered_at = frozen_clock.replace(hour=15, minute=4, second=5)
    monkeypatch.setattr(clock, "now", lambda: rendered_at)
    for pdf in (
        render_certificate(certificate, issuer),
        render_notice(certificate, AUTH_KEY, issuer),
        render_fee_statement(certificate, fees.quote_for(certificate), issuer),
    ):
        metadata = PdfReader(io.BytesIO(pdf)).metadata
        assert metadata["/CreationDate"] == metadata["/ModDate"] == "D:20240401150405+09'00'"
        assert metadata.creation_date == rendered_at
