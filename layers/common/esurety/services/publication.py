"""Publication: a certificate PDF arrived in the bucket, so it is now on the platform.

S3 delivers each event at least once. The version's state moves rendered -> published with a
conditional write, so only one delivery wins; only the winner sends the e-mail. The notice PDF
is put before that write, so a delivery that fails half-way is finished by the retry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError

from .. import clock, keys, mailer, metrics, signing, storage
from ..certificates import PUBLISHED, RENDERED, render_input
from ..config import settings
from ..documents.notice import render_notice
from ..models import ContractItem, VersionItem

logger = Logger(child=True)
_CERTIFICATE_KEY = re.compile(r"^certificates/(?P<number>\d{5}-\d{5}[A-Z])/v(?P<version>\d{3})\.pdf$")


@dataclass(frozen=True)
class Arrival:
    s3_key: str
    event_time: datetime  # when the object arrived: the certificate's issued-at


def _conditional_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def publish(arrival: Arrival) -> str:
    """Returns what happened, for the log: published | already-published | ignored-*."""
    match = _CERTIFICATE_KEY.fullmatch(arrival.s3_key)
    if not match:
        return "ignored-not-a-certificate"
    number, version_no = match["number"], int(match["version"])
    try:
        version = VersionItem.get(*VersionItem.key(number, version_no), consistent_read=True)
    except VersionItem.DoesNotExist:
        logger.warning("certificate object without a version record", extra={"s3_key": arrival.s3_key})
        return "ignored-unknown-version"
    if version.state == PUBLISHED:
        return "already-published"
    stored_sha = storage.head(arrival.s3_key).get("Metadata", {}).get("sha256")
    if stored_sha != version.sha256:
        # Never publish bytes other than the ones recorded; the issue call will put them again.
        logger.error("certificate object does not match its version record", extra={"s3_key": arrival.s3_key})
        return "ignored-digest-mismatch"

    contract = ContractItem.get(*ContractItem.key(number), consistent_read=True)
    key = keys.decrypt(contract.key_ciphertext, number)
    storage.put_pdf(storage.notice_key(number), signing.sign_pdf(render_notice(render_input(version), key)), kms_key_id=settings().notice_kms_key_id)
    del key

    try:
        version.update(
            actions=[VersionItem.state.set(PUBLISHED), VersionItem.issued_at.set(arrival.event_time)],
            condition=VersionItem.state == RENDERED,
        )
    except UpdateError as error:
        if _conditional_failed(error):
            return "already-published"
        raise
    metrics.count(metrics.CERTIFICATES_PUBLISHED)
    metrics.publication_latency(version.rendered_at, clock.now())
    if contract.notify_email:
        _notify(contract, version)
    return "published"


def _notify(contract: ContractItem, version: VersionItem) -> None:
    try:
        # Claim the notice first: of two racing deliveries only one may send (at most one e-mail).
        version.update(actions=[VersionItem.notified_at.set(clock.now())], condition=VersionItem.notified_at.does_not_exist())
    except UpdateError as error:
        if _conditional_failed(error):
            return
        raise
    content = version.content
    mailer.send(
        contract.notify_email,
        mailer.ISSUED_SUBJECT,
        mailer.issued_body(content["contractor"]["name"], contract.contract_number, content["product_label"], content["work_name"]),
    )
