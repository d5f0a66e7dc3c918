"""Normalisation of text typed by hand (full-width digits, stray spaces, look-alike hyphens)."""
from __future__ import annotations

import re
import unicodedata

# Characters people (and IMEs) type where a hyphen is meant; NFKC maps only some of them to "-".
HYPHEN_LIKE = "-‐‑‒–—―−ー－ｰ﹣⁃˗➖"
_HYPHENS = re.compile("[" + re.escape(HYPHEN_LIKE) + "]")
_SPACES = re.compile(r"\s+")
_SPACE_RUNS = re.compile(r"\s{2,}")


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def clean(value: str) -> str:
    """Free text (names, addresses, work names) as typed: trimmed, each run of spaces made one.

    No NFKC here: a name on a certificate must read as registered (全角括弧, ㈱, 髙 stay what
    they are); width only matters for codes, numbers and dates, which `compact_code` handles.
    """
    return _SPACE_RUNS.sub(lambda run: run.group(0)[0], value).strip()


def compact_code(value: str) -> str:
    """A code typed from paper: NFKC, every space removed, every hyphen-like character made '-'."""
    return _HYPHENS.sub("-", _SPACES.sub("", nfkc(value)))
