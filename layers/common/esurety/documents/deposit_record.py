"""寄託記録: the record of a deposit, the page a clerk files in the contract's 一件書類.

Paper guarantees were deposited (寄託) with the orderer; an electronic one is presented on the
platform, and what the orderer's file needs is a record of that instead of a printout of a screen:
which guarantee (保証契約番号, issuer, orderer and department, 工事名, 受注者, amount, deadline,
status), how and when it was presented (提出 by the contractor, or a look with the 認証キー), every
certificate version shown (電子保証 and 電子保証発行日時, as the leaflet's 電子保証履歴一覧 names them,
and the SHA-256 of each certificate PDF, so that the PDFs beside it in the evidence file can be
checked), a 訂正 marked with the certificate it replaced, a 変更取消 with the change it withdrew, the
受領確認 recorded (who, when, which version, those of a replaced certificate marked), whether the
hash chain of the history holds, and when the record was made.

`render_deposit_record(guarantee)` takes the desk's answer for one guarantee
(`GET /desk/guarantees/{number}`, docs/documents.md "寄託記録" lists the keys read) and returns the
PDF; the use case signs it (`esurety.aws.signing.sign_pdf`) as every other document. Set in
Gothic only, one embedded face. A long history flows onto further pages, the header repeated.
"""
from __future__ import annotations

import io
from datetime import datetime
from typing import Any, Iterable, Mapping

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from ..domain.catalogue import orderers
from ..domain.japanese import clock
from ..domain.japanese.money import yen
from ..domain.japanese.wareki import wareki
from ..fonts import GOTHIC, ensure_fonts
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
MARGIN_X = 56
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
LABEL_WIDTH = 96
TOP = PAGE_HEIGHT - 52
BOTTOM = 58  # the foot line (page number, issuer) stays below this
FACE = GOTHIC

TITLE = "寄託記録"
SUBTITLE = "電子保証の提示・受領の記録"
SERVICE = "保証確認サービス"
VIA = {
    "submission": ("提出", "受注者が電子保証を発注者に提出"),
    "key": ("認証キー", "発注者が保証契約番号と認証キーで照会"),
}
CHAIN_HOLDS = "電子保証の履歴（ハッシュチェーン）に改ざんのないことを確認しました。"
CHAIN_BROKEN = "履歴（ハッシュチェーン）の整合性を確認できませんでした。発行者にお問い合わせください。"
NOTES = (
    "電子保証発行日時：発注者が保証証書を確認するシステム（プラットフォーム）に保証証書が到着した日時です。",
    "SHA-256：各版の保証証書（PDF）のハッシュ値です。証拠一式の PDF から計算した値（Windows では "
    "certutil -hashfile ファイル名 SHA256）と一致すれば、寄託された保証証書と同一です。",
    "訂正前の証書と取り消された変更は、電子保証履歴一覧には表示されませんが、この記録には記載しています。",
)

RULE = colors.Color(0.3, 0.3, 0.3)
SOFT = colors.Color(0.4, 0.4, 0.4)
HASH_SIZE = 6.8  # 64 hex digits on one line of the history table

_STYLES = paragraph_styles(
    FACE,
    label=dict(fontSize=9, leading=12),
    value=dict(fontSize=9.5, leading=13),
    head=dict(fontSize=8.5, leading=11),
    cell=dict(fontSize=8.5, leading=11.5),
    hash=dict(fontSize=HASH_SIZE, leading=10),
    soft=dict(fontSize=8, leading=11),
    body=dict(fontSize=9.5, leading=15),
    note=dict(fontSize=7.8, leading=11, leftIndent=12, firstLineIndent=-12),
    verdict=dict(fontSize=10, leading=15),
    broken=dict(fontSize=10, leading=15),
)
_STYLES["soft"].textColor = SOFT  # the certificate a 訂正 replaced, a withdrawn change
_STYLES["broken"].textColor = STAMP  # a chain that does not hold


def _style(name: str) -> ParagraphStyle:
    return _STYLES[name]


def _p(text: str, style: str) -> Paragraph:
    return Paragraph(text, _style(style))


# ----------------------------------------------------------------------------- text of the record


