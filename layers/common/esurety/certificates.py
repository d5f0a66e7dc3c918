"""Certificate versions as the API and the documents show them (pure)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Protocol

from .clock import to_jst

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


def iso_jst(moment: datetime | None) -> str | None:
    return to_jst(moment).isoformat(timespec="seconds") if moment else None


def is_visible(version: VersionLike, electronic: bool = True) -> bool:
    if version.kind not in VISIBLE_KINDS:
        return False
    # An electronic certificate exists for the orderer only once it arrived on the platform.
    return version.state == PUBLISHED if electronic else True


def visible(versions: Iterable[VersionLike], electronic: bool = True) -> list[VersionLike]:
    return sorted((v for v in versions if is_visible(v, electronic)), key=lambda v: int(v.version))


def certificate_json(version: VersionLike) -> dict:
    content = version.content
    return {
        "contract_number": content["contract_number"],
        "product": content["product"],
        "product_label": content["product_label"],
        "version": int(version.version),
        "change_number": int(version.change_number) if version.change_number is not None else None,
        "issued_at": iso_jst(version.issued_at),
        "issue_date": content["issue_date"],
        "contractor": dict(content["contractor"]),
        "beneficiary": content["beneficiary"],
        "orderer_id": content["orderer_id"],
        "guarantee_amount": content["guarantee_amount"],
        "guarantee_deadline": content["guarantee_deadline"],
        "work_name": content["work_name"],
        "work_kind": content["work_kind"],
        "contract_price": content["contract_price"],
        "period_start": content["period_start"],
        "period_end": content["period_end"],
        "contract_date": content["contract_date"],
        "deposit_bank": content.get("deposit_bank"),
        "sha256": version.sha256,
    }


def history_json(versions: list[VersionLike]) -> list[dict]:
    return [
        {"no": no, "issued_at": iso_jst(v.issued_at), "target": v.kind, "version": int(v.version)}
        for no, v in enumerate(versions, start=1)
    ]


def render_input(version: VersionLike) -> dict:
    """What the document renderers take: the content plus this version's numbering."""
    return {**version.content, "version": int(version.version), "change_number": version.change_number}
