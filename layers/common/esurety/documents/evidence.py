"""証拠一式: the evidence file of one guarantee, a ZIP the clerk files in the contract's 一件書類.

It holds every shown version's certificate PDF, named by its label (`保証証書_新規.pdf`,
`保証証書_変更ー1.pdf`, …), and the signed 寄託記録 (`寄託記録.pdf`, documents/deposit_record.py).
The names are Japanese and stored in UTF-8 with the ZIP's language-encoding flag (general purpose
bit 11) set, which Windows Explorer (Windows 10 and later), macOS and 7-Zip honour; without it
Explorer would read the bytes in the system's code page (CP932) and show garbage.

Every certificate must be one of the versions the record lists: its SHA-256 must be a shown
version's (or the certificate a 訂正 replaced), so the file never holds a PDF its own record does
not vouch for. Entries are dated with the record's time (`made_at`, JST; the ZIP format has no
zone), stored in the order given, deflated: the same input gives the same bytes.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime
from typing import Any, Iterable, Mapping

from ..domain.japanese import clock

DEPOSIT_RECORD_FILENAME = "寄託記録.pdf"
MEDIA_TYPE = "application/zip"
UTF8_NAMES = 0x800  # general purpose bit 11: file names are UTF-8
_FORBIDDEN_IN_NAMES = set('\\/:*?"<>|') | {chr(i) for i in range(32)}


def certificate_filename(label: str, document_name: str = "保証証書") -> str:
    """`保証証書_新規.pdf`, `保証証書_変更ー1.pdf`: the file of a version in the evidence ZIP.

    `document_name`: what the issuer's document is called (`kinds.wording(...).name`: 保証証書,
    保証証券, 保証書), so an insurer's bond is filed as `保証証券_新規.pdf`."""
    return f"{document_name}_{label}.pdf"


def evidence_filename(contract_number: str) -> str:
    """The ZIP's own name for a download link (ASCII, like `certificate-{number}-v001.pdf`)."""
    return f"evidence-{contract_number}.zip"


def vouched_digests(guarantee: Mapping[str, Any]) -> set[str]:
    """The SHA-256 of every certificate the record lists: each shown version's, and the one each 訂正 replaced."""
    digests = set()
    for entry in guarantee.get("history") or []:
        if entry.get("sha256"):
            digests.add(entry["sha256"])
        replaced = (entry.get("correction") or {}).get("replaces") or {}
        if replaced.get("sha256"):
            digests.add(replaced["sha256"])
    return digests


def _check_name(name: str, seen: set[str]) -> None:
    if not name or name != name.strip() or set(name) & _FORBIDDEN_IN_NAMES or name in (".", ".."):
        raise ValueError(f"not a file name for the evidence ZIP: {name!r}")
    if name.casefold() in seen:
        raise ValueError(f"two files named {name!r} in the evidence ZIP")
    seen.add(name.casefold())


def evidence_zip(
    guarantee: Mapping[str, Any],
    certificate_pdfs: Iterable[tuple[str, bytes]],
    deposit_record_pdf: bytes,
    made_at: datetime | None = None,
) -> bytes:
    """The evidence ZIP: the certificates (file name, PDF bytes) in the order given, then
    `寄託記録.pdf`. Raises ValueError for a name that is not a plain file name or is given twice,
    and for a certificate whose SHA-256 the guarantee's history does not list."""
    moment = clock.to_jst(made_at) if made_at else clock.now()
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)
    vouched = vouched_digests(guarantee)
    seen: set[str] = set()
    files: list[tuple[str, bytes]] = []
    for name, pdf in certificate_pdfs:
        _check_name(name, seen)
        if hashlib.sha256(pdf).hexdigest() not in vouched:
            raise ValueError(f"{name}: not a certificate the record lists (its SHA-256 is no shown version's)")
        files.append((name, pdf))
    _check_name(DEPOSIT_RECORD_FILENAME, seen)
    files.append((DEPOSIT_RECORD_FILENAME, deposit_record_pdf))

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # a plain readable file when unpacked on a Unix system
            info.flag_bits |= UTF8_NAMES  # zipfile sets it for non-ASCII names; said here, not assumed
            archive.writestr(info, data)
    return buffer.getvalue()
