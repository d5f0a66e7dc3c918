"""Normalisation of text typed by hand (full-width digits, stray spaces, look-alike hyphens)."""
from __future__ import annotations

import re
import unicodedata

# Characters people (and IMEs) type where a hyphen is meant; NFKC maps only some of them to "-".
HYPHEN_LIKE = "-‐‑‒–—―−ー－ｰ﹣⁃˗➖"
_HYPHENS = re.compile("[" + re.escape(HYPHEN_LIKE) + "]")
_SPACES = re.compile(r"\s+")


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def clean(value: str) -> str:
    """Free text (names, addresses): NFKC and trimmed; inner single spaces are kept."""
    return _SPACES.sub(" ", nfkc(value)).strip()


def compact_code(value: str) -> str:
    """A code typed from paper: NFKC, every space removed, every hyphen-like character made '-'."""
    return _HYPHENS.sub("-", _SPACES.sub("", nfkc(value)))
