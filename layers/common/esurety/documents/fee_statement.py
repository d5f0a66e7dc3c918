"""保証料計算書: the guarantee-fee statement, a one-page A4 PDF issued with each certificate version.

The brochure (FAQ Q2) says the fee statement is electronic while the receipt (領収証) stays on
paper; the statement says so. It is addressed to the contractor and shows the contract (保証契約番号,
商品, 工事名, 保証金額), the guarantee period from the issue date to the guarantee deadline in the
Japanese era, the days counted, the rates, one calculation line per amount band (`esurety.domain.catalogue.fees`),
the fee, and the issuer block of the other documents. When the rate table is a sample, a red
「サンプル料率」 mark and a note say that the rates are not real.

The numbers come from a `FeeQuote` (`fees.quote_for(certificate)`), which must belong to the
certificate: same product, amount, issue date and deadline (checked: a statement that contradicts
its certificate is refused rather than issued).

Set in Gothic only, like the notice: one embedded face keeps the PDF small.
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
from ..domain.catalogue.fees import SAMPLE_MARK, FeeQuote, percent
from ..fonts import GOTHIC, ensure_fonts
from ..domain.japanese.money import yen
from .kinds import Wording, wording
from . import (
    INK,
    Issuer,
    LABEL_FILL,
    STAMP,
    as_date,
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
LABEL_WIDTH = 104
FACE = GOTHIC

TITLE = "保証料計算書"
LEAD = "下記の保証契約の保証料を、次のとおり計算いたしました。"
FORMULA = "保証料 ＝ 区分ごとの保証金額 × 年料率 × 保証日数 ÷ {basis}日（区分ごとに円未満切り捨て）"
NOTES = (
    "保証日数は、保証期間の初日（保証証書の発行日）と末日（保証期限）を含めて数えています。",
    "保証料の領収証は、書面にてお渡しします（本計算書は電子的に交付しています）。",
)
SAMPLE_NOTE = f"この計算書の料率は{SAMPLE_MARK}（見本）であり、実際の保証料率ではありません。"

RULE = colors.Color(0.3, 0.3, 0.3)

_STYLES = paragraph_styles(
    FACE,
    label=dict(fontSize=10, leading=14),
    value=dict(fontSize=10.5, leading=15),
    cell=dict(fontSize=9, leading=13),
    amount=dict(fontSize=9.5, leading=13, alignment=2),
    total=dict(fontSize=11, leading=15, alignment=2),
    body=dict(fontSize=10, leading=16),
    note=dict(fontSize=8.5, leading=12.5, leftIndent=12, firstLineIndent=-12),
)


def _style(name: str) -> ParagraphStyle:
    return _STYLES[name]


def _check(certificate: Mapping[str, Any], quote: FeeQuote) -> None:
    """The quote must be the certificate's: a statement must not contradict the certificate."""
    expected = {
        "product": products.Product(certificate["product"]).value,
        "amount": certificate["guarantee_amount"],
        "issue_date": as_date(certificate["issue_date"]),
        "deadline": as_date(certificate["guarantee_deadline"]),
    }
    wrong = [
        f"{name} {getattr(quote, name)} != {value}"
        for name, value in expected.items()
        if getattr(quote, name) != value
    ]
    if wrong:
        raise ValueError("the fee quote does not belong to this certificate: " + ", ".join(wrong))


def _rates_text(quote: FeeQuote) -> str:
    """`年0.60%`, or the rates of every band used, in order: `年0.60%・0.45%（金額の区分ごと）`."""
    rates = "・".join(percent(rate) for rate in quote.rate_percents)
    return f"年{rates}" + ("（保証金額の区分ごと）" if len(quote.lines) > 1 else "")


def _contract_table(certificate: Mapping[str, Any], quote: FeeQuote, words: Wording) -> Table:
    number = markup(certificate["contract_number"])
    if certificate.get("change_number") is not None:
        number += f"　（{version_label(certificate['change_number'])}）"
    period = f"{wareki_of(quote.issue_date)} ～ {wareki_of(quote.deadline)}"
    rows = [
        (words.number_label, number),
        ("商品", markup(words.product_text)),
        (work_label(certificate), markup(certificate["work_name"])),
        ("保証金額", markup(yen(quote.amount))),
        (period_label(words), period),
        ("保証日数", f"{quote.days:,}日（初日・末日を含む）"),
        ("料率", _rates_text(quote)),
    ]
    return labelled_table(rows)


def period_label(words: Wording) -> str:
    """保証期間 on the surety's statement (its certificate has no other); 計算期間 where the document
    states a 保証期間 of its own (the bond's runs from the start of the 工期)."""
    return "保証期間" if words.is_certificate else "計算期間"


def notes(words: Wording) -> list[str]:
    """The notes under the calculation: the first names the document whose issue date starts the count."""
    if words.is_certificate:
        return list(NOTES)
    return [f"保証日数は、計算期間の初日（{words.name}の発行日）と末日（保証期限）を含めて数えています。", *NOTES[1:]]


