"""Request bodies of the HTTP API, validated by Powertools (pydantic).

Codes, amounts, dates and e-mail addresses are NFKC-normalised first, so full-width digits,
letters and punctuation (５０，０００，０００ / ２０２４－０４－０１ / ｔａｎａｋａ＠ｅｘａｍｐｌｅ．ｊｐ) are
accepted as their ASCII forms; every date field (`Day`) also takes a date as people write it
(令和8年12月1日, R8.12.1, 2026/12/1, 2026年12月1日: japanese.wareki.parse_date); an e-mail address is then held to what SES sends to (`_email`). Names, addresses and other free text are kept as typed (trimmed, runs of spaces made one):
they are printed on the certificate as registered. Cross-field and registry rules live in `rules`.
"""
from __future__ import annotations

import functools
import re
from datetime import date, datetime
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ..catalogue.products import Product, has_deposit_bank
from ..japanese.text import clean, compact_code, unprintable
from ..japanese.wareki import EARLIEST, DateInputError, parse_date

MAX_YEN = 10**13  # 10 trillion yen: above any public work

# Lengths of the free text printed on the documents. They keep every document on its one page and
# at most 64 KB signed even when every character is a different kanji (each distinct glyph embeds
# about 165 bytes of font), with about 5 KB to spare for a signing certificate chain larger than
# the demo one: measured by tests/integration/test_input_limits.py. See docs/decisions.md.
MAX_CONTRACTOR_NAME = 20
MAX_JV_NAME = 22
MAX_ADDRESS = 36
MAX_WORK_NAME = 40
MAX_DEPOSIT_BANK = 15
MAX_BENEFICIARY = 15
MAX_ORDERER_NAME = 20  # shown in the contract list, not printed
MAX_REASON = 500  # not printed: only the limit of a readable note


def _text(value):
    return clean(value) if isinstance(value, str) else value


def _refuse(code: str, reason: str) -> PydanticCustomError:
    """A field's error with its code (esurety/domain/error_codes.py) as pydantic's error type."""
    return PydanticCustomError(code, reason.replace("{", "(").replace("}", ")"))


def _printable(value: str) -> str:
    found = unprintable(value)
    if found:
        raise _refuse(*found)
    return value


def _yen(value):
    if isinstance(value, bool):
        raise _refuse("not_yen_amount", "must be an integer amount of yen")
    if isinstance(value, str):
        digits = compact_code(value).replace(",", "").removesuffix("円")
        # ASCII digits only (NFKC already made full-width ones ASCII): str.isdigit() would also take
        # Arabic-Indic digits and superscripts.
        if not _DIGITS.fullmatch(digits):
            raise _refuse("not_yen_amount", "must be an integer amount of yen")
        return int(digits)
    if isinstance(value, float):
        raise _refuse("not_yen_amount", "must be an integer amount of yen")
    return value


_DIGITS = re.compile(r"[0-9]{1,20}")


