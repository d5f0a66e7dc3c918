"""保証料計算書 / 保証料返還計算書 of a 変更 or a 解約: the fee it costs or returns, one A4 page.

A change (変更) quotes the remaining period, from the change's issue date to each deadline, for the
content before and after the change; the difference of the computed band lines is charged
(追加保証料: 増額, 保証期限延長) or returned (返還保証料: 減額, 期限短縮). A 解約 returns the fee of the
days after its date (`esurety.domain.guarantee.changes`). The minimum fee applies to a whole guarantee, not to a
remainder: the statement compares the band lines (`FeeQuote.computed_fee`) and says so.

`render_fee_difference(certificate, difference, occasion=..., ended_on=None, cancelled_on=None, issuer=None)`:

- `occasion="change"`: `certificate` is the new version (変更後の契約内容); its issue date is the day
  the remaining period counts from, and its 変更の発生番号 is printed as 「変更ーk」 beside the title
  and in the contract number, as on the ordinary statement.
- `occasion="termination"`: `certificate` is the content in force; the statement names the 解約日,
  `ended_on`, which defaults to the day before the refund's period starts
  (`difference.before.issue_date - 1 day`). When nothing remains to return (`before` is None),
  `ended_on` must be given.
- `occasion="cancellation"`: 変更取消 of a change. `certificate` is the withdrawn change (its content,
  issue date and change number); `difference` is that change's difference reversed (`before` the
  quote of the withdrawn content, `after` the quote of the content in force again, both from the
  change's issue date): a withdrawn 追加保証料 is returned (保証料返還計算書), a withdrawn 保証料返還 is
  charged again. `cancelled_on`, the day of the 変更取消, is printed.

The title is `difference.title`: 保証料返還計算書 for a refund, 保証料計算書 otherwise. The answer line
(追加保証料 / 返還保証料 and the amount) comes first, then 記: the contract, a table of 変更前 / 変更後
(or 解約前 / 解約後) with the guarantee amount, the period in the Japanese era, the days and the fee of
the band lines, the difference, and the calculation of each band. Same look as the ordinary
statement (`fee_statement`): Gothic only, the issuer block, the red 「サンプル料率」 mark when either
quote comes from a sample table. Quotes that contradict the certificate, or a difference whose
amount is not the difference of its quotes, are refused rather than printed.
"""
from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any, Mapping

from reportlab.platypus import Paragraph, Table, TableStyle

