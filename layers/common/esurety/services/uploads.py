"""認定調書 uploads: a presigned POST to the bucket, then an S3-triggered check before staff see it.

The contractor's browser sends the PDF straight to S3; the API never carries the bytes. The POST
policy binds one key, the PDF type and a size range, so S3 refuses anything else. When the object
arrives, `check` reads that object version and records whether it is a real PDF; only a checked
upload can be named by an application (`require_checked`).
"""
from __future__ import annotations

import re
import secrets

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError

from .. import attachments, clock
from ..aws import storage
from ..errors import InputError, NotFound, Problem
from ..identity import Caller
from ..aws.models import UploadItem, condition_failed

logger = Logger(child=True)
AWAITING, CHECKED, REFUSED = "awaiting", "checked", "refused"
_UPLOAD_ID = re.compile(r"^[0-9a-f]{24}$")
_UPLOAD_KEY = re.compile(r"^uploads/(?P<upload_id>[0-9a-f]{24})\.pdf$")


def object_key(upload_id: str) -> str:
    return f"uploads/{upload_id}.pdf"


def create(caller: Caller) -> dict:
    upload_id = secrets.token_hex(12)
    key = object_key(upload_id)
    UploadItem(
        *UploadItem.key(upload_id),
        upload_id=upload_id,
        company_id=caller.company_id,
        s3_key=key,
        state=AWAITING,
        created_at=clock.now(),
    ).save(condition=UploadItem.pk.does_not_exist())
    post = storage.presigned_upload(key, attachments.MAX_BYTES)
    return {"upload_id": upload_id, "max_bytes": attachments.MAX_BYTES, **post}


def check(s3_key: str, version_id: str | None) -> str:
    """Judge the arrived object version; returns the outcome for the log."""
    match = _UPLOAD_KEY.fullmatch(s3_key)
    if not match:
        return "ignored-not-an-upload"
    try:
        item = UploadItem.get(*UploadItem.key(match["upload_id"]), consistent_read=True)
    except UploadItem.DoesNotExist:
        return "ignored-unknown-upload"
    if item.state != AWAITING:
        return f"already-{item.state}"  # a repeated delivery, or a second POST after the first was judged
    data = storage.get_bytes(s3_key, version_id)
    verdict = attachments.judge_pdf(data)
    state = CHECKED if verdict.ok else REFUSED
    try:
        item.update(
            actions=[
                UploadItem.state.set(state),
                UploadItem.reason.set(verdict.reason),
                UploadItem.size.set(len(data)),
                UploadItem.pages.set(verdict.pages),
                UploadItem.sha256.set(storage.sha256(data)),
                UploadItem.object_version.set(version_id),
                UploadItem.checked_at.set(clock.now()),
            ],
            condition=UploadItem.state == AWAITING,  # the first judgement stands
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return "already-judged"
    logger.info("upload checked", extra={"upload_id": item.upload_id, "state": state, "reason": verdict.reason})
    return state


def require_checked(caller: Caller, upload_id: str, field: str = "upload_id") -> UploadItem:
    """The upload an application names: this company's, and found to be a real PDF."""
    if not _UPLOAD_ID.fullmatch(upload_id or ""):
        raise InputError(Problem(field, "is not an upload id"))
    try:
        item = UploadItem.get(*UploadItem.key(upload_id), consistent_read=True)
    except UploadItem.DoesNotExist:
        raise InputError(Problem(field, "no such upload")) from None
    if item.company_id != caller.company_id:
        raise InputError(Problem(field, "no such upload"))  # another company's upload does not exist here
    if item.state == AWAITING:
        raise InputError(Problem(field, "the upload has not arrived or is still being checked"))
    if item.state == REFUSED:
        raise InputError(Problem(field, f"the uploaded file was refused: {item.reason}"))
    return item


def staff_link(item: UploadItem) -> dict:
    return storage.download_link(item.s3_key, f"nintei-{item.upload_id}.pdf")


def get(upload_id: str) -> UploadItem:
    try:
        return UploadItem.get(*UploadItem.key(upload_id))
    except UploadItem.DoesNotExist:
        raise NotFound("upload") from None


def verdict(caller: Caller, upload_id: str) -> dict:
    """What the check found, for the contractor's form: awaiting | checked | refused (with why)."""
    if not _UPLOAD_ID.fullmatch(upload_id or ""):
        raise InputError(Problem("upload_id", "is not an upload id"))
    try:
        item = UploadItem.get(*UploadItem.key(upload_id), consistent_read=True)
    except UploadItem.DoesNotExist:
        raise NotFound("upload") from None
    if item.company_id != caller.company_id:
        raise NotFound("upload")  # another company's upload does not exist here
    return {
        "upload_id": item.upload_id,
        "state": item.state,
        "reason": item.reason,
        "size": int(item.size) if item.size is not None else None,
        "pages": int(item.pages) if item.pages is not None else None,
        "max_bytes": attachments.MAX_BYTES,
    }