def _day(value):
    """A date as people write it (wareki.parse_date: ISO, 2026/12/1, 令和8年12月1日, R8.12.1, full-width)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        day = parse_date(value)
    except DateInputError as error:
        raise _refuse(error.code, error.reason) from None
    if day < EARLIEST:
        raise _refuse("before_heisei", f"is before {EARLIEST.isoformat()} (平成元年): documents print dates from 平成 on")
    return day


def _branch(value):
    """Two digits; whether they name a branch of the chosen issuer is a cross-field rule (rules.py)."""
    if not isinstance(value, str):
        raise _refuse("not_branch_code", "must be a branch code of two digits")
    code = compact_code(value)
    if not re.fullmatch(r"[0-9]{2}", code):
        raise _refuse("not_branch_code", "must be a branch code of two digits")
    return code


# An address as SES carries it (RFC 5321, without SMTPUTF8): the local part a dot-atom of ASCII
# characters, the domain host names of ASCII letters, digits and hyphens (an internationalised
# domain in its punycode form). Anything else SES refuses at send time, after the decision.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _ascii_domain(domain: str) -> str:
    """The domain as SES takes it: an internationalised one (会社.jp) in punycode (xn--kssu25c.jp).

    Converted only where the conversion is the name typed: IDNA 2003 (Python's codec) maps a few
    characters that IDNA 2008 keeps (ß, ς, joiners), which would address another domain; such a
    name is refused rather than guessed.
    """
    if domain.isascii():
        return domain
    try:
        converted = domain.encode("idna").decode("ascii")
        back = converted.encode("ascii").decode("idna")
    except UnicodeError:
        raise _refuse("email_domain_invalid", "must be an e-mail address; its domain is not a valid host name") from None
    if back != domain.lower():
        raise _refuse("email_domain_invalid", "must be an e-mail address; its domain cannot be written in the form mail servers use") from None
    return converted


def _email(value: str) -> str:
    """An e-mail address SES will send to, or PydanticCustomError (422 naming the field)."""
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise _refuse("not_email", "must be an e-mail address")
    if not local.isascii():
        raise _refuse("email_local_not_ascii", "must be an e-mail address whose part before @ is in ASCII letters, digits and symbols; "
                         "mail servers do not deliver to other characters there")
    if not _LOCAL.fullmatch(local) or len(local) > 64:
        raise _refuse("not_email", "must be an e-mail address")
    domain = _ascii_domain(domain.rstrip("."))
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise _refuse("email_domain_invalid", "must be an e-mail address; its domain is not a valid host name")
    address = f"{local}@{domain}"
    if len(address) > 254:
        raise _refuse("email_too_long", "must be an e-mail address of at most 254 characters")
    return address


def Text(max_length: int):  # noqa: N802 (a type factory, read like a type)
    """Free text: trimmed, printable (no control, bidi or invisible characters), 1..max_length."""
    return Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=max_length), AfterValidator(_printable)]


Yen = Annotated[int, BeforeValidator(_yen), Field(gt=0, le=MAX_YEN)]
Day = Annotated[date, BeforeValidator(_day)]
Email = Annotated[
    str, BeforeValidator(lambda v: compact_code(v) if isinstance(v, str) else v), AfterValidator(_email), AfterValidator(_printable)
]
BranchCode = Annotated[str, BeforeValidator(_branch)]
OrdererId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
# The issuer registry's id (domain/catalogue/issuer.py ISSUER_ID_SHAPE); typed with capitals or
# full-width letters it is still the id.
IssuerId = Annotated[
    str,
    BeforeValidator(lambda v: compact_code(v).lower() if isinstance(v, str) else v),
    Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$"),
]


class _Body(BaseModel):
    # An unknown field is most likely a typo of a known one: refuse it rather than drop it.
    model_config = ConfigDict(extra="forbid")


class Work(_Body):
    name: Text(MAX_WORK_NAME)
    kind: Literal["construction", "service"]
    contract_price: Yen
    contract_date: Day
    period_start: Day
    period_end: Day
    # 低入札価格調査 award: a 契約保証 must then cover 3/10 of the price, not 1/10 (rules.CONTRACT_MINIMUM).
    low_bid_investigation: Annotated[bool, Field(strict=True, description="低入札価格調査を経た契約: 契約保証の保証金額は請負金額の10分の3以上 (otherwise 10分の1)")] = False


class Guarantee(_Body):
    amount: Yen
    deadline: Day


class Contractor(_Body):
    name: Text(MAX_CONTRACTOR_NAME)
    address: Text(MAX_ADDRESS)
    jv_name: Optional[Text(MAX_JV_NAME)] = None


class OrdererOutsideRegistry(_Body):
    """A paper guarantee's orderer that is not in the registry: typed, printed as typed."""

    name: Text(MAX_ORDERER_NAME)  # 発注者, e.g. 那須町
    beneficiary_name: Text(MAX_BENEFICIARY)  # 被保証者 as printed on the certificate, e.g. 那須町長


class ApplicationRequest(_Body):
    product: Product
    format: Literal["electronic", "paper"]
    notify_email: Optional[Email] = None
    branch_code: BranchCode  # a branch of the chosen issuer (rules.application_problems)
    # The issuer applied to (GET /issuers); absent: the platform's first surety, or for a
    # 中間前払金保証 the issuer of the 前払金保証 it follows (rules.application_problems, applications.submit).
    issuer_id: Optional[IssuerId] = None
    # An orderer of the registry; or, for paper only, `orderer` typed (rules.application_problems).
    orderer_id: Optional[OrdererId] = None
    orderer: Optional[OrdererOutsideRegistry] = None
    work: Work
    guarantee: Guarantee
    contractor: Contractor
    deposit_bank: Optional[Text(MAX_DEPOSIT_BANK)] = None
    # 中間前払金保証 only: the orderer's 認定調書 (an upload checked to be a PDF) and the contract's
    # 前払金保証 it follows (rules.application_problems, applications.submit).
    upload_id: Optional[Annotated[str, BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v), Field(pattern=r"^[0-9a-f]{24}$")]] = None
    advance_contract_number: Optional[Annotated[str, Field(min_length=1, max_length=64)]] = None

    @model_validator(mode="after")
    def _no_bank_where_none_is_printed(self):
        # 契約保証 holds no advance at a bank: a 預託金融機関 sent with it (a form prefilled from the
        # company profile) is dropped, not refused, and so never stored nor printed (docs/decisions.md).
        if self.deposit_bank is not None and not has_deposit_bank(self.product):
            self.deposit_bank = None
        return self


