"""認定調書: the orderer's certification a 中間前払金保証 application comes with, as a PDF (pure).

The contractor uploads it straight to the bucket (a presigned POST bound to one key, a size range
and the PDF content type). Those bounds are enforced by S3 before any byte is stored; this module
is the second look, after arrival: the bytes must really be a PDF a person can open.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024  # a scanned certification of a few pages; larger is refused by S3 itself
PDF_TYPE = "application/pdf"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None = None  # English, for the staff screen and the log
    pages: int = 0


def judge_pdf(data: bytes, max_bytes: int = MAX_BYTES) -> Verdict:
    """Whether `data` is a PDF within the size that opens with at least one page."""
    if not data:
        return Verdict(False, "the file is empty")
    if len(data) > max_bytes:
        return Verdict(False, f"the file is larger than {max_bytes} bytes")
    if not data.startswith(b"%PDF-"):
        return Verdict(False, "the file is not a PDF")
    from pyhanko.pdf_utils.reader import PdfFileReader  # the reader is only needed here

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.security_handler is not None:
            return Verdict(False, "the PDF is encrypted")
        pages = int(reader.root["/Pages"]["/Count"])
    except Exception as error:  # any parse failure means nobody can open it: refuse, never crash
        return Verdict(False, f"the PDF cannot be read ({type(error).__name__})")
    if pages < 1:
        return Verdict(False, "the PDF has no page")
    return Verdict(True, pages=pages)
