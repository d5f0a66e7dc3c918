"""What staff read and what their decisions answer."""
from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import Field

from . import Answer
from .issuers import IssuerRef
from .applications import Application
from .certificates import Certificate, Ending, HistoryEntry, Money, Receipt, Status, VersionRef
from .contracts import Format
from .documents import DownloadLink


class QueueRow(Application):
    """A row of the queue: a 変更 with what it changes and why, the others with what they ask."""

    company_id: str
    submitted_at: Optional[str]
    product: Optional[str] = None
    contractor_name: Optional[str] = None
    work_name: Optional[str] = None
    decided_by: Optional[str] = None
    change: Optional[dict[str, Any]] = None
    reason: Optional[str] = None
    format: Optional[Format] = None
    orderer_id: Optional[str] = None
    orderer_name: Optional[str] = Field(default=None, description="The registry's name of the orderer (a 変更: its contract's; paper: as typed).")
    guarantee_amount: Optional[int] = None
    decided_by_name: Optional[str] = Field(
        default=None, description="Who issued or rejected it, by name as recorded then (null while it waits, or for decisions recorded before names were)."
    )


class Queue(Answer):
    applications: list[QueueRow]
    next_cursor: Optional[str] = Field(description="Opaque: pass it as `cursor` for the next page; null on the last.")


class Problem(Answer):
    """A rule the application breaks as of today (field, code and reason as in a 422)."""

    field: str
    code: str = Field(description="A key of the error codes (ErrorCode); the screen says it in Japanese.")
    reason: str


class UndeliveredMail(Answer):
    """メール未達: an e-mail SES refused or that failed on every retry."""

    mail_id: str
    to: str
    subject: str
    reason: Optional[str]
    failed_at: Optional[str]


class InForce(Answer):
    """For a change: the version it would change, and its certificate."""

    version: int
    label: str
    certificate: Certificate


class CertificationDocument(Answer):
    """The 認定調書 of a 中間前払金 application: its check and a link to the object checked."""

    upload_id: str
    state: Optional[str]
    reason: Optional[str] = None
    code: Optional[str] = None
    pages: Optional[int] = None
    size: Optional[int] = None
    sha256: Optional[str] = None
    checked_at: Optional[str] = None
    swap_attempts: Optional[int] = None
    link: Optional[DownloadLink]


class ChangedField(Answer):
    """One field a 変更 moved: its request path, the certificate's word for it, the values before and after."""

    field: str = Field(description="guarantee.amount | guarantee.deadline | work.period_start | work.period_end | work.contract_price")
    label: str = Field(description="保証金額, 保証期限, 工期（自）, 工期（至）, 請負金額")
    before: Any = Field(description="Yen as an integer, a date as YYYY-MM-DD.")
    after: Any


class DecidedChange(Answer):
    """What an issued 変更 changed, from the records: the version it was applied to and the one it made."""

    version: int = Field(description="The record the change made.")
    from_label: str = Field(description="The label in force before it, e.g. 新規.")
    to_label: str = Field(description="The label it was issued under, e.g. 変更ー1.")
    fields: list[ChangedField]


class FeeEstimate(Answer):
    """The 保証料 issuing it today would charge (the 保証料計算書's computation, the issuer's rate table)."""

    fee: int
    days: int
    table_name: str


class StaffApplication(Application):
    """Everything the contractor sent, judged by today's rules while it waits."""

    company_id: str
    submitted_at: Optional[str]
    decided_at: Optional[str]
    decided_by: Optional[str]
    decided_by_name: Optional[str] = Field(default=None, description="Who decided, by name as recorded at the decision.")
    contractor_name: Optional[str] = None
    orderer_id: Optional[str] = None
    orderer_name: Optional[str] = None
    decided_change: Optional[DecidedChange] = Field(default=None, description="For an issued 変更: the change it made. Else null.")
    fee_estimate: Optional[FeeEstimate] = Field(
        default=None, description="For a 新規 or 中間前払金 waiting for a decision: the fee of issuing it today; null when it cannot be priced."
    )
    request: dict[str, Any] = Field(description="The request as the contractor sent it (ApplicationRequest or ChangeRequest).")
    problems: Optional[list[Problem]] = Field(description="null once decided.")
    undelivered_mail: list[UndeliveredMail]
    in_force: Optional[InForce] = None
    kinds: Optional[list[str]] = None
    next_label: Optional[str] = Field(default=None, description="The label issuing this change would give.")
    certification_document: Optional[CertificationDocument] = None
    pending_approval: Optional["Approval"] = Field(
        default=None, description="Four eyes: the decision on it waiting for a second staff member (null: none).")


