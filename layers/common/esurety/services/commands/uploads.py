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

from ...domain import attachments
from ...domain.japanese import clock
from ...aws import applications_repository, bucket_keys, storage
from ...domain import error_codes
from ...domain.errors import InputError, NotFound, Problem
from ...domain.identity import Caller
from ...aws.models import UploadItem, condition_failed

logger = Logger(child=True)
AWAITING, CHECKED, REFUSED = "awaiting", "checked", "refused"
_UPLOAD_ID = re.compile(r"^[0-9a-f]{24}$")
_UPLOAD_KEY = bucket_keys.UPLOAD


def object_key(upload_id: str) -> str:
    return bucket_keys.upload(upload_id)


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
    """Judge the arrived object version; returns the outcome for the log.

    The presigned POST may be replayed while it lives: each replay puts another version under the
    key. The first version judged is the upload (its version id is what staff open); any other
    version that arrives is recorded as a swap attempt, never judged, never served.
    """
    match = _UPLOAD_KEY.fullmatch(s3_key)
    if not match:
        return "ignored-not-an-upload"
    try:
        item = applications_repository.upload(match["upload_id"])
    except UploadItem.DoesNotExist:
        return "ignored-unknown-upload"
    if item.state != AWAITING:
        return _another_version(item, version_id)
    data, version_id = storage.read_version(s3_key, version_id, attachments.MAX_BYTES)
    verdict = attachments.judge_pdf(data)
    state = CHECKED if verdict.ok else REFUSED
    try:
        item.update(
            actions=[
                UploadItem.state.set(state),
                UploadItem.reason.set(verdict.reason),
                UploadItem.reason_code.set(verdict.code),
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
        # Two versions' arrivals judged at once: the other one's judgement stands.
        return _another_version(applications_repository.upload(item.upload_id), version_id)
    logger.info("upload checked", extra={"upload_id": item.upload_id, "state": state, "code": verdict.code})
    return state


def _another_version(item: UploadItem, version_id: str | None) -> str:
    """An arrival after the judgement: the same version again (S3 delivers at least once), or a
    replayed POST's new object, recorded (a set: a repeated delivery counts once) and never served."""
    if not version_id or version_id == "null" or version_id == item.object_version:
        return f"already-{item.state}"
    item.update(actions=[UploadItem.swap_versions.add({version_id})])
    logger.warning("upload swap attempt", extra={"upload_id": item.upload_id, "s3_version": version_id})
    return "swap-refused"


def require_checked(caller: Caller, upload_id: str, field: str = "upload_id") -> UploadItem:
    """The upload an application names: this company's, and found to be a real PDF."""
    if not _UPLOAD_ID.fullmatch(upload_id or ""):
        raise InputError(Problem(field, "not_upload_id", "is not an upload id"))
    try:
        item = applications_repository.upload(upload_id)
    except UploadItem.DoesNotExist:
        raise InputError(Problem(field, "no_such_upload", "no such upload")) from None
    if item.company_id != caller.company_id:
        raise InputError(Problem(field, "no_such_upload", "no such upload"))  # another company's upload does not exist here
    if item.state == AWAITING:
        raise InputError(Problem(field, "upload_pending", "the upload has not arrived or is still being checked"))
    if item.state == REFUSED:
        raise InputError(Problem(field, error_codes.upload_refused(item.reason_code), f"the uploaded file was refused: {item.reason}"))
    if not item.object_version:
        # Checked before versions were recorded (or in an unversioned bucket): nothing to pin.
        raise InputError(Problem(field, "upload_not_pinned", "the upload cannot be pinned to the version that was checked: upload it again"))
    return item


def staff_link(upload_id: str, version_id: str) -> dict:
    """The checked version only: a link to the key alone would serve whatever was put last."""
    return storage.download_link(object_key(upload_id), f"nintei-{upload_id}.pdf", version_id)


def get(upload_id: str) -> UploadItem:
    try:
        return applications_repository.upload(upload_id, consistent=False)
    except UploadItem.DoesNotExist:
        raise NotFound("upload") from None


def verdict(caller: Caller, upload_id: str) -> dict:
    """What the check found, for the contractor's form: awaiting | checked | refused (with why)."""
    if not _UPLOAD_ID.fullmatch(upload_id or ""):
        raise InputError(Problem("upload_id", "not_upload_id", "is not an upload id"))
    try:
        item = applications_repository.upload(upload_id)
    except UploadItem.DoesNotExist:
        raise NotFound("upload") from None
    if item.company_id != caller.company_id:
        raise NotFound("upload")  # another company's upload does not exist here
    return {
        "upload_id": item.upload_id,
        "state": item.state,
        "reason": item.reason,
        "code": item.reason_code,  # stable, for the form's logic
        "message": attachments.message(item.reason_code),  # Japanese, for the contractor's screen
        "size": int(item.size) if item.size is not None else None,
        "pages": int(item.pages) if item.pages is not None else None,
        "max_bytes": attachments.MAX_BYTES,
    }
