"""公共工事履行保証証券: a 損害保険会社's bond for 契約保証, as a one-page A4 PDF (いわゆる履行ボンド).

公共工事標準請負契約約款 第4条 lets the contractor give, instead of a 契約保証金, 「この契約による債務の
履行を保証する公共工事履行保証証券による保証」; the orderer then writes 「免除」 in the contract's
契約保証金 field and keeps the bond. What municipal rules ask the orderer to check on it (see
docs/documents.md): the bond names the orderer as 債権者 and the contractor as 債務者, the 保証金額 is
at least the share of the contract price the orderer requires, and the 保証期間 covers the 工期.

So the bond prints: its title, 「変更ー n」 under it for a change, 証券番号 (the platform's contract
number), 債権者, 債務者, 保証金額, 保証期間 (from the contract's date, or the 工期's start if earlier, to the
guarantee deadline: a change's bond, issued mid-way, still covers the whole 工期), the 主契約 (工事名, 契約金額, 工期,
契約締結日), the issue date, the clause that binds the insurer under the insurers' common
公共工事用保証契約基本約款 and the 特約条項, the insurer as 保証人 with its handling branch, and the notes. Same page, face and frame as the surety's 保証証書 (`formal`).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from reportlab.platypus import Paragraph

from ..domain.japanese.money import yen
from . import INK, Issuer, as_date, markup, wareki_of, work_label
from .formal import (
    CONTENT_WIDTH,
    FACE,
    MARGIN_X,
    PAGE_HEIGHT,
    change_mark,
    draw_conditions,
    draw_issuer,
    draw_notes,
    draw_title,
    flow,
    grouped_table,
    holder_lines,
    open_document,
    period,
    style,
)
from .kinds import Wording

BASIC_TERMS = "公共工事用保証契約基本約款"
CLAUSE = (
    f"保証人は、{BASIC_TERMS}及び下記の特約条項に基づき、債務者が上記の主契約に基づく債務を履行することを、"
    "保証金額を限度として債権者に対し保証します。"
)
SPECIAL_TERMS = (
    "主契約が債務者の破産管財人、更生管財人又は再生債務者等により解除された場合も、"
    "債務者の責めに帰すべき事由による債務不履行として保証します。",
    "保証人は、債務不履行が生じたときは、保証金額を債権者に支払うことにより保証債務を履行することができます。",
    f"保証する主債務には、契約不適合責任に基づく債務及び前払金の返還債務を含みません（{BASIC_TERMS}第1条）。",
)
NOTES = (
    "保証契約を変更する場合は、表題の下に「変更ー」の表示と変更の発生番号を付記し、変更後の内容を表示します。",
    "この証券は電子的に交付しています。債権者は「保証確認サービス」において、証券番号と認証キーにより内容を照会できます。",
)


def _start(certificate: Mapping[str, Any]) -> date:
    """The 保証期間 starts with the contract (standard contract, art. 4: the guarantee is given as the
    contract is made) or with the 工期 if that comes first: either way it includes the 工期, as orderers
    require, and a change's bond, issued mid-way, still covers the whole of it."""
    return min(as_date(certificate["contract_date"]), as_date(certificate["period_start"]))


def _table(certificate: Mapping[str, Any]):
    rows = [
        ("証券番号", markup(certificate["contract_number"])),
        ("債権者（発注者）", markup(certificate["beneficiary"])),
        ("債務者（受注者）", "<br/>".join(holder_lines(certificate.get("contractor") or {}))),
        ("保証金額", markup(yen(certificate["guarantee_amount"]))),
        ("保証期間", period(_start(certificate), certificate["guarantee_deadline"], joiner=" から ") + " まで"),
    ]
    contract = [
        (work_label(certificate), markup(certificate["work_name"])),
        ("契約金額", markup(yen(certificate["contract_price"]))),
        ("工期", period(certificate["period_start"], certificate["period_end"])),
        ("契約締結日", wareki_of(certificate["contract_date"])),
    ]
    return grouped_table(rows, "主契約", contract, padding=6.5)


def render_performance_bond(certificate: Mapping[str, Any], issuer: Issuer, words: Wording) -> bytes:
    """The bond as PDF bytes (`certificate.render_certificate` chooses it and holds the render lock)."""
    buffer, c = open_document(certificate, issuer, words)
    y = PAGE_HEIGHT - 58 - 66
    draw_title(c, words.title, change_mark(certificate), y)
    y -= 48
    y = flow(c, _table(certificate), MARGIN_X, y, CONTENT_WIDTH) - 26

    c.setFillColor(INK)
    c.setFont(FACE, 11)
    c.drawString(MARGIN_X + 12, y, wareki_of(certificate["issue_date"]))
    y -= 10
    y = flow(c, Paragraph("　" + markup(CLAUSE), style("clause")), MARGIN_X + 12, y, CONTENT_WIDTH - 12) - 8
    y = draw_conditions(c, "特約条項", SPECIAL_TERMS, y) - 16

    draw_issuer(c, issuer, certificate.get("branch_code"), y, role="保証人", branch_label=words.branch_label)
    draw_notes(c, NOTES)
    c.showPage()
    c.save()
    return buffer.getvalue()