def moment_text(value: Any, *, seconds: bool = True) -> str:
    """`2026-12-06T10:00:05+09:00` → `令和08年12月06日 10:00:05` (JST); empty for nothing."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = clock.to_jst(moment)
    return f"{wareki(moment.date())} {moment:%H:%M:%S}" if seconds else f"{wareki(moment.date())} {moment:%H:%M}"


def cell_moment(value: Any) -> str:
    """A moment in a narrow table cell: the date, and the time under it."""
    return moment_text(value).replace(" ", "<br/>", 1)


def orderer_name(guarantee: Mapping[str, Any]) -> str:
    """The orderer as the registry names it (栃木県), or the 被保証者 printed on the certificate."""
    if guarantee.get("orderer_name"):
        return guarantee["orderer_name"]
    certificate = guarantee.get("certificate") or {}
    for orderer in orderers.seed():
        if orderer.orderer_id and orderer.orderer_id == certificate.get("orderer_id"):
            return orderer.name
    return certificate.get("beneficiary") or ""


def withdrawn_changes(guarantee: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every 変更取消 the answer names, at its top or on a history entry, once each, in order."""
    found: dict[Any, Mapping[str, Any]] = {}
    for entry in [guarantee, *(guarantee.get("history") or [])]:
        for item in entry.get("withdrawn") or []:
            found.setdefault((item.get("change_number"), item.get("cancelled_at")), item)
    return sorted(found.values(), key=lambda item: (item.get("change_number") or 0, str(item.get("cancelled_at"))))


# ----------------------------------------------------------------------------- tables


def _labelled(rows: list[tuple]) -> Table:
    """Label | value rows in a ruled box, labels shaded; a row of four, (label, value, label, value),
    holds two short items side by side."""
    pair_label = 70
    half = (CONTENT_WIDTH - LABEL_WIDTH - pair_label) / 2
    widths = [LABEL_WIDTH, half, pair_label, half]
    data, style = [], []
    for i, row in enumerate(rows):
        if len(row) == 4:
            data.append([_p(row[0], "label"), _p(row[1], "value"), _p(row[2], "label"), _p(row[3], "value")])
            style.append(("BACKGROUND", (2, i), (2, i), LABEL_FILL))
        else:
            data.append([_p(row[0], "label"), _p(row[1], "value"), "", ""])
            style.append(("SPAN", (1, i), (3, i)))
    table = Table(data, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FACE),  # not the default (unembedded) Helvetica
                ("BOX", (0, 0), (-1, -1), 0.9, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
                *style,
            ]
        )
    )
    return table


def _grid(data: list[list[Any]], widths: list[float], extra: Iterable[tuple] = ()) -> Table:
    """A ruled table with a shaded heading row, repeated when it breaks onto the next page."""
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FACE),
                ("BOX", (0, 0), (-1, -1), 0.9, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 5),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                *extra,
            ]
        )
    )
    return table


def _guarantee_table(guarantee: Mapping[str, Any], issuer: Issuer) -> Table:
    certificate = guarantee["certificate"]
    desk = guarantee.get("desk") or {}
    contractor = certificate.get("contractor") or {}
    holder = markup(contractor.get("name"))
    if contractor.get("jv_name"):
        holder = f"{markup(contractor['jv_name'])}<br/>代表者　{holder}"
    addressee = markup(orderer_name(guarantee))
    if desk.get("department_name"):
        addressee += "　" + markup(desk["department_name"])
    status = markup(guarantee.get("status_label") or desk.get("status_label") or "")
    ending = guarantee.get("ending") or {}
    if ending.get("date"):
        status += f"（{wareki_of(ending['date'])}）"
    return _labelled(
        [
            ("保証契約番号", markup(certificate["contract_number"]), "商品", markup(product_label(certificate))),
            ("発行者", markup(desk.get("issuer_name") or issuer.company), "状態", status),
            ("発注者", addressee),
            ("被保証者", markup(certificate.get("beneficiary"))),
            (work_label(certificate), markup(certificate.get("work_name"))),
            ("受注者", holder),
            ("保証金額", markup(yen(int(certificate["guarantee_amount"]))), "保証期限", wareki_of(certificate["guarantee_deadline"])),
        ]
    )


