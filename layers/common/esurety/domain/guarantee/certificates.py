"""Certificate versions as the API and the documents show them (pure)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional, Protocol

from pydantic import BaseModel, ConfigDict

from ..japanese.clock import to_jst

NEW, CHANGE, CORRECTION, CHANGE_CANCELLATION = "新規", "変更", "訂正", "変更取消"
VISIBLE_KINDS = frozenset({NEW, CHANGE})  # 訂正 and 変更取消 are recorded, never shown
RENDERED, PUBLISHED = "rendered", "published"


class VersionLike(Protocol):
    version: int
    kind: str
    change_number: int | None
    state: str
    content: dict
    issued_at: datetime | None
    sha256: str


def label(change_number: int | None) -> str:
    """The label a version is shown under: 新規, or 変更ー k for its change number k (the only place
    it is written; the API sends it and the documents print it)."""
    return NEW if not change_number else f"変更ー{int(change_number)}"


class Contractor(BaseModel):
    name: str
    address: str
    jv_name: Optional[str] = None  # 共同企業体: its name above the representative's


class Terms(BaseModel):
    """What a certificate states: the parties, the guarantee and the works (what the orderer reads)."""

    contract_number: str
    product: str
    product_label: str
    issue_date: str  # ISO date, JST
    contractor: Contractor
    beneficiary: str
    orderer_id: Optional[str]  # None for an orderer outside the registry (paper)
    guarantee_amount: int
    guarantee_deadline: str
    work_name: str
    work_kind: str
    contract_price: int
    period_start: str
    period_end: str
    contract_date: str
    deposit_bank: Optional[str] = None


class CertificateContent(Terms):
    """A version's stored `content` (services/commands/issuance.py writes it, changes and 訂正 restate it):
    the terms, and what the documents print beside them."""

    model_config = ConfigDict(extra="ignore")

    branch_code: Optional[str] = None
    format: str = "electronic"
    orderer_name: Optional[str] = None
    advance_contract_number: Optional[str] = None  # 中間前払金保証: the 前払金保証 it follows


TERMS = tuple(Terms.model_fields)


def iso_jst(moment: datetime | None) -> str | None:
    return to_jst(moment).isoformat(timespec="seconds") if moment else None


def is_visible(version: VersionLike, electronic: bool = True) -> bool:
    if version.kind not in VISIBLE_KINDS:
        return False
    # An electronic certificate exists for the orderer only once it arrived on the platform.
    return version.state == PUBLISHED if electronic else True


def visible(versions: Iterable[VersionLike], electronic: bool = True) -> list[VersionLike]:
    return sorted((v for v in versions if is_visible(v, electronic)), key=lambda v: int(v.version))


def certificate_json(version: VersionLike, change_number: int | None = None) -> dict:
    """The certificate of a shown record; `change_number` is the label's (a 訂正 shows its target's)."""
    content = CertificateContent.model_validate(version.content)
    if change_number is None and version.change_number is not None:
        change_number = int(version.change_number)
    return {
        **content.model_dump(include=set(TERMS)),
        "version": int(version.version),
        "change_number": change_number or None,
        "label": label(change_number),
        "issued_at": iso_jst(version.issued_at),
        "sha256": version.sha256,
    }


def history_json(chain: list) -> list[dict]:
    """電子保証履歴一覧: the valid chain (lifecycle.Shown), one row per label, 訂正 and 変更取消 hidden."""
    return [
        {
            "no": no,
            "label": shown.label,
            "target": shown.target,
            "version": int(shown.record.version),
            "change_number": shown.change_number or None,
            "issued_at": iso_jst(shown.record.issued_at),
        }
        for no, shown in enumerate(chain, start=1)
    ]


def document(content: dict, version: int, change_number: int | None) -> dict:
    """What the document renderers take: the content, read through its model, plus the numbering."""
    return {**CertificateContent.model_validate(content).model_dump(), "version": int(version), "change_number": change_number}


def render_input(version: VersionLike) -> dict:
    """A stored version as the document renderers take it."""
    return document(version.content, version.version, version.change_number)