class Record(Answer):
    """A stored record of the contract, hidden ones too, with the hash chain's fields."""

    version: int
    kind: Literal["新規", "変更", "訂正", "変更取消"]
    label: str
    change_number: Optional[int]
    target_version: Optional[int]
    shown: bool
    state: Optional[str]
    rendered_at: Optional[str]
    issued_at: Optional[str]
    notified_at: Optional[str]
    application_id: Optional[str]
    reason: Optional[str]
    decided_by: Optional[str]
    decided_by_name: Optional[str] = Field(default=None, description="Who wrote the record, by name as its audit item recorded.")
    sha256: Optional[str]
    record_sha256: Optional[str]
    previous_sha256: Optional[str]
    fee: Optional[int]
    fee_kind: Optional[str]
    guarantee_amount: Optional[int]
    guarantee_deadline: Optional[str]
    certificate: Optional[DownloadLink]
    fee_statement: Optional[DownloadLink]
    facts: Optional[Certificate] = Field(
        default=None, description="What this record's certificate states (a 訂正 form opens with it); null for a 変更取消, which states none.")


class View(Answer):
    orderer_id: Optional[str]
    version: int
    viewed_at: Optional[str]


class AuditEntry(Answer):
    at: Optional[str]
    action: str
    staff_subject: Optional[str]
    staff_issuer_id: Optional[str] = Field(
        default=None, description="The issuer of the staff member who acted; null on entries from before several issuers (the default issuer's staff) and on an orderer's."
    )
    staff_name: Optional[str] = Field(
        default=None, description="The acting person's display name as recorded at the moment (null on entries recorded before names were)."
    )
    application_id: Optional[str]
    details: dict[str, Any]


class WithdrawnChange(Answer):
    application_id: str
    reason: Optional[str]


class Termination(Answer):
    """A recorded 解約 or 保証債務履行請求 (POST …/termination answers it too)."""

    contract_number: str
    kind: Literal["cancelled", "claimed"]
    label: str
    date: str
    reason: Optional[str]
    recorded_at: Optional[str]
    recorded_by: Optional[str]
    version: Optional[int]
    refund: Optional[Money]
    withdrawn_change: Optional[WithdrawnChange]


class Lock(Answer):
    """The open window of failed verifications of the contract's number (lockout)."""

    locked: bool = Field(description="The budget is spent: every verification of the number is refused until `until`.")
    attempts: int
    budget: int
    since: str = Field(description="The window's first failed attempt (ISO, JST).")
    until: str = Field(description="When the window ends on its own (ISO, JST).")


class LockReleased(Answer):
    contract_number: str
    lock: Optional[Lock] = Field(description="The lock as it is now: null once lifted.")


class StaffContractRow(Answer):
    """A contract as the staff's search lists it."""

    contract_number: str
    issuer: IssuerRef
    product: str
    product_label: str
    company_id: str
    contractor_name: Optional[str]
    work_name: Optional[str]
    orderer_id: Optional[str]
    orderer_name: Optional[str]
    branch_code: Optional[str]
    branch_name: Optional[str]
    guarantee_amount: Optional[int]
    guarantee_deadline: Optional[str]
    status: Status
    status_label: str
    expiring_soon: bool = Field(description="期限間近: valid, and the 保証期限 within 30 days.")
    label: str = Field(description="The label of the version in force: 新規 or 変更ー n.")
    created_at: Optional[str] = Field(description="Issued at (ISO, JST).")
    pending_change: bool = Field(description="変更申込あり: a change application waits for staff.")


class StaffContracts(Answer):
    items: list[StaffContractRow]
    next_cursor: Optional[str] = Field(
        description="Opaque: pass it as `cursor` (with the same filters) for the next page; null at the end. A page may hold "
                    "fewer rows than `limit`, even none, with a cursor: each request reads a bounded number of contracts."
    )


