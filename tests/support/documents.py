"""The certificate the renderers are given in the document tests, and how those tests read a PDF
(no AWS: the renderers alone). Test modules import these from here, never from one another."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from esurety.domain.catalogue import products

AUTH_KEY = "Z28YUE4J3Bux"
BANK = "見本銀行 宇都宮支店"
MAX_BYTES = 40 * 1024


def make_certificate(product: str, change_number: int | None, **overrides) -> dict:
    certificate = {
        "contract_number": "31073-00001M",
        "product": product,
        "product_label": products.label(product),
        "version": 1 if change_number is None else change_number + 1,
        "change_number": change_number,
        "issue_date": "2024-04-01",
        "contractor": {
            "name": "見本建設株式会社",
            "address": "栃木県宇都宮市見本町一丁目２番３号",
            "jv_name": None,
        },
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
        # Given for every product: the certificate must print it only where the product has one.
        "deposit_bank": BANK,
        "branch_code": "31",
    }
    certificate.update(overrides)
    return certificate


def squash(text: str) -> str:
    """Text without any whitespace: extraction splits spread labels and wrapped lines."""
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return squash(reader.pages[0].extract_text())


PRODUCTS = ["advance_payment", "contract", "interim_advance_payment"]
CASES = [(p, change) for p in PRODUCTS for change in (None, 1)]