class ProfileRequest(_Body):
    """The company profile (PUT /profile): what prefills every new application, validated as the
    application's same fields are (a profile that could not be applied with is refused when saved,
    not at the next application). Every field may be left out or null: a profile is filled in bit by bit."""

    contractor: Optional[Contractor] = None  # 受注者名, 住所, 共同企業体名 as printed on the certificate
    deposit_bank: Optional[Text(MAX_DEPOSIT_BANK)] = None  # 預託金融機関 of 前払金保証 (契約保証 holds none)
    notify_email: Optional[Email] = None  # 発行のお知らせメール


class RejectRequest(_Body):
    reason: Text(MAX_REASON)


VersionNumber = Annotated[int, Field(ge=1, le=999, strict=True)]  # a record's own number (history `version`)


class VerificationRequest(_Body):
    contract_number: Annotated[str, Field(min_length=1, max_length=64)]
    auth_key: Annotated[str, Field(min_length=1, max_length=64)]
    version: Optional[VersionNumber] = None  # a version of the history; default: the one in force


class ReceiptRequest(_Body):
    contract_number: Annotated[str, Field(min_length=1, max_length=64)]
    auth_key: Annotated[str, Field(min_length=1, max_length=64)]
    version: VersionNumber


class DeskReceiptItem(_Body):
    contract_number: Annotated[str, Field(min_length=1, max_length=64)]
    version: VersionNumber


class DeskReceiptsRequest(_Body):
    """受領確認 in bulk on the orderer's desk: the ticked rows, each with the version it shows."""

    items: Annotated[list[DeskReceiptItem], Field(min_length=1, max_length=100)]


class SubmissionRequest(_Body):
    """提出: the orderer's department the contractor submits the guarantee to (the registry names them)."""

    department_id: Annotated[str, Field(min_length=1, max_length=64)]


class GuaranteeChange(_Body):
    amount: Optional[Yen] = None  # 増額 / 減額
    deadline: Optional[Day] = None  # 保証期限の延長 / 短縮


class WorkChange(_Body):
    period_start: Optional[Day] = None
    period_end: Optional[Day] = None
    contract_price: Optional[Yen] = None  # with another change only (alone it needs no procedure)