def labelled_table(rows: list[tuple[str, str]], padding: tuple[float, float] = (4.5, 5.5)) -> Table:
    """Label | value rows in a ruled box, labels shaded (the statements' 記 block); `padding` is
    (top, bottom) of each cell."""
    data = [[Paragraph(label, _style("label")), Paragraph(value, _style("value"))] for label, value in rows]
    table = Table(data, colWidths=[LABEL_WIDTH, CONTENT_WIDTH - LABEL_WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FACE),  # not the default (unembedded) Helvetica
                ("BOX", (0, 0), (-1, -1), 0.9, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 9),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), padding[0]),
                ("BOTTOMPADDING", (0, 0), (-1, -1), padding[1]),
            ]
        )
    )
    return table


def _calculation_table(quote: FeeQuote) -> Table:
    cell, amount = _style("cell"), _style("amount")
    data = [[Paragraph("区分", cell), Paragraph("計算式", cell), Paragraph("金額", amount)]]
    for line in quote.lines:
        data.append(
            [
                Paragraph(markup(line.band_label), cell),
                Paragraph(markup(quote.formula(line)), cell),
                Paragraph(markup(yen(line.fee)), amount),
            ]
        )
    extra = []
    if quote.minimum_applied:
        if len(quote.lines) > 1:
            extra.append(("計", yen(quote.computed_fee)))
        extra.append(
            (
                f"計算額が最低保証料 {yen(quote.minimum_fee)}に満たないため、最低保証料を適用",
                yen(quote.minimum_fee),
            )
        )
    for label, value in extra:
        data.append([Paragraph(markup(label), cell), "", Paragraph(markup(value), amount)])
    data.append([Paragraph("保証料", _style("value")), "", Paragraph(markup(yen(quote.fee)), _style("total"))])

    widths = [162, CONTENT_WIDTH - 162 - 84, 84]
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FACE),
        ("BOX", (0, 0), (-1, -1), 0.9, RULE),
        ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL),
        ("BACKGROUND", (0, -1), (-1, -1), LABEL_FILL),
        ("LINEABOVE", (0, -1), (-1, -1), 0.9, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4.5),
    ]
    first_extra = 1 + len(quote.lines)
    for row in range(first_extra, len(data)):
        style.append(("SPAN", (0, row), (1, row)))
    table = Table(data, colWidths=widths)
    table.setStyle(TableStyle(style))
    return table


def _draw_sample_mark(c: Canvas, top: float) -> None:
    lines = (SAMPLE_MARK, "実際の料率ではありません")
    sizes = (12, 7.5)
    width = max(c.stringWidth(text, FACE, size) for text, size in zip(lines, sizes)) + 20
    height = 40
    c.saveState()
    c.setStrokeColor(STAMP)
    c.setFillColor(STAMP)
    c.setLineWidth(1.1)
    c.roundRect(MARGIN_X, top - height, width, height, 3)
    c.setFont(FACE, sizes[0])
    c.drawCentredString(MARGIN_X + width / 2, top - 18, lines[0], charSpace=1)
    c.setFont(FACE, sizes[1])
    c.drawCentredString(MARGIN_X + width / 2, top - 32, lines[1])
    c.restoreState()


def _fitted(c: Canvas, text: str, size: float, width: float) -> float:
    """`size`, or the smaller size at which `text` fits in `width` (long names at the limits)."""
    natural = c.stringWidth(text, FACE, size)
    return size if natural <= width else size * width / natural


def _draw_addressee(c: Canvas, certificate: Mapping[str, Any], top: float, width: float = CONTENT_WIDTH) -> None:
    """The addressee on the left, within `width` (the issuer block stands to its right)."""
    contractor = certificate.get("contractor") or {}
    name = contractor.get("name") or ""
    c.setFillColor(INK)
    if contractor.get("jv_name"):
        c.setFont(FACE, _fitted(c, contractor["jv_name"], 10, width))
        c.drawString(MARGIN_X, top + 18, contractor["jv_name"])
        name = f"代表者　{name}"
    text = f"{name}　様"
    size = _fitted(c, text, 14, width)
    c.setFont(FACE, size)
    c.drawString(MARGIN_X, top, text)
    c.setStrokeColor(INK)
    c.setLineWidth(0.7)
    c.line(MARGIN_X, top - 5, MARGIN_X + min(max(c.stringWidth(text, FACE, size), 200), width), top - 5)


def _issuer_width(c: Canvas, issuer: Issuer, branch_code: str | None, branch_label: str = "取扱箇所") -> float:
    """The width of the issuer block `_draw_issuer` sets flush right."""
    branch = issuer.branch(branch_code)
    phones = f"TEL：{branch.tel}" + (f"　FAX：{branch.fax}" if branch.fax else "")
    lines = ((issuer.address, 8.5), (issuer.company, 12), (issuer.representative, 9.5), (f"{branch_label}　{branch.name}", 8.5), (phones, 8.5))
    return max(c.stringWidth(text, FACE, size) for text, size in lines)