from ..domain.catalogue import products
from ..domain.guarantee.certificates import label as version_label
from ..domain.guarantee.changes import FeeDifference
from ..domain.catalogue.fees import FeeQuote, percent
from ..fonts import ensure_fonts
from ..domain.japanese.money import yen
from . import (
    INK,
    Issuer,
    LABEL_FILL,
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
from .kinds import Wording, wording
from .fee_statement import (
    CONTENT_WIDTH,
    FACE,
    FORMULA,
    MARGIN_X,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
    SAMPLE_NOTE,
    _draw_addressee,
    _draw_issuer,
    _draw_sample_mark,
    _flow,
    _issuer_width,
    _style,
    labelled_table,
)

OCCASIONS = ("change", "termination", "cancellation")

# Figures a little smaller than the ordinary statement's (9.5pt): two sides share the width, and
# `1,800,000,000 円` still fits its column on one line.
_SMALL = paragraph_styles(
    FACE,
    figure=dict(fontSize=9, leading=13, alignment=2),  # the comparison's amounts
    cell=dict(fontSize=8.5, leading=12),  # the band table
    amount=dict(fontSize=8.5, leading=12, alignment=2),
)

LEADS = {
    ("change", "additional"): "下記の保証契約の変更に伴う保証料を、次のとおり計算いたしました。",
    ("change", "none"): "下記の保証契約の変更に伴う保証料を、次のとおり計算いたしました。",
    ("change", "refund"): "下記の保証契約の変更に伴い返還する保証料を、次のとおり計算いたしました。",
    ("termination", "refund"): "下記の保証契約の解約に伴い返還する保証料を、次のとおり計算いたしました。",
    ("termination", "none"): "下記の保証契約の解約に伴い返還する保証料を、次のとおり計算いたしました。",
    ("cancellation", "refund"): "下記の保証契約の変更取消に伴い、取り消した変更の追加保証料を返還いたします。",
    ("cancellation", "additional"): "下記の保証契約の変更取消に伴い、取り消した変更で返還した保証料を、次のとおり計算いたしました。",
    ("cancellation", "none"): "下記の保証契約の変更取消に伴う保証料を、次のとおり計算いたしました。",
}
ANSWER_LABELS = {"additional": "追加保証料", "refund": "返還保証料", "none": "追加保証料"}


def _answer_label(kind: str, occasion: str) -> str:
    """追加保証料 / 返還保証料; a termination only ever returns (0 円 when nothing remains)."""
    return "返還保証料" if occasion == "termination" else ANSWER_LABELS[kind]
# The columns' words: what the rows compare.
SIDES = {"change": ("変更前", "変更後"), "termination": ("解約前", "解約後"), "cancellation": ("取消前", "取消後")}

DAYS_NOTE = {
    "change": "保証日数は、変更後の保証証書の発行日（変更日）から各保証期限までを、初日・末日を含めて数えています。",
    "termination": "保証日数は、解約日の翌日から保証期限までを、初日・末日を含めて数えています。",
    "cancellation": "保証日数は、取り消した変更の保証証書の発行日（変更日）から各保証期限までを、初日・末日を含めて数えています（変更時の計算と同じです）。",
}
LINES_NOTE = "保証料は区分ごとの計算額の合計です。変更・解約に伴う計算には、最低保証料を適用しません。"
PAPER_NOTE = {
    "additional": "追加保証料の領収証は、書面にてお渡しします（本計算書は電子的に交付しています）。",
    "refund": "返還保証料は、ご指定の口座にお振込みいたします（本計算書は電子的に交付しています）。",
    "none": "追加・返還する保証料はありません（本計算書は電子的に交付しています）。",
}
CANCELLATION_NOTE = {
    "refund": "取り消した変更の追加保証料は請求いたしません。お支払い済みの場合は、ご指定の口座にお振込みいたします（本計算書は電子的に交付しています）。",
    "additional": "取り消した変更で返還した保証料をお支払いいただきます。領収証は書面にてお渡しします（本計算書は電子的に交付しています）。",
    "none": "追加・返還する保証料はありません（本計算書は電子的に交付しています）。",
}


def _quote_problems(side: str, certificate: Mapping[str, Any], quote: FeeQuote, start: date) -> list[str]:
    """A quote of the certificate's guarantee (same product, amount, deadline) from `start`."""
    expected = {
        "product": products.Product(certificate["product"]).value,
        "amount": certificate["guarantee_amount"],
        "issue_date": start,
        "deadline": as_date(certificate["guarantee_deadline"]),
    }
    return [
        f"{side} {name} {getattr(quote, name)} != {value}"
        for name, value in expected.items()
        if getattr(quote, name) != value
    ]


def _check(
    certificate: Mapping[str, Any], difference: FeeDifference, occasion: str, ended_on: date | None,
    cancelled_on: date | None = None,
) -> date:
    """The day the remaining period starts; refuses a difference that contradicts the certificate."""
    if occasion not in OCCASIONS:
        raise ValueError(f"occasion must be one of {', '.join(OCCASIONS)}, not {occasion!r}")
    before, after = difference.before, difference.after
    wrong: list[str] = []
    if (cancelled_on is None) != (occasion != "cancellation"):
        wrong.append("cancelled_on is the day of a 変更取消, given with it and only with it")
    if occasion == "cancellation":
        # The change's difference reversed: `before` is the withdrawn change, `after` what is in force again.
        start = as_date(certificate["issue_date"])
        if ended_on is not None:
            wrong.append("ended_on is for a termination, not a cancellation")
        if before is None:
            wrong.append("a withdrawn change has a quote of its own content")
        else:
            wrong += _quote_problems("before", certificate, before, start)
        if after is not None:
            product = products.Product(certificate["product"]).value
            if after.product != product:
                wrong.append(f"after product {after.product} != {product}")
            if after.issue_date != start:
                wrong.append(f"after issue_date {after.issue_date} != {start}")
        if cancelled_on is not None and cancelled_on < start:
            wrong.append(f"cancelled_on {cancelled_on} is before the change ({start})")
    elif occasion == "change":
        start = as_date(certificate["issue_date"])
        if ended_on is not None:
            wrong.append("ended_on is for a termination, not a change")
        if after is None:
            wrong.append("a change has a quote after it")
        else:
            wrong += _quote_problems("after", certificate, after, start)
        if before is not None:
            product = products.Product(certificate["product"]).value
            if before.product != product:
                wrong.append(f"before product {before.product} != {product}")
            if before.issue_date != start:
                wrong.append(f"before issue_date {before.issue_date} != {start}")
    else:
        if after is not None:
            wrong.append("a termination has no quote after it")
        if ended_on is None:
            if before is None:
                raise ValueError("nothing remains to return: give ended_on, the 解約日")
            ended_on = before.issue_date - timedelta(days=1)
        start = ended_on + timedelta(days=1)
        if before is not None:
            wrong += _quote_problems("before", certificate, before, start)
        elif as_date(certificate["guarantee_deadline"]) >= start:
            wrong.append(f"the guarantee runs after {ended_on} but there is no quote of the rest")
    old = before.computed_fee if before else 0
    new = after.computed_fee if after else 0
    kind = "additional" if new > old else "refund" if new < old else "none"
    if (difference.kind, difference.amount) != (kind, abs(new - old)):
        wrong.append(f"{difference.kind} {difference.amount} is not the difference of the quotes ({kind} {abs(new - old)})")
    if occasion == "termination" and kind == "additional":
        wrong.append("a termination cannot cost more")
    if wrong:
        raise ValueError("the fee difference does not belong to this certificate: " + ", ".join(wrong))
    return start


def _contract_table(
    certificate: Mapping[str, Any], occasion: str, start: date, ended_on: date | None, cancelled_on: date | None,
    words: Wording,
) -> Table:
    number = markup(certificate["contract_number"])
    if occasion in ("change", "cancellation") and certificate.get("change_number") is not None:
        number += f"　（{version_label(certificate['change_number'])}）"
    rows = [
        (words.number_label, number),
        ("商品", markup(words.product_text)),
        (work_label(certificate), markup(certificate["work_name"])),
    ]
    if occasion == "change":
        rows.append(("変更日", f"{wareki_of(start)}（変更後の{words.name}の発行日）"))
    elif occasion == "cancellation":
        rows += [
            ("変更日", f"{wareki_of(start)}（取り消した変更の{words.name}の発行日）"),
            ("変更取消日", wareki_of(cancelled_on)),
        ]
    else:
        rows += [
            ("保証金額", markup(yen(certificate["guarantee_amount"]))),
            ("保証期限", wareki_of(certificate["guarantee_deadline"])),
            ("解約日", f"{wareki_of(ended_on)}（翌日以降の保証料を返還）"),
        ]
    return labelled_table(rows, padding=(3, 4))  # tighter: two tables follow on the page


COMPARISON_WIDTHS = [46, 90, 184, 52]  # the period on one line
COMPARISON_WIDTHS.append(CONTENT_WIDTH - sum(COMPARISON_WIDTHS))


def _comparison_table(difference: FeeDifference, occasion: str) -> Table:
    """変更前 / 変更後 (解約前 / 解約後): amount, period, days, the fee of the lines; then the difference."""
    cell, amount = _style("cell"), _SMALL["figure"]
    head = ["", "保証金額", "計算期間", "保証日数", "保証料（区分計）"]
    data = [[Paragraph(text, amount if i in (1, 3, 4) else cell) for i, text in enumerate(head)]]
    for side, quote in zip(SIDES[occasion], (difference.before, difference.after)):
        if quote is None:
            gone = "解約" if side == "解約後" else "残りの保証期間なし"
            data.append([Paragraph(side, cell), Paragraph(gone, cell), "", "", Paragraph(markup(yen(0)), amount)])
            continue
        period = f"{wareki_of(quote.issue_date)} ～ {wareki_of(quote.deadline)}"
        data.append(
            [
                Paragraph(side, cell),
                Paragraph(markup(yen(quote.amount)), amount),
                Paragraph(period, cell),
                Paragraph(f"{quote.days:,}日", amount),
                Paragraph(markup(yen(quote.computed_fee)), amount),
            ]
        )
    label = f"差引　{_answer_label(difference.kind, occasion)}"
    data.append([Paragraph(label, _style("value")), "", "", "", Paragraph(markup(yen(difference.amount)), _style("total"))])

    style = [
        ("FONTNAME", (0, 0), (-1, -1), FACE),
        ("BOX", (0, 0), (-1, -1), 0.9, RULE),
        ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL),
        ("BACKGROUND", (0, 1), (0, -2), LABEL_FILL),
        ("BACKGROUND", (0, -1), (-1, -1), LABEL_FILL),
        ("LINEABOVE", (0, -1), (-1, -1), 0.9, RULE),
        ("SPAN", (0, -1), (3, -1)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4.5),
    ]
    for row, quote in enumerate((difference.before, difference.after), start=1):
        if quote is None:
            style.append(("SPAN", (1, row), (3, row)))
    table = Table(data, colWidths=COMPARISON_WIDTHS)
    table.setStyle(TableStyle(style))
    return table