def _presentation_table(guarantee: Mapping[str, Any]) -> Table:
    desk = guarantee.get("desk") or {}
    via = VIA.get(desk.get("via") or "")
    if via is None:
        how = "記録なし"  # not on the desk: the record says so rather than guess
    else:
        how = f"{markup(via[0])}<br/>（{markup(via[1].format(service=SERVICE))}）"
    return _labelled([("提示方法", how, "提示日時", cell_moment(desk.get("presented_at")) or "記録なし")])


def _hash(value: Any) -> Paragraph:
    return _p(markup(value or "（未記録）"), "hash")


def _history_table(guarantee: Mapping[str, Any]) -> Table:
    """One row per shown version (the leaflet's 電子保証履歴一覧 columns, in its order, and the
    certificate's SHA-256); a 訂正 adds a row for the certificate it replaced; each 変更取消 a row
    naming the withdrawn change."""
    head = ["No.", "電子保証発行日時", "対象", "電子保証", "SHA-256（保証証書 PDF）"]
    data: list[list[Any]] = [[_p(text, "head") for text in head]]
    extra: list[tuple] = []
    for no, entry in enumerate(guarantee.get("history") or [], start=1):
        label = markup(entry.get("label"))
        correction = entry.get("correction") or None
        if correction:
            label += "<br/>（訂正）"
        data.append(
            [
                _p(str(entry.get("no") or no), "cell"),
                _p(cell_moment(entry.get("issued_at")), "cell"),
                _p(markup(entry.get("target") or ""), "cell"),
                _p(label, "cell"),
                _hash(entry.get("sha256")),
            ]
        )
        if correction:
            replaced = correction.get("replaces") or {}
            row = len(data)
            data.append(
                [
                    "",
                    _p(cell_moment(replaced.get("issued_at")), "soft"),
                    _p(f"訂正前の証書（{wareki_of(correction['corrected_at'])} 訂正）", "soft"),
                    "",
                    _hash(replaced.get("sha256")),
                ]
            )
            extra.append(("SPAN", (2, row), (3, row)))
    for item in withdrawn_changes(guarantee):
        row = len(data)
        text = f"{markup(item.get('label'))} を取消（変更取消 {moment_text(item.get('cancelled_at'), seconds=False)}）"
        if item.get("reason"):
            text += f"　理由：{markup(item['reason'])}"
        data.append(["", _p(text, "soft"), "", "", ""])
        extra.append(("SPAN", (1, row), (-1, row)))
    widths = [22, 86, 30, 52]
    return _grid(data, widths + [CONTENT_WIDTH - sum(widths)], extra)


def _receipts_table(guarantee: Mapping[str, Any]) -> Table | Paragraph:
    receipts = guarantee.get("receipts") or []
    if not receipts:
        return _p("受領確認の記録はありません。", "body")
    head = ["電子保証", "受領確認日時", "確認者", "備考"]
    data: list[list[Any]] = [[_p(text, "head") for text in head]]
    for receipt in receipts:
        data.append(
            [
                _p(markup(receipt.get("label")), "cell"),
                _p(cell_moment(receipt.get("received_at")), "cell"),
                _p(markup(receipt.get("received_by")), "hash"),
                _p("訂正前の証書に対する受領確認" if receipt.get("superseded") else "", "cell"),
            ]
        )
    widths = [52, 86, 170]
    return _grid(data, widths + [CONTENT_WIDTH - sum(widths)])


# ----------------------------------------------------------------------------- pages


