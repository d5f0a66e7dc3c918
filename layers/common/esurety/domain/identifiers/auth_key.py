"""認証キー: the secret the orderer types to read a certificate.

Twelve characters from 56 letters and digits without look-alikes (0/O/o, 1/l/I): 12 x log2(56)
= 69.7 bits from `secrets`. The key is kept only as an HMAC-SHA256 under a server-side pepper
(for verification) and as a KMS-encrypted copy (to show it to the contractor again).
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets

from ..japanese.text import compact_code

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
LENGTH = 12
ENTROPY_BITS = LENGTH * math.log2(len(ALPHABET))


def generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str:
    """As typed from a PDF: full-width characters and stray spaces accepted; case is kept."""
    return compact_code(typed)


def digest(key: str, pepper: bytes) -> str:
    return hmac.new(pepper, key.encode("utf-8"), hashlib.sha256).hexdigest()


def matches(typed: str, stored_digest: str, pepper: bytes) -> bool:
    return hmac.compare_digest(digest(normalise(typed), pepper), stored_digest)
