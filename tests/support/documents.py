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


SHA_NEW = "3f2a" * 16
SHA_CHANGE = "9c1e" * 16
SHA_REPLACED = "77d0" * 16
CLERK = "3c5e8a1d-0b7f-4c2e-9a61-2f4d8b7e1c90"


def make_desk_guarantee(**overrides) -> dict:
    """The desk's answer for one guarantee (`GET /desk/guarantees/{number}`) as the 寄託記録 reads it:
    新規 and a corrected 変更ー1 shown, a withdrawn 変更ー2, a receipt of 新規 and one of the record
    the 訂正 replaced; presented by 提出 to a department. `overrides` replace top-level keys."""
    certificate = make_certificate("advance_payment", 1, guarantee_amount=22_000_000, guarantee_deadline="2025-06-30")
    guarantee = {
        "status": "valid",
        "status_label": "有効",
        "ending": None,
        "current_version": 4,
        "chain_valid": True,
        "certificate": {**certificate, "version": 4, "label": "変更ー1", "issued_at": "2024-11-20T14:02:45+09:00", "sha256": SHA_CHANGE},
        "history": [
            {"no": 1, "label": "新規", "target": "新規", "version": 1, "change_number": None,
             "issued_at": "2024-04-01T09:30:12+09:00", "sha256": SHA_NEW},
            {"no": 2, "label": "変更ー1", "target": "変更", "version": 4, "change_number": 1,
             "issued_at": "2024-11-20T14:02:45+09:00", "sha256": SHA_CHANGE,
             "correction": {"corrected_at": "2024-11-20T14:02:45+09:00",
                            "replaces": {"issued_at": "2024-11-15T10:12:03+09:00", "sha256": SHA_REPLACED}}},
        ],
        "withdrawn": [{"change_number": 2, "label": "変更ー2", "cancelled_at": "2024-12-02T11:00:00+09:00", "reason": "申込内容の誤り"}],
        "receipts": [
            {"version": 1, "label": "新規", "received_by": CLERK, "received_at": "2024-04-02T10:05:00+09:00", "superseded": False},
            {"version": 2, "label": "変更ー1", "received_by": CLERK, "received_at": "2024-11-16T08:45:00+09:00", "superseded": True},
        ],
        "desk": {"contract_number": certificate["contract_number"], "issuer_name": "東都建設保証株式会社",
                 "department_id": "works", "department_name": "県土整備部 技術管理課", "via": "submission",
                 "presented_at": "2024-04-01T09:45:30+09:00", "label": "変更ー1", "status_label": "有効"},
    }
    guarantee.update(overrides)
    return guarantee
