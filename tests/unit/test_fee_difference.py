"""保証料計算書 / 保証料返還計算書 of a 変更 or a 解約: what the contractor reads on the page."""
from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image  # Pillow comes with reportlab
from pypdf import PdfReader

from esurety.domain.guarantee import changes
from esurety.domain.catalogue import fees, products
from esurety.documents import load_issuer
from esurety.documents.fee_difference import render_fee_difference
from esurety.domain.japanese.money import yen
from pdf_checks import assert_fonts_embedded
from system_tools import need

CHANGE_DAY = date(2024, 10, 1)
ENDED_ON = date(2024, 12, 20)


def certificate(**overrides) -> dict:
    data = {
        "contract_number": "31073-00001M",
        "product": "advance_payment",
        "product_label": products.label("advance_payment"),
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
        "period_start": "2024-04-01",
        "period_end": "2025-03-31",
        "contract_date": "2024-03-25",
        "deposit_bank": "見本銀行 宇都宮支店",
        "branch_code": "31",
    }
    data.update(overrides)
    return data


def changed(before: dict, request: dict, number: int = 1) -> dict:
    """The new version: the content restated with the change, issued on CHANGE_DAY (変更ーnumber)."""
    return {**changes.apply_change(before, request, CHANGE_DAY), "change_number": number, "version": number + 1}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return squash(reader.pages[0].extract_text())


