"""Normalisation of text typed by hand (full-width digits, stray spaces, look-alike hyphens)."""
from __future__ import annotations

import re
import unicodedata

# Characters people (and IMEs) type where a hyphen is meant; NFKC maps only some of them to "-".
HYPHEN_LIKE = "-‐‑‒–—―−ー－ｰ﹣⁃˗➖"
_HYPHENS = re.compile("[" + re.escape(HYPHEN_LIKE) + "]")
_SPACES = re.compile(r"\s+")
_SPACE_RUNS = re.compile(r"\s+")
IDEOGRAPHIC_SPACE = "\u3000"

# Characters that print nothing (or reorder what is printed) while still being stored: on a
# document with legal force they would make two different names look alike, or a name look like
# nothing. Unicode's Default_Ignorable_Code_Point set (zero-width, joiners, fillers, variation
# selectors, which the PDF fonts cannot draw either) plus the bidirectional controls.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SURROGATE = re.compile("[\ud800-\udfff]")


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def clean(value: str) -> str:
    """Free text (names, addresses, work names) as typed: trimmed, each run of spaces made one.

    No NFKC here: a name on a certificate must read as registered (全角括弧, ㈱, 髙 stay what
    they are); width only matters for codes, numbers and dates, which `compact_code` handles.
    A run that starts with a full-width space stays one full-width space; any other run of white
    space (tabs and line breaks included: documents print each field as flowing text) is one
    ASCII space.
    """
    def one(run: re.Match) -> str:
        return IDEOGRAPHIC_SPACE if run.group(0)[0] == IDEOGRAPHIC_SPACE else " "

    return _SPACE_RUNS.sub(one, value).strip()


def has_surrogate(value: str) -> bool:
    """A lone UTF-16 surrogate (JSON `"\\ud800"`): not a character, cannot be stored or printed."""
    return bool(_SURROGATE.search(value))


def unprintable_reason(value: str) -> str | None:
    """Why `value` cannot be printed on a document as it reads (English), or None when it can."""
    found = unprintable(value)
    return found[1] if found else None


def unprintable(value: str) -> tuple[str, str] | None:
    """(code, English reason) why `value` cannot be printed on a document as it reads, or None.

    Refused: control characters, lone surrogates, private-use and unassigned code points,
    invisible characters (zero-width spaces and joiners, fillers, variation selectors), bidirectional
    controls (code `unprintable_character`); and text that has no visible character at all
    (combining marks alone: `no_visible_character`).
    """
    for char in value:
        category = unicodedata.category(char)
        if char in _BIDI:
            return "unprintable_character", f"contains a bidirectional control character (U+{ord(char):04X})"
        if category == "Cs":
            return "unprintable_character", f"contains a lone surrogate (U+{ord(char):04X}), which is not a character"
        if category in ("Cc", "Zl", "Zp"):
            return "unprintable_character", f"contains a control character (U+{ord(char):04X})"
        if category in ("Cf", "Co", "Cn") or _INVISIBLE.fullmatch(char):
            return "unprintable_character", f"contains an invisible or unprintable character (U+{ord(char):04X})"
    if value and not any(unicodedata.category(c)[0] in "LNPS" for c in value):
        return "no_visible_character", "has no visible character"
    return None


def compact_code(value: str) -> str:
    """A code typed from paper: NFKC, every space removed, every hyphen-like character made '-'."""
    return _HYPHENS.sub("-", _SPACES.sub("", nfkc(value)))


def ascii_hyphens(value: str) -> str:
    """Every hyphen-like character made '-', nothing else changed (a path a clerk typed a number into)."""
    return _HYPHENS.sub("-", value)