class ChangeRequest(_Body):
    """変更申込: only what changes; the new certificate restates everything else."""

    guarantee: GuaranteeChange = GuaranteeChange()
    work: WorkChange = WorkChange()
    reason: Text(MAX_REASON)
    # A change goes to the contract's issuer; one named here must be that issuer (else 422).
    issuer_id: Optional[IssuerId] = None


# ---------------------------------------------------------------- staff actions on a contract


class WorkCorrection(_Body):
    name: Optional[Text(MAX_WORK_NAME)] = None
    kind: Optional[Literal["construction", "service"]] = None
    contract_price: Optional[Yen] = None
    contract_date: Optional[Day] = None
    period_start: Optional[Day] = None
    period_end: Optional[Day] = None


class GuaranteeCorrection(_Body):
    amount: Optional[Yen] = None
    deadline: Optional[Day] = None


class ContractorCorrection(_Body):
    name: Optional[Text(MAX_CONTRACTOR_NAME)] = None
    address: Optional[Text(MAX_ADDRESS)] = None
    jv_name: Optional[Text(MAX_JV_NAME)] = None  # an explicit null removes the JV name


class CorrectionRequest(_Body):
    """訂正 of a shown version, in the application's shape: only what was printed wrongly (at least
    one field); the corrected certificate restates everything else (esurety/domain/guarantee/amendments.py)."""

    work: Optional[WorkCorrection] = None
    guarantee: Optional[GuaranteeCorrection] = None
    contractor: Optional[ContractorCorrection] = None
    deposit_bank: Optional[Text(MAX_DEPOSIT_BANK)] = None  # an explicit null removes it (契約保証)
    reason: Text(MAX_REASON)


class CancellationRequest(_Body):
    """変更取消 of a shown change: why it is withdrawn."""

    reason: Text(MAX_REASON)


class TerminationRequest(_Body):
    """解約 (`cancelled`) or 保証債務履行請求 (`claimed`) of the guarantee, from `date` on."""

    kind: Literal["cancelled", "claimed"]
    date: Day
    reason: Text(MAX_REASON)


# ---------------------------------------------------------------- what can be judged of an invalid body


class _Unknown:
    """A value the request gives wrongly (or not at all): its field error is answered; no rule judges it."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def known(*values) -> bool:
    return all(value is not UNKNOWN for value in values)


class Partial:
    """A body that failed validation, field by field: each field's validated value, `UNKNOWN` where
    the field itself is invalid (or missing and required), the default where it is absent. The
    cross-field rules run on it too, so one 422 lists every problem (rules.application_problems)."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


@functools.lru_cache(maxsize=None)
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    field = model.model_fields[name]
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation)


def partial(model: type[BaseModel], data) -> Partial:
    """`data` (a parsed JSON body) read as `model`, each field on its own (see `Partial`)."""
    data = data if isinstance(data, dict) else {}
    values = {}
    for name, field in model.model_fields.items():
        nested = isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
        if nested and (name in data or field.is_required()):
            values[name] = partial(field.annotation, data.get(name))  # a missing or wrong group: all its fields UNKNOWN
        elif name not in data:
            values[name] = UNKNOWN if field.is_required() else field.get_default(call_default_factory=True)
        else:
            try:
                values[name] = _field_adapter(model, name).validate_python(data[name])
            except ValidationError:
                values[name] = UNKNOWN
    return Partial(values)


def _blank_as_none(value):
    return None if isinstance(value, str) and not value.strip() else value


class LockReleaseRequest(_Body):
    """Lifting a contract number's verification lock: why (kept in the audit). Left out or blank, the
    service answers 422 `reason_required` (services/commands/lockout.py)."""

    reason: Annotated[Optional[Text(MAX_REASON)], BeforeValidator(_blank_as_none)] = None
