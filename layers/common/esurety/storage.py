"""The documents bucket: certificate versions and auth-key notices."""
from __future__ import annotations

import hashlib

from botocore.exceptions import ClientError

from .aws import client
from .config import settings

PDF = "application/pdf"


def certificate_key(contract_number: str, version: int) -> str:
    return f"certificates/{contract_number}/v{version:03d}.pdf"


def notice_key(contract_number: str) -> str:
    return f"notices/{contract_number}.pdf"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_pdf(key: str, data: bytes, kms_key_id: str | None = None) -> str:
    """Put a PDF; with `kms_key_id`, encrypted under that KMS key (SSE-KMS) instead of the bucket's SSE-S3."""
    digest = sha256(data)
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
    client("s3").put_object(
        Bucket=settings().bucket_name,
        Key=key,
        Body=data,
        ContentType=PDF,
        Metadata={"sha256": digest},
        **encryption,
    )
    return digest


def head(key: str) -> dict:
    return client("s3").head_object(Bucket=settings().bucket_name, Key=key)


def exists(key: str) -> bool:
    try:
        head(key)
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


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


def get_bytes(key: str, version_id: str | None = None) -> bytes:
    params = {"Bucket": settings().bucket_name, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    return client("s3").get_object(**params)["Body"].read()


def presigned_url(key: str, filename: str) -> str:
    return client("s3").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings().bucket_name,
            "Key": key,
            "ResponseContentType": PDF,
            "ResponseContentDisposition": f'inline; filename="{filename}"',
        },
        ExpiresIn=settings().presign_seconds,
    )


def download_link(key: str, filename: str) -> dict:
    """What the API returns for a document: a short-lived link and how long it lives."""
    return {"url": presigned_url(key, filename), "expires_in": settings().presign_seconds}
