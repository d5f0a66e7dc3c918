"""The Net Desk's company profile and the fee estimate of an application (保証料（見込み）)."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import Field

from . import Answer
from .issuers import IssuerRef


class ProfileContractor(Answer):
    name: str
    address: str
    jv_name: Optional[str] = None


class Profile(Answer):
    """What prefills a new application; every field null until saved (GET never answers 404)."""

    contractor: Optional[ProfileContractor] = Field(description="受注者名, 住所, 共同企業体名 as printed on the certificate.")
    deposit_bank: Optional[str] = Field(description="預託金融機関 (前払金保証 and 中間前払金保証).")
    notify_email: Optional[str] = Field(description="Where the 発行のお知らせ goes (it never carries the auth key).")
    last_orderer_id: Optional[str] = Field(description="The orderer of the company's last application: the form's default 発注者.")
    updated_at: Optional[str] = Field(description="When the profile was last saved (ISO, JST); null: never.")


class EstimateLine(Answer):
    """One band of the tiered rates: its part of the guarantee amount and the fee on it."""

    band_label: str = Field(description="e.g. 1,000万円以下の部分")
    part: int
    annual_rate_percent: str = Field(description="e.g. 0.60%")
    fee: int
    formula: str = Field(description="As the 保証料計算書 prints it: 10,000,000 円 × 年0.60% × 366日 ÷ 365日")


class Estimate(Answer):
    """保証料（見込み）: the fee if the application were issued today, as its 保証料計算書 would state it."""

    fee: int = Field(description="保証料 in yen.")
    days: int = Field(description="Guarantee days, from the issue date (today) to the 保証期限, both included.")
    day_basis: int
    issue_date: str = Field(description="The issue date the estimate assumes (today, ISO).")
    deadline: str
    amount: int
    table_name: str = Field(description="The issuer's rate table.")
    sample: bool = Field(description="The table is a sample (its statement says サンプル料率).")
    lines: list[EstimateLine]
    computed_fee: int
    minimum_fee: int
    minimum_applied: bool
    breakdown: list[str] = Field(description="The computation as the statement prints it, line by line.")
    issuer: IssuerRef
    product_label: str
    request: dict[str, Any] = Field(description="The application as POST /applications would store it (dates ISO, amounts in yen).")