class _Pages:
    """Flowables set one under another, onto a new page when the next does not fit; a table that
    does not fit is split (its heading row repeated)."""

    def __init__(self, c: Canvas, number: str, issuer: Issuer):
        self.c, self.number, self.issuer = c, number, issuer
        self.page = 1
        self.y = TOP
        self.fresh = False  # at the top of a continuation page, nothing drawn yet

    def _foot(self) -> None:
        c = self.c
        c.setFillColor(SOFT)
        c.setFont(FACE, 8)
        c.drawString(MARGIN_X, 40, f"{TITLE}　保証契約番号 {self.number}")
        c.drawRightString(PAGE_WIDTH - MARGIN_X, 40, f"{self.issuer.company}　{self.page}頁")

    def new_page(self) -> None:
        self._foot()
        self.c.showPage()
        self.page += 1
        self.y = TOP
        self.c.setFillColor(INK)
        self.c.setFont(FACE, 11)
        self.c.drawString(MARGIN_X, self.y - 11, f"{TITLE}（続き）")
        self.y -= 30
        self.fresh = True

    def heading(self, text: str) -> None:
        if self.y - 40 < BOTTOM:  # a heading never stands alone at the foot of a page
            self.new_page()
        self.c.setFillColor(INK)
        self.c.setFont(FACE, 11)
        self.c.drawString(MARGIN_X, self.y - 11, text)
        self.c.setStrokeColor(RULE)
        self.c.setLineWidth(0.6)
        self.c.line(MARGIN_X, self.y - 15, MARGIN_X + CONTENT_WIDTH, self.y - 15)
        self.y -= 22
        self.fresh = False

    def flow(self, flowable, gap: float = 10) -> None:
        pending = [flowable]
        while pending:
            item = pending.pop(0)
            _, height = item.wrapOn(self.c, CONTENT_WIDTH, PAGE_HEIGHT)
            parts = []
            if self.y - height < BOTTOM and isinstance(item, Table):
                parts = item.split(CONTENT_WIDTH, self.y - BOTTOM)
            if self.y - height >= BOTTOM or (self.fresh and len(parts) < 2):
                # It fits, or it fits on no page and cannot be split: drawn here, whatever it takes.
                item.drawOn(self.c, MARGIN_X, self.y - height)
                self.y -= height
                self.fresh = False
                continue
            if len(parts) > 1:
                first, *rest = parts
                _, first_height = first.wrapOn(self.c, CONTENT_WIDTH, PAGE_HEIGHT)
                first.drawOn(self.c, MARGIN_X, self.y - first_height)
                pending[:0] = rest
            else:
                pending.insert(0, item)
            self.new_page()
        self.y -= gap

    def finish(self) -> None:
        self._foot()
        self.c.showPage()


@serialised
def render_deposit_record(
    guarantee: Mapping[str, Any], issuer: Issuer | None = None, made_at: datetime | None = None
) -> bytes:
    """The 寄託記録 of one guarantee as PDF bytes (unsigned); `made_at` is printed as the time the
    record was made and dates the PDF (default: now). Identical input and time give identical bytes."""
    ensure_fonts(FACE)
    issuer = issuer or load_issuer()
    made_at = clock.to_jst(made_at) if made_at else clock.now()
    certificate = guarantee["certificate"]
    number = certificate["contract_number"]

    buffer = io.BytesIO()
    c = new_canvas(
        buffer, title=f"{TITLE} {number}", author=issuer.company, subject=product_label(certificate), face=FACE, moment=made_at
    )
    pages = _Pages(c, number, issuer)

    c.setFillColor(INK)
    c.setFont(FACE, 9.5)
    c.drawRightString(PAGE_WIDTH - MARGIN_X, TOP - 4, f"作成日時　{moment_text(made_at)}（日本時間）")
    c.setFont(FACE, 20)
    c.drawCentredString(PAGE_WIDTH / 2, TOP - 36, TITLE, charSpace=8)
    c.setFont(FACE, 10)
    c.drawCentredString(PAGE_WIDTH / 2, TOP - 54, f"―　{SUBTITLE}　―")
    pages.y = TOP - 70
    pages.flow(
        _p(
            f"下記の電子保証について、「{SERVICE}」に記録された提示（寄託）、電子証書の各版、受領確認"
            "および履歴の検証結果を、次のとおり記録します（この記録には電子署名が付されています）。",
            "body",
        ),
        gap=10,
    )

    pages.heading("1．保証の内容")
    pages.flow(_guarantee_table(guarantee, issuer))
    pages.heading("2．提示（寄託）")
    pages.flow(_presentation_table(guarantee))
    pages.heading("3．電子保証（履歴情報）")
    pages.flow(_history_table(guarantee))
    pages.heading("4．受領確認")
    pages.flow(_receipts_table(guarantee))
    pages.heading("5．履歴の検証")
    holds = bool(guarantee.get("chain_valid"))
    pages.flow(_p(("" if holds else "【注意】") + (CHAIN_HOLDS if holds else CHAIN_BROKEN), "verdict" if holds else "broken"), gap=8)
    for note in NOTES:
        pages.flow(_p("※　" + markup(note), "note"), gap=2)
    pages.finish()
    c.save()
    return buffer.getvalue()
