"""保証証書: the electronic certificate as a one-page A4 PDF, and the one entry point for every
guarantee document.

`render_certificate(certificate, issuer)` draws the document the issuer issues for the product
(`Issuer.document_for`): the surety's 保証証書 here, the insurer's 公共工事履行保証証券
(`performance_bond`), the bank's 保証書 (`bank_guarantee`). Callers need not know which.

The 保証証書 follows the paper certificate: the title with the product (保証証書（前払金保証）), for a change
「変更ー」 and the change number under it, a framed table of the contract, the issue date in the
Japanese era, the clause sentence, the issuer, the handling branch, the mark that no paper certificate
is issued, and the two notes (the page itself: `formal`).

The whole certificate is set in Mincho, as paper surety certificates are. Every distinct glyph of a
face costs 150-180 bytes in the PDF, so a second face for the headings would push a certificate past
40 KB; the title is set apart by size and letter spacing instead.
"""
from __future__ import annotations

from typing import Any, Mapping

from reportlab.platypus import Paragraph

from ..domain.catalogue import products
from ..domain.catalogue.issuer import Document
from ..domain.japanese.money import yen
from ..fonts import ensure_fonts
from . import INK, Issuer, load_issuer, markup, serialised, wareki_of, work_label
from .bank_guarantee import render_bank_guarantee
from .formal import (
    CONTENT_WIDTH,
    FACE,
    MARGIN_X,
    PAGE_HEIGHT,
    change_mark,
    draw_issuer,
    draw_notes,
    draw_title,
    flow,
    holder_lines,
    open_document,
    period,
    ruled_table,
    style,
)
from .kinds import Wording, wording
from .performance_bond import render_performance_bond

NOTES = (
    "保証契約を変更する場合は、表題の下に「変更ー」の表示と変更の発生番号を付記し、"
    "変更後の契約内容を表示します。",
    "請負金額のみの変更の場合は、この保証契約の効力に影響を及ぼさないので、"
    "保証契約変更の手続きをとる必要はありません。",
)


def _rows(certificate: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, paragraph markup) in the order of the paper certificate."""
    rows = [
        ("保証契約番号", markup(certificate["contract_number"])),
        ("保証契約者", "<br/>".join(holder_lines(certificate.get("contractor") or {}))),
        ("被保証者", markup(certificate["beneficiary"])),
        ("保証金額（総額）", markup(yen(certificate["guarantee_amount"]))),
        ("保証期限", wareki_of(certificate["guarantee_deadline"])),
        (work_label(certificate), markup(certificate["work_name"])),
        ("請負金額（総額）", markup(yen(certificate["contract_price"]))),
        ("工期", period(certificate["period_start"], certificate["period_end"])),
        ("請負契約日", wareki_of(certificate["contract_date"])),
    ]
    if products.has_deposit_bank(certificate["product"]):
        rows.append(("預託金融機関", markup(certificate.get("deposit_bank") or "")))
    if certificate.get("advance_contract_number"):  # 中間前払金保証: the 前払金保証 it follows
        rows.append(("前払金保証契約番号", markup(certificate["advance_contract_number"])))
    return rows


def _render_surety_certificate(certificate: Mapping[str, Any], issuer: Issuer, words: Wording) -> bytes:
    buffer, c = open_document(certificate, issuer, words)
    y = PAGE_HEIGHT - 58 - 66
    draw_title(c, words.title, change_mark(certificate), y)
    y -= 52
    y = flow(c, ruled_table(_rows(certificate)), MARGIN_X, y, CONTENT_WIDTH) - 38

    c.setFillColor(INK)
    c.setFont(FACE, 11)
    c.drawString(MARGIN_X + 12, y, wareki_of(certificate["issue_date"]))
    y -= 12
    clause = "　" + markup(products.clause_sentence(certificate["product"]))
    y = flow(c, Paragraph(clause, style("clause")), MARGIN_X + 12, y, CONTENT_WIDTH - 12) - 34

    draw_issuer(c, issuer, certificate.get("branch_code"), y)
    draw_notes(c, NOTES)
    c.showPage()
    c.save()
    return buffer.getvalue()


@serialised
def render_certificate(certificate: Mapping[str, Any], issuer: Issuer | None = None) -> bytes:
    """The document `issuer` issues for the certificate's product, as PDF bytes; identical input
    gives identical bytes. ValueError when the issuer does not offer the product."""
    ensure_fonts()
    issuer = issuer or load_issuer()
    words = wording(certificate, issuer)
    render = {
        Document.SURETY_CERTIFICATE: _render_surety_certificate,
        Document.PERFORMANCE_BOND: render_performance_bond,
        Document.BANK_GUARANTEE: render_bank_guarantee,
    }[words.document]
    return render(certificate, issuer, words)
