"""Checks on rendered PDFs shared by the document tests."""
from __future__ import annotations

import subprocess

from system_tools import need


def assert_fonts_embedded(pdf: bytes) -> None:
    """`pdffonts` lists only IPAex TrueType fonts, each embedded, subset and with a Unicode map."""
    need("pdffonts")
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        # name type encoding emb sub uni object-id generation
        cols = row.split()
        assert "IPAex" in cols[0] and cols[1] == "TrueType", row
        assert cols[-5:-2] == ["yes", "yes", "yes"], row
