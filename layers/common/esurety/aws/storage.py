"""The documents bucket: certificate versions and auth-key notices; the desk's exports and evidence files.

Every object a record puts names its owner, the record's random `record_id`, in its metadata
(`x-amz-meta-record-id`). Keys derive from the contract number and version only, and the table
can lose writes the bucket kept (a point-in-time restore of the table): the same number and
version are then handed out again, and the object at the key is a previous life's. So an object
found at a key is adopted only when it names the record as its owner; a foreign one is refused
(logged, counted as ForeignObjects, alarmed), left where it is, and the record's document goes to
its own key beside it, `…/v001-{record_id}.pdf`, which no other record can hold.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from . import client
from .bucket_keys import owner_key
from .. import metrics
from ..config import settings
from ..domain.guarantee.file_names import FileName

PDF = "application/pdf"
OWNER = "record-id"  # the metadata entry naming the record an object belongs to (x-amz-meta-record-id)
logger = Logger(child=True)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StoredObject:
    """One object version as it is in the bucket."""

    key: str
    version_id: str | None
    # Of the bytes read (or put), not of what the metadata claims; None when found but not read.
    sha256: str | None
    last_modified: datetime | None = None  # when it arrived; None when we just put it ourselves
    owner: str | None = None  # the record id its metadata names (None: put before owners were recorded)


# Concurrent conditional writes to one key: S3 answers 409 to all but the one it is completing.
_CONFLICT_ATTEMPTS = 3


def create_pdf(
    key: str, data: bytes, read_back: bool = True, kms_key_id: str | None = None, owner: str | None = None
) -> tuple[StoredObject | None, bool]:
    """Put a PDF only where no object is (`If-None-Match: *`): one object version per key, ever.

    Returns the object that is stored for the caller and whether this call created it. When
    another call stored it first, its bytes are read back (unless `read_back` is false), so the
    caller learns what really is stored (a signature carries its signing time: two renderings of
    one document differ in bytes). With `kms_key_id` the object is encrypted under that KMS key
    (SSE-KMS) instead of the bucket's SSE-S3.

    With `owner` (the record's id) the object names it, and one found at `key` is adopted only if
    it names the same owner. Otherwise (another record's, or not readable here: `read_back`
    false) the PDF goes to `owner_key(key, owner)`, and the object returned has that key: the
    caller records where its document is. Without `owner` (a record written before owners were
    recorded) whatever is at `key` stays, as before; not read back, (None, False).
    """
    digest = sha256(data)
    put = _put_once(key, data, digest, owner, kms_key_id)
    if put is not None:
        return put, True
    if owner is None:
        return (read(key) if read_back else None), False
    if read_back:
        found = read(key)
        if found.owner == owner:
            return found, False  # this record's own object, put by an earlier call
        refuse_foreign(key, found.owner, owner)
    # Another record's object, or one this caller may not read (a notice): this record's own key,
    # which no other record can hold, so whatever is there is this record's.
    mine = owner_key(key, owner)
    put = _put_once(mine, data, digest, owner, kms_key_id)
    if put is not None:
        return put, True
    return (read(mine) if read_back else StoredObject(mine, None, None, owner=owner)), False


def _put_once(key: str, data: bytes, digest: str, owner: str | None, kms_key_id: str | None) -> StoredObject | None:
    """The object put at `key`, or None when one is there already."""
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
    metadata = {"sha256": digest, **({OWNER: owner} if owner else {})}
    for attempt in range(_CONFLICT_ATTEMPTS):
        try:
            response = client("s3").put_object(
                Bucket=settings().bucket_name,
                Key=key,
                Body=data,
                ContentType=PDF,
                Metadata=metadata,
                IfNoneMatch="*",
                **encryption,
            )
            return StoredObject(key, response.get("VersionId"), digest, owner=owner)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "PreconditionFailed":
                return None  # already there: whatever was put first stays
            if code == "ConditionalRequestConflict" and attempt + 1 < _CONFLICT_ATTEMPTS:
                continue  # a concurrent write was in flight; asking again tells which one won
            raise
    raise AssertionError("unreachable")  # the last attempt returns or raises


def refuse_foreign(key: str, found: str | None, wanted: str | None) -> None:
    """Log and count an object that belongs to another record: it is never adopted or published.
    The log names the key and both record ids (no secret is in either)."""
    logger.error("foreign object refused", extra={"s3_key": key, "object_record_id": found, "record_id": wanted})
    metrics.count(metrics.FOREIGN_OBJECTS)


def owned(key: str, owner: str | None) -> str | None:
    """Where `owner`'s document of `key` is: `key` itself if its object names the owner (or the
    record has no owner recorded), else the owner's own key if stored there; None if neither."""
    found = _head_if_there(key)
    if found is None:
        return None
    if owner is None or (found.get("Metadata") or {}).get(OWNER) == owner:
        return key
    refuse_foreign(key, (found.get("Metadata") or {}).get(OWNER), owner)
    mine = owner_key(key, owner)
    return mine if _head_if_there(mine) is not None else None


