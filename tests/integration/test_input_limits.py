"""The length limits of the printed fields keep every document at most 64 KB, signed.

Worst case: every field at its maximum length and every character a different kanji (each distinct
glyph embeds its own outline in the PDF's font subset, about 165 bytes). The printed issuer,
labels, clauses and amounts are the largest the system produces.
"""
from __future__ import annotations

import re
import subprocess

import pytest

from esurety.domain.catalogue import fees, products
from esurety.domain.application import schemas
from esurety.aws import signing
from esurety.documents.certificate import render_certificate
from esurety.documents.fee_statement import render_fee_statement
from esurety.documents.notice import render_notice
from esurety.domain.application.schemas import MAX_YEN

MAX_DOCUMENT_BYTES = 64 * 1024
A4_WIDTH, A4_HEIGHT = 595.28, 841.89
EDGE = 20  # points: no text closer to the paper's edge than this


def _kanji():
    """Distinct kanji the Mincho face can draw, in code-point order."""
    from reportlab.pdfbase import pdfmetrics

    from esurety import fonts

    fonts.ensure_fonts()
    drawable = pdfmetrics.getFont(fonts.MINCHO).face.charToGlyph
    return iter(chr(c) for c in range(0x4E00, 0xA000) if c in drawable)


def longest_certificate(product: str, electronic: bool) -> dict:
    kanji = _kanji()

    def text(length: int) -> str:
        return "".join(next(kanji) for _ in range(length))

    return {
        "contract_number": "31063-00001J",
        "product": product,
        "product_label": products.label(product),
        "version": 1,
        "change_number": None,
        "format": "electronic" if electronic else "paper",
        "issue_date": "2024-04-01",
        "contractor": {
            "name": text(schemas.MAX_CONTRACTOR_NAME),
            "address": text(schemas.MAX_ADDRESS),
            "jv_name": text(schemas.MAX_JV_NAME),
        },
        # Electronic: from the registry; paper may type it (MAX_BENEFICIARY).
        "beneficiary": text(schemas.MAX_BENEFICIARY),
        "orderer_id": None if not electronic else "tochigi-pref",
        "orderer_name": text(schemas.MAX_ORDERER_NAME),
        "guarantee_amount": MAX_YEN,
        "guarantee_deadline": "2034-04-01",
        "work_name": text(schemas.MAX_WORK_NAME),
        "work_kind": "construction",
        "contract_price": MAX_YEN,
        "period_start": "2024-04-02",
        "period_end": "2034-03-31",
        "contract_date": "2024-04-01",
        "deposit_bank": text(schemas.MAX_DEPOSIT_BANK) if products.has_deposit_bank(product) else None,
        "branch_code": "31",
    }


@pytest.mark.parametrize("product", [p.value for p in products.Product])
@pytest.mark.parametrize("electronic", [True, False])
def test_every_document_at_maximum_lengths_is_at_most_64_kb_signed(cloud, product, electronic):
    certificate = longest_certificate(product, electronic)
    sizes = {
        "certificate": len(signing.sign_pdf(render_certificate(certificate), issuer=None)),
        "fee statement": len(signing.sign_pdf(render_fee_statement(certificate, fees.quote_for(certificate)), issuer=None)),
    }
    if electronic:
        sizes["notice"] = len(signing.sign_pdf(render_notice(certificate, "Z28YUE4J3Bux"), issuer=None))
    assert max(sizes.values()) <= MAX_DOCUMENT_BYTES, sizes


def _words(pdf: bytes) -> list[tuple[float, float, float, float, str]]:
    """Each word poppler finds on the page, with its box (points, origin top left)."""
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    pattern = r'<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>'
    return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(pattern, out)]


def _layout_problems(pdf: bytes) -> list:
    words = _words(pdf)
    problems = [("off the page", w[4]) for w in words if w[0] < EDGE or w[1] < EDGE or w[2] > A4_WIDTH - EDGE or w[3] > A4_HEIGHT - EDGE]
    for i, a in enumerate(words):
        for b in words[i + 1 :]:
            if a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5:
                problems.append(("overlap", a[4], b[4]))
    return problems


@pytest.mark.parametrize("product", [p.value for p in products.Product])
def test_every_document_at_maximum_lengths_stays_on_its_page_without_overlaps(product):
    certificate = longest_certificate(product, electronic=True)
    documents = {
        "certificate": render_certificate(certificate),
        "fee statement": render_fee_statement(certificate, fees.quote_for(certificate)),
        "notice": render_notice(certificate, "Z28YUE4J3Bux"),
    }
    for name, pdf in documents.items():
        assert len(_words(pdf)) > 20, name
        assert _layout_problems(pdf) == [], name