@pytest.fixture(autouse=True)
def packaged_tables(monkeypatch):
    monkeypatch.delenv(fees.ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def issuer():
    return load_issuer()


def test_an_increase_charges_the_additional_fee_of_the_remaining_period(issuer):
    before = certificate()
    after = changed(before, {"guarantee": {"amount": 24_000_000, "deadline": "2025-06-30"}})
    difference = changes.change_fee(before, after, CHANGE_DAY)
    assert difference.kind == "additional" and difference.amount > 0

    text = page_text(render_fee_difference(after, difference, occasion="change", issuer=issuer))
    assert "保証料計算書" in text and "返還" not in text
    assert "変更ー1" in text
    assert squash(f"追加保証料{yen(changes.change_fee(before, after, CHANGE_DAY).amount)}") in text
    assert squash(f"差引追加保証料{yen(difference.amount)}") in text
    # Both sides: the amounts, the periods from the change's issue date in 令和, the days, the fees.
    assert squash(f"変更前{yen(20_000_000)}令和06年10月01日～令和07年04月30日212日{yen(difference.before.computed_fee)}") in text
    assert squash(f"変更後{yen(24_000_000)}令和06年10月01日～令和07年06月30日273日{yen(difference.after.computed_fee)}") in text
    assert "変更日令和06年10月01日" in text
    assert "最低保証料を適用しません" in text
    assert "追加保証料の領収証は、書面にてお渡しします" in text
    assert fees.SAMPLE_MARK in text and "実際の保証料率ではありません" in text
    assert "見本建設株式会社様" in text and issuer.company in text


def test_a_withdrawn_increase_returns_what_it_charged_on_a_statement_of_its_own(issuer):
    """変更取消 of 変更ー1: its difference reversed, same quotes, the day of the 変更取消 printed."""
    before = certificate()
    after = changed(before, {"guarantee": {"amount": 24_000_000}})
    charged = changes.change_fee(before, after, CHANGE_DAY)
    withdrawn = changes.withdrawal_fee(before, after, CHANGE_DAY)
    assert (withdrawn.kind, withdrawn.amount) == ("refund", charged.amount) and charged.amount > 0

    text = page_text(render_fee_difference(after, withdrawn, occasion="cancellation", cancelled_on=date(2024, 10, 20), issuer=issuer))
    assert "保証料返還計算書" in text and "変更ー1・取消" in text
    assert squash(f"返還保証料{yen(charged.amount)}") in text
    assert squash(f"取消前{yen(24_000_000)}") in text and squash(f"取消後{yen(20_000_000)}") in text
    assert "変更取消日令和06年10月20日" in text and "追加保証料は請求いたしません" in text
    with pytest.raises(ValueError):  # the change's own difference, not reversed
        render_fee_difference(after, charged, occasion="cancellation", cancelled_on=date(2024, 10, 20), issuer=issuer)
    with pytest.raises(ValueError):  # the day of the 変更取消 is needed
        render_fee_difference(after, withdrawn, occasion="cancellation", issuer=issuer)
    with pytest.raises(ValueError):  # and only for a 変更取消
        render_fee_difference(after, charged, occasion="change", cancelled_on=date(2024, 10, 20), issuer=issuer)


def test_a_decrease_returns_the_difference(issuer):
    before = certificate()
    after = changed(before, {"guarantee": {"amount": 10_000_000}}, number=2)
    difference = changes.change_fee(before, after, CHANGE_DAY)
    assert difference.kind == "refund"

    text = page_text(render_fee_difference(after, difference, occasion="change", issuer=issuer))
    assert "保証料返還計算書" in text and "変更ー2" in text
    assert squash(f"返還保証料{yen(difference.amount)}") in text
    assert "追加保証料" not in text
    assert yen(difference.before.computed_fee).replace(" ", "") in text
    assert yen(difference.after.computed_fee).replace(" ", "") in text
    assert "返還保証料は、ご指定の口座にお振込みいたします" in text


def test_termination_returns_the_fee_of_the_days_after_it(issuer):
    content = certificate()
    refund = changes.termination_refund(content, ENDED_ON)
    pdf = render_fee_difference(content, refund, occasion="termination", issuer=issuer)
    text = page_text(pdf)
    assert "保証料返還計算書" in text and "（解約）" in text
    assert "解約日令和06年12月20日" in text
    assert squash(f"返還保証料{yen(refund.amount)}") in text
    assert squash(f"解約前{yen(20_000_000)}令和06年12月21日～令和07年04月30日131日{yen(refund.amount)}") in text
    assert squash(f"解約後解約{yen(0)}") in text
    assert "解約日の翌日から保証期限まで" in text
    assert "変更ー" not in text
    # The 解約日 given explicitly is the same statement.
    assert render_fee_difference(content, refund, occasion="termination", ended_on=ENDED_ON, issuer=issuer) == pdf


def test_a_change_that_costs_nothing_says_so(issuer):
    before = certificate()
    after = changed(before, {"work": {"period_end": "2025-04-15"}})  # the works period only
    difference = changes.change_fee(before, after, CHANGE_DAY)
    assert difference.kind == "none"
    text = page_text(render_fee_difference(after, difference, occasion="change", issuer=issuer))
    assert "保証料計算書" in text and squash(f"追加保証料{yen(0)}") in text
    assert "追加・返還する保証料はありません" in text


def test_a_real_rate_table_has_no_sample_mark(issuer):
    table = fees.parse_fee_table(
        json.loads(
            json.dumps(
                {
                    "sample": False,
                    "day_basis": 365,
                    "products": {"advance_payment": {"minimum_fee": 1000, "bands": [{"up_to": None, "annual_rate_percent": 0.5}]}},
                }
            ),
            parse_float=Decimal,
        )
    )
    before = certificate()
    after = changed(before, {"guarantee": {"amount": 24_000_000}})
    text = page_text(render_fee_difference(after, changes.change_fee(before, after, CHANGE_DAY, table), occasion="change", issuer=issuer))
    assert fees.SAMPLE_MARK not in text and "全額0.50%" in text


def test_a_difference_of_another_certificate_is_refused(issuer):
    before = certificate()
    after = changed(before, {"guarantee": {"amount": 24_000_000}})
    difference = changes.change_fee(before, after, CHANGE_DAY)
    with pytest.raises(ValueError, match="does not belong to this certificate: after amount"):
        render_fee_difference(before | {"issue_date": "2024-10-01"}, difference, occasion="change", issuer=issuer)
    with pytest.raises(ValueError, match="not the difference of the quotes"):
        render_fee_difference(after, changes.FeeDifference("refund", difference.amount, difference.before, difference.after), occasion="change", issuer=issuer)
    with pytest.raises(ValueError, match="occasion"):
        render_fee_difference(after, difference, occasion="cancel", issuer=issuer)
    refund = changes.termination_refund(before, ENDED_ON)
    with pytest.raises(ValueError, match="before issue_date"):
        render_fee_difference(before, refund, occasion="termination", ended_on=date(2024, 12, 1), issuer=issuer)


def test_fonts_embedded_one_page_and_same_bytes_for_the_same_input(issuer, frozen_clock):
    before = certificate()
    after = changed(before, {"guarantee": {"amount": 24_000_000}})
    difference = changes.change_fee(before, after, CHANGE_DAY)
    refund = changes.termination_refund(before, ENDED_ON)
    for render in (
        lambda: render_fee_difference(after, difference, occasion="change", issuer=issuer),
        lambda: render_fee_difference(before, refund, occasion="termination", issuer=issuer),
    ):
        pdf = render()
        assert render() == pdf
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        for ref in reader.pages[0]["/Resources"]["/Font"].values():
            font = ref.get_object()
            assert "IPAex" in str(font["/BaseFont"]) and "/FontFile2" in font["/FontDescriptor"].get_object()
        assert_fonts_embedded(pdf)  # pdffonts: every font embedded, subset, with a Unicode map
        assert len(pdf) < 40 * 1024
        assert "31073-00001M" in reader.metadata.title


def test_the_largest_band_table_stays_inside_the_page(issuer, tmp_path):
    """Four bands on both sides (1億円超): every mark on the page keeps clear of the bottom margin."""
    need("pdftoppm")
    before = certificate(guarantee_amount=1_500_000_000, contract_price=4_000_000_000)
    after = changed(before, {"guarantee": {"amount": 1_800_000_000}})
    difference = changes.change_fee(before, after, CHANGE_DAY)
    assert len(difference.before.lines) == len(difference.after.lines) == 4
    pdf_path = tmp_path / "statement.pdf"
    pdf_path.write_bytes(render_fee_difference(after, difference, occasion="change", issuer=issuer))
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-singlefile", str(pdf_path), str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png").convert("L")
    ink = page.point(lambda value: 255 if value < 200 else 0).getbbox()
    margin = 28 / 72 * 50  # at least 28 pt of paper below the last line (以上)
    assert ink is not None and ink[3] < page.height - margin, (ink, page.size)
    text = page_text(pdf_path.read_bytes())
    assert "1億円超の部分" in text and squash(f"追加保証料{yen(difference.amount)}") in text


def test_termination_on_the_deadline_returns_nothing_and_needs_its_date(issuer):
    content = certificate()
    nothing = changes.termination_refund(content, date(2025, 4, 30))
    assert (nothing.kind, nothing.before) == ("none", None)
    with pytest.raises(ValueError, match="give ended_on"):
        render_fee_difference(content, nothing, occasion="termination", issuer=issuer)
    text = page_text(render_fee_difference(content, nothing, occasion="termination", ended_on=date(2025, 4, 30), issuer=issuer))
    assert "保証料計算書" in text and "解約日令和07年04月30日" in text
    assert squash(f"返還保証料{yen(0)}") in text and "追加・返還する保証料はありません" in text
    assert squash(f"解約前残りの保証期間なし{yen(0)}") in text
