"""The contractor's contracts: 保証契約一覧 and 電子保証概要."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from . import Answer
from .issuers import IssuerRef
from .certificates import Certificate, Ending, FeeStatementEntry, HistoryEntry, Receipt, Status

Format = Literal["electronic", "paper"]


class ContractRow(Answer):
    contract_number: str
    contractor_name: str
    jv_name: Optional[str]
    work_name: str
    orderer_name: Optional[str]
    contract_price: int
    guarantee_amount: int
    product: str
    product_label: str
    deposit_bank: Optional[str]
    format: Format
    issuer: Optional[IssuerRef] = Field(default=None, description="The issuer (absent: the platform's first surety, on records before the registry).")


class Contracts(Answer):
    contracts: list[ContractRow]


class ContractDetail(Answer):
    """電子保証概要: the certificate in force, the auth key, the history and the fee statements."""

    contract_number: str
    format: Format
    status: Optional[Status] = Field(description="null until a certificate is shown.")
    status_label: Optional[str]
    ending: Optional[Ending]
    certificate: Optional[Certificate]
    auth_key: Optional[str] = Field(description="Shown once issuance is complete.")
    history: list[HistoryEntry]
    fee_statements: list[FeeStatementEntry]
    pending_change: Optional[str] = Field(description="The application id of a change under review.")
    next_change_label: Optional[str] = Field(description="The label a change applied for now would be issued under.")
    receipts: list[Receipt]
    viewed_by_orderer_at: Optional[str]
    issuer: Optional[IssuerRef] = Field(default=None, description="The issuer (absent: the platform's first surety, on records before the registry).")
