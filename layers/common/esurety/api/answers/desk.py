"""The orderer's desk (発注者デスク): its rows, one guarantee without the key, its events, 受領確認 in bulk,
and the contractor's 提出."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from . import Answer
from .issuers import IssuerRef
from .certificates import Certificate, Ending, HistoryEntry, Status

Via = Literal["submission", "key"]
EventKind = Literal["submitted", "presented", "registered", "changed", "corrected", "change_cancelled", "terminated", "claimed", "received"]


class RowReceipt(Answer):
    version: int
    label: str
    received_by: Optional[str] = Field(description="The orderer user (JWT sub) who recorded it.")
    received_at: Optional[str]
    current: bool = Field(description="Whether it is of the version in force.")


class DeskRow(Answer):
    """One guarantee presented to this orderer, as of its last event (status and 期限間近 as of today)."""

    contract_number: str
    issuer_name: str
    product: str
    product_name: str
    project_name: str = Field(description="工事名")
    contractor_name: str
    amount: int = Field(description="保証金額 in yen.")
    expiry: str = Field(description="保証期限 (ISO date) of the version in force.")
    label: str = Field(description="The label in force: 新規 or 変更ー k.")
    version: int
    status: Status
    status_label: str
    department_id: Optional[str]
    department_name: Optional[str]
    via: Via = Field(description="submission: 提出 by the contractor; key: verified with the auth key.")
    presented_at: str
    receipt: Optional[RowReceipt] = Field(description="This orderer's latest 受領確認.")
    needs_attention: bool = Field(description="要確認: no 受領確認 of the version in force, or it ended since.")
    corrected: bool = Field(description="The version in force is a 訂正 of the certificate first shown under its label.")
    expiring_soon: bool = Field(description="期限間近: valid, 保証期限 within 30 days.")
    changed_at: str = Field(description="The time of its last event.")
    issuer: Optional[IssuerRef] = Field(default=None, description="The issuer (absent: the platform's first surety, on records before the registry).")


class DeskRows(Answer):
    items: list[DeskRow]
    next_cursor: Optional[str] = Field(description="Opaque; pass it back as `cursor` for the next page. null: no more.")


class DeskEvent(Answer):
    event_id: str
    at: Optional[str] = Field(description="When it happened (ISO 8601, JST).")
    contract_number: str
    kind: EventKind
    label: Optional[str]
    version: Optional[int]
    department_id: Optional[str]
    detail: dict


class DeskEvents(Answer):
    items: list[DeskEvent]
    next_cursor: Optional[str] = Field(description="The position after the last event read: ask again from it later to get what happened since.")


class Replaced(Answer):
    version: Optional[int]
    issued_at: Optional[str]
    sha256: Optional[str]


class Correction(Answer):
    corrected_at: Optional[str]
    replaces: Replaced


class Withdrawn(Answer):
    change_number: int
    label: str
    cancelled_at: Optional[str]
    reason: Optional[str]


class DeskCertificate(Certificate):
    correction: Optional[Correction] = None


class DeskHistoryEntry(HistoryEntry):
    sha256: Optional[str] = Field(default=None, description="SHA-256 of the version's certificate PDF as stored.")
    correction: Optional[Correction] = None
    withdrawn: Optional[list[Withdrawn]] = Field(default=None, description="The changes a 変更取消 withdrew, putting this version back in force.")


class DeskReceipt(Answer):
    version: int
    label: str
    received_by: Optional[str]
    received_at: Optional[str]
    superseded: bool = Field(description="Recorded on a record no longer shown (replaced by a 訂正, or withdrawn): 受領済み（訂正前）.")


class DeskGuarantee(Answer):
    status: Optional[Status]
    status_label: Optional[str]
    ending: Optional[Ending]
    received_at: Optional[str]
    current_version: int
    certificate: DeskCertificate
    history: list[DeskHistoryEntry]
    chain_valid: bool
    pdf_url: str
    desk: Optional[DeskRow]
    events: list[DeskEvent]
    receipts: list[DeskReceipt]
    issuer: Optional[IssuerRef] = Field(default=None, description="The issuer (absent: the platform's first surety, on records before the registry).")


class DeskReceiptRecorded(Answer):
    contract_number: str
    version: int
    label: str
    received_by: Optional[str]
    received_at: Optional[str]
    new: bool = Field(description="false: already confirmed; who and when are the first record's.")


class DeskReceiptsRecorded(Answer):
    items: list[DeskReceiptRecorded]


class Submission(Answer):
    contract_number: str
    orderer_id: str
    department_id: Optional[str]
    department_name: Optional[str]
    via: Via
    presented_at: str


class Substituted(Answer):
    contract_number: str
    column: str = Field(description="The CSV column's Japanese header.")
    character: str = Field(description="The character CP932 cannot hold, written as 〓 in the file.")


class DeskExport(Answer):
    url: str = Field(description="A short-lived presigned link that downloads the CSV (attachment, desk-YYYYMMDD.csv).")
    rows: int = Field(description="The rows in the file: every row the list shows with the same filters.")
    substituted: list[Substituted] = Field(description="CP932 only: each character written as 〓, by row and column; empty for UTF-8.")


class DeskEvidence(Answer):
    url: str = Field(description="A short-lived presigned link that downloads the ZIP (evidence-{number}.zip).")