class StaffContract(Answer):
    """Every record, the chain, status, receipts, views, audit, document links; never the auth key."""

    contract_number: str
    application_id: Optional[str]
    company_id: str
    issuer: Optional[IssuerRef] = Field(default=None, description="The issuer that issued it: the staff member's own.")
    orderer_id: Optional[str]
    orderer_name: Optional[str]
    contractor_name: Optional[str] = None
    work_name: Optional[str] = None
    product: str
    product_label: str
    format: Format
    branch_code: Optional[str]
    notify_email: Optional[str]
    created_at: Optional[str]
    revision: int = Field(description="Send it back as If-Match with an action on this contract.")
    latest_version: int
    key_generation: int
    pending_change: Optional[str]
    status: Optional[Status]
    status_label: Optional[str]
    ending: Optional[Ending]
    termination: Optional[Termination]
    termination_statement: Optional[DownloadLink]
    chain_valid: bool
    in_force: Optional[Certificate]
    history: list[HistoryEntry]
    records: list[Record]
    receipts: list[Receipt]
    views: list[View]
    audit: list[AuditEntry]
    undelivered_mail: list[UndeliveredMail]
    issuer: Optional[IssuerRef] = Field(default=None, description="The issuer (absent: the platform's first surety, on records before the registry).")
    pending_approval: Optional["Approval"] = Field(
        default=None, description="Four eyes: the 訂正 or 解約 / 履行請求 on it waiting for a second staff member (null: none).")
    lock: Optional[Lock] = Field(default=None, description="Failed verifications of its number in the open window (null: none); "
                                 "POST …/lock-release lifts it.")


class Issued(Answer):
    """Issued: the certificate is published on its arrival (`state` rendered until then)."""

    contract_number: str
    version: int
    change_number: Optional[int]
    label: str
    state: str


class Corrected(Issued):
    """A 訂正: its own record, shown under its target's label."""

    kind: Literal["訂正"]
    target_version: int


class Cancelled(Answer):
    """A 変更取消: the change withdrawn, the version in force again, the fee reversed."""

    contract_number: str
    version: int
    kind: Literal["変更取消"]
    target_version: int
    cancelled_label: str
    recorded_at: Optional[str]
    in_force: Optional[VersionRef]
    fee: Optional[Money]


class KeyRotated(Answer):
    """The key's new generation; the key itself is never in an answer."""

    contract_number: str
    key_generation: int


# ----------------------------------------------------------------------------- four eyes


class ApprovalSummary(Answer):
    """What the list shows of the decision's target, as of the maker's decision."""

    contractor_name: Optional[str] = None
    work_name: Optional[str] = None
    guarantee_amount: Optional[int] = None
    guarantee_deadline: Optional[str] = None
    label: Optional[str] = Field(default=None, description="新規 or 変更ー n: the version the action is about.")
    product_label: Optional[str] = None
    orderer_name: Optional[str] = None


class Approval(Answer):
    """A maker's decision under four eyes. A staff route answers it (202) instead of running the
    action when the staff member's issuer requires a second staff member; `approval_id` tells it
    apart from the action's own answer."""

    approval_id: str
    action: Literal["issue", "correct", "terminate"]
    status: Literal["pending", "approved", "returned"]
    application_id: Optional[str]
    contract_number: Optional[str]
    version: Optional[int] = Field(description="correct: the version corrected.")
    summary: Optional[ApprovalSummary]
    request: Optional[dict[str, Any]] = Field(description="The action's body as the maker sent it (correct, terminate); null for issue.")
    decided_by: str = Field(description="The maker's subject.")
    decided_by_name: Optional[str]
    decided_at: str
    approved_by: Optional[str] = Field(description="The second staff member (who approved or returned it).")
    approved_by_name: Optional[str]
    approved_at: Optional[str]
    return_reason: Optional[str]
    result: Optional[Union[Corrected, Issued, Termination]] = Field(description="The action's answer once approved.")


# The application and contract answers name Approval (pending_approval) before it is defined above.
StaffApplication.model_rebuild()
StaffContract.model_rebuild()
