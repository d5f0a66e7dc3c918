"""A certificate and the chain it belongs to, as every group reads them."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from ...domain.guarantee import certificates
from . import Answer

Status = Literal["valid", "expired", "terminated", "claimed"]


class CertificateContractor(Answer, certificates.Contractor):
    """The contractor as the certificate names it."""


class Certificate(Answer, certificates.Terms):
    """A shown version's certificate: its terms (esurety.domain.guarantee.certificates.Terms) and its numbering."""

    contractor: CertificateContractor
    version: int = Field(description="The record's number; a 訂正 has its own, under its target's label.")
    change_number: Optional[int] = Field(description="k of 変更ー k; null for 新規.")
    label: str = Field(description="新規 or 変更ー k: show this, never build it.")
    issued_at: Optional[str] = Field(description="ISO 8601, JST.")
    sha256: str = Field(description="Of the signed PDF.")


class HistoryEntry(Answer):
    """電子保証履歴一覧: one row per label of the valid chain (訂正 in place, 変更取消 gone)."""

    no: int
    label: str
    target: Literal["新規", "変更"]
    version: int
    change_number: Optional[int]
    issued_at: Optional[str]


class VersionRef(Answer):
    """A shown version by its record number and its label."""

    version: int
    label: str


class Money(Answer):
    """A fee moved: `fee`/`additional` charged, `refund` returned (yen)."""

    kind: str
    amount: int


class Ending(Answer):
    """解約 or 保証債務履行請求 as the contractor and the orderer see it."""

    kind: Literal["cancelled", "claimed"]
    date: str
    reason: Optional[str]


class Receipt(Answer):
    """受領確認: an orderer recorded receiving a version."""

    version: int
    orderer_id: Optional[str]
    orderer_name: Optional[str]
    received_at: Optional[str]


class FeeStatementEntry(Answer):
    """A fee statement the contractor can open (GET …/fee-statements/{version})."""

    version: int
    label: str = Field(description="The version's label; 「変更ー k（取消）」 / 「変更ー k 変更取消」 for a withdrawn change's two.")
    fee: int
    kind: str
    withdrawn: bool
