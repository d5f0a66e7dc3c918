"""保証証書: the electronic certificate as a one-page A4 PDF.

Layout follows the paper certificate: the title with the product (保証証書（前払金保証）), for a change
「変更ー」 and the change number under it, a framed table of the contract, the issue date in the
Japanese era, the clause sentence, the issuer, the handling branch, the mark that no paper certificate
is issued, and the two notes.

The whole certificate is set in Mincho, as paper surety certificates are. Every distinct glyph of a
face costs 150-180 bytes in the PDF, so a second face for the headings would push a certificate past
40 KB; the title is set apart by size and letter spacing instead.
"""
from __future__ import annotations

import io
from typing import Any, Mapping

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from ..domain.catalogue import products
from ..domain.guarantee.certificates import label as version_label
from ..fonts import MINCHO, ensure_fonts
from ..domain.japanese.money import yen
from . import (
    INK,
    LABEL_FILL,
    STAMP,
    Issuer,
    load_issuer,
    markup,
    new_canvas,
    paragraph_styles,
    product_label,
    serialised,
    wareki_of,
    work_label,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 62
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
LABEL_WIDTH = 118
FACE = MINCHO

NO_PAPER_MARK = ("保証証書（書面）の発行は行わない", "電子的な取扱となります")
NOTES = (
    "保証契約を変更する場合は、表題の下に「変更ー」の表示と変更の発生番号を付記し、"
    "変更後の契約内容を表示します。",
    "請負金額のみの変更の場合は、この保証契約の効力に影響を及ぼさないので、"
    "保証契約変更の手続きをとる必要はありません。",
)

RULE = colors.Color(0.25, 0.25, 0.25)

_STYLES = paragraph_styles(
    FACE,
    label=dict(fontSize=10.5, leading=14),
    value=dict(fontSize=11, leading=16),
    clause=dict(fontSize=11, leading=17),
    note=dict(fontSize=8.2, leading=12, leftIndent=15, firstLineIndent=-15),
)


def _style(name: str) -> ParagraphStyle:
    return _STYLES[name]


def _rows(certificate: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, paragraph markup) in the order of the paper certificate."""
    contractor = certificate.get("contractor") or {}
    holder = [markup(contractor.get("address"))]
    if contractor.get("jv_name"):
        holder.append(markup(contractor["jv_name"]))
        holder.append("代表者　" + markup(contractor.get("name")))
    else:
        holder.append(markup(contractor.get("name")))
    period = f"{wareki_of(certificate['period_start'])} ～ {wareki_of(certificate['period_end'])}"
    rows = [
        ("保証契約番号", markup(certificate["contract_number"])),
        ("保証契約者", "<br/>".join(holder)),
        ("被保証者", markup(certificate["beneficiary"])),
        ("保証金額（総額）", markup(yen(certificate["guarantee_amount"]))),
        ("保証期限", wareki_of(certificate["guarantee_deadline"])),
        (work_label(certificate), markup(certificate["work_name"])),
        ("請負金額（総額）", markup(yen(certificate["contract_price"]))),
        ("工期", period),
        ("請負契約日", wareki_of(certificate["contract_date"])),
    ]
    if products.has_deposit_bank(certificate["product"]):
        rows.append(("預託金融機関", markup(certificate.get("deposit_bank") or "")))
    if certificate.get("advance_contract_number"):  # 中間前払金保証: the 前払金保証 it follows
        rows.append(("前払金保証契約番号", markup(certificate["advance_contract_number"])))
    return rows


def _table(certificate: Mapping[str, Any]) -> Table:
    data = [
        [Paragraph(label, _style("label")), Paragraph(value, _style("value"))]
        for label, value in _rows(certificate)
    ]
    table = Table(data, colWidths=[LABEL_WIDTH, CONTENT_WIDTH - LABEL_WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FACE),  # not the default (unembedded) Helvetica
                ("BOX", (0, 0), (-1, -1), 1.1, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.45, RULE),
                ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (0, -1), 10),
                ("LEFTPADDING", (1, 0), (1, -1), 12),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return table


def _draw_frame(c: Canvas) -> None:
    c.setStrokeColor(RULE)
    c.setLineWidth(1.2)
    c.rect(30, 30, PAGE_WIDTH - 60, PAGE_HEIGHT - 60)
    c.setLineWidth(0.4)
    c.rect(34, 34, PAGE_WIDTH - 68, PAGE_HEIGHT - 68)


def _draw_no_paper_mark(c: Canvas, top: float) -> None:
    size = 8.5
    width = max(c.stringWidth(line, FACE, size) for line in NO_PAPER_MARK) + 16
    height = 2 * size + 15
    x = PAGE_WIDTH - MARGIN_X - width
    y = top - height
    c.saveState()
    c.setStrokeColor(STAMP)
    c.setFillColor(STAMP)
    c.setLineWidth(0.9)
    c.roundRect(x, y, width, height, 3)
    c.setFont(FACE, size)
    c.drawCentredString(x + width / 2, y + height - 6 - size, NO_PAPER_MARK[0])
    c.drawCentredString(x + width / 2, y + 6.5, NO_PAPER_MARK[1])
    c.restoreState()


def _draw_issuer(c: Canvas, issuer: Issuer, branch_code: str | None, top: float) -> None:
    """The issuer on the right, the handling branch (取扱箇所) in a box on the left."""
    x = PAGE_WIDTH / 2 + 14
    c.setFillColor(INK)
    c.setFont(FACE, 10)
    c.drawString(x, top - 10, issuer.address)
    c.setFont(FACE, 15)
    c.drawString(x, top - 34, issuer.company)
    c.setFont(FACE, 11.5)
    c.drawString(x, top - 56, issuer.representative)

    branch = issuer.branch(branch_code)
    lines = [f"TEL：{branch.tel}"] + ([f"FAX：{branch.fax}"] if branch.fax else [])
    box_w, box_h = 150, 22 + 13 * len(lines)
    box_y = top - 58
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    c.rect(MARGIN_X, box_y, box_w, box_h)
    c.setFont(FACE, 9.5)
    c.drawString(MARGIN_X + 8, box_y + box_h - 15, f"取扱箇所　{branch.name}")
    c.setFont(FACE, 9)
    for i, line in enumerate(lines):
        c.drawString(MARGIN_X + 8, box_y + box_h - 30 - 13 * i, line)


def _draw_notes(c: Canvas) -> None:
    """（注）1. and 2. at the foot of the page, 「（注）」 hanging to the left of the numbers."""
    style = _style("note")
    lead = c.stringWidth("（注）", FACE, style.fontSize)
    notes = [Paragraph(f"{i}.　" + markup(text), style) for i, text in enumerate(NOTES, 1)]
    heights = [note.wrapOn(c, CONTENT_WIDTH - lead, PAGE_HEIGHT)[1] for note in notes]
    y = 54 + sum(heights) + 2 * (len(notes) - 1)
    c.setFillColor(INK)
    c.setFont(FACE, style.fontSize)
    c.drawString(MARGIN_X, y - style.fontSize, "（注）")
    for note, height in zip(notes, heights):
        note.drawOn(c, MARGIN_X + lead, y - height)
        y -= height + 2


@serialised
def render_certificate(certificate: Mapping[str, Any], issuer: Issuer | None = None) -> bytes:
    """The certificate as PDF bytes; identical input gives identical bytes."""
    ensure_fonts()
    issuer = issuer or load_issuer()
    label = product_label(certificate)
    title = f"保証証書（{label}）"
    change_number = certificate.get("change_number")
    change_mark = version_label(change_number) if change_number is not None else None

    buffer = io.BytesIO()
    c = new_canvas(
        buffer,
        title=" ".join(filter(None, [title, certificate["contract_number"], change_mark])),
        author=issuer.company,
        subject=label,
    )
    _draw_frame(c)
    y = PAGE_HEIGHT - 58
    if certificate.get("format", "electronic") == "electronic":  # a paper certificate is the paper
        _draw_no_paper_mark(c, y)

    y -= 66
    c.setFillColor(INK)
    c.setFont(FACE, 22)
    c.drawCentredString(PAGE_WIDTH / 2, y, title, charSpace=4)
    if change_mark:
        c.setFont(FACE, 13)
        c.drawCentredString(PAGE_WIDTH / 2, y - 26, change_mark, charSpace=1)
    y -= 52

    table = _table(certificate)
    _, height = table.wrapOn(c, CONTENT_WIDTH, y)
    table.drawOn(c, MARGIN_X, y - height)
    y -= height + 38

    c.setFillColor(INK)
    c.setFont(FACE, 11)
    c.drawString(MARGIN_X + 12, y, wareki_of(certificate["issue_date"]))
    y -= 12
    clause = Paragraph("　" + markup(products.clause_sentence(certificate["product"])), _style("clause"))
    _, height = clause.wrapOn(c, CONTENT_WIDTH - 12, y)
    clause.drawOn(c, MARGIN_X + 12, y - height)
    y -= height + 34

    _draw_issuer(c, issuer, certificate.get("branch_code"), y)
    _draw_notes(c)

    c.showPage()
    c.save()
    return buffer.getvalue()
