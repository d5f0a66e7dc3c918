"""The contractor's contracts: 保証契約一覧 and 電子保証概要."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from . import Answer
from .issuers import IssuerRef
from .certificates import Certificate, Ending, FeeStatementEntry, HistoryEntry, Receipt, Status
from .documents import DownloadLink

Format = Literal["electronic", "paper"]


class ContractRow(Answer):
    contract_number: str
    contractor_name: str
    jv_name: Optional[str]
    work_name: str
    orderer_name: Optional[str]
    contract_price: int
    guarantee_amount: int
    guarantee_deadline: str = Field(description="保証期限 of the latest version (ISO date).")
    product: str
    product_label: str
    deposit_bank: Optional[str]
    format: Format
    status: Status = Field(description="状態 as of today: 有効, 期限満了 (the 保証期限 has passed), 解約, 履行請求.")
    status_label: str = Field(description="有効 | 期限満了 | 解約 | 履行請求")
    pending_change: bool = Field(description="A change application is under review.")
    issuer: Optional[IssuerRef] = Field(default=None, description="The issuer (absent: the platform's first surety, on records before the registry).")


class Contracts(Answer):
    """保証契約一覧: one page of the company's contracts, by number."""

    contracts: list[ContractRow]
    next_cursor: Optional[str] = Field(description="Ask again with `cursor` for the rest; null: nothing more.")


class CertificateVersion(DownloadLink):
    """One shown version: the link to its PDF (saved as `保証証書_{number}_{label}.pdf`) and its whole certificate."""

    label: str = Field(description="新規 | 変更ー n")
    certificate: Certificate


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
