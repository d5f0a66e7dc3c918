"""Every object key of the documents bucket, in one place (docs/data-model.md lists them).

    certificates/{number}/v{version:03d}.pdf       an electronic certificate (its arrival publishes it)
    paper/{number}/v{version:03d}.pdf              a paper certificate's PDF (printed and posted)
    fees/{number}/v{version:03d}.pdf               a version's 保証料計算書, or a change's difference
    fees/{number}/termination.pdf                  the 保証料返還計算書 of a 解約
    notices/{number}/v{version:03d}[-key{g}].pdf   the auth-key notice of a version (generation g > 1)
    uploads/{upload_id}.pdf                        a 認定調書 the contractor uploads

Any of the record keys may also be `…/v001-{record_id}.pdf` (`owner_key`): a record's own key
beside an object a lost write of the table left at the plain one (esurety/aws/storage.py).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone


def certificate(number: str, version: int) -> str:
    return f"certificates/{number}/v{version:03d}.pdf"


def paper(number: str, version: int) -> str:
    return f"paper/{number}/v{version:03d}.pdf"


def document(number: str, version: int, electronic: bool) -> str:
    """A version's certificate: only electronic ones go under certificates/, whose arrival publishes them."""
    return certificate(number, version) if electronic else paper(number, version)


def fee_statement(number: str, version: int) -> str:
    return f"fees/{number}/v{version:03d}.pdf"


def termination_statement(number: str) -> str:
    return f"fees/{number}/termination.pdf"


def notice(number: str, version: int, key_generation: int = 1) -> str:
    """Each version has its own notice; a rotated key (generation 2, 3 …) a new one beside it."""
    suffix = "" if key_generation <= 1 else f"-key{key_generation}"
    return f"notices/{number}/v{version:03d}{suffix}.pdf"


_NOTICE_GENERATION = re.compile(r"-key(?P<generation>\d+)\.pdf$")


def notice_generation(key: str) -> int:
    """The key generation a notice key names (notice's inverse): 1 without a `-key` suffix."""
    match = _NOTICE_GENERATION.search(key)
    return int(match["generation"]) if match else 1


def upload(upload_id: str) -> str:
    return f"uploads/{upload_id}.pdf"


# certificate's inverse, with or without an owner's record id (what an S3 event names)
CERTIFICATE = re.compile(r"^certificates/(?P<number>(?:\d{2}-)?\d{5}-\d{5}[A-Z])/v(?P<version>\d{3})(?:-(?P<owner>[0-9a-f]{32}))?\.pdf$")
# upload's inverse
UPLOAD = re.compile(r"^uploads/(?P<upload_id>[0-9a-f]{24})\.pdf$")


def owner_key(key: str, owner: str) -> str:
    """The key of `owner`'s own document where `key` is held by another record's object:
    `certificates/N/v001.pdf` -> `certificates/N/v001-{owner}.pdf` (same folder, so the same
    permissions, notifications and lifecycle)."""
    stem, dot, extension = key.rpartition(".")
    return f"{stem}-{owner}.{extension}" if dot else f"{key}-{owner}"


def export_key(orderer_id: str, made_at: datetime, token: str, extension: str = "csv") -> str:
    """The desk's CSV export: under its orderer, named by its time (UTC) and a random token, so
    every export is its own object and no request overwrites another's."""
    return f"exports/{orderer_id}/{made_at.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}-{token}.{extension}"


def evidence_key(orderer_id: str, contract_number: str, made_at: datetime, token: str) -> str:
    """The evidence ZIP (証拠一式) of one guarantee on an orderer's desk, one object per request."""
    return f"evidence/{orderer_id}/{contract_number}/{made_at.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}-{token}.zip"
