"""Render the documents from fixed sample data and write their pictures: the visual-regression references.

    .venv/bin/python tools/update_reference_images.py           # tests/reference/*.png (50 dpi)
    .venv/bin/python tools/update_reference_images.py --docs    # also docs/images/*.png (60 dpi)

For each product it renders a new certificate, a changed one (変更ー1), the auth-key notice and the
fee statement (and, for 前払金保証, the statements of a change and of a 解約, and the 寄託記録 of the
orderer's evidence file), turns each into a PNG with poppler's `pdftoppm -png -r 50`, and writes
`tests/reference/<product>-<document>.png`. The same four documents of the other kinds of issuer
(the insurer's 公共工事履行保証証券, the bank's 保証書, both for 契約保証) are
`tests/reference/contract-<kind>-<document>.png` (`ISSUER_SAMPLES`). `tests/unit/test_document_images.py` renders the same
documents the same way and compares them with these files, pixel by pixel with a tolerance.

Run it when a change of the layout is intended, then LOOK at every picture before committing
them. The sample data is fictional. The issuers are the packaged seed's (`esurety/data/issuers.json`) and
the fee tables the packaged one (`esurety/data/fee_rates.json`) or the seed issuer's own, whatever
ESURETY_ISSUER_FILE and ESURETY_FEE_TABLE_FILE say, so that the pictures do not depend on the environment.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = ROOT / "tests" / "reference"
DOCS_IMAGE_DIR = ROOT / "docs" / "images"
REFERENCE_DPI = 50
DOCS_DPI = 60

PRODUCTS = ("advance_payment", "contract", "interim_advance_payment")
AUTH_KEY = "Z28YUE4J3Bux"  # the brochure's sample key

# The documents of the issuers that are not the surety: (kind in the file names, seed issuer id).
ISSUER_SAMPLES = (("performance-bond", "mihon-sonpo"), ("bank-guarantee", "mirai-bank"))
ISSUER_DOCUMENTS = ("new", "change1", "notice", "fee-statement")

# One picture per document kind in docs/documents.md: (reference name, file name under docs/images).
DOCS_PICTURES = {
    "advance_payment-certificate-new": "certificate.png",
    "advance_payment-notice": "notice.png",
    "advance_payment-fee-statement": "fee-statement.png",
    "advance_payment-fee-difference": "fee-difference.png",
    "advance_payment-fee-refund": "fee-refund.png",
    "advance_payment-deposit-record": "deposit-record.png",
    "contract-performance-bond-new": "performance-bond.png",
    "contract-bank-guarantee-new": "bank-guarantee.png",
}


def sample_certificate(product: str, change_number: int | None = None) -> dict:
    """A fictional certificate of `product` in the renderers' input shape; a change raises amount and deadline."""
    from esurety.domain.identifiers import contract_number
    from esurety.domain.catalogue import products

    common = {
        "contract_number": contract_number.make("31", 2024, product, 1),
        "product": product,
        "product_label": products.label(product),
        "branch_code": "31",
        "format": "electronic",
        "issue_date": "2024-04-01",
        "contractor": {
            "name": "見本建設株式会社",
            "address": "栃木県宇都宮市見本町一丁目２番３号",
            "jv_name": None,
        },
        "beneficiary": "栃木県知事",
        "orderer_id": "tochigi-pref",
        "work_name": "県道宇都宮見本線道路改良工事（その２）",
        "work_kind": "construction",
        "contract_price": 50_000_000,
        "period_start": "2024-04-02",
        "period_end": "2025-03-14",
        "contract_date": "2024-03-28",
        "deposit_bank": None,
        "version": 1,
        "change_number": None,
    }
    if product == "advance_payment":
        common.update(guarantee_amount=20_000_000, guarantee_deadline="2025-04-30",
                      deposit_bank="見本銀行 宇都宮支店")
    elif product == "contract":
        common.update(
            guarantee_amount=5_000_000,
            guarantee_deadline="2025-03-14",
            contractor={
                "name": "見本建設株式会社",
                "address": "栃木県宇都宮市見本町一丁目２番３号",
                "jv_name": "見本・架空特定建設工事共同企業体",
            },
        )
    else:
        common.update(
            guarantee_amount=10_000_000,
            guarantee_deadline="2025-04-30",
            deposit_bank="見本銀行 宇都宮支店",
            beneficiary="見本市長",
            orderer_id="mihon-city",
            work_name="市道見本一号線舗装補修工事",
            work_kind="construction",
            contract_price=48_000_000,
            issue_date="2024-10-01",
        )
    if change_number is not None:
        common.update(
            version=change_number + 1,
            change_number=change_number,
            issue_date="2024-11-15",
            guarantee_amount=common["guarantee_amount"] + 2_000_000,
            contract_price=common["contract_price"] + 5_000_000,
            guarantee_deadline="2025-06-30",
            period_end="2025-05-30",
        )
    return common


