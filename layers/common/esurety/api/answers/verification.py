"""保証確認: what the orderer reads with the contract number and the auth key."""
from __future__ import annotations

from typing import Optional

from pydantic import Field

from . import Answer
from .issuers import IssuerRef
from .certificates import Certificate, Ending, HistoryEntry, Status


class Verification(Answer):
    status: Optional[Status]
    status_label: Optional[str]
    ending: Optional[Ending]
    received_at: Optional[str] = Field(description="This orderer's 受領確認 of the version shown, if recorded.")
    current_version: int = Field(description="The version in force (the certificate shown may be an earlier one).")
    certificate: Certificate
    history: list[HistoryEntry]
    chain_valid: bool = Field(description="Whether the hash chain of the shown records holds.")
    pdf_url: str = Field(description="Presigned link to the shown version's signed PDF.")
    issuer: Optional[IssuerRef] = Field(default=None, description="The issuer (absent: the platform's first surety, on records before the registry).")


class ReceiptRecorded(Answer):
    contract_number: str
    version: int
    received_at: Optional[str]
