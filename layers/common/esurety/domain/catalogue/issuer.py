"""An issuer (発行者): a 保証事業会社, a 損害保険会社 or a bank, as data (pure).

The platform serves several issuers side by side. Each is an entry of the issuer registry
(`data/issuers.json` is its seed; the table holds the registry, `services/issuers.py` reads it):
its id and kind, company, representative, address, branches, the products it offers and under
which document, its fee table, the name its e-mails are sent in, its signing key and certificate,
its contract-number code and whether it takes applications (active / suspended / retired).

`load_issuer()` is the default issuer (the first surety of the platform, `DEFAULT_ISSUER_ID`):
records written before there were several issuers carry no issuer id and are its. A file named by
`ESURETY_ISSUER_FILE` may hold one issuer in the earlier shape (no id: the default issuer's).
The file's shape is a pydantic model (as the request bodies are). Kept free of reportlab so that
the apply and verify paths can read it without loading the document renderers.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from enum import Enum
from importlib import resources
from typing import Any, Mapping, Optional
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ValidationError, field_validator, model_validator

from .products import Product

ISSUER_ENV_VAR = "ESURETY_ISSUER_FILE"
# The deployed site's 保証確認 page (the template sets it from its CloudFront distribution); it
# takes the place of the issuer file's verify_url, so the QR code opens the site of this stack.
VERIFY_URL_ENV_VAR = "ESURETY_VERIFY_URL"
# The platform's first surety: records written before the issuer registry existed are its.
DEFAULT_ISSUER_ID = "toto-hosho"
ISSUER_ID_SHAPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")  # also a KMS tag value and an SSM path part
NUMBER_CODE_SHAPE = re.compile(r"^[1-9][0-9]$")  # two digits before the contract number (10..99)


class IssuerKind(str, Enum):
    SURETY = "surety"  # 保証事業会社 (前払金保証事業に関する法律の登録)
    INSURER = "insurer"  # 損害保険会社 (公共工事履行保証証券, 履行保証保険)
    BANK = "bank"  # 銀行・信用金庫 (契約保証の保証書)


KIND_LABELS = {IssuerKind.SURETY: "保証事業会社", IssuerKind.INSURER: "損害保険会社", IssuerKind.BANK: "銀行"}


class Document(str, Enum):
    """The document an issuer issues for a product: its title, parties and clauses."""

    SURETY_CERTIFICATE = "surety_certificate"  # 保証証書 (保証事業会社)
    PERFORMANCE_BOND = "performance_bond"  # 公共工事履行保証証券 (損害保険会社)
    BANK_GUARANTEE = "bank_guarantee"  # 保証書 (金融機関の契約保証)


class IssuerStatus(str, Enum):
    ACTIVE = "active"  # takes applications
    SUSPENDED = "suspended"  # takes none for now; what it issued stays, its staff still act on it
    RETIRED = "retired"  # takes none again; what it issued stays visible to the orderer, forever


@dataclass(frozen=True)
class Signing:
    """Where an issuer's signature comes from: its KMS key and the SSM parameter of its certificate chain."""

    key_id: str  # key id, ARN or alias of a KMS key tagged `esurety:issuer` = issuer_id
    certificate_parameter: str  # SSM parameter name: the signing certificate's PEM, then its chain


