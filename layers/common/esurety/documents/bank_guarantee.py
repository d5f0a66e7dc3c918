"""保証書: a bank's 契約保証 (金融機関の保証), as a one-page A4 PDF.

公共工事標準請負契約約款 第4条 lets the contractor give 「この契約による債務の不履行により生ずる損害金
の支払を保証する銀行…の保証」 instead of a 契約保証金. Municipal rules say what the orderer checks on the
bank's 保証書 (see docs/documents.md): it is addressed to the orderer, the contractor is the one who
asked for it (主たる債務者), it guarantees the payment of the damages the contractor's default causes,
its 保証期限 covers the 工期, its amount is at least the required share of the contract price, and
a claim may be made until at least six months after the 保証期限.

So the 保証書 reads as the bank's letter to the orderer: its title (「変更ー n」 under it for a change),
the orderer addressed and the issue date, the sentence by which the bank guarantees, then 記:
保証契約番号, 債権者, 主たる債務者, 保証金額, 保証期限, the 請求期限 (six months after the 保証期限), the
契約の内容 (工事名, 請負代金額, 工期, 契約締結日); the conditions of the guarantee, and the bank as 保証人
with its handling branch (取扱店). Same page, face and frame as the surety's 保証証書 (`formal`).
"""
from __future__ import annotations

from typing import Any, Mapping

from reportlab.platypus import Paragraph

from ..domain.japanese.money import yen
from . import INK, Issuer, markup, wareki_of, work_label
from .formal import (
    CONTENT_WIDTH,
    FACE,
    MARGIN_X,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    add_months,
    change_mark,
    draw_conditions,
    draw_issuer,
    draw_title,
    flow,
    grouped_table,
    holder_lines,
    open_document,
    period,
    style,
)
from .kinds import Wording

CLAIM_MONTHS = 6  # a claim may be made until six months after the 保証期限
LEAD = (
    "{we}は、下記の主たる債務者が債権者との間に締結した工事請負契約に基づく債務の不履行により"
    "債権者に生ずる損害金の支払を、次の条件により保証します。"
)
CONDITIONS = (
    "主たる債務者の責めに帰すべき事由により債権者が工事請負契約を解除したとき、又は主たる債務者の"
    "破産管財人、更生管財人若しくは再生債務者等が工事請負契約を解除したときは、{we}は、"
    "保証金額を限度として、債権者に生じた損害金を支払います。",
    f"保証債務の履行の請求は、保証期限の経過後{CLAIM_MONTHS}か月以内（上記の請求期限まで）に、"
    "書面又は電磁的方法により{we}の取扱店に行ってください。",
    "工事請負契約の内容が変更されたときは、表題の下に「変更ー」の表示と変更の発生番号を付記し、"
    "変更後の内容を表示した保証書を交付します。",
)


def _table(certificate: Mapping[str, Any]):
    deadline = certificate["guarantee_deadline"]
    rows = [
        ("保証契約番号", markup(certificate["contract_number"])),
        ("債権者", markup(certificate["beneficiary"])),
        ("主たる債務者", "<br/>".join(holder_lines(certificate.get("contractor") or {}))),
        ("保証金額", markup(yen(certificate["guarantee_amount"]))),
        ("保証期限", wareki_of(deadline)),
        ("請求期限", f"{add_months(deadline, CLAIM_MONTHS)}（保証期限の経過後{CLAIM_MONTHS}か月）"),
    ]
    contract = [
        (work_label(certificate), markup(certificate["work_name"])),
        ("請負代金額", markup(yen(certificate["contract_price"]))),
        ("工期", period(certificate["period_start"], certificate["period_end"])),
        ("契約締結日", wareki_of(certificate["contract_date"])),
    ]
    return grouped_table(rows, "契約の内容", contract, padding=5)


def _draw_addressee(c, certificate: Mapping[str, Any], y: float) -> None:
    """The orderer addressed on the left, the issue date on the right (a letter's head)."""
    text = f"{certificate['beneficiary']}　様"
    size = 14 if c.stringWidth(text, FACE, 14) < CONTENT_WIDTH - 150 else 11
    c.setFillColor(INK)
    c.setFont(FACE, size)
    c.drawString(MARGIN_X + 6, y, text)
    c.setLineWidth(0.7)
    c.setStrokeColor(INK)
    c.line(MARGIN_X + 6, y - 5, MARGIN_X + 6 + max(c.stringWidth(text, FACE, size), 180), y - 5)
    c.setFont(FACE, 11)
    c.drawRightString(PAGE_WIDTH - MARGIN_X - 6, y, wareki_of(certificate["issue_date"]))


def render_bank_guarantee(certificate: Mapping[str, Any], issuer: Issuer, words: Wording) -> bytes:
    """The 保証書 as PDF bytes (`certificate.render_certificate` chooses it and holds the render lock)."""
    buffer, c = open_document(certificate, issuer, words)
    y = PAGE_HEIGHT - 58 - 66
    mark = change_mark(certificate)
    draw_title(c, words.title, mark, y)
    y -= 56 if mark else 44
    _draw_addressee(c, certificate, y)
    y -= 22
    y = flow(c, Paragraph("　" + markup(LEAD.format(we=words.we)), style("clause")), MARGIN_X + 6, y, CONTENT_WIDTH - 12) - 8

    c.setFillColor(INK)
    c.setFont(FACE, 11)
    c.drawCentredString(PAGE_WIDTH / 2, y - 11, "記")
    y -= 20
    y = flow(c, _table(certificate), MARGIN_X, y, CONTENT_WIDTH) - 12
    y = draw_conditions(c, "保証の条件", [text.format(we=words.we) for text in CONDITIONS], y) - 14

    draw_issuer(c, issuer, certificate.get("branch_code"), y, role="保証人", branch_label=words.branch_label)
    c.showPage()
    c.save()
    return buffer.getvalue()