def _draw_issuer(c: Canvas, issuer: Issuer, branch_code: str | None, top: float, branch_label: str = "取扱箇所") -> float:
    right = PAGE_WIDTH - MARGIN_X
    branch = issuer.branch(branch_code)
    c.setFillColor(INK)
    c.setFont(FACE, 8.5)
    c.drawRightString(right, top, issuer.address)
    c.setFont(FACE, 12)
    c.drawRightString(right, top - 18, issuer.company)
    c.setFont(FACE, 9.5)
    c.drawRightString(right, top - 33, issuer.representative)
    c.setFont(FACE, 8.5)
    phones = f"TEL：{branch.tel}" + (f"　FAX：{branch.fax}" if branch.fax else "")
    c.drawRightString(right, top - 50, f"{branch_label}　{branch.name}")
    c.drawRightString(right, top - 62, phones)
    return top - 62


def _draw_fee(c: Canvas, quote: FeeQuote, top: float) -> float:
    """保証料 and the amount, large, on a double rule: the answer before the details."""
    width = 260
    x = (PAGE_WIDTH - width) / 2
    baseline = top - 24
    c.setFillColor(INK)
    c.setFont(FACE, 12)
    c.drawString(x + 6, baseline, "保証料")
    c.setFont(FACE, 18)
    c.drawRightString(x + width - 6, baseline, yen(quote.fee))
    c.setStrokeColor(INK)
    c.setLineWidth(0.9)
    c.line(x, baseline - 7, x + width, baseline - 7)
    c.setLineWidth(0.5)
    c.line(x, baseline - 9.5, x + width, baseline - 9.5)
    return baseline - 10


def _flow(c: Canvas, flowable, x: float, top: float, width: float) -> float:
    _, height = flowable.wrapOn(c, width, PAGE_HEIGHT)
    flowable.drawOn(c, x, top - height)
    return top - height


@serialised
def render_fee_statement(
    certificate: Mapping[str, Any], quote: FeeQuote, issuer: Issuer | None = None
) -> bytes:
    """The fee statement as PDF bytes; identical input gives identical bytes."""
    _check(certificate, quote)
    ensure_fonts()
    issuer = issuer or load_issuer()
    words = wording(certificate, issuer)
    change_number = certificate.get("change_number")
    change_mark = version_label(change_number) if change_number is not None else None

    buffer = io.BytesIO()
    c = new_canvas(
        buffer,
        title=" ".join(filter(None, [TITLE, certificate["contract_number"], change_mark])),
        author=issuer.company,
        subject=product_label(certificate),
    )
    top = PAGE_HEIGHT - 56
    right = PAGE_WIDTH - MARGIN_X
    if quote.sample:
        _draw_sample_mark(c, top + 6)
    c.setFillColor(INK)
    c.setFont(FACE, 10)
    c.drawRightString(right, top - 8, wareki_of(certificate["issue_date"]))

    y = top - 62
    c.setFont(FACE, 20)
    c.drawCentredString(PAGE_WIDTH / 2, y, TITLE, charSpace=8)

    y -= 54
    branch = certificate.get("branch_code")
    _draw_addressee(c, certificate, y - 14, CONTENT_WIDTH - _issuer_width(c, issuer, branch, words.branch_label) - 18)
    y = _draw_issuer(c, issuer, branch, y, words.branch_label) - 30

    y = _flow(c, Paragraph(LEAD, _style("body")), MARGIN_X, y, CONTENT_WIDTH) - 10
    y = _draw_fee(c, quote, y)

    c.setFillColor(INK)
    c.setFont(FACE, 10.5)
    c.drawCentredString(PAGE_WIDTH / 2, y - 24, "記")
    y -= 36
    y = _flow(c, _contract_table(certificate, quote, words), MARGIN_X, y, CONTENT_WIDTH) - 20

    c.setFillColor(INK)
    c.setFont(FACE, 10.5)
    c.drawString(MARGIN_X, y - 10, "計算式")
    c.setFont(FACE, 8.5)
    c.drawString(MARGIN_X + 52, y - 10, FORMULA.format(basis=quote.day_basis))
    y -= 18
    y = _flow(c, _calculation_table(quote), MARGIN_X, y, CONTENT_WIDTH) - 16

    for note in notes(words) + ([SAMPLE_NOTE] if quote.sample else []):
        y = _flow(c, Paragraph("※　" + markup(note), _style("note")), MARGIN_X, y, CONTENT_WIDTH) - 3
    c.setFont(FACE, 10)
    c.drawRightString(right, y - 12, "以上")

    c.showPage()
    c.save()
    return buffer.getvalue()
