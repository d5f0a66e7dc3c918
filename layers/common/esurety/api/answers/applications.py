"""Applications (申込) as the contractor reads them, and the registry they name orderers from."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field

from . import Answer
from .issuers import IssuerRef

Kind = Literal["new", "change", "interim"]
State = Literal["submitted", "issued", "rejected"]


class Department(Answer):
    department_id: str
    name: str
    email: str = Field(description="The department's mailbox: told of each guarantee presented to it and its changes.")
    products: list[str] = Field(description="The products whose guarantees this department takes.")


class IssuerAcceptance(Answer):
    kind: Literal["surety", "insurer", "bank"] = Field(description="保証事業会社 (surety), 損害保険会社 (insurer) or 銀行 (bank).")
    products: list[str] = Field(description="The products it accepts from issuers of this kind.")
    since: str = Field(description="The first day it accepts them (ISO date).")


class Orderer(Answer):
    orderer_id: str
    name: str
    beneficiary_name: str
    accepts_from: str = Field(description="The first day it accepts electronic guarantees (ISO date).")
    products: list[str]
    accepts_direct_submission: list[str] = Field(
        description="Products for which a direct submission (提出) on the platform counts as the deposit (寄託); for the others the notice is handed over."
    )
    departments: list[Department]
    accepts_issuers: list[IssuerAcceptance] = Field(description="Which kinds of issuer it accepts for which product, since when.")


class Orderers(Answer):
    orderers: list[Orderer]


class Received(Answer):
    """An application stored (or the one a retried Idempotency-Key stored)."""

    application_id: str
    reference: Optional[str] = Field(default=None, description="申込番号 as read over the phone (the id's first 8 hex digits, e.g. 3F9A-21C7).")
    status: State


class ChangeReceived(Received):
    kind: Kind


class Application(Answer):
    application_id: str
    reference: Optional[str] = Field(default=None, description="申込番号 as read over the phone (the id's first 8 hex digits, e.g. 3F9A-21C7).")
    kind: Kind
    status: State
    contract_number: Optional[str]
    reject_reason: Optional[str]
    issuer: Optional[IssuerRef] = Field(default=None, description="The issuer (absent: the platform's first surety, on records before the registry).")


class ApplicationDetail(Application):
    """One application of the caller's company as sent: read again, or the start of a new one."""

    submitted_at: Optional[str]
    request: dict[str, Any] = Field(description="The body as stored (validated; dates ISO): an application's, or a change's.")


class ApplicationRow(Application):
    """申込一覧: a 変更 shows its reason, the others their product and work."""

    submitted_at: Optional[str]
    reason: Optional[str] = None
    product: Optional[str] = None
    work_name: Optional[str] = None


class Applications(Answer):
    applications: list[ApplicationRow]


class UploadVerdict(Answer):
    """What the check found of an uploaded 認定調書."""

    upload_id: str
    state: Literal["awaiting", "checked", "refused"]
    reason: Optional[str]
    code: Optional[str] = Field(description="Stable, for the form's logic.")
    message: Optional[str] = Field(description="Japanese, for the contractor's screen.")
    size: Optional[int]
    pages: Optional[int]
    max_bytes: int
