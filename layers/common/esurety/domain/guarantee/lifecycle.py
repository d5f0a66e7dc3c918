"""A guarantee's life as records: which versions are valid, what they are called, its status (pure).

Every event on a contract is an append-only record numbered 1, 2, 3 … (`version`):

- 新規 (NEW): the first certificate, shown as 「新規」.
- 変更 (CHANGE): a whole new certificate, shown as 「変更ー k」, k its change number.
- 訂正 (CORRECTION): fixes an error in a shown record `target`; it takes that record's place under
  the same label (新規 or 変更ー k). The replaced record stays stored and is hidden.
- 変更取消 (CHANGE_CANCELLATION): withdraws the shown change `target`. The cancelling record and
  the change (with every correction of it) are hidden; the content in force is the previous valid
  version's again.

The valid chain is what the orderer holds as deposited (寄託): one record per label, in order.
A cancelled change's number is given to the next change (decided in docs/decisions.md: the
orderer never sees a gap such as 変更ー1, 変更ー3; the records keep a monotonic `version`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping, Protocol, Sequence

from .certificates import CHANGE, CHANGE_CANCELLATION, CORRECTION, NEW, label  # noqa: F401 (label: lifecycle.label)

# Status of a guarantee as the orderer and the contractor see it.
VALID, EXPIRED, TERMINATED, CLAIMED = "valid", "expired", "terminated", "claimed"
STATUS_LABELS = {VALID: "有効", EXPIRED: "期限満了", TERMINATED: "解約", CLAIMED: "履行請求"}


class LifecycleError(ValueError):
    """An event that the records do not allow (the API answers 409 with `code`, esurety/domain/error_codes.py)."""

    def __init__(self, reason: str, code: str = "version_not_shown"):
        super().__init__(reason)
        self.code = code


class RecordLike(Protocol):
    version: int
    kind: str
    change_number: int | None
    target_version: int | None
    content: dict
    sha256: str  # of the record's signed PDF
    record_sha256: str | None  # this record's link in the hash chain
    previous_sha256: str | None  # the link it follows


@dataclass(frozen=True)
class Shown:
    """A record of the valid chain, with the label it is shown under."""

    record: RecordLike
    change_number: int  # 0 for 新規; a correction shows under its target's number
    label: str  # 新規 | 変更ー k
    target: str  # 新規 | 変更 (the leaflet's 対象 column)

    @property
    def version(self) -> int:
        return int(self.record.version)


def _target_of(record: RecordLike) -> int:
    if record.target_version is None:
        raise LifecycleError(f"record {record.version} ({record.kind}) names no target")
    return int(record.target_version)


def valid_chain(records: Iterable[RecordLike]) -> list[Shown]:
    """The records in force, one per label, ordered 新規, 変更ー1, 変更ー2 …

    Records are replayed in version order; each correction replaces what its target stood for,
    each cancellation removes the change its target stood for.
    """
    by_slot: dict[int, RecordLike] = {}  # change number (0 for 新規) -> record in force
    slot_of: dict[int, int] = {}  # record version -> the slot it occupies or occupied
    for record in sorted(records, key=lambda r: int(r.version)):
        version = int(record.version)
        if record.kind == NEW:
            if 0 in slot_of.values():
                raise LifecycleError("a contract has one 新規")
            slot = 0
        elif record.kind == CHANGE:
            slot = int(record.change_number or 0)
            if slot < 1:
                raise LifecycleError(f"change record {version} has no change number")
        elif record.kind == CORRECTION:
            slot = slot_of.get(_target_of(record), -1)
            if by_slot.get(slot) is None or int(by_slot[slot].version) != _target_of(record):
                raise LifecycleError(f"correction {version} targets a record not in force")
        elif record.kind == CHANGE_CANCELLATION:
            slot = slot_of.get(_target_of(record), -1)
            if slot < 1 or by_slot.get(slot) is None or int(by_slot[slot].version) != _target_of(record):
                raise LifecycleError(f"cancellation {version} targets no change in force")
            del by_slot[slot]
            continue
        else:
            raise LifecycleError(f"unknown record kind {record.kind!r}")
        by_slot[slot] = record
        slot_of[version] = slot
    return [
        Shown(record, slot, label(slot), NEW if slot == 0 else CHANGE)
        for slot, record in sorted(by_slot.items())
    ]


def current(records: Iterable[RecordLike]) -> Shown | None:
    """The version in force now (電子保証概要 always shows it)."""
    chain = valid_chain(records)
    return chain[-1] if chain else None


def next_change_number(records: Iterable[RecordLike]) -> int:
    """A new change follows the last change in force (a cancelled number is given again)."""
    chain = valid_chain(records)
    return max((s.change_number for s in chain), default=0) + 1


def check_correctable(records: Sequence[RecordLike], version: int) -> Shown:
    """訂正 and 変更取消 accept only a version that the history shows now."""
    for shown in valid_chain(records):
        if shown.version == version:
            return shown
    raise LifecycleError(f"version {version} is not shown in the history")


def check_cancellable(records: Sequence[RecordLike], version: int) -> Shown:
    """変更取消 accepts only the last change of the chain (docs/decisions.md).

    Withdrawing a change that a later one follows would leave the later one linked to a record no
    longer shown (the orderer's chain would not hold) and the labels with a gap (新規, 変更ー2): the
    later change is withdrawn first. The error names it.
    """
    shown = check_correctable(records, version)
    if shown.target != CHANGE:
        raise LifecycleError("only a change (変更) can be cancelled; 新規 ends by 解約", "only_changes_cancellable")
    chain = valid_chain(records)
    later = chain[-1]
    if later.version != shown.version:
        raise LifecycleError(
            f"only the last change can be cancelled: {later.label} (version {later.version}) follows {shown.label}; "
            f"cancel {later.label} first",
            "only_last_change_cancellable",
        )
    return shown


# ---------------------------------------------------------------------------- status


@dataclass(frozen=True)
class Ending:
    """A recorded end of the guarantee: 解約 (cancelled) or a 保証債務履行請求 (claimed)."""

    kind: str  # "cancelled" | "claimed"
    on: date


def status(deadline: date, today: date, ending: Ending | None = None) -> str:
    """valid | expired | terminated | claimed. 期限満了 is computed: past the deadline, no job needed.

    A recorded end wins from its date on; before that date the guarantee is what the dates say.
    """
    if ending is not None and ending.on <= today:
        return CLAIMED if ending.kind == "claimed" else TERMINATED
    return EXPIRED if today > deadline else VALID


# ---------------------------------------------------------------------------- hash chain
#
# Each record stores `record_sha256` (over its own fields and the PDF's SHA-256) and
# `previous_sha256` (the record in force just before its slot when it was written; for 新規 the
# genesis value). A correction also names the digest of the record it replaces, so a later record
# that pointed at the replaced one still links into the chain through the correction's lineage.

GENESIS = "0" * 64


def record_digest(fields: Mapping, previous_digest: str) -> str:
    """SHA-256 over the fields a deposit depends on and the previous link (sorted, compact JSON)."""
    body = json.dumps({**fields, "previous": previous_digest}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def chain_fields(contract_number: str, record: RecordLike, shown_label: str, replaces: str | None = None) -> dict:
    fields = {
        "contract_number": contract_number,
        "version": int(record.version),
        "kind": record.kind,
        "label": shown_label,
        "pdf_sha256": record.sha256,
    }
    if replaces is not None:
        fields["replaces"] = replaces
    return fields


def link(contract_number: str, records: Sequence[RecordLike], new_record: RecordLike) -> tuple[str, str]:
    """(previous digest, record digest) for `new_record` joining after `records` (all records so far)."""
    chain = valid_chain(records)
    if new_record.kind == CORRECTION:
        target = next(s for s in chain if s.version == int(new_record.target_version))
        index = chain.index(target)
        previous = _digest_of(chain[index - 1].record) if index else GENESIS
        fields = chain_fields(contract_number, new_record, target.label, replaces=_digest_of(target.record))
    else:
        previous = _digest_of(chain[-1].record) if chain else GENESIS
        new_label = label(new_record.change_number) if new_record.kind == CHANGE else NEW
        fields = chain_fields(contract_number, new_record, new_label)
    return previous, record_digest(fields, previous)


def _digest_of(record: RecordLike) -> str:
    return getattr(record, "record_sha256", None) or ""


def chain_holds(contract_number: str, records: Sequence[RecordLike], pdf_digests: Mapping[int, str] | None = None) -> bool:
    """Whether every shown record's digest recomputes and links to the record in force before it.

    With `pdf_digests` (version -> SHA-256 of the bytes in the bucket) the PDFs are checked too.
    """
    by_version = {int(r.version): r for r in records}
    chain = valid_chain(records)
    previous_lineage = {GENESIS}
    for shown in chain:
        record = shown.record
        replaces = None
        if record.kind == CORRECTION:
            replaces = _digest_of(by_version[int(record.target_version)])
        expected = record_digest(chain_fields(contract_number, record, shown.label, replaces), record.previous_sha256 or "")
        if record.record_sha256 != expected or record.previous_sha256 not in previous_lineage:
            return False
        if pdf_digests is not None and pdf_digests.get(shown.version) != record.sha256:
            return False
        previous_lineage = _lineage(record, by_version)
    return True


def _lineage(record: RecordLike, by_version: Mapping[int, RecordLike]) -> set[str]:
    """The record's digest and those of every record it replaced through corrections."""
    digests = set()
    while record is not None:
        digests.add(_digest_of(record))
        record = by_version.get(int(record.target_version)) if record.kind == CORRECTION else None
    return digests
