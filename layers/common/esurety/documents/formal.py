"""The page every guarantee document is drawn on: the surety's 保証証書, the insurer's 公共工事履行保証証券
and the bank's 保証書 share it, so that an orderer who files all three sees one family of documents.

A4 in Mincho (as paper guarantees are set), a double frame, the red mark that no paper document is
issued, a ruled label | value table, the title with 「変更ー n」 under it for a change, the issuer's
block with its handling branch, and the notes at the foot. The renderers (`certificate`,
`performance_bond`, `bank_guarantee`) decide what goes into them.
"""
from __future__ import annotations

import io
from typing import Any, Mapping, Sequence

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from ..domain.guarantee.certificates import label as version_label
from ..domain.japanese.wareki import wareki
from ..fonts import MINCHO
from .kinds import Wording
from . import INK, LABEL_FILL, STAMP, Issuer, as_date, markup, new_canvas, paragraph_styles, product_label, wareki_of

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 62
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
LABEL_WIDTH = 118
FACE = MINCHO
RULE = colors.Color(0.25, 0.25, 0.25)

STYLES = paragraph_styles(
    FACE,
    label=dict(fontSize=10.5, leading=14),
    value=dict(fontSize=11, leading=16),
    small_value=dict(fontSize=10.5, leading=15),
    clause=dict(fontSize=11, leading=17),
    condition=dict(fontSize=9.5, leading=14, leftIndent=16, firstLineIndent=-16),
    note=dict(fontSize=8.2, leading=12, leftIndent=15, firstLineIndent=-15),
)


def style(name: str) -> ParagraphStyle:
    return STYLES[name]


def change_mark(certificate: Mapping[str, Any]) -> str | None:
    """「変更ー n」 for a change, None for the first version (a 訂正 restates its version's mark)."""
    number = certificate.get("change_number")
    return version_label(number) if number is not None else None


def holder_lines(contractor: Mapping[str, Any]) -> list[str]:
    """The contractor as the paper forms print it: address, then its name; a JV by its name and representative."""
    lines = [markup(contractor.get("address"))]
    if contractor.get("jv_name"):
        lines.append(markup(contractor["jv_name"]))
        lines.append("代表者　" + markup(contractor.get("name")))
    else:
        lines.append(markup(contractor.get("name")))
    return lines


def period(start: Any, end: Any, *, joiner: str = " ～ ") -> str:
    return f"{wareki_of(start)}{joiner}{wareki_of(end)}"


def add_months(day: Any, months: int) -> str:
    """The same day `months` later (the month's last day when it has no such day), as 令和 text."""
    day = as_date(day)
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return wareki(day.replace(year=year, month=month, day=min(day.day, last)))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def ruled_table(rows: Sequence[tuple[str, str]], padding: float = 8, value_style: str = "value") -> Table:
    """Label | value rows in a double-weight box, labels shaded."""
    data = [[Paragraph(label, style("label")), Paragraph(value, style(value_style))] for label, value in rows]
    table = Table(data, colWidths=[LABEL_WIDTH, CONTENT_WIDTH - LABEL_WIDTH])
    table.setStyle(TableStyle(table_style(padding)))
    return table


def grouped_table(
    rows: Sequence[tuple[str, str]], group: str, group_rows: Sequence[tuple[str, str]], padding: float = 8,
    value_style: str = "value",
) -> Table:
    """Label | value rows, then a group (主契約, 契約の内容) whose name spans its rows on the left."""
    group_width = 30
    label, value = style("label"), style(value_style)
    data = [[Paragraph(name, label), "", Paragraph(text, value)] for name, text in rows]
    first = len(data)
    vertical = "<br/>".join(group)  # set upright, one character a line, as forms do
    for i, (name, text) in enumerate(group_rows):
        data.append([Paragraph(vertical, style("label")) if i == 0 else "", Paragraph(name, label), Paragraph(text, value)])
    table = Table(data, colWidths=[group_width, LABEL_WIDTH - group_width, CONTENT_WIDTH - LABEL_WIDTH])
    commands = table_style(padding)
    commands += [("SPAN", (0, row), (1, row)) for row in range(first)]
    commands += [
        ("SPAN", (0, first), (0, len(data) - 1)),
        ("BACKGROUND", (0, 0), (1, -1), LABEL_FILL),
        ("ALIGN", (0, first), (0, -1), "CENTER"),
        ("LEFTPADDING", (0, first), (0, -1), 9),
        ("LEFTPADDING", (1, first), (1, -1), 8),
        ("LEFTPADDING", (2, 0), (2, -1), 12),
    ]
    table.setStyle(TableStyle(commands))
    return table


def table_style(padding: float) -> list:
    return [
        ("FONTNAME", (0, 0), (-1, -1), FACE),  # not the default (unembedded) Helvetica
        ("BOX", (0, 0), (-1, -1), 1.1, RULE),
        ("INNERGRID", (0, 0), (-1, -1), 0.45, RULE),
        ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (0, -1), 10),
        ("LEFTPADDING", (1, 0), (1, -1), 12),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), padding),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
    ]


def flow(c: Canvas, flowable, x: float, top: float, width: float) -> float:
    """Draw a flowable with its top at `top`; return the y below it."""
    _, height = flowable.wrapOn(c, width, top)
    flowable.drawOn(c, x, top - height)
    return top - height


