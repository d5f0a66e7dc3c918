"""Publication: a certificate PDF arrived in the bucket, so it is now on the platform.

The bucket sends each arrival to the publication queue, the publisher reads it (retried, then
dead-lettered); a retried issue and the reconciler put republish requests on the same queue.
Any of them may come more than once, in any order, so every step is judged on what is stored:
- the bytes judged are those of the event's object version (the one recorded, for a republish
  request), compared with the digest the version records;
- `rendered -> published` is a conditional write: of repeated deliveries one wins, its issued-at
  stands; the notice is put before it, once (`If-None-Match`), and recorded by it; after it the
  key generation is read again, and a rotation meanwhile gets its notice (services/commands/notices.py);
- the e-mail is claimed (`notified_at`) before it is queued (services/commands/outbox.py), so at most one goes out; a delivery
  that finds the version published but the e-mail unclaimed claims and sends it, so a delivery
  that failed after publishing loses nothing it had not claimed.
The version's sparse `VERSIONS#pending` gsi1 entry lasts until all of this is done.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError

from ...domain.japanese import clock
from ...domain.guarantee import lifecycle
from ... import metrics
from ...aws import bucket_keys, contracts_repository, keys, storage
from ...aws import client
from ...domain.guarantee.certificates import CORRECTION, NEW, PUBLISHED, RENDERED
from ...config import settings
from ...domain.mail.messages import ISSUED_SUBJECT, issued_body
from ...aws.models import ContractItem, VersionItem, condition_failed
from . import desk, notices, outbox
from .. import issuers

logger = Logger(child=True)
_CERTIFICATE_KEY = bucket_keys.CERTIFICATE


@dataclass(frozen=True)
class Arrival:
    s3_key: str
    # When the object arrived (S3 eventTime): the certificate's issued-at. None for a republish
    # request: then the recorded object version's LastModified is.
    event_time: datetime | None
    version_id: str | None = None  # the object version the event is about; None: the recorded one


def _finished() -> list:
    return [VersionItem.gsi1pk.remove(), VersionItem.gsi1sk.remove()]


def awaits_publication(version: VersionItem) -> bool:
    """Stored under certificates/ (digest recorded) and not yet published."""
    return version.state == RENDERED and bool(version.sha256) and bool(_CERTIFICATE_KEY.fullmatch(version.s3_key))


def chain_link(version: VersionItem, pdf_sha256: str | None) -> list:
    """The update actions that join `version` to the contract's hash chain (lifecycle.link): its
    digest over its fields and PDF, and the digest of the record it follows, among the records
    linked before it."""
    number = version.contract_number
    linked = [r for r in contracts_repository.versions(number) if int(r.version) < int(version.version) and r.record_sha256]
    version.sha256 = pdf_sha256  # the link covers the bytes as stored
    previous, digest = lifecycle.link(number, linked, version)
    return [VersionItem.record_sha256.set(digest), VersionItem.previous_sha256.set(previous)]


def _is_the_records(version: VersionItem, s3_key: str) -> bool:
    """The key is the one recorded for `version`, or, while no object is recorded yet, the key its
    own object goes to beside another record's (bucket_keys.owner_key)."""
    if s3_key == version.s3_key:
        return True
    return bool(version.record_id) and not version.sha256 and s3_key == bucket_keys.owner_key(version.s3_key, version.record_id)


def record_stored(version: VersionItem, stored: storage.StoredObject) -> VersionItem:
    """Record the digest of the one object version stored for `version`, and its chain link;
    the first record stands. Where the object went beside another record's, its key is recorded
    too (storage.create_pdf)."""
    actions = [VersionItem.sha256.set(stored.sha256), *chain_link(version, stored.sha256)]
    if stored.version_id and stored.version_id != "null":
        actions.append(VersionItem.s3_version_id.set(stored.version_id))
    if stored.key != version.s3_key:
        actions.append(VersionItem.s3_key.set(stored.key))
    try:
        version.update(actions=actions, condition=VersionItem.sha256.does_not_exist())
    except UpdateError as error:
        if not condition_failed(error):
            raise
        version.refresh(consistent_read=True)  # recorded by a concurrent call: the same single object
    return version


