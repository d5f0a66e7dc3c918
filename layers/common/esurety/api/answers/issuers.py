"""The issuers: the public registry (`GET /issuers`) and the issuer named on every guarantee."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from . import Answer

IssuerKind = Literal["surety", "insurer", "bank"]
IssuerStatus = Literal["active", "suspended", "retired"]
DocumentKind = Literal["surety_certificate", "performance_bond", "bank_guarantee"]


class IssuerRef(Answer):
    """Who issued (or is applied to for) a guarantee."""

    issuer_id: str
    name: str = Field(description="The company as printed on its documents.")
    kind: IssuerKind = Field(description="保証事業会社 (surety), 損害保険会社 (insurer) or 銀行 (bank).")
    kind_label: str = Field(description="The kind in Japanese: 保証事業会社, 損害保険会社 or 銀行.")


class IssuerProduct(Answer):
    product: str
    document: DocumentKind = Field(
        description="surety_certificate: 保証証書; performance_bond: 公共工事履行保証証券; bank_guarantee: 保証書 (金融機関)."
    )


class IssuerBranch(Answer):
    code: str = Field(description="The two-digit branch code an application names as branch_code.")
    name: str = Field(description="取扱店, e.g. 宇都宮支店.")


class IssuerEntry(Answer):
    issuer_id: str
    kind: IssuerKind
    kind_label: str
    name: str
    status: IssuerStatus = Field(description="active takes applications; suspended and retired take none (what they issued stays).")
    products: list[IssuerProduct]
    branches: list[IssuerBranch]


class Issuers(Answer):
    issuers: list[IssuerEntry]