@dataclass(frozen=True)
class Branch:
    code: str
    name: str  # 取扱箇所, e.g. 栃木支店
    tel: str
    fax: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Issuer:
    company: str
    address: str
    representative: str  # e.g. 取締役社長　見本　太郎
    branches: tuple[Branch, ...]
    verify_url: str | None = None  # the orderer's verification page (照会画面), opened by the notice's QR
    signin_url: str | None = None  # where the contractor signs in to the service (named in the issue e-mail)
    issuer_id: str = DEFAULT_ISSUER_ID
    kind: IssuerKind = IssuerKind.SURETY
    # The products it offers, each with the document it issues for it.
    products: tuple[tuple[Product, Document], ...] = (
        (Product.ADVANCE_PAYMENT, Document.SURETY_CERTIFICATE),
        (Product.CONTRACT, Document.SURETY_CERTIFICATE),
        (Product.INTERIM_ADVANCE_PAYMENT, Document.SURETY_CERTIFICATE),
    )
    status: IssuerStatus = IssuerStatus.ACTIVE
    # Two digits printed before its contract numbers (`NN-BBYYP-SSSSSC`); None: the default
    # issuer's numbers, which keep the shape they were issued in (`BBYYP-SSSSSC`).
    number_code: str | None = None
    mail_sender_name: str | None = None  # the From name of its e-mails; None: the company
    signing: Signing | None = None  # None: the stack's own key (SIGNING_KEY_ID, SIGNING_CERTIFICATE_PARAMETER)
    fee_rates: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)  # fee_rates.json's shape; None: the packaged table
    four_eyes: bool = False  # a second staff member approves 発行, 訂正 and 解約 / 履行請求

    @property
    def name(self) -> str:
        return self.company

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def offers(self, product: Product | str) -> bool:
        return any(offered == Product(product) for offered, _ in self.products)

    def document_for(self, product: Product | str) -> Document | None:
        return next((document for offered, document in self.products if offered == Product(product)), None)

    def takes_applications(self) -> bool:
        return self.status == IssuerStatus.ACTIVE

    def public_json(self) -> dict:
        """What `GET /issuers` shows anyone: who it is, what it offers, its branches (no key, no rates)."""
        return {
            "issuer_id": self.issuer_id,
            "kind": self.kind.value,
            "kind_label": self.kind_label,
            "name": self.company,
            "status": self.status.value,
            "products": [{"product": p.value, "document": d.value} for p, d in self.products],
            # 取扱店: the contractor chooses one on the application (an issuer onboarded later
            # needs no screen change to be applied to).
            "branches": [{"code": b.code, "name": b.name} for b in self.branches],
        }

    def to_json(self) -> dict:
        """The registry entry (the shape `issuer_from_json` reads)."""
        data: dict[str, Any] = {
            "issuer_id": self.issuer_id,
            "kind": self.kind.value,
            "company": self.company,
            "address": self.address,
            "representative": self.representative,
            "status": self.status.value,
            "number_code": self.number_code,
            "products": [{"product": p.value, "document": d.value} for p, d in self.products],
            "branches": {
                b.code: {k: v for k, v in (("name", b.name), ("tel", b.tel), ("fax", b.fax), ("address", b.address)) if v is not None}
                for b in self.branches
            },
            "four_eyes": self.four_eyes,
        }
        for key in ("verify_url", "signin_url", "mail_sender_name"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.signing:
            data["signing"] = {"key_id": self.signing.key_id, "certificate_parameter": self.signing.certificate_parameter}
        if self.fee_rates is not None:
            data["fee_rates"] = dict(self.fee_rates)
        return data

    def branch(self, code: str | int | None) -> Branch:
        """The handling branch for a code; an unknown code falls back to the first branch."""
        for branch in self.branches:
            if code is not None and branch.code == str(code):
                return branch
        return self.branches[0]


class _BranchEntry(BaseModel):
    name: str
    tel: str
    fax: Optional[str] = None
    address: Optional[str] = None


class _ProductEntry(BaseModel):
    product: Product
    document: Document


class _SigningEntry(BaseModel):
    key_id: str
    certificate_parameter: str


class _IssuerFile(BaseModel):
    """The file's shape (keys it does not name, such as `_comment`, are ignored)."""

    company: str
    address: str
    representative: str
    branches: dict[str, _BranchEntry]
    verify_url: Any = None
    signin_url: Any = None
    issuer_id: str = DEFAULT_ISSUER_ID
    kind: IssuerKind = IssuerKind.SURETY
    products: Optional[list[_ProductEntry]] = None
    status: IssuerStatus = IssuerStatus.ACTIVE
    number_code: Optional[str] = None
    mail_sender_name: Optional[str] = None
    signing: Optional[_SigningEntry] = None
    fee_rates: Optional[dict[str, Any]] = None
    four_eyes: bool = False

    @field_validator("issuer_id")
    @classmethod
    def _issuer_id(cls, value: str) -> str:
        if not ISSUER_ID_SHAPE.fullmatch(value):
            raise ValueError(f"issuer_id must be 3-40 lower-case letters, digits and hyphens, not {value!r}")
        return value

    @field_validator("number_code")
    @classmethod
    def _number_code(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not NUMBER_CODE_SHAPE.fullmatch(value):
            raise ValueError(f"issuer number_code must be two digits 10..99, not {value!r}")
        return value

    @field_validator("fee_rates")
    @classmethod
    def _fee_rates(cls, rates: Optional[dict[str, Any]], info) -> Optional[dict[str, Any]]:
        # Checked when the entry is read (the onboarding tool refuses it), not at the first issue:
        # a table that cannot price would otherwise fail every decision of this issuer's staff.
        if rates is not None:
            from .fees import FeeTableError, parse_fee_table  # noqa: PLC0415 - fees is the larger module

            try:
                parse_fee_table(rates, f"fee_rates of issuer {info.data.get('issuer_id', '?')}")
            except FeeTableError as error:
                raise ValueError(str(error)) from None
        return rates

    @model_validator(mode="after")
    def _numbered_apart(self) -> "_IssuerFile":
        # Only the default issuer keeps the number shape without an issuer code: any other would
        # hand out the default issuer's numbers.
        if self.number_code is None and self.issuer_id != DEFAULT_ISSUER_ID:
            raise ValueError(f"issuer {self.issuer_id} needs a number_code (two digits) of its own")
        if self.products is not None and not self.products:
            raise ValueError(f"issuer {self.issuer_id} offers no product")
        return self

    @field_validator("branches", mode="before")
    @classmethod
    def _codes_as_text(cls, branches: Any) -> Any:
        return {str(code): entry for code, entry in branches.items()} if isinstance(branches, Mapping) else branches

    @field_validator("branches")
    @classmethod
    def _at_least_one(cls, branches: dict) -> dict:
        if not branches:
            raise ValueError("issuer configuration needs at least one branch")
        return branches

    @field_validator("verify_url")
    @classmethod
    def _verify_url(cls, url: Any) -> str | None:
        return check_verify_url(url) if url else None

    @field_validator("signin_url")
    @classmethod
    def _signin_url(cls, url: Any) -> str | None:
        return check_signin_url(url) if url else None


def issuer_from_json(data: Mapping[str, Any]) -> Issuer:
    """The Issuer from the parsed file; a bad file raises ValueError saying what is wrong."""
    try:
        parsed = _IssuerFile.model_validate(data)
    except ValidationError as invalid:
        error = invalid.errors()[0]
        raised = (error.get("ctx") or {}).get("error")
        if isinstance(raised, ValueError):  # ours: the message says which field and why
            raise ValueError(str(raised)) from None
        place = ".".join(str(part) for part in error["loc"])
        raise ValueError(f"issuer configuration: {place}: {error['msg']}") from None
    return Issuer(
        company=parsed.company,
        address=parsed.address,
        representative=parsed.representative,
        branches=tuple(
            Branch(code=code, name=entry.name, tel=entry.tel, fax=entry.fax, address=entry.address)
            for code, entry in parsed.branches.items()
        ),
        verify_url=parsed.verify_url,
        signin_url=parsed.signin_url,
        issuer_id=parsed.issuer_id,
        kind=parsed.kind,
        products=(
            tuple((entry.product, entry.document) for entry in parsed.products)
            if parsed.products is not None else Issuer.products
        ),
        status=parsed.status,
        number_code=parsed.number_code,
        mail_sender_name=parsed.mail_sender_name,
        signing=Signing(parsed.signing.key_id, parsed.signing.certificate_parameter) if parsed.signing else None,
        fee_rates=parsed.fee_rates,
        four_eyes=parsed.four_eyes,
    )


def check_signin_url(url: str) -> str:
    """An https URL (http only on localhost): the contractor types a password there."""
    parts = urlsplit(url) if isinstance(url, str) else None
    local = parts is not None and parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")
    if parts is None or not (parts.scheme == "https" or local) or not parts.netloc:
        raise ValueError(f"issuer signin_url must be an https URL, not {url!r}")
    return url


def check_verify_url(url: str) -> str:
    """An https URL without a fragment (the notice's QR puts the auth key in the fragment)."""
    if not isinstance(url, str):
        raise ValueError(f"issuer verify_url must be a string, not {url!r}")
    parts = urlsplit(url)
    # http only on this machine: localhost, its sub-domains (the local cloud's CloudFront), 127.0.0.1
    host = parts.hostname or ""
    local = parts.scheme == "http" and (host in ("localhost", "127.0.0.1") or host.endswith(".localhost"))
    if not (parts.scheme == "https" or local) or not parts.netloc:
        raise ValueError(f"issuer verify_url must be an https URL, not {url!r}")
    if parts.fragment or url.endswith("#"):
        raise ValueError(f"issuer verify_url must not have a fragment (#...): {url!r}")
    return url


def verification_url(contract_number: str, auth_key: str, issuer: Issuer) -> str:
    """The link in the notice's QR code: `{verify_url}?contract_number=<number>#auth_key=<key>`.

    The contract number is a query parameter, so the page opens with it filled in. The key rides in
    the fragment only: browsers never send a fragment to the server, so it reaches no access log,
    proxy or CDN log, and no Referer header; the page's script reads it from `location.hash`.
    """
    if not issuer.verify_url:
        raise ValueError("the issuer configuration has no verify_url")
    parts = urlsplit(check_verify_url(issuer.verify_url))
    query = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in query if k != "contract_number"] + [("contract_number", contract_number)]
    fragment = urlencode({"auth_key": auth_key}, quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, quote_via=quote), fragment))


