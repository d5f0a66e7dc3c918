"""What counts as English on a Japanese screen: the screens' check (browser_support.check_screen) and
the error messages' check (tests/unit/test_messages_in_japanese.py) read words the same way."""
from __future__ import annotations

import re

# Latin letters a Japanese screen may show: abbreviations people read as such (PDF, QR コード, JV,
# URL, CSV, Eメール, MB, SHA-256), the names of the export's encodings a clerk chooses between (UTF-8,
# Shift_JIS, CP932) and the leaflet's own words (its service is called 「Net Desk」, its
# history table numbers rows 「No.」). Everything else in Latin letters is a word of English or an
# internal id left on a screen.
ALLOWED_LATIN = frozenset({"PDF", "QR", "JV", "URL", "CSV", "E", "ID", "PC", "MB", "KB", "SHA", "UTF", "SHIFT_JIS", "CP",
                           "NET", "DESK", "NO"})

WORD = re.compile(r"[A-Za-z]+(?:['_-][A-Za-z]+)*")


def latin_words(text: str) -> list[str]:
    """The Latin-letter words of `text` that are not ALLOWED_LATIN, each once, sorted."""
    return sorted({w for w in WORD.findall(text) if w.upper() not in ALLOWED_LATIN})