# ------------------------------------------------------------------------- the queue's messages


def request(contract_number: str, version: int) -> None:
    """Ask the publisher (through its queue, so with its retries) to publish a stored version again."""
    body = {"republish": {"contract_number": contract_number, "version": int(version)}}
    client("sqs").send_message(QueueUrl=settings().publication_queue_url, MessageBody=json.dumps(body))


def _event_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def arrivals(message: dict) -> list[Arrival]:
    """What one queue message asks for: an S3 event notification, S3's test event, or a republish request."""
    if "republish" in message:
        wanted = message["republish"]
        return [Arrival(bucket_keys.certificate(wanted["contract_number"], int(wanted["version"])), None)]
    found = []
    for record in message.get("Records") or []:  # s3:TestEvent has none
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        obj = record["s3"]["object"]
        found.append(Arrival(unquote_plus(obj["key"]), _event_time(record["eventTime"]), obj.get("versionId")))
    return found


# ------------------------------------------------------------------------- publishing


def publish(arrival: Arrival) -> str:
    """Returns what happened, for the log: published | already-published | notified | ignored-* |
    deferred-earlier-on-its-way (waits for an earlier version, which publishes it next) |
    refused-foreign-object (another record's object: logged as an error, counted, alarmed)."""
    match = _CERTIFICATE_KEY.fullmatch(arrival.s3_key)
    if not match:
        return "ignored-not-a-certificate"
    number, version_no = match["number"], int(match["version"])
    try:
        version = contracts_repository.version(number, version_no)
    except VersionItem.DoesNotExist:
        logger.warning("certificate object without a version record", extra={"s3_key": arrival.s3_key})
        return "ignored-unknown-version"
    republish = arrival.event_time is None
    s3_key = version.s3_key if republish else arrival.s3_key  # a republish request: the object recorded
    if not _is_the_records(version, s3_key):
        # Another record's object: one a lost table write left under this number and version.
        storage.refuse_foreign(s3_key, match["owner"], version.record_id)
        return "refused-foreign-object"
    if version.state == PUBLISHED:
        # The delivery that published it may have stopped before renewing its notice.
        notices.renew(number, version)
        desk.published(number, version)  # the delivery that published it may have stopped before its desk row
        _publish_following(number, version_no)  # the delivery that published it may have stopped before
        if version.gsi1pk is None:
            return "already-published"
        # Published, but the delivery that did it failed before claiming the e-mail: finish it.
        contract = contracts_repository.get(number)
        _notify(contract, version)
        return "notified"

    object_version = arrival.version_id or version.s3_version_id
    if object_version is None and republish:
        # A republish request for a version whose issue call never recorded an object: nothing is
        # known to be stored (the application is still submitted; issuing it again stores it).
        return "ignored-not-stored"
    stored = storage.read(s3_key, object_version)
    if version.record_id and stored.owner != version.record_id:
        # At the record's key, but put by another record (or before owners were recorded): never
        # recorded, never published; this record's own object goes beside it (storage.create_pdf).
        storage.refuse_foreign(s3_key, stored.owner, version.record_id)
        return "refused-foreign-object"
    if not version.sha256:
        # The issue call put the object but did not live to record it: the one version stored is it.
        version = record_stored(version, stored)
    if stored.sha256 != version.sha256:
        # Never publish bytes other than the ones recorded.
        logger.error("certificate object does not match its version record", extra={"s3_key": s3_key})
        return "ignored-digest-mismatch"

    earlier = _earlier_on_its_way(number, version_no)
    if earlier is not None:
        # The orderer sees the chain in order: 変更ー2 never before 変更ー1 (its link names the record
        # before it). This one stays pending; the earlier one's publication publishes it next.
        logger.info("publication deferred: an earlier version is on its way",
                    extra={"s3_key": s3_key, "earlier_version": int(earlier.version)})
        return "deferred-earlier-on-its-way"

    contract = contracts_repository.get(number)
    if contract.ending and version.kind != NEW:
        # Nothing changes the content after 解約 / 履行請求 (endings.py refuses while a change or
        # correction is on its way); should one arrive anyway, it stays unpublished and leaves the
        # pending index, so the reconciler does not ask for it again.
        logger.error("certificate of an ended contract not published", extra={"s3_key": arrival.s3_key, "kind": version.kind})
        try:
            version.update(actions=_finished(), condition=VersionItem.state == RENDERED)
        except UpdateError as error:
            if not condition_failed(error):
                raise
        return "ignored-contract-ended"
    notice = _put_notice(contract, version)

    issued_at = arrival.event_time or stored.last_modified
    actions = [VersionItem.state.set(PUBLISHED), VersionItem.issued_at.set(issued_at), *notice]
    if not contract.notify_email:
        actions += _finished()
    outcome = "published"
    try:
        version.update(actions=actions, condition=VersionItem.state == RENDERED)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        # Another delivery published it, or this one did and its answer was lost.
        version.refresh(consistent_read=True)
        outcome = "already-published"
    else:
        metrics.count(metrics.CERTIFICATES_PUBLISHED)
        metrics.publication_latency(version.rendered_at, clock.now())
    notices.renew(number, version)  # a rotation meanwhile did not see this version published
    desk.published(number, version)  # the orderer's desk, if the guarantee was presented there
    _notify(contract, version)
    _publish_following(number, version_no)
    return outcome


