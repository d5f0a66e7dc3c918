"""The desk's files: the CSV export of the list and the evidence ZIP (証拠一式) of one guarantee.

Each request makes its own object in the documents bucket, under the orderer's prefix
(`bucket_keys.export_key`, `bucket_keys.evidence_key`) at a fresh key, and answers a short-lived presigned
link that downloads it as an attachment under an ASCII name. Both are audited like the desk's
other reads: who, what (the export's filters and row count), when.
"""
from __future__ import annotations

import secrets

from ...aws import bucket_keys, contracts_repository, storage
from ...domain import desk_export
from ...domain.errors import InputError, Problem
from ...domain.identity import Caller
from ...domain.japanese import clock
from ...documents import evidence as evidence_files
from .. import contracts
from ..commands import desk as desk_commands
from . import desk
from .desk_evidence import evidence_file

MAX_CERTIFICATE_BYTES = 20 * 1024 * 1024  # far above any certificate; a read never takes more


def export(
    caller: Caller, *, format: str | None = "csv", encoding: str | None = None, department: str | None = None,
    product: str | None = None, status: str | None = None, view: str | None = None, q: str | None = None,
    sort: str | None = None, issuer_id: str | None = None,
) -> dict:
    """Every row the list shows with these filters, as one CSV file: `{url, rows, substituted}`.
    The format and encoding are judged first: a refused request reads and writes nothing."""
    if (format or "csv") not in desk_export.FORMATS:
        raise InputError(Problem("format", "invalid_choice", f"must be one of {', '.join(desk_export.FORMATS)}"))
    encoding = desk_export.check_encoding(encoding)
    filters, rows = desk.all_rows(caller, department=department, product=product, status=status, view=view, q=q, sort=sort, issuer_id=issuer_id)
    rows = list(rows)
    data, substituted = desk_export.csv_export(rows, encoding)
    made_at = clock.now()
    key = bucket_keys.export_key(caller.orderer_id, made_at, secrets.token_hex(8))
    media_type = desk_export.MEDIA_TYPES[encoding]
    storage.put_file(key, data, media_type)
    desk_commands.audited(caller, "desk-export", format="csv", encoding=encoding, **filters, rows=len(rows), s3_key=key)
    url = storage.presigned_url(key, desk_export.export_filename(made_at), content_type=media_type, disposition="attachment")
    return {"url": url, "rows": len(rows), "substituted": substituted}


def evidence(caller: Caller, number: str) -> dict:
    """The evidence ZIP of one guarantee on this caller's desk (404 for any other): every shown
    version's certificate PDF as stored, and the signed 寄託記録 of the desk's answer for it."""
    number = contracts.path_number(number)
    guarantee = desk.one(caller, number)  # 404 for a guarantee not on this caller's desk
    by_version = {int(r.version): r for r in contracts_repository.versions(number)}
    pdfs = []
    for entry in guarantee["history"]:
        record = by_version[int(entry["version"])]
        # The recorded object version, whatever was put at the key later: the bytes the record's SHA-256 is of.
        data, _ = storage.read_version(record.s3_key, record.s3_version_id, MAX_CERTIFICATE_BYTES)
        pdfs.append((evidence_files.certificate_filename(entry["label"]), data))
    made_at = clock.now()
    archive = evidence_file(guarantee, pdfs, made_at)
    key = bucket_keys.evidence_key(caller.orderer_id, number, made_at, secrets.token_hex(8))
    storage.put_file(key, archive, evidence_files.MEDIA_TYPE)
    desk_commands.audited(caller, "desk-evidence", number, versions=[int(e["version"]) for e in guarantee["history"]], s3_key=key)
    url = storage.presigned_url(key, evidence_files.evidence_filename(number), content_type=evidence_files.MEDIA_TYPE, disposition="attachment")
    return {"url": url}