def sample_deposit_guarantee() -> dict:
    """The desk's answer for the sample 前払金保証 (fictional): 新規 and a corrected 変更ー1 shown, a
    withdrawn 変更ー2, two receipts (one of the certificate the 訂正 replaced), presented by 提出."""
    new, change = sample_certificate("advance_payment"), sample_certificate("advance_payment", 1)
    clerk = "3c5e8a1d-0b7f-4c2e-9a61-2f4d8b7e1c90"
    return {
        "status": "valid",
        "status_label": "有効",
        "ending": None,
        "chain_valid": True,
        "certificate": {**change, "version": 4, "label": "変更ー1", "issued_at": "2024-11-20T14:02:45+09:00"},
        "history": [
            {"no": 1, "label": "新規", "target": "新規", "version": 1, "issued_at": "2024-04-01T09:30:12+09:00",
             "sha256": "5d41402abc4b2a76b9719d911017c592e3b0c44298fc1c149afbf4c8996fb924"},
            {"no": 2, "label": "変更ー1", "target": "変更", "version": 4, "issued_at": "2024-11-20T14:02:45+09:00",
             "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
             "correction": {"corrected_at": "2024-11-20T14:02:45+09:00",
                            "replaces": {"issued_at": "2024-11-15T10:12:03+09:00",
                                         "sha256": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"}}},
        ],
        "withdrawn": [{"change_number": 2, "label": "変更ー2", "cancelled_at": "2024-12-02T11:00:00+09:00", "reason": "申込内容の誤り"}],
        "receipts": [
            {"version": 1, "label": "新規", "received_by": clerk, "received_at": "2024-04-02T10:05:00+09:00", "superseded": False},
            {"version": 2, "label": "変更ー1", "received_by": clerk, "received_at": "2024-11-16T08:45:00+09:00", "superseded": True},
        ],
        "desk": {"contract_number": new["contract_number"], "issuer_name": "東都建設保証株式会社",
                 "department_name": "県土整備部 技術管理課", "via": "submission",
                 "presented_at": "2024-04-01T09:45:30+09:00"},
    }


def issuer_certificate(issuer, change_number: int | None = None) -> dict:
    """The sample 契約保証 as `issuer` issues it: numbered with its code at its first branch."""
    from esurety.domain.identifiers import contract_number

    branch = issuer.branches[0].code
    return {
        **sample_certificate("contract", change_number),
        "branch_code": branch,
        "contract_number": contract_number.make(branch, 2024, "contract", 1, issuer_code=issuer.number_code),
    }


def issuer_fee_table(issuer):
    """The issuer's own fee table (the seed's sample rates), else the packaged one."""
    from esurety.domain.catalogue import fees

    if issuer.fee_rates is None:
        return fees.packaged_fee_table()
    return fees.parse_fee_table(issuer.fee_rates, f"issuer {issuer.issuer_id}")


def packaged_issuer(issuer_id: str | None = None):
    """The packaged seed's issuer (the default: the platform's first surety), as the references print it."""
    from esurety.domain.catalogue.issuer import DEFAULT_ISSUER_ID, issuer_from_json, seed_entries

    wanted = issuer_id or DEFAULT_ISSUER_ID
    return issuer_from_json(next(entry for entry in seed_entries() if entry["issuer_id"] == wanted))


def render_all() -> dict[str, bytes]:
    """{reference name: PDF bytes} for every document of every product."""
    from datetime import date, datetime

    from esurety.domain.guarantee import changes
    from esurety.domain.catalogue import fees
    from esurety.documents.certificate import render_certificate
    from esurety.documents.deposit_record import render_deposit_record
    from esurety.domain.japanese.clock import JST
    from esurety.documents.fee_difference import render_fee_difference
    from esurety.documents.fee_statement import render_fee_statement
    from esurety.documents.notice import render_notice

    issuer, table = packaged_issuer(), fees.packaged_fee_table()
    out: dict[str, bytes] = {}
    for product in PRODUCTS:
        new, change = sample_certificate(product), sample_certificate(product, 1)
        out[f"{product}-certificate-new"] = render_certificate(new, issuer)
        out[f"{product}-certificate-change1"] = render_certificate(change, issuer)
        out[f"{product}-notice"] = render_notice(new, AUTH_KEY, issuer)
        out[f"{product}-fee-statement"] = render_fee_statement(new, fees.quote_for(new, table), issuer)
    # The insurer's and the bank's documents, through the same entry points.
    for kind, issuer_id in ISSUER_SAMPLES:
        other = packaged_issuer(issuer_id)
        new, change = issuer_certificate(other), issuer_certificate(other, 1)
        out[f"contract-{kind}-new"] = render_certificate(new, other)
        out[f"contract-{kind}-change1"] = render_certificate(change, other)
        out[f"contract-{kind}-notice"] = render_notice(new, AUTH_KEY, other)
        out[f"contract-{kind}-fee-statement"] = render_fee_statement(new, fees.quote_for(new, issuer_fee_table(other)), other)
    # The statements of a change (追加保証料) and of a 解約 (保証料返還計算書), of one product.
    new, change = sample_certificate("advance_payment"), sample_certificate("advance_payment", 1)
    increase = changes.change_fee(new, change, date.fromisoformat(change["issue_date"]), table)
    out["advance_payment-fee-difference"] = render_fee_difference(change, increase, occasion="change", issuer=issuer)
    ended_on = date(2024, 9, 30)
    refund = changes.termination_refund(new, ended_on, table)
    out["advance_payment-fee-refund"] = render_fee_difference(new, refund, occasion="termination", ended_on=ended_on, issuer=issuer)
    # The orderer's 寄託記録, made at a fixed time.
    made_at = datetime(2024, 12, 6, 14, 35, 12, tzinfo=JST)
    out["advance_payment-deposit-record"] = render_deposit_record(sample_deposit_guarantee(), issuer, made_at)
    return out


def to_png(pdf: bytes, dpi: int = REFERENCE_DPI) -> bytes:
    """The first page as PNG, rendered by poppler's pdftoppm at `dpi`."""
    if shutil.which("pdftoppm") is None:
        raise RuntimeError("pdftoppm not found: install poppler-utils (apt-get install poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "document.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(source), str(Path(tmp) / "page")],
            check=True,
            capture_output=True,
        )
        return (Path(tmp) / "page.png").read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", action="store_true", help=f"also write docs/images/*.png at {DOCS_DPI} dpi")
    args = parser.parse_args(argv)

    pdfs = render_all()
    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    for name, pdf in pdfs.items():
        png = to_png(pdf)
        (REFERENCE_DIR / f"{name}.png").write_bytes(png)
        print(f"{REFERENCE_DIR.relative_to(ROOT)}/{name}.png  {len(png) / 1000:6.1f} kB   (PDF {len(pdf) / 1000:.1f} kB)")
    if args.docs:
        DOCS_IMAGE_DIR.mkdir(parents=True, exist_ok=True)
        for name, filename in DOCS_PICTURES.items():
            png = to_png(pdfs[name], DOCS_DPI)
            (DOCS_IMAGE_DIR / filename).write_bytes(png)
            print(f"{DOCS_IMAGE_DIR.relative_to(ROOT)}/{filename}  {len(png) / 1000:6.1f} kB")
    print("Look at every picture before committing them.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
