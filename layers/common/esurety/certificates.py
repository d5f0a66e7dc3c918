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


def certificate_json(version: VersionLike, change_number: int | None = None) -> dict:
    """The certificate of a shown record; `change_number` is the label's (a 訂正 shows its target's)."""
    content = version.content
    if change_number is None and version.change_number is not None:
        change_number = int(version.change_number)
    return {
        "contract_number": content["contract_number"],
        "product": content["product"],
        "product_label": content["product_label"],
        "version": int(version.version),
        "change_number": change_number or None,
        "label": NEW if not change_number else f"変更ー{int(change_number)}",
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


def render_input(version: VersionLike) -> dict:
    """What the document renderers take: the content plus this version's numbering."""
    return {**version.content, "version": int(version.version), "change_number": version.change_number}