def draw_frame(c: Canvas) -> None:
    c.setStrokeColor(RULE)
    c.setLineWidth(1.2)
    c.rect(30, 30, PAGE_WIDTH - 60, PAGE_HEIGHT - 60)
    c.setLineWidth(0.4)
    c.rect(34, 34, PAGE_WIDTH - 68, PAGE_HEIGHT - 68)


def draw_no_paper_mark(c: Canvas, top: float, lines: tuple[str, str]) -> None:
    """The red mark at the top right: this document exists electronically only."""
    size = 8.5
    width = max(c.stringWidth(line, FACE, size) for line in lines) + 16
    height = 2 * size + 15
    x = PAGE_WIDTH - MARGIN_X - width
    y = top - height
    c.saveState()
    c.setStrokeColor(STAMP)
    c.setFillColor(STAMP)
    c.setLineWidth(0.9)
    c.roundRect(x, y, width, height, 3)
    c.setFont(FACE, size)
    c.drawCentredString(x + width / 2, y + height - 6 - size, lines[0])
    c.drawCentredString(x + width / 2, y + 6.5, lines[1])
    c.restoreState()


def draw_title(c: Canvas, title: str, mark: str | None, y: float) -> None:
    """The title, large and spaced, and 「変更ー n」 under it for a change."""
    c.setFillColor(INK)
    c.setFont(FACE, 22)
    c.drawCentredString(PAGE_WIDTH / 2, y, title, charSpace=4)
    if mark:
        c.setFont(FACE, 13)
        c.drawCentredString(PAGE_WIDTH / 2, y - 26, mark, charSpace=1)


def draw_issuer(
    c: Canvas, issuer: Issuer, branch_code: str | None, top: float, *, role: str | None = None,
    branch_label: str = "取扱箇所",
) -> None:
    """The issuer on the right (its role, e.g. 保証人, before its name), the handling branch in a box on the left."""
    x = PAGE_WIDTH / 2 + 14
    c.setFillColor(INK)
    c.setFont(FACE, 10)
    c.drawString(x, top - 10, issuer.address)
    c.setFont(FACE, 15)
    c.drawString(x, top - 34, issuer.company)
    c.setFont(FACE, 11.5)
    c.drawString(x, top - 56, issuer.representative)
    if role:
        c.setFont(FACE, 11)
        c.drawRightString(x - 12, top - 33, role)

    branch = issuer.branch(branch_code)
    lines = [f"TEL：{branch.tel}"] + ([f"FAX：{branch.fax}"] if branch.fax else [])
    box_w, box_h = 150, 22 + 13 * len(lines)
    box_y = top - 58
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    c.rect(MARGIN_X, box_y, box_w, box_h)
    c.setFont(FACE, 9.5)
    c.drawString(MARGIN_X + 8, box_y + box_h - 15, f"{branch_label}　{branch.name}")
    c.setFont(FACE, 9)
    for i, line in enumerate(lines):
        c.drawString(MARGIN_X + 8, box_y + box_h - 30 - 13 * i, line)


def draw_notes(c: Canvas, notes: Sequence[str]) -> float:
    """（注）1., 2., … at the foot of the page, 「（注）」 hanging to the left of the numbers; returns their top."""
    note_style = style("note")
    lead = c.stringWidth("（注）", FACE, note_style.fontSize)
    paragraphs = [Paragraph(f"{i}.　" + markup(text), note_style) for i, text in enumerate(notes, 1)]
    heights = [note.wrapOn(c, CONTENT_WIDTH - lead, PAGE_HEIGHT)[1] for note in paragraphs]
    y = 54 + sum(heights) + 2 * (len(paragraphs) - 1)
    top = y
    c.setFillColor(INK)
    c.setFont(FACE, note_style.fontSize)
    c.drawString(MARGIN_X, y - note_style.fontSize, "（注）")
    for note, height in zip(paragraphs, heights):
        note.drawOn(c, MARGIN_X + lead, y - height)
        y -= height + 2
    return top


def open_document(certificate: Mapping[str, Any], issuer: Issuer, words: Wording):
    """(buffer, canvas) of a guarantee document: its metadata, frame and no-paper mark drawn."""
    buffer = io.BytesIO()
    c = new_canvas(
        buffer,
        title=" ".join(filter(None, [words.title, certificate["contract_number"], change_mark(certificate)])),
        author=issuer.company,
        subject=product_label(certificate),
    )
    draw_frame(c)
    if certificate.get("format", "electronic") == "electronic":  # a paper document is the paper
        draw_no_paper_mark(c, PAGE_HEIGHT - 58, words.no_paper)
    return buffer, c


def draw_conditions(c: Canvas, heading: str, conditions: Sequence[str], top: float, x: float = MARGIN_X + 12) -> float:
    """A heading (特約条項, 保証の条件) and its numbered paragraphs; returns the y below them."""
    c.setFillColor(INK)
    c.setFont(FACE, 10.5)
    c.drawString(x, top - 10.5, heading)
    y = top - 17
    width = PAGE_WIDTH - MARGIN_X - x
    for i, text in enumerate(conditions, 1):
        y = flow(c, Paragraph(f"{chr(0xFF10 + i)}．" + markup(text), style("condition")), x + 4, y, width - 4) - 1.5
    return y
