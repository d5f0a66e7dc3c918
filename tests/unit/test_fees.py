"""The guarantee fee (保証料), its rate table, the fee statement (保証料計算書) and the notice's QR link."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from pypdf import PdfReader

from esurety.domain.catalogue import fees, products
from esurety.documents import Issuer, issuer_from_json, load_issuer, verification_url
from esurety.documents import notice as notice_module
from esurety.documents.fee_statement import render_fee_statement
from esurety.documents.notice import render_notice
from system_tools import need
from pdf_checks import assert_fonts_embedded

MAX_BYTES = 40 * 1024
AUTH_KEY = "Z28YUE4J3Bux"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return squash(reader.pages[0].extract_text())


def table_data(**overrides) -> dict:
    """A small valid table in JSON shape (decimals as strings would be refused; use numbers)."""
    data = {
        "sample": False,
        "note": "test table",
        "day_basis": 365,
        "products": {
            "advance_payment": {
                "minimum_fee": 1000,
                "bands": [
                    {"up_to": 10_000_000, "annual_rate_percent": 0.5},
                    {"up_to": None, "annual_rate_percent": 0.25},
                ],
            },
        },
    }
    data.update(overrides)
    return data


def write_table(tmp_path, data, name="rates.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def table(**overrides) -> fees.FeeTable:
    return fees.parse_fee_table(json.loads(json.dumps(table_data(**overrides)), parse_float=Decimal))


def certificate(product="advance_payment", **overrides) -> dict:
    data = {
        "contract_number": "31063-00001J",
        "product": product,
        "product_label": products.label(product),
        "version": 1,
        "change_number": None,
        "issue_date": "2024-04-01",
        "contractor": {"name": "見本建設株式会社", "address": "栃木県宇都宮市見本町一丁目２番３号", "jv_name": None},
        "beneficiary": "栃木県知事",
        "orderer_id": "tochigi-pref",
        "guarantee_amount": 20_000_000,
        "guarantee_deadline": "2025-04-30",
        "work_name": "県道宇都宮見本線道路改良工事（その２）",
        "work_kind": "construction",
        "contract_price": 50_000_000,
        "period_start": "2024-04-02",
        "period_end": "2025-03-14",
        "contract_date": "2024-03-28",
        "deposit_bank": "見本銀行 宇都宮支店",
        "branch_code": "31",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def no_table_override(monkeypatch):
    monkeypatch.delenv(fees.ENV_VAR, raising=False)


# --- computation -----------------------------------------------------------------------------------


def test_days_count_both_ends():
    assert fees.guarantee_days("2024-04-01", "2024-04-01") == 1
    assert fees.guarantee_days(date(2024, 4, 1), date(2024, 4, 30)) == 30
    assert fees.guarantee_days("2024-04-01", "2025-03-31") == 365
    with pytest.raises(ValueError, match="before the issue date"):
        fees.guarantee_days("2024-04-02", "2024-04-01")


def test_leap_day_counts_and_the_divisor_stays_365():
    assert fees.guarantee_days("2024-02-28", "2024-03-01") == 3  # 28, 29, 1
    assert fees.guarantee_days("2023-02-28", "2023-03-01") == 2
    leap = fees.quote("advance_payment", 1_000_000, "2024-01-01", "2024-12-31", table())
    assert leap.days == 366 and leap.day_basis == 365
    # 1,000,000 × 0.5 % × 366 / 365 = 5,013.69...
    assert leap.fee == 5013
    plain = fees.quote("advance_payment", 1_000_000, "2023-01-01", "2023-12-31", table())
    assert plain.days == 365 and plain.fee == 5000


def test_band_edges_split_the_amount():
    t = table()
    at_edge = fees.quote("advance_payment", 10_000_000, "2024-04-01", "2025-03-31", t)
    assert [(line.part, line.annual_rate_percent) for line in at_edge.lines] == [(10_000_000, Decimal("0.5"))]
    assert at_edge.fee == 50_000
    one_more = fees.quote("advance_payment", 10_000_001, "2024-04-01", "2025-03-31", t)
    assert [line.part for line in one_more.lines] == [10_000_000, 1]
    assert one_more.rate_percents == (Decimal("0.5"), Decimal("0.25"))
    assert one_more.fee == 50_000  # the second band's 0.0025 yen is cut off
    big = fees.quote("advance_payment", 30_000_000, "2024-04-01", "2025-03-31", t)
    assert [line.fee for line in big.lines] == [50_000, 50_000]
    assert big.fee == 100_000 and not big.minimum_applied


def test_a_larger_amount_never_costs_less_around_band_edges():
    t = fees.load_fee_table()
    for product, rates in t.products.items():
        for band in rates.bands[:-1]:
            previous = 0
            for amount in (band.up_to - 1, band.up_to, band.up_to + 1, band.up_to + 10_000):
                fee = fees.quote(product, amount, "2024-04-01", "2025-04-30", t).fee
                assert fee >= previous, (product, amount)
                previous = fee


def test_each_band_is_cut_off_below_one_yen_and_lines_add_up():
    q = fees.quote("advance_payment", 20_000_000, "2024-04-01", "2025-04-30", fees.load_fee_table())
    assert q.days == 395
    exact = [
        Fraction(10_000_000) * Fraction("0.60") * 395 / (100 * 365),  # 64,931.50...
        Fraction(10_000_000) * Fraction("0.45") * 395 / (100 * 365),  # 48,698.63...
    ]
    assert [line.fee for line in q.lines] == [int(x) for x in exact] == [64_931, 48_698]
    assert q.fee == q.computed_fee == sum(line.fee for line in q.lines) == 113_629
    assert q.breakdown[-1] == "保証料：113,629 円"
    assert any("× 年0.60% × 395日 ÷ 365日 ＝ 64,931 円" in line for line in q.breakdown)


def test_minimum_fee():
    q = fees.quote("advance_payment", 100_000, "2024-04-01", "2024-04-30", table())
    assert q.computed_fee == 41  # 100,000 × 0.5 % × 30 / 365 = 41.09
    assert q.minimum_applied and q.fee == q.minimum_fee == 1000
    assert "最低保証料 1,000 円 を適用" in q.breakdown
    above = fees.quote("advance_payment", 10_000_000, "2024-04-01", "2024-04-30", table())
    assert not above.minimum_applied and above.fee == 4109


def test_bad_quote_arguments():
    with pytest.raises(ValueError, match="positive integer"):
        fees.quote("advance_payment", 0, "2024-04-01", "2024-04-30")
    with pytest.raises(ValueError, match="positive integer"):
        fees.quote("advance_payment", 1.5, "2024-04-01", "2024-04-30")
    with pytest.raises(ValueError):
        fees.quote("bid_bond", 1_000_000, "2024-04-01", "2024-04-30")
    with pytest.raises(fees.FeeTableError, match="no rates for contract"):
        fees.quote("contract", 1_000_000, "2024-04-01", "2024-04-30", table())


def test_band_labels_and_percentages():
    assert fees.large_yen(10_000_000) == "1,000万円"
    assert fees.large_yen(100_000_000) == "1億円"
    assert fees.large_yen(150_000_000) == "1億5,000万円"
    assert fees.large_yen(1_234_567) == "1,234,567 円"
    assert fees.percent(Decimal("0.6")) == "0.60%"
    assert fees.percent(Decimal("0.125")) == "0.125%"
    assert fees.percent(Decimal("1")) == "1.00%"
    q = fees.quote("advance_payment", 250_000_000, "2024-04-01", "2025-03-31", fees.load_fee_table())
    assert [line.band_label for line in q.lines] == [
        "1,000万円以下の部分",
        "1,000万円超 5,000万円以下の部分",
        "5,000万円超 1億円以下の部分",
        "1億円超の部分",
    ]


# --- the table -------------------------------------------------------------------------------------


def test_packaged_table_is_a_labelled_sample_for_every_product():
    t = fees.load_fee_table()
    assert t.sample is True and "SAMPLE" in t.note
    assert set(t.products) == {p.value for p in products.Product}
    assert all(rates.minimum_fee >= 1000 for rates in t.products.values())


def test_replacement_table_from_the_environment_changes_the_fee(tmp_path, monkeypatch):
    before = fees.quote("advance_payment", 20_000_000, "2024-04-01", "2025-03-31")
    path = write_table(tmp_path, table_data())
    monkeypatch.setenv(fees.ENV_VAR, str(path))
    after = fees.quote("advance_payment", 20_000_000, "2024-04-01", "2025-03-31")
    assert before.sample and not after.sample
    assert after.fee == 75_000 != before.fee  # 10M × 0.5 % + 10M × 0.25 %
    # The file is read again when it changes.
    data = table_data()
    data["products"]["advance_payment"]["bands"][0]["annual_rate_percent"] = 1
    path.write_text(json.dumps(data), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different modification time, whatever the clock's resolution
    assert fees.quote("advance_payment", 20_000_000, "2024-04-01", "2025-03-31").fee == 125_000


def test_statement_from_a_real_table_has_no_sample_mark(tmp_path, monkeypatch):
    monkeypatch.setenv(fees.ENV_VAR, str(write_table(tmp_path, table_data())))
    c = certificate()
    text = pdf_text(render_fee_statement(c, fees.quote_for(c), load_issuer()))
    assert fees.SAMPLE_MARK not in text
    assert "年0.50%・0.25%" in text


@pytest.mark.parametrize(
    "change,fragment",
    [
        (lambda d: d["products"]["advance_payment"]["bands"].reverse(), "bands[0].up_to: only the last band may be open"),
        (lambda d: d["products"]["advance_payment"]["bands"][-1].update(up_to=20_000_000),
         "bands[1].up_to: the last band must be open"),
        (lambda d: d["products"]["advance_payment"]["bands"].insert(
            1, {"up_to": 5_000_000, "annual_rate_percent": 0.3}), "bands must be in ascending order (5,000,000 after 10,000,000)"),
        (lambda d: d["products"]["advance_payment"]["bands"][0].update(annual_rate_percent=-0.1),
         "annual_rate_percent: must be between 0 and 100"),
        (lambda d: d["products"]["advance_payment"]["bands"][0].update(annual_rate_percent="0.5"),
         "annual_rate_percent: must be a number"),
        (lambda d: d["products"].update(bid_bond=d["products"]["advance_payment"]), "products.bid_bond: unknown product"),
        (lambda d: d["products"]["advance_payment"].update(minimum_fee=-1), "minimum_fee: must be an integer"),
        (lambda d: d["products"]["advance_payment"].update(minimum=1000), "products.advance_payment.minimum: unknown field"),
        (lambda d: d["products"]["advance_payment"].update(bands=[]), "bands: must be a list of at least one band"),
        (lambda d: d.pop("sample"), "sample: must be true or false"),
        (lambda d: d.update(sample=True, note=""), "note: a sample table must say what it is"),
        (lambda d: d.update(day_basis=0), "day_basis"),
        (lambda d: d.update(products={}), "products: must be an object with at least one product"),
    ],
)
def test_bad_tables_are_refused_with_the_place_of_the_problem(tmp_path, monkeypatch, change, fragment):
    data = table_data()
    change(data)
    path = write_table(tmp_path, data)
    with pytest.raises(fees.FeeTableError) as raised:
        fees.load_fee_table(path)
    assert str(path) in str(raised.value)
    assert fragment in str(raised.value), str(raised.value)
    # Through the environment, quoting fails the same way.
    monkeypatch.setenv(fees.ENV_VAR, str(path))
    with pytest.raises(fees.FeeTableError):
        fees.quote("advance_payment", 1_000_000, "2024-04-01", "2024-04-30")


def test_every_problem_is_reported_at_once_and_comments_are_allowed():
    data = table_data(_comment="ignored")
    data["products"]["advance_payment"]["bands"][0]["annual_rate_percent"] = -1
    data["products"]["advance_payment"]["minimum_fee"] = "1000"
    with pytest.raises(fees.FeeTableError) as raised:
        fees.parse_fee_table(data)
    assert len(raised.value.problems) == 2, raised.value.problems


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(fees.FeeTableError, match="cannot be read"):
        fees.load_fee_table(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(fees.FeeTableError, match="not valid JSON"):
        fees.load_fee_table(broken)


# --- the statement ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return load_issuer()


@pytest.mark.parametrize("product", [p.value for p in products.Product])
def test_statement_prints_every_field(issuer, product):
    c = certificate(product)
    q = fees.quote_for(c)
    pdf = render_fee_statement(c, q, issuer)
    text = pdf_text(pdf)
    expected = [
        "保証料計算書",
        "見本建設株式会社様",
        "保証契約番号31063-00001J",
        f"商品{products.label(product)}",
        "工事名県道宇都宮見本線道路改良工事（その２）",
        "保証金額20,000,000円",
        "保証期間令和06年04月01日～令和07年04月30日",
        "保証日数395日（初日・末日を含む）",
        "料率年" + "・".join(fees.percent(r) for r in q.rate_percents),
        "計算式",
        "区分ごとの保証金額×年料率×保証日数÷365日",
        f"保証料{q.fee:,}円",
        "領収証は、書面にてお渡しします",
        fees.SAMPLE_MARK,
        "実際の保証料率ではありません",
        "令和06年04月01日",
        issuer.company,
        issuer.address,
        squash(issuer.representative),
        "取扱箇所栃木支店",
        "TEL：028-000-0000",
    ]
    for line in q.lines:
        expected.append(squash(f"{line.band_label}{q.formula(line)}{line.fee:,}円"))
    for item in expected:
        assert squash(item) in text, item
    assert len(pdf) <= MAX_BYTES, len(pdf)
    assert "31063-00001J" in PdfReader(io.BytesIO(pdf)).metadata.title


def test_statement_with_minimum_fee_jv_service_and_change(issuer):
    c = certificate(
        "contract",
        change_number=1,
        version=2,
        guarantee_amount=100_000,
        guarantee_deadline="2024-04-20",
        work_kind="service",
        work_name="道路台帳<整備>業務委託 & 測量",
        contractor={"name": "見本建設株式会社", "address": "x", "jv_name": "見本・架空特定建設工事共同企業体"},
    )
    text = pdf_text(render_fee_statement(c, fees.quote_for(c), issuer))
    for item in ["見本・架空特定建設工事共同企業体", "代表者見本建設株式会社様", "（変更ー1）", "業務名道路台帳<整備>業務委託&測量",
                 "保証日数20日", "計算額が最低保証料1,000円に満たないため、最低保証料を適用", "保証料1,000円"]:
        assert item in text, item
    assert "工事名" not in text


def test_statement_refuses_a_quote_of_another_certificate(issuer):
    c = certificate()
    q = fees.quote_for(c)
    with pytest.raises(ValueError, match="does not belong to this certificate: amount"):
        render_fee_statement({**c, "guarantee_amount": 21_000_000}, q, issuer)
    with pytest.raises(ValueError, match="deadline"):
        render_fee_statement({**c, "guarantee_deadline": "2025-05-01"}, q, issuer)


def test_statement_is_deterministic(issuer):
    c = certificate()
    q = fees.quote_for(c)
    assert render_fee_statement(c, q, issuer) == render_fee_statement(c, q, issuer)


def test_pdffonts_reports_the_statement_fonts_embedded(issuer):
    c = certificate()
    pdf = render_fee_statement(c, fees.quote_for(c), issuer)
    assert_fonts_embedded(pdf)


# --- the notice's QR code --------------------------------------------------------------------------


def test_verification_url_puts_the_key_in_the_fragment_only(issuer):
    assert issuer.verify_url == "https://verify.esurety.example/verify"
    url = verification_url("31063-00001J", AUTH_KEY, issuer)
    assert url == "https://verify.esurety.example/verify?contract_number=31063-00001J#auth_key=Z28YUE4J3Bux"
    before_fragment = url.split("#", 1)[0]
    assert AUTH_KEY not in before_fragment


def test_verification_url_keeps_an_existing_query_and_escapes():
    issuer = Issuer("c", "a", "r", (), verify_url="https://orderer.example/check?lang=ja&contract_number=old")
    url = verification_url("31063 00001J", "ab+/", issuer)
    assert url == "https://orderer.example/check?lang=ja&contract_number=31063%2000001J#auth_key=ab%2B%2F"


@pytest.mark.parametrize(
    "url", ["http://verify.example/verify", "ftp://verify.example/", "https://verify.example/v#x", "verify.example"]
)
def test_bad_verify_urls_are_refused(url):
    with pytest.raises(ValueError, match="verify_url"):
        issuer_from_json({"company": "c", "address": "a", "representative": "r",
                          "branches": {"31": {"name": "n", "tel": "t"}}, "verify_url": url})


def test_notice_draws_the_qr_of_the_verification_url(issuer, monkeypatch):
    encoded = []
    real = notice_module.qr_modules

    def spy(url):
        encoded.append(url)
        return real(url)

    monkeypatch.setattr(notice_module, "qr_modules", spy)
    c = certificate()
    pdf = render_notice(c, AUTH_KEY, issuer)
    assert encoded == [verification_url(c["contract_number"], AUTH_KEY, issuer)]
    assert len(pdf) <= MAX_BYTES, len(pdf)
    assert "QRコードには保証契約番号と認証キーが入っています。" in pdf_text(pdf)


def test_qr_of_a_key_is_not_kept_in_memory(issuer):
    # The URL carries the auth key: the encoder keeps no cache of it.
    assert not hasattr(notice_module.qr_modules, "cache_info")
    c = certificate()
    count, runs = notice_module.qr_modules(verification_url(c["contract_number"], AUTH_KEY, issuer))
    assert count == 41 and runs  # version 6 at level M for this URL


def test_notice_without_verify_url_has_no_qr(issuer, monkeypatch):
    monkeypatch.setattr(notice_module, "qr_modules", lambda url: pytest.fail("no QR expected"))
    plain = Issuer(issuer.company, issuer.address, issuer.representative, issuer.branches)
    text = pdf_text(render_notice(certificate(), AUTH_KEY, plain))
    assert "照会画面" not in text and AUTH_KEY in text


def test_qr_decodes_to_the_verification_url(issuer, tmp_path):
    need("pdftoppm", "zbarimg")
    c = certificate()
    (tmp_path / "notice.pdf").write_bytes(render_notice(c, AUTH_KEY, issuer))
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(tmp_path / "notice.pdf"),
                    str(tmp_path / "notice")], check=True)
    out = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "notice.png")],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == verification_url(c["contract_number"], AUTH_KEY, issuer)


# --- the deployed site's 保証確認 page opens from the QR code (issue 9) ----------------------------


def test_the_stack_s_site_takes_the_place_of_the_issuer_file_s_verify_url(monkeypatch):
    from esurety.documents import VERIFY_URL_ENV_VAR, load_issuer

    monkeypatch.setenv(VERIFY_URL_ENV_VAR, "http://d1abc.cloudfront.localhost:4566/verify")
    url = verification_url("31063-00001J", AUTH_KEY, load_issuer())
    assert url == "http://d1abc.cloudfront.localhost:4566/verify?contract_number=31063-00001J#auth_key=Z28YUE4J3Bux"


@pytest.mark.parametrize("url", ["http://localhost.evil.example/verify", "http://cloudfront.localhost.example/verify"])
def test_plain_http_only_on_this_machine(url):
    with pytest.raises(ValueError, match="verify_url"):
        issuer_from_json({"company": "c", "address": "a", "representative": "r",
                          "branches": {"31": {"name": "n", "tel": "t"}}, "verify_url": url})


def test_the_qr_caption_says_where_the_key_travels(issuer):
    text = pdf_text(render_notice(certificate(), AUTH_KEY, issuer))
    # The key is in the code's link (after 「#」, which a browser never sends): the caption says the
    # code holds it, not that it is absent ...
    assert "QRコードには保証契約番号と認証キーが入っています。" in text
    assert "URLに含めず" not in text
    # ... that it is sent, in the body of POST /verifications, only when 閲覧 is pressed,
    assert "認証キーは「閲覧」を押すまでサーバーに送られません" in text
    # and that the link stays on the device that read it.
    assert "読み取った端末の履歴には残るため、共用の端末では読み取らないでください。" in text


@pytest.mark.parametrize(
    "change,fragment",
    [
        (lambda d: d.pop("company"), "company"),
        (lambda d: d["branches"]["31"].pop("tel"), "branches.31.tel"),
        (lambda d: d.update(representative=5), "representative"),
        (lambda d: d.update(branches={}), "at least one branch"),
    ],
)
def test_a_bad_issuer_file_is_refused_naming_the_field(change, fragment):
    data = {"company": "c", "address": "a", "representative": "r", "branches": {"31": {"name": "n", "tel": "t"}}}
    change(data)
    with pytest.raises(ValueError, match=fragment):
        issuer_from_json(data)
