"""The names a downloaded document is saved under: Japanese, with the contract number and the label.

A clerk files the certificate of 変更ー1 as `保証証書_31073-00001M_変更ー1.pdf`, not as an internal record
number (`v003` may be the 訂正 of 新規). Each name has an ASCII twin (`certificate-31073-00001M-change1.pdf`)
for the HTTP header's plain `filename`, which a browser that does not read RFC 5987's `filename*` uses
(aws/storage.py builds the header from both).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..catalogue.issuer import Document

# What each kind of document is called in running text (documents/kinds.py prints the same words).
DOCUMENT_NAMES = {
    Document.SURETY_CERTIFICATE: "保証証書",
    Document.PERFORMANCE_BOND: "保証証券",
    Document.BANK_GUARANTEE: "保証書",
}
NOTICE = "認証キーのお知らせ"
FEE_STATEMENT = "保証料計算書"
REFUND_STATEMENT = "保証料返還計算書"
# Windows, macOS and the browsers refuse or replace these in a saved file's name.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_LABEL = re.compile(r"^(?:新規|変更ー(\d+))(（取消）| 変更取消)?$")


@dataclass(frozen=True)
class FileName:
    name: str  # the name as the clerk reads it (Japanese)
    fallback: str  # ASCII, for a client that reads only `filename`


def _clean(text: str) -> str:
    return _FORBIDDEN.sub("", text).replace(" ", "_").replace("\u3000", "_")


def ascii_label(label: str) -> str:
    """`新規` → `new`, `変更ー2` → `change2`; a withdrawn change's statement and its 変更取消's
    (services/contracts.fee_statements) → `change2-withdrawn`, `change2-cancellation`."""
    match = _LABEL.match(label or "")
    if not match:
        return "document"
    base = f"change{match.group(1)}" if match.group(1) else "new"
    suffix = {"（取消）": "-withdrawn", " 変更取消": "-cancellation"}.get(match.group(2) or "", "")
    return base + suffix


def _named(kind_ja: str, kind_ascii: str, number: str, label: str | None, note: str = "", note_ascii: str = "") -> FileName:
    parts = [kind_ja, number] + ([label + note] if label else ([note] if note else []))
    fallback = [kind_ascii, number] + ([ascii_label(label)] if label else []) + ([note_ascii] if note_ascii else [])
    return FileName(_clean("_".join(parts)) + ".pdf", re.sub(r"[^A-Za-z0-9._-]", "", "-".join(fallback)) + ".pdf")


def certificate(number: str, label: str, document: Document | str | None = None, *, superseded: bool = False) -> FileName:
    """The certificate of one version: `保証証書_{number}_{label}.pdf` (保証証券 / 保証書 for an insurer's
    or a bank's document). `superseded`: a record no longer shown (replaced by a 訂正, or a change
    withdrawn), which staff still open: its name says so, and two files never share one name."""
    name = DOCUMENT_NAMES.get(Document(document), "保証証書") if document else "保証証書"
    note, note_ascii = ("（表示対象外）", "superseded") if superseded else ("", "")
    return _named(name, "certificate", number, label, note, note_ascii)


def notice(number: str, label: str) -> FileName:
    """電子保証にかかる「認証キー」のお知らせ of one version."""
    return _named(NOTICE, "notice", number, label)


def fee_statement(number: str, label: str, refund: bool = False, *, superseded: bool = False) -> FileName:
    """保証料計算書 (保証料返還計算書 when the version returns part of the fee) of one version."""
    note, note_ascii = ("（表示対象外）", "superseded") if superseded else ("", "")
    return _named(REFUND_STATEMENT if refund else FEE_STATEMENT, "fee-statement", number, label, note, note_ascii)


def termination_statement(number: str) -> FileName:
    """The 保証料返還計算書 of a 解約."""
    return _named(REFUND_STATEMENT, "termination", number, None, "解約")
