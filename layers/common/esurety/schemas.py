"""Request bodies of the HTTP API, validated by Powertools (pydantic).

Codes, amounts, dates and e-mail addresses are NFKC-normalised first, so full-width digits,
letters and punctuation (５０，０００，０００ / ２０２４－０４－０１) are accepted as their ASCII
forms. Names, addresses and other free text are kept as typed (trimmed, runs of spaces made one):
they are printed on the certificate as registered. Cross-field and registry rules live in `rules`.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from .products import Product
from .text import clean, compact_code

MAX_YEN = 10**13  # 10 trillion yen: above any public work


def _text(value):
    return clean(value) if isinstance(value, str) else value


def _yen(value):
    if isinstance(value, bool):
        raise ValueError("must be an integer amount of yen")
    if isinstance(value, str):
        digits = compact_code(value).replace(",", "").removesuffix("円")
        if not digits.isdigit():
            raise ValueError("must be an integer amount of yen")
        return int(digits)
    if isinstance(value, float):
        raise ValueError("must be an integer amount of yen")
    return value


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(value):
    if not isinstance(value, str):
        raise ValueError("must be a date YYYY-MM-DD")
    text = compact_code(value).replace("/", "-")
    if not _DATE.fullmatch(text):
        raise ValueError("must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a real calendar date") from None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value) or len(value) > 254:
        raise ValueError("must be an e-mail address")
    return value


Text = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=200)]
LongText = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=500)]
Yen = Annotated[int, BeforeValidator(_yen), Field(gt=0, le=MAX_YEN)]
Day = Annotated[date, BeforeValidator(_day)]
Email = Annotated[str, BeforeValidator(lambda v: compact_code(v) if isinstance(v, str) else v), AfterValidator(_email)]
BranchCode = Annotated[str, BeforeValidator(lambda v: compact_code(v) if isinstance(v, str) else v), Field(pattern=r"^\d{2}$")]


class _Body(BaseModel):
    # An unknown field is most likely a typo of a known one: refuse it rather than drop it.
    model_config = ConfigDict(extra="forbid")


class Work(_Body):
    name: Text
    kind: Literal["construction", "service"]
    contract_price: Yen
    contract_date: Day
    period_start: Day
    period_end: Day


class Guarantee(_Body):
    amount: Yen
    deadline: Day


class Contractor(_Body):
    name: Text
    address: LongText
    jv_name: Optional[Text] = None


class ApplicationRequest(_Body):
    product: Product
    format: Literal["electronic", "paper"]
    notify_email: Optional[Email] = None
    branch_code: BranchCode
    orderer_id: Annotated[str, Field(min_length=1, max_length=64)]
    work: Work
    guarantee: Guarantee
    contractor: Contractor
    deposit_bank: Optional[Text] = None


class RejectRequest(_Body):
    reason: LongText


class VerificationRequest(_Body):
    contract_number: Annotated[str, Field(min_length=1, max_length=64)]
    auth_key: Annotated[str, Field(min_length=1, max_length=64)]