def _calculation_table(difference: FeeDifference, occasion: str) -> Table | None:
    """The band lines side by side: per band, its rate and, for each quote, its part and fee.

    One row per band (at most the table's bands, whatever the amounts), so the page holds any
    guarantee; the formula is printed above the table, the days in the comparison.
    """
    cell, amount = _SMALL["cell"], _SMALL["amount"]
    quotes = [(side, q) for side, q in zip(SIDES[occasion], (difference.before, difference.after)) if q]
    if not quotes:
        return None
    bands: dict[tuple, dict[str, Any]] = {}
    for side, quote in quotes:
        for line in quote.lines:
            bands.setdefault((line.above, line.up_to, line.annual_rate_percent), {})[side] = line
    head = [Paragraph("区分", cell), Paragraph("年料率", amount)]
    sub = ["", ""]
    for side, quote in quotes:
        head += [Paragraph(f"{side}（{quote.days:,}日）", cell), ""]
        sub += [Paragraph("保証金額", amount), Paragraph("保証料", amount)]
    data = [head, sub]
    for (_, _, rate), lines in sorted(bands.items(), key=lambda item: item[0][0]):
        any_line = next(iter(lines.values()))
        row = [Paragraph(markup(any_line.band_label), cell), Paragraph(percent(rate), amount)]
        for side, _ in quotes:
            line = lines.get(side)
            row += [
                Paragraph(markup(yen(line.part)) if line else "―", amount),
                Paragraph(markup(yen(line.fee)) if line else "―", amount),
            ]
        data.append(row)
    total = [Paragraph("計（区分ごとに円未満切り捨て）", cell), ""]
    for _, quote in quotes:
        total += [Paragraph(markup(yen(quote.amount)), amount), Paragraph(markup(yen(quote.computed_fee)), amount)]
    data.append(total)

    style = [
        ("FONTNAME", (0, 0), (-1, -1), FACE),
        ("BOX", (0, 0), (-1, -1), 0.9, RULE),
        ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 1), LABEL_FILL),
        ("BACKGROUND", (0, -1), (-1, -1), LABEL_FILL),
        ("LINEABOVE", (0, -1), (-1, -1), 0.9, RULE),
        ("SPAN", (0, 0), (0, 1)),
        ("SPAN", (1, 0), (1, 1)),
        ("SPAN", (0, -1), (1, -1)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for i in range(len(quotes)):
        style.append(("SPAN", (2 + 2 * i, 0), (3 + 2 * i, 0)))
    rate, money = 38, 82  # money: `1,800,000,000 円` on one line
    label = CONTENT_WIDTH - rate - money * 2 * len(quotes)
    table = Table(data, colWidths=[label, rate] + [money] * (2 * len(quotes)))
    table.setStyle(TableStyle(style))
    return table


def _draw_answer(c, label: str, amount: int, top: float) -> float:
    """追加保証料 / 返還保証料 and the amount, large, on a double rule: the answer before the details."""
    width = 280
    x = (PAGE_WIDTH - width) / 2
    baseline = top - 24
    c.setFillColor(INK)
    c.setFont(FACE, 12)
    c.drawString(x + 6, baseline, label)
    c.setFont(FACE, 18)
    c.drawRightString(x + width - 6, baseline, yen(amount))
    c.setStrokeColor(INK)
    c.setLineWidth(0.9)
    c.line(x, baseline - 7, x + width, baseline - 7)
    c.setLineWidth(0.5)
    c.line(x, baseline - 9.5, x + width, baseline - 9.5)
    return baseline - 10


@serialised
def render_fee_difference(
    certificate: Mapping[str, Any],
    difference: FeeDifference,
    *,
    occasion: str,
    ended_on: date | None = None,
    cancelled_on: date | None = None,
    issuer: Issuer | None = None,
) -> bytes:
    """The statement of a change's or a termination's fee as PDF bytes; identical input, identical bytes.

    `occasion`: "change" (`certificate` is the new version), "termination" (`certificate` is the
    content in force; `ended_on`, the 解約日, defaults to the day before `difference.before` starts)
    or "cancellation" (`certificate` is the withdrawn change, `cancelled_on` the 変更取消's day).
    """
    start = _check(certificate, difference, occasion, ended_on, cancelled_on)
    if occasion == "termination":
        ended_on = start - timedelta(days=1)
    ensure_fonts()
    issuer = issuer or load_issuer()
    words = wording(certificate, issuer)
    title = difference.title
    change_number = certificate.get("change_number")
    if occasion == "change":
        mark = version_label(change_number) if change_number is not None else None
    elif occasion == "cancellation":
        mark = f"{version_label(change_number)}・取消" if change_number is not None else "変更取消"
    else:
        mark = "解約"
    sample = any(q.sample for q in (difference.before, difference.after) if q)

    buffer = io.BytesIO()
    c = new_canvas(
        buffer,
        title=" ".join(filter(None, [title, certificate["contract_number"], mark])),
        author=issuer.company,
        subject=product_label(certificate),
        face=FACE,
    )
    top = PAGE_HEIGHT - 48
    right = PAGE_WIDTH - MARGIN_X
    if sample:
        _draw_sample_mark(c, top + 6)
    c.setFillColor(INK)
    c.setFont(FACE, 10)
    c.drawRightString(right, top - 8, wareki_of({"change": start, "termination": ended_on}.get(occasion, cancelled_on)))

    y = top - 56
    c.setFont(FACE, 20)
    c.drawCentredString(PAGE_WIDTH / 2, y, title, charSpace=8)
    if mark:
        # charSpace adds after every character, the last one too: the title ends 8pt before its width.
        half = (c.stringWidth(title, FACE, 20) + 8 * len(title)) / 2
        c.setFont(FACE, 10.5)
        c.drawString(PAGE_WIDTH / 2 + half + 2, y + 1, f"（{mark}）")

    y -= 46
    branch = certificate.get("branch_code")
    _draw_addressee(c, certificate, y - 14, CONTENT_WIDTH - _issuer_width(c, issuer, branch, words.branch_label) - 18)
    y = _draw_issuer(c, issuer, branch, y, words.branch_label) - 24

    lead = LEADS.get((occasion, difference.kind), LEADS[("change", difference.kind)])
    y = _flow(c, Paragraph(lead, _style("body")), MARGIN_X, y, CONTENT_WIDTH) - 10
    y = _draw_answer(c, _answer_label(difference.kind, occasion), difference.amount, y)

    c.setFillColor(INK)
    c.setFont(FACE, 10.5)
    c.drawCentredString(PAGE_WIDTH / 2, y - 24, "記")
    y -= 36
    y = _flow(c, _contract_table(certificate, occasion, start, ended_on, cancelled_on, words), MARGIN_X, y, CONTENT_WIDTH) - 12
    y = _flow(c, _comparison_table(difference, occasion), MARGIN_X, y, CONTENT_WIDTH) - 14

    calculation = _calculation_table(difference, occasion)
    if calculation is not None:
        basis = next(q.day_basis for q in (difference.before, difference.after) if q)
        c.setFillColor(INK)
        c.setFont(FACE, 10.5)
        c.drawString(MARGIN_X, y - 10, "計算式")
        c.setFont(FACE, 8.5)
        c.drawString(MARGIN_X + 52, y - 10, FORMULA.format(basis=basis))
        y -= 18
        y = _flow(c, calculation, MARGIN_X, y, CONTENT_WIDTH) - 12

    paper = (CANCELLATION_NOTE if occasion == "cancellation" else PAPER_NOTE)[difference.kind]
    # The document whose issue date starts the count is the issuer's (保証証書, 保証証券, 保証書).
    notes = [DAYS_NOTE[occasion].replace("保証証書", words.name), LINES_NOTE, paper] + ([SAMPLE_NOTE] if sample else [])
    for note in notes:
        y = _flow(c, Paragraph("※　" + markup(note), _style("note")), MARGIN_X, y, CONTENT_WIDTH) - 3
    c.setFont(FACE, 10)
    c.drawRightString(right, y - 12, "以上")

    c.showPage()
    c.save()
    return buffer.getvalue()