def with_stack_urls(data: Mapping[str, Any]) -> dict:
    """An entry with this stack's 保証確認 page in place of its verify_url (the QR opens this site)."""
    data = dict(data)
    if os.environ.get(VERIFY_URL_ENV_VAR):
        data["verify_url"] = os.environ[VERIFY_URL_ENV_VAR]
    return data


def seed_entries() -> list[dict]:
    """The packaged registry seed, `data/issuers.json`: one entry per issuer."""
    return json.loads(resources.files("esurety").joinpath("data/issuers.json").read_text("utf-8"))


def seed() -> list[Issuer]:
    return [issuer_from_json(with_stack_urls(entry)) for entry in seed_entries()]


def load_issuer(path: str | None = None) -> Issuer:
    """The default issuer: from `path`, else $ESURETY_ISSUER_FILE, else the packaged seed's entry.

    A file holds one issuer (an object) or a registry (a list, whose default issuer is taken).
    """
    path = path or os.environ.get(ISSUER_ENV_VAR)
    if path:
        with open(path, encoding="utf-8") as handle:
            data = json.loads(handle.read())
    else:
        data = seed_entries()
    if isinstance(data, list):
        data = next((entry for entry in data if entry.get("issuer_id", DEFAULT_ISSUER_ID) == DEFAULT_ISSUER_ID), None)
        if data is None:
            raise ValueError(f"the issuer registry has no entry {DEFAULT_ISSUER_ID}")
    return issuer_from_json(with_stack_urls(data))


