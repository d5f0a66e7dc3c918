"""The opaque cursor of a list read from an index with a read budget (the desk, the staff's search).

A cursor is base64url of the index's name and the last key read, and is bound to the index and
the partition it was made for: another list's cursor, another tenant's or a forged one is 422
`cursor` `invalid_cursor`, so a cursor opens nothing its caller could not list anyway.
"""
from __future__ import annotations

import base64
import binascii
import json

from ..domain.errors import InputError, Problem


def encode(index: str, key: dict) -> str:
    raw = json.dumps({"i": index, "k": key}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def bad_cursor() -> InputError:
    return InputError(Problem("cursor", "invalid_cursor", "is not a cursor this list gave"))


def decode(cursor: str | None, index: str, hash_name: str, hash_value: str) -> dict | None:
    """The DynamoDB start key of a cursor; 422 `cursor` for one not made for this list (another
    index, another partition, or no cursor at all)."""
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key = data["k"]
        ok = data["i"] == index and isinstance(key, dict) and key.get(hash_name) == hash_value
        ok = ok and all(isinstance(v, str) for v in key.values()) and len(key) == 4
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise bad_cursor() from None
    if not ok:
        raise bad_cursor()
    return {name: {"S": value} for name, value in key.items()}


def position(item, index: str) -> dict:
    """The key of `item` in `index` (gsi1 … gsi4): where the next page starts after it."""
    n = index[-1]
    return {"pk": item.pk, "sk": item.sk, f"gsi{n}pk": getattr(item, f"gsi{n}pk"), f"gsi{n}sk": getattr(item, f"gsi{n}sk")}
