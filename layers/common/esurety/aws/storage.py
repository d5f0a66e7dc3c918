"""The documents bucket: certificate versions and auth-key notices."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from botocore.exceptions import ClientError

from . import client
from ..config import settings

PDF = "application/pdf"


def certificate_key(contract_number: str, version: int) -> str:
    return f"certificates/{contract_number}/v{version:03d}.pdf"


def notice_key(contract_number: str, version: int, key_generation: int = 1) -> str:
    """Each version has its own notice; a rotated key (generation 2, 3 …) a new one beside it."""
    suffix = "" if key_generation <= 1 else f"-key{key_generation}"
    return f"notices/{contract_number}/v{version:03d}{suffix}.pdf"


_NOTICE_GENERATION = re.compile(r"-key(?P<generation>\d+)\.pdf$")


def notice_generation(key: str) -> int:
    """The key generation a notice key names (notice_key's inverse): 1 without a `-key` suffix."""
    match = _NOTICE_GENERATION.search(key)
    return int(match["generation"]) if match else 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StoredObject:
    """One object version as it is in the bucket."""

    key: str
    version_id: str | None
    sha256: str  # of the bytes read (or put), not of what the metadata claims
    last_modified: datetime | None = None  # when it arrived; None when we just put it ourselves


# Concurrent conditional writes to one key: S3 answers 409 to all but the one it is completing.
_CONFLICT_ATTEMPTS = 3


def create_pdf(
    key: str, data: bytes, read_back: bool = True, kms_key_id: str | None = None
) -> tuple[StoredObject | None, bool]:
    """Put a PDF only where no object is (`If-None-Match: *`): one object version per key, ever.

    Returns the object that is stored at `key` and whether this call created it. When another
    call stored it first, its bytes are read back (unless `read_back` is false: then None), so the
    caller learns what really is stored (a signature carries its signing time: two renderings of
    one document differ in bytes). With `kms_key_id` the object is encrypted under that KMS key
    (SSE-KMS) instead of the bucket's SSE-S3.
    """
    digest = sha256(data)
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
    for attempt in range(_CONFLICT_ATTEMPTS):
        try:
            response = client("s3").put_object(
                Bucket=settings().bucket_name,
                Key=key,
                Body=data,
                ContentType=PDF,
                Metadata={"sha256": digest},
                IfNoneMatch="*",
                **encryption,
            )
            return StoredObject(key, response.get("VersionId"), digest), True
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "PreconditionFailed":
                break  # already there: whatever was put first stays
            if code == "ConditionalRequestConflict" and attempt + 1 < _CONFLICT_ATTEMPTS:
                continue  # a concurrent write was in flight; asking again tells which one won
            raise
    return (read(key) if read_back else None), False


def read(key: str, version_id: str | None = None) -> StoredObject:
    """An object version that exists (the current one without `version_id`), with its bytes' digest."""
    arguments = {"Bucket": settings().bucket_name, "Key": key}
    if version_id and version_id != "null":
        arguments["VersionId"] = version_id
    response = client("s3").get_object(**arguments)
    body = response["Body"].read()
    return StoredObject(key, response.get("VersionId"), sha256(body), response.get("LastModified"))


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


def presigned_url(key: str, filename: str, version_id: str | None = None) -> str:
    """With `version_id` the link serves that version only, whatever is put under the key later."""
    params = {
        "Bucket": settings().bucket_name,
        "Key": key,
        "ResponseContentType": PDF,
        "ResponseContentDisposition": f'inline; filename="{filename}"',
    }
    if version_id:
        params["VersionId"] = version_id
    return client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=settings().presign_seconds)


def download_link(key: str, filename: str, version_id: str | None = None) -> dict:
    """What the API returns for a document: a short-lived link and how long it lives."""
    return {"url": presigned_url(key, filename, version_id), "expires_in": settings().presign_seconds}