def _earlier_on_its_way(number: str, version_no: int) -> VersionItem | None:
    """An earlier record of the contract still awaiting its publication (rendered, on the pending
    index), which must take effect before `version_no` does."""
    for record in contracts_repository.versions(number):
        if int(record.version) < version_no and record.state == RENDERED and record.gsi1pk is not None and record.s3_key:
            return record
    return None


def _publish_following(number: str, version_no: int) -> None:
    """Publish the next version that waited for this one (deferred above), from its recorded object;
    its own publication publishes the one after it."""
    for record in contracts_repository.versions(number):
        if int(record.version) > version_no and awaits_publication(record) and record.gsi1pk is not None:
            outcome = publish(Arrival(record.s3_key, None))
            logger.info("following version published", extra={"s3_key": record.s3_key, "outcome": outcome})
            return


def _put_notice(contract: ContractItem, version: VersionItem) -> list:
    """Put the version's notice with the key of the generation just read; the update actions that
    record it (services/commands/notices.py), for the write that publishes the version."""
    number, generation = contract.contract_number, int(contract.key_generation or 1)
    key = keys.decrypt(contract.key_ciphertext, number)
    target = notices.put(number, version, key, generation, issuers.issuer_of(contract))
    del key
    return notices.recording(target, generation)


def _notify(contract: ContractItem, version: VersionItem) -> None:
    if not contract.notify_email or version.notified_at is not None:
        return
    try:
        # Claim the notice first: of two racing deliveries only one may send (at most one e-mail).
        version.update(
            actions=[VersionItem.notified_at.set(clock.now()), *_finished()],
            condition=VersionItem.notified_at.does_not_exist(),
        )
    except UpdateError as error:
        if condition_failed(error):
            return
        raise
    content = version.content
    number, version_no = contract.contract_number, int(version.version)
    outbox.put(
        f"issued#{number}#v{version_no:03d}",
        ContractItem.partition(number),
        contract.notify_email,
        ISSUED_SUBJECT,
        issued_body(content["contractor"]["name"], contract.contract_number, content["product_label"], content["work_name"],
                    branch_code=content.get("branch_code"), version_label=_mail_label(version)),
    )


def _mail_label(version: VersionItem) -> str:
    """新規 / 変更ー k; a 訂正 says it replaces the certificate of its label."""
    shown = lifecycle.label(version.change_number)
    return f"{shown}・訂正" if version.kind == CORRECTION else shown