def _head_if_there(key: str) -> dict | None:
    try:
        return client("s3").head_object(Bucket=settings().bucket_name, Key=key)
    except ClientError as error:
        # A role that may not list the bucket hears 403 for a missing key, as S3 answers it.
        if _missing(error) or error.response.get("Error", {}).get("Code") in ("403", "AccessDenied"):
            return None
        raise


def read(key: str, version_id: str | None = None) -> StoredObject:
    """An object version that exists (the current one without `version_id`), with its bytes' digest."""
    arguments = {"Bucket": settings().bucket_name, "Key": key}
    if version_id and version_id != "null":
        arguments["VersionId"] = version_id
    response = client("s3").get_object(**arguments)
    body = response["Body"].read()
    owner = (response.get("Metadata") or {}).get(OWNER)
    return StoredObject(key, response.get("VersionId"), sha256(body), response.get("LastModified"), owner)


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def presigned_upload(key: str, max_bytes: int, content_type: str = PDF) -> dict:
    """A presigned POST for one object: S3 refuses another key, type or a size outside 1..max_bytes."""
    post = client("s3").generate_presigned_post(
        Bucket=settings().bucket_name,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=settings().presign_seconds,
    )
    return {"url": post["url"], "fields": post["fields"], "expires_in": settings().presign_seconds}


def read_version(key: str, version_id: str | None, max_bytes: int) -> tuple[bytes, str | None]:
    """At most `max_bytes` + 1 bytes of an object version, and the version S3 says it served
    (the current one without `version_id`): a caller that judges bytes learns which it judged."""
    params = {"Bucket": settings().bucket_name, "Key": key}
    if version_id and version_id != "null":
        params["VersionId"] = version_id
    response = client("s3").get_object(**params)
    return response["Body"].read(max_bytes + 1), response.get("VersionId")


def put_file(key: str, data: bytes, content_type: str) -> None:
    """Put a file made for one request (an export, an evidence ZIP) at its own fresh key: nothing
    else is ever put there, so a repeat of the request makes another file and overwrites none."""
    client("s3").put_object(
        Bucket=settings().bucket_name, Key=key, Body=data, ContentType=content_type, Metadata={"sha256": sha256(data)}, IfNoneMatch="*",
    )


def content_disposition(disposition: str, filename: str | FileName) -> str:
    """The Content-Disposition a link asks S3 to answer with. S3 refuses (400 InvalidArgument, "Header
    value cannot be represented using ISO-8859-1") a header override it cannot send as Latin-1, so a
    Japanese name travels as RFC 5987's `filename*=UTF-8''` (percent-encoded, ASCII), beside a plain
    ASCII `filename` for a client that reads only that (RFC 6266: a browser that reads both takes
    `filename*`)."""
    if isinstance(filename, str):
        return f'{disposition}; filename="{filename}"'
    encoded = quote(filename.name, safe="")
    return f"{disposition}; filename=\"{filename.fallback}\"; filename*=UTF-8''{encoded}"


def presigned_url(
    key: str, filename: str | FileName, version_id: str | None = None, content_type: str = PDF, disposition: str = "inline"
) -> str:
    """With `version_id` the link serves that version only, whatever is put under the key later.
    A PDF opens in the browser (inline); a file to keep (`disposition="attachment"`) is saved
    under `filename`: an ASCII name as it is, a FileName (domain/guarantee/file_names.py) under its
    Japanese name (its ASCII twin where the client cannot read that)."""
    params = {
        "Bucket": settings().bucket_name,
        "Key": key,
        "ResponseContentType": content_type,
        "ResponseContentDisposition": content_disposition(disposition, filename),
    }
    if version_id:
        params["VersionId"] = version_id
    return client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=settings().presign_seconds)


def download_link(key: str, filename: str | FileName, version_id: str | None = None) -> dict:
    """What the API returns for a document: a short-lived link and how long it lives."""
    return {"url": presigned_url(key, filename, version_id), "expires_in": settings().presign_seconds}
