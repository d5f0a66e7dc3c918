"""The one DynamoDB table (PynamoDB). Every key shape is listed in docs/data-model.md.

Each item kind is its own Model class over the same table; a Query always names the kind by
its sort-key prefix, so a model never reads another kind's items. Every key string (pk, sk and
the index keys) is built here, by the model it belongs to, and nowhere else; the reads and
writes that use them are the repositories beside this module (contracts_repository.py,
applications_repository.py).
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from datetime import date, datetime

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.connection import Connection
from pynamodb.models import Model
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..config import settings
from ..domain.catalogue.issuer import DEFAULT_ISSUER_ID
from ..domain.japanese import clock


class _Meta:
    table_name = settings().table_name
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-northeast-1"
    billing_mode = "PAY_PER_REQUEST"


class QueueIndex(GlobalSecondaryIndex):
    """gsi1: applications by issuer and status, oldest first (each issuer's staff queue)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class CompanyIndex(GlobalSecondaryIndex):
    """gsi2: a contractor company's contracts (保証契約一覧)."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class PendingPublicationIndex(GlobalSecondaryIndex):
    """gsi1 again: certificate versions whose publication is not finished, oldest first (the reconciler)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class DeskByExpiryIndex(GlobalSecondaryIndex):
    """gsi3: an orderer's desk by 保証期限 (sort=expiry, the 期限間近 view as a key range); an issuer's contracts by 保証期限."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class _Item(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class ApplicationItem(_Item):
    """pk `APP#{application_id}`, sk `APPLICATION`."""

    SK = "APPLICATION"
    application_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    # The issuer applied to (issuer registry); absent on items written before there were several
    # issuers: the default issuer's (domain/catalogue/issuer.py DEFAULT_ISSUER_ID).
    issuer_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # submitted | issued | rejected
    # new (absent on items written before changes existed) | change (変更, of contract_number) | interim (中間前払金)
    kind = UnicodeAttribute(null=True)
    request = JSONAttribute()  # the validated body, dates as YYYY-MM-DD
    request_sha256 = UnicodeAttribute()  # tells a retried request from a reused Idempotency-Key
    submitted_at = UTCDateTimeAttribute()
    contract_number = UnicodeAttribute(null=True)  # reserved at issue, before the contract is written
    reject_reason = UnicodeAttribute(null=True)
    # 中間前払金保証: the 認定調書's object version and digest as checked, pinned when submitted
    upload_version = UnicodeAttribute(null=True)
    upload_sha256 = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)  # the staff caller's subject (JWT `sub`) who issued or rejected
    # `APPLICATIONS#{status}` (the default issuer's) or `APPLICATIONS#{issuer_id}#{status}`
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)  # `{submitted_at}#{application_id}`
    queue = QueueIndex()
    gsi2pk = UnicodeAttribute(null=True)  # `COMPANY#{company_id}`: the contractor's 申込一覧
    gsi2sk = UnicodeAttribute(null=True)  # `APPLICATION#{submitted_at}#{application_id}`
    by_company = CompanyIndex()

    COMPANY_PREFIX = "APPLICATION#"

    @staticmethod
    def key(application_id: str) -> tuple[str, str]:
        return f"APP#{application_id}", ApplicationItem.SK

    @staticmethod
    def partition(application_id: str) -> str:
        """The application's partition: its audit and mail items when it has no contract."""
        return ApplicationItem.key(application_id)[0]

    @staticmethod
    def queue_key(status: str, issuer_id: str | None) -> str:
        """The staff queue of one issuer and status. The default issuer keeps the key it had
        before there were several issuers, so the applications written then (no issuer_id) stay
        in its queue without being rewritten; every other issuer's queue is a partition of its own."""
        if issuer_id is None or issuer_id == DEFAULT_ISSUER_ID:
            return f"APPLICATIONS#{status}"
        return f"APPLICATIONS#{issuer_id}#{status}"

    @staticmethod
    def queue_entry(status: str, submitted_at: datetime, application_id: str, issuer_id: str | None) -> dict:
        """The gsi1 attributes that put an application in its issuer's staff queue of `status`, oldest first."""
        return {"gsi1pk": ApplicationItem.queue_key(status, issuer_id), "gsi1sk": f"{submitted_at.isoformat()}#{application_id}"}

    @staticmethod
    def company_entry(company_id: str, submitted_at: datetime, application_id: str) -> dict:
        """The gsi2 attributes that list an application among its company's."""
        return {
            "gsi2pk": company_key(company_id),
            "gsi2sk": f"{ApplicationItem.COMPANY_PREFIX}{submitted_at.isoformat()}#{application_id}",
        }


class ContractItem(_Item):
    """pk `CONTRACT#{number}`, sk `CONTRACT`: the guarantee contract's current state."""

    SK = "CONTRACT"
    contract_number = UnicodeAttribute()
    application_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    issuer_id = UnicodeAttribute(null=True)  # the issuer that issued it; absent: the default issuer's
    orderer_id = UnicodeAttribute(null=True)  # None: a paper guarantee for an orderer outside the registry
    orderer_name = UnicodeAttribute()
    product = UnicodeAttribute()
    format = UnicodeAttribute()  # electronic | paper, fixed for the contract's life
    branch_code = UnicodeAttribute()
    notify_email = UnicodeAttribute(null=True)
    content = JSONAttribute()  # the latest certificate content (parties, amounts, dates)
    key_digest = UnicodeAttribute(null=True)  # paper contracts have no key; HMAC-SHA256(pepper, auth key), hex
    key_ciphertext = BinaryAttribute(legacy_encoding=False, null=True)  # KMS-encrypted auth key
    key_generation = NumberAttribute(default=1)  # 2, 3 … after each key rotation by staff
    # The digests of keys renewed away (the last few): a clerk typing one is told the key was
    # renewed rather than "not found" (services/views/verification.py).
    retired_key_digests = ListAttribute(of=UnicodeAttribute, null=True)
    latest_version = NumberAttribute()  # the highest record number written (any kind)
    # Optimistic locking: every staff action on the contract writes revision + 1 on the condition
    # that it still is the revision it read; the loser gets 409 with the current state.
    revision = NumberAttribute(default=0)
    pending_change = UnicodeAttribute(null=True)  # the application id of the one change awaiting staff
    # 解約 or 保証債務履行請求 once recorded: {kind: cancelled | claimed, date, reason, recorded_at, recorded_by}
    ending = JSONAttribute(null=True)
    # Set once the ending's statement is stored and its e-mail claimed (services/commands/endings.py): a
    # retried 解約 completes what is missing, and only the call that sets it sends the e-mail.
    ending_notified_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    gsi2pk = UnicodeAttribute()  # `COMPANY#{company_id}`
    gsi2sk = UnicodeAttribute()  # `CONTRACT#{number}`
    by_company = CompanyIndex()
    # The staff's search (services/views/staff_search.py): the issuer's contracts by issue time
    # (gsi1 `CONTRACTS#{issuer_id}` / `{created_at JST}#{number}`) and by the 保証期限 in force (gsi3
    # `CONTRACTS#{issuer_id}` / `{guarantee_deadline}#{number}`), and the label of the version in force.
    # Written with the contract and with every write of its content (contracts_repository.index_actions);
    # absent on contracts written before them until `python -m tools.contract_index backfill` ran.
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    in_force_label = UnicodeAttribute(null=True)  # 新規 | 変更ー k: of the content in force
    by_issuer = QueueIndex()
    by_issuer_expiry = DeskByExpiryIndex()

    COMPANY_PREFIX = "CONTRACT#"
    ISSUER_PREFIX = "CONTRACTS#"

    @staticmethod
    def key(number: str) -> tuple[str, str]:
        return f"CONTRACT#{number}", ContractItem.SK

    @staticmethod
    def partition(number: str) -> str:
        """The contract's partition: its versions, views, receipts, audit and mail items."""
        return ContractItem.key(number)[0]

    @staticmethod
    def company_entry(company_id: str, number: str) -> dict:
        """The gsi2 attributes that list a contract among its company's."""
        return {"gsi2pk": company_key(company_id), "gsi2sk": f"{ContractItem.COMPANY_PREFIX}{number}"}

    @staticmethod
    def issuer_key(issuer_id: str) -> str:
        """gsi1pk and gsi3pk: an issuer's contracts (the staff's search)."""
        return f"{ContractItem.ISSUER_PREFIX}{issuer_id}"

    @staticmethod
    def issued_sort_key(created_at: datetime, number: str = "") -> str:
        """gsi1sk: the issue time in JST (ISO, milliseconds), so a day of JST is a key range."""
        stamp = clock.to_jst(created_at).isoformat(timespec="milliseconds")
        return f"{stamp}#{number}" if number else stamp

    @staticmethod
    def issued_range(first: date | None, last: date | None) -> tuple[str, str]:
        """The gsi1 sort keys of contracts issued from `first` to `last` (JST days, both included)."""
        return (first.isoformat() if first else "0"), (f"{last.isoformat()}T~" if last else "~")

    @staticmethod
    def expiry_range(first: date, last: date) -> tuple[str, str]:
        """The gsi3 sort keys of contracts whose 保証期限 is from `first` to `last`, both included."""
        return first.isoformat(), f"{last.isoformat()}#~"

    @staticmethod
    def index_entry(issuer_id: str, created_at: datetime, number: str, deadline: str, label: str) -> dict:
        """The search index attributes of a contract (its issuer, issue time, 保証期限 and label in force)."""
        return {
            "gsi1pk": ContractItem.issuer_key(issuer_id), "gsi1sk": ContractItem.issued_sort_key(created_at, number),
            "gsi3pk": ContractItem.issuer_key(issuer_id), "gsi3sk": f"{deadline}#{number}",
            "in_force_label": label,
        }


class VersionItem(_Item):
    """pk `CONTRACT#{number}`, sk `VERSION#{version:03d}`: one certificate version, append-only."""

    contract_number = UnicodeAttribute()
    version = NumberAttribute()
    kind = UnicodeAttribute()  # 新規 | 変更 | 訂正 | 変更取消
    change_number = NumberAttribute(null=True)
    target_version = NumberAttribute(null=True)  # the record a 訂正 replaces or a 変更取消 withdraws
    application_id = UnicodeAttribute(null=True)  # the application a 新規 or 変更 was issued from
    reason = UnicodeAttribute(null=True)  # why (変更申込の理由, 訂正 or 変更取消 by staff)
    decided_by = UnicodeAttribute(null=True)  # the staff subject who issued or recorded it
    # The hash chain (domain/guarantee/lifecycle.py): this record's digest and the digest of the record it follows,
    # written together with sha256 once the PDF is stored (a 変更取消 has no PDF: at its write).
    record_sha256 = UnicodeAttribute(null=True)
    previous_sha256 = UnicodeAttribute(null=True)
    state = UnicodeAttribute()  # rendered | published
    # Random (uuid4 hex), written with the record: its objects name it (x-amz-meta-record-id), so an
    # object a lost write left in the bucket under the same number and version is never adopted
    # (esurety/aws/storage.py). None on records written before it existed.
    record_id = UnicodeAttribute(null=True)
    content = JSONAttribute()  # the certificate as rendered into this version's PDF
    s3_key = UnicodeAttribute()  # certificates/ or paper/{number}/v{version:03d}.pdf, or -{record_id}.pdf beside a foreign one
    # Of the signed PDF bytes as stored, recorded once the object is in the bucket (absent before).
    sha256 = UnicodeAttribute(null=True)
    s3_version_id = UnicodeAttribute(null=True)  # the one object version of s3_key, recorded with sha256
    fee = NumberAttribute(null=True)  # 保証料 in yen, from the fee statement of this version
    fee_s3_key = UnicodeAttribute(null=True)  # fees/{number}/v{version:03d}.pdf (or -{record_id}.pdf, as s3_key)
    fee_kind = UnicodeAttribute(null=True)  # None: the whole fee (新規); additional | refund | none (変更)
    content_before = JSONAttribute(null=True)  # 変更: the content in force before it (its fee difference's basis)
    # The auth-key notice recorded for this version when it was put (services/commands/notices.py): its key
    # (notices/{number}/v{version:03d}[-key{generation}].pdf, or -{record_id}.pdf beside a lost life's) and the key generation it prints.
    # The contractor's link serves it only while that generation is the contract's live one.
    notice_s3_key = UnicodeAttribute(null=True)
    notice_generation = NumberAttribute(null=True)  # absent on items from before: read from notice_s3_key
    rendered_at = UTCDateTimeAttribute()
    issued_at = UTCDateTimeAttribute(null=True)  # arrival on the platform (S3 eventTime)
    notified_at = UTCDateTimeAttribute(null=True)
    # Sparse: present while the publication is unfinished (not published, or the e-mail not claimed).
    gsi1pk = UnicodeAttribute(null=True)  # `VERSIONS#pending`
    gsi1sk = UnicodeAttribute(null=True)  # `{rendered_at}#{number}#{version:03d}`
    pending = PendingPublicationIndex()

    PREFIX = "VERSION#"
    PENDING = "VERSIONS#pending"

    @staticmethod
    def key(number: str, version: int) -> tuple[str, str]:
        return ContractItem.partition(number), f"{VersionItem.PREFIX}{version:03d}"

    @staticmethod
    def pending_sort_key(moment: datetime, number: str = "", version: int | None = None) -> str:
        """gsi1sk of a pending version (the moment alone: a bound to query below)."""
        stamp = clock.to_jst(moment).isoformat(timespec="milliseconds")
        return stamp if version is None else f"{stamp}#{number}#{version:03d}"

    @staticmethod
    def pending_entry(number: str, version: int, rendered_at: datetime) -> dict:
        """The gsi1 attributes of a version whose publication is not finished yet."""
        return {"gsi1pk": VersionItem.PENDING, "gsi1sk": VersionItem.pending_sort_key(rendered_at, number, version)}

    @staticmethod
    def new_record_id() -> str:
        return uuid.uuid4().hex


class ViewItem(_Item):
    """pk `CONTRACT#{number}`, sk `VIEW#{viewed_at}#{orderer_id}`: an orderer read the certificate."""

    contract_number = UnicodeAttribute()
    orderer_id = UnicodeAttribute()
    version = NumberAttribute()
    viewed_at = UTCDateTimeAttribute()

    PREFIX = "VIEW#"

    @staticmethod
    def key(number: str, viewed_at: datetime, orderer_id: str) -> tuple[str, str]:
        return ContractItem.partition(number), f"{ViewItem.PREFIX}{viewed_at.isoformat()}#{orderer_id}"


class ReceiptItem(_Item):
    """pk `CONTRACT#{number}`, sk `RECEIPT#{version:03d}#{orderer_id}`: 受領確認 by the orderer (first one stands)."""

    contract_number = UnicodeAttribute()
    version = NumberAttribute()
    orderer_id = UnicodeAttribute()
    orderer_name = UnicodeAttribute(null=True)
    received_by = UnicodeAttribute(null=True)  # the orderer user's subject
    received_at = UTCDateTimeAttribute()

    PREFIX = "RECEIPT#"

    @staticmethod
    def key(number: str, version: int, orderer_id: str) -> tuple[str, str]:
        return ContractItem.partition(number), f"{ReceiptItem.PREFIX}{version:03d}#{orderer_id}"


class OrdererItem(_Item):
    """pk `ORDERER`, sk `ORDERER#{orderer_id}`: the registry, one partition read whole."""

    PK = "ORDERER"
    orderer_id = UnicodeAttribute()
    data = JSONAttribute()  # Orderer.to_json()

    @staticmethod
    def key(orderer_id: str) -> tuple[str, str]:
        return OrdererItem.PK, f"ORDERER#{orderer_id}"


class IssuerItem(_Item):
    """pk `ISSUER`, sk `ISSUER#{issuer_id}`: the issuer registry, one partition read whole."""

    PK = "ISSUER"
    issuer_id = UnicodeAttribute()
    data = JSONAttribute()  # Issuer.to_json()

    @staticmethod
    def key(issuer_id: str) -> tuple[str, str]:
        return IssuerItem.PK, f"ISSUER#{issuer_id}"


class CounterItem(_Item):
    """pk `COUNTER#{branch}#{fiscal_year}#{product}` (the default issuer's) or
    `COUNTER#{issuer_id}#{branch}#{fiscal_year}#{product}`, sk `COUNTER`: serials, by atomic ADD.

    Each issuer counts its own numbers; the default issuer's counters keep the key they had.
    """

    value = NumberAttribute(default=0)

    @staticmethod
    def key(branch: str, fiscal_year: int, product: str, issuer_id: str | None = None) -> tuple[str, str]:
        if issuer_id:
            return f"COUNTER#{issuer_id}#{branch}#{fiscal_year}#{product}", "COUNTER"
        return f"COUNTER#{branch}#{fiscal_year}#{product}", "COUNTER"


class UploadItem(_Item):
    """pk `UPLOAD#{upload_id}`, sk `UPLOAD`: a 認定調書 PDF the contractor uploads for an application."""

    SK = "UPLOAD"
    upload_id = UnicodeAttribute()
    company_id = UnicodeAttribute()  # only this company may name the upload in an application
    s3_key = UnicodeAttribute()  # uploads/{upload_id}.pdf
    state = UnicodeAttribute()  # awaiting -> checked | refused (after the S3-triggered check)
    reason = UnicodeAttribute(null=True)  # why it was refused
    reason_code = UnicodeAttribute(null=True)  # the same, as a stable code (attachments.REASONS)
    size = NumberAttribute(null=True)
    pages = NumberAttribute(null=True)
    sha256 = UnicodeAttribute(null=True)  # of the bytes that were checked
    object_version = UnicodeAttribute(null=True)  # the S3 object version that was checked: the one staff open
    swap_versions = UnicodeSetAttribute(null=True)  # later versions under the key (a replayed POST): never served
    created_at = UTCDateTimeAttribute()
    checked_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def key(upload_id: str) -> tuple[str, str]:
        return f"UPLOAD#{upload_id}", UploadItem.SK


def company_key(company_id: str) -> str:
    """gsi2pk: a contractor company's contracts and applications."""
    return f"COMPANY#{company_id}"


def condition_failed(error: Exception) -> bool:
    """A conditional write (PynamoDB's PutError, UpdateError, DeleteError) refused by its condition."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def transaction_lost(error: Exception) -> bool:
    """A transaction cancelled by one of its conditions, or by a concurrent transaction on its items."""
    return getattr(error, "cause_response_code", None) in ("TransactionCanceledException", "TransactionConflictException")


def transact_write() -> TransactWrite:
    """A write transaction over the table (all or nothing, conditions checked together)."""
    return TransactWrite(connection=Connection(region=_Meta.region))


def transact(
    creates: Iterable = (), updates: Iterable[tuple] = (), checks: Iterable[tuple] = (), lost_raises: bool = False
) -> bool:
    """One write transaction: `creates` put only where no item is, `updates` as (item, actions,
    condition), `checks` as (model, hash key, range key, condition) written nothing but judged.

    True if written. False if a condition refused it or a concurrent transaction on its items won
    (transaction_lost): nothing is written, and the caller reads what is there. Other errors raise,
    and so does a lost race with `lost_raises` (a caller that judges every failure alike).
    """
    try:
        with transact_write() as transaction:
            for item in creates:
                transaction.save(item, condition=type(item).pk.does_not_exist())
            for item, actions, condition in updates:
                transaction.update(item, actions=actions, condition=condition)
            for model, hash_key, range_key, condition in checks:
                transaction.condition_check(model, hash_key, range_key, condition=condition)
    except TransactWriteError as error:
        if lost_raises or not transaction_lost(error):
            raise
        return False
    return True


ALL_MODELS = (ApplicationItem, ContractItem, VersionItem, ViewItem, ReceiptItem, OrdererItem, CounterItem, UploadItem)


def create_table() -> None:
    """For tests and the local cloud tooling; on AWS the template owns the table."""
    if not ContractItem.exists():
        # Creating through the model that declares both indexes creates the table with both.
        _TableShape.create_table(wait=True)


class DeskByChangeIndex(GlobalSecondaryIndex):
    """gsi4: an orderer's desk by the time of each row's last event (sort=changed)."""

    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class _TableShape(_Item):
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    queue = QueueIndex()
    by_company = CompanyIndex()
    by_expiry = DeskByExpiryIndex()
    by_change = DeskByChangeIndex()


class AttemptItem(_Item):
    """pk `ATTEMPTS#contract#{number}` or `ATTEMPTS#caller#{subject}`, sk `ATTEMPTS`: verification
    attempts counted in the current window (the lockout, services/commands/lockout.py).

    A contract's item is keyed by the normalised number whether or not such a contract exists, so
    the lockout behaves alike for every number. It lives outside the contract's partition.
    """

    SK = "ATTEMPTS"
    attempts = NumberAttribute(default=0)  # reserved in this window (a success gives its own back)
    window_start = NumberAttribute(default=0)  # epoch seconds of the window's first attempt
    expires_at = NumberAttribute(null=True)  # epoch seconds; the table's TTL attribute

    @staticmethod
    def key(scope: str, name: str) -> tuple[str, str]:
        return f"ATTEMPTS#{scope}#{name}", AttemptItem.SK
ALL_MODELS = ALL_MODELS + (AttemptItem,)


class AuditItem(_Item):
    """pk `CONTRACT#{number}` (or `APP#{application_id}` for a decision on an application that has
    no contract), sk `AUDIT#{at}#{action}#{ref}`: one staff action, written with the action where
    it can be (services/commands/audit.py). `at` is ISO 8601 JST with milliseconds, so the items sort in time;
    `ref` (the contract's new revision, or the application id) keeps two actions of one instant apart.
    """

    action = UnicodeAttribute()  # issue | reject | correct | cancel-change | terminate | rotate-key | approval-return (four eyes)
    contract_number = UnicodeAttribute(null=True)
    application_id = UnicodeAttribute(null=True)
    staff_subject = UnicodeAttribute(null=True)  # the staff caller's JWT `sub`
    # The acting staff member's issuer (Caller.staff_issuer); absent on items written before there
    # were several issuers (the default issuer's staff) and on an orderer's desk actions.
    staff_issuer_id = UnicodeAttribute(null=True)
    # The acting person's display name as their token carried it at that moment (Caller.name);
    # absent on items written before names were recorded, and when the token had none.
    staff_name = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    details = JSONAttribute(null=True)  # what the action was about (version, target, reason …); never a key

    PREFIX = "AUDIT#"

    @staticmethod
    def key(owner_pk: str, stamp: str, action: str, ref: str) -> tuple[str, str]:
        return owner_pk, f"{AuditItem.PREFIX}{stamp}#{action}#{ref}"


ALL_MODELS = ALL_MODELS + (AuditItem,)


class MailItem(_Item):
    """pk `CONTRACT#{number}` (or `APP#{application_id}` for a reject of an application that has no
    contract), sk `MAIL#{mail_id}`: one e-mail to the contractor, as the mail sender handled it.

    `mail_id` is fixed by the event (services/commands/outbox.py), so a repeated enqueue names the same item;
    the sender claims it (state `sending`, a conditional put) before it calls SES, so at most one
    e-mail goes out per id. `failed` (SES refused the address, or every retry failed) is shown to
    staff on the contract; `retry` gives the claim back after a failure that may pass.
    """

    mail_id = UnicodeAttribute()
    state = UnicodeAttribute()  # sending | sent | retry | failed
    to = UnicodeAttribute()
    subject = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    claimed_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)  # SES's, once accepted
    failed_at = UTCDateTimeAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # why it could not be delivered (SES's error code and message)

    PREFIX = "MAIL#"

    @staticmethod
    def key(owner_pk: str, mail_id: str) -> tuple[str, str]:
        return owner_pk, f"{MailItem.PREFIX}{mail_id}"


ALL_MODELS = ALL_MODELS + (MailItem,)


class DeskItem(_Item):
    """pk `CONTRACT#{number}`, sk `DESK`: the guarantee presented to its orderer (提出 or a verification
    by key), and its desk row, rebuilt from the contract's records on every life event
    (services/commands/desk.py). One per contract: a guarantee is in favour of one orderer; the first
    presentation stands. Its index entries (docs/data-model.md):
    gsi1 `DESK#{orderer_id}` / `{presented_at}#{number}` (the whole desk, by presentation),
    gsi2 `DESK#{orderer_id}#{department_id or -}` / the same (a department's desk),
    gsi3 `DESK#{orderer_id}` / `{expiry}#{number}`, gsi4 `DESK#{orderer_id}` / `{changed_at}#{number}`.
    """

    SK = "DESK"
    contract_number = UnicodeAttribute()
    orderer_id = UnicodeAttribute()
    department_id = UnicodeAttribute(null=True)
    via = UnicodeAttribute()  # submission | key
    presented_at = UTCDateTimeAttribute()
    presented_by = UnicodeAttribute()  # the subject of the contractor (提出) or the orderer user (key)
    presented_version = NumberAttribute()  # the version in force when presented
    revision = NumberAttribute(default=0)  # each rebuild writes revision + 1 on the one it read
    row = JSONAttribute(null=True)  # the desk row (services/views/desk.py answers it)
    search = UnicodeAttribute(null=True)  # number, 工事名 and 受注者 normalised for the q search
    changed = BooleanAttribute(null=True)  # changed since presented (the 変更あり view)
    ending = JSONAttribute(null=True)  # {kind, date} of a recorded 解約 / 履行請求: the status is read from its date on
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    by_presentation = QueueIndex()
    by_department = CompanyIndex()
    by_expiry = DeskByExpiryIndex()
    by_change = DeskByChangeIndex()

    NO_DEPARTMENT = "-"  # the department part of a key for a row of no department
    AUDIT_PREFIX = "DESKAUDIT#"

    @staticmethod
    def key(number: str) -> tuple[str, str]:
        return f"CONTRACT#{number}", DeskItem.SK

    @staticmethod
    def scope_key(orderer_id: str, department_id: str | None = None, prefix: str = "DESK") -> str:
        """An orderer's desk (`DESK#{orderer_id}`), or with `department_id` one department's ('' for none)."""
        if department_id is None:
            return f"{prefix}#{orderer_id}"
        return f"{prefix}#{orderer_id}#{department_id or DeskItem.NO_DEPARTMENT}"

    @staticmethod
    def presentation_entry(orderer_id: str, department_id: str | None, stamp: str, number: str) -> dict:
        """The gsi1 and gsi2 attributes of a presentation at `stamp` (its sort-key time)."""
        sort = f"{stamp}#{number}"
        return {
            "gsi1pk": DeskItem.scope_key(orderer_id), "gsi1sk": sort,
            "gsi2pk": DeskItem.scope_key(orderer_id, department_id or ""), "gsi2sk": sort,
        }

    @staticmethod
    def expiry_sort_key(expiry: str, number: str) -> str:
        return f"{expiry}#{number}"

    @staticmethod
    def change_sort_key(stamp: str, number: str) -> str:
        return f"{stamp}#{number}"

    @staticmethod
    def expiry_range(first: date, last: date) -> tuple[str, str]:
        """The gsi3 sort keys of the rows whose 保証期限 is from `first` to `last`, both included."""
        return first.isoformat(), f"{last.isoformat()}#~"

    @staticmethod
    def audit_partition(orderer_id: str) -> str:
        """The partition of the desk's audit items that concern no one contract (a list, the event log)."""
        return f"{DeskItem.AUDIT_PREFIX}{orderer_id}"


class DeskEventItem(_Item):
    """pk `CONTRACT#{number}`, sk `DESKEVENT#{kind}#{ref}`: one event of a presented guarantee's life
    as its orderer's desk tells it. The key is fixed by the event (a version, the ending, a receipt),
    so a retry puts the same item and the first put stands. gsi1 `DESKLOG#{orderer_id}` and gsi2
    `DESKLOG#{orderer_id}#{department_id or -}`, both sorted `{written_at}#{rank}#{number}#{kind}#{ref}` (rank: desk.ORDER): the
    order the desk learnt them in, so a reader resuming from a cursor misses none.
    """

    contract_number = UnicodeAttribute()
    orderer_id = UnicodeAttribute()
    department_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()  # submitted presented registered changed corrected change_cancelled terminated claimed received
    at = UTCDateTimeAttribute()  # when it happened
    written_at = UTCDateTimeAttribute()
    label = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    actor = UnicodeAttribute(null=True)  # who (a receipt's clerk, a submission's contractor user)
    detail = JSONAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_orderer = QueueIndex()
    by_department = CompanyIndex()

    PREFIX = "DESKEVENT#"

    @staticmethod
    def key(number: str, kind: str, ref: str) -> tuple[str, str]:
        return f"CONTRACT#{number}", f"DESKEVENT#{kind}#{ref}"

    @staticmethod
    def scope_key(orderer_id: str, department_id: str | None = None) -> str:
        """An orderer's event log (`DESKLOG#{orderer_id}`), or with `department_id` one department's."""
        return DeskItem.scope_key(orderer_id, department_id, prefix="DESKLOG")

    @staticmethod
    def log_entry(orderer_id: str, department_id: str | None, stamp: str, rank: int, number: str, kind: str, ref: str) -> dict:
        """The gsi1 and gsi2 attributes of an event the desk learnt at `stamp`, `rank` its place among
        events learnt in one instant."""
        sort = f"{stamp}#{rank}#{number}#{kind}#{ref}"
        return {
            "gsi1pk": DeskEventItem.scope_key(orderer_id), "gsi1sk": sort,
            "gsi2pk": DeskEventItem.scope_key(orderer_id, department_id or ""), "gsi2sk": sort,
        }

    def event_ref(self) -> str:
        """`{kind}#{ref}`: the event's sort key without its prefix."""
        return self.sk[len(DeskEventItem.PREFIX):]


ALL_MODELS = ALL_MODELS + (DeskItem, DeskEventItem)


class ApprovalItem(_Item):
    """pk `APPROVAL#{approval_id}`, sk `APPROVAL`: a staff decision (発行, 訂正, 解約 / 履行請求) of an
    issuer with four eyes on, waiting for a second staff member (services/commands/approvals.py).

    gsi1 `APPROVALS#{issuer_id}#{status}` / `{decided_at}#{approval_id}`: the issuer's approvals of one
    status, oldest first (GET /staff/approvals); the entry moves with the status, as an application's
    does in the queue. While one is pending its target carries an ApprovalTargetItem naming it.
    """

    SK = "APPROVAL"
    approval_id = UnicodeAttribute()
    issuer_id = UnicodeAttribute()  # the maker's issuer: only its staff see or decide it
    action = UnicodeAttribute()  # issue | correct | terminate
    status = UnicodeAttribute()  # pending | approved | returned
    application_id = UnicodeAttribute(null=True)  # issue
    contract_number = UnicodeAttribute(null=True)  # correct, terminate (and issue once approved)
    version = NumberAttribute(null=True)  # correct: the version corrected
    target = UnicodeAttribute()  # the target's partition (`APP#{id}` or `CONTRACT#{number}`): its ApprovalTargetItem
    request = JSONAttribute(null=True)  # the action's body as the maker sent it (correct, terminate)
    if_match = UnicodeAttribute(null=True)  # the contract revision the maker acted on (correct, terminate)
    summary = JSONAttribute(null=True)  # what the list shows: 被保証者, 工事名, 保証金額, 保証期限, label …
    decided_by = UnicodeAttribute()  # the maker's subject
    decided_by_name = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute()
    # The approver who is running the action now (set conditionally: two approvers never both run it);
    # a claim older than a few minutes is a call that stopped, and another approver may take it over.
    claimed_by = UnicodeAttribute(null=True)
    claimed_at = UTCDateTimeAttribute(null=True)
    approved_by = UnicodeAttribute(null=True)  # the second staff member (approved or returned)
    approved_by_name = UnicodeAttribute(null=True)
    approved_at = UTCDateTimeAttribute(null=True)
    return_reason = UnicodeAttribute(null=True)
    result = JSONAttribute(null=True)  # the action's answer (Issued, Corrected, Termination) once approved
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_status = QueueIndex()

    PREFIX = "APPROVAL#"

    @staticmethod
    def key(approval_id: str) -> tuple[str, str]:
        return f"{ApprovalItem.PREFIX}{approval_id}", ApprovalItem.SK

    @staticmethod
    def list_key(issuer_id: str, status: str) -> str:
        return f"APPROVALS#{issuer_id}#{status}"

    @staticmethod
    def list_entry(issuer_id: str, status: str, decided_at: datetime, approval_id: str) -> dict:
        """The gsi1 attributes that list an approval among its issuer's of `status`, oldest first."""
        return {"gsi1pk": ApprovalItem.list_key(issuer_id, status), "gsi1sk": f"{decided_at.isoformat()}#{approval_id}"}


class ApprovalTargetItem(_Item):
    """pk the target's partition (`APP#{application_id}` or `CONTRACT#{number}`), sk `APPROVAL#target`:
    the approval open on it. A maker's decision puts it (or reopens a closed one) on the condition
    that none is open, so two pending decisions on one target cannot exist (409 approval_pending);
    approving or returning closes it in the same transaction as the approval's new status."""

    SK = "APPROVAL#target"
    approval_id = UnicodeAttribute()
    open = BooleanAttribute()

    @staticmethod
    def key(target: str) -> tuple[str, str]:
        return target, ApprovalTargetItem.SK


ALL_MODELS = ALL_MODELS + (ApprovalItem, ApprovalTargetItem)


class ProfileItem(_Item):
    """pk `PROFILE#{company_id}`, sk `PROFILE`: a contractor company's profile, what prefills each new
    application (受注者名, 住所, JV名, 預託金融機関, e-mail) and the orderer it last applied to. One item per
    company, overwritten in place (services/commands/profiles.py); read by GetItem only."""

    SK = "PROFILE"
    company_id = UnicodeAttribute()
    contractor = JSONAttribute(null=True)  # {"name", "address", "jv_name"} as validated (schemas.Contractor)
    deposit_bank = UnicodeAttribute(null=True)
    notify_email = UnicodeAttribute(null=True)
    last_orderer_id = UnicodeAttribute(null=True)  # the orderer of the company's last application (POST /applications)
    updated_at = UTCDateTimeAttribute(null=True)  # the last PUT /profile
    updated_by = UnicodeAttribute(null=True)  # who saved it (the contractor user's `sub`)

    @staticmethod
    def key(company_id: str) -> tuple[str, str]:
        return f"PROFILE#{company_id}", ProfileItem.SK


ALL_MODELS = ALL_MODELS + (ProfileItem,)
