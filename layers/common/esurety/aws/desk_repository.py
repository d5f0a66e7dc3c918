"""The orderer's desk in the table: the presentation and its row (DeskItem), the desk's events
(DeskEventItem), this orderer's 受領確認 and its looks at a guarantee, all in the contract's
partition, and the desk's indexes (docs/data-model.md).

The desk's use cases (services/commands/desk.py, services/views/desk.py) read and write through
these functions and never build a key. Every write that may repeat is conditional: the first
presentation, event and receipt stand (a repeat reads what stands), and a row rebuild is written
only on the revision it read.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterator

from pynamodb.exceptions import PutError, UpdateError

from . import contracts_repository
from .models import ContractItem, DeskEventItem, DeskItem, ReceiptItem, ViewItem, condition_failed

# The desk rows' indexes by the name a cursor carries.
_ROW_INDEXES = {"gsi1": DeskItem.by_presentation, "gsi2": DeskItem.by_department, "gsi3": DeskItem.by_expiry, "gsi4": DeskItem.by_change}
# The event log's.
_EVENT_INDEXES = {"gsi1": DeskEventItem.by_orderer, "gsi2": DeskEventItem.by_department}


# ------------------------------------------------------------------------- the row


def get(number: str) -> DeskItem | None:
    """The guarantee's presentation and row as stored now; None when it is on no desk."""
    try:
        return DeskItem.get(*DeskItem.key(number), consistent_read=True)
    except DeskItem.DoesNotExist:
        return None


def present(
    number: str, *, orderer_id: str, department_id: str | None, via: str, presented_at: datetime, presented_by: str,
    presented_version: int, stamp: str,
) -> tuple[DeskItem, bool]:
    """Put the presentation unless one is there (the first stands): (the item that stands, whether
    this call put it). `stamp` is the sort-key time of `presented_at`."""
    item = DeskItem(
        *DeskItem.key(number),
        contract_number=number,
        orderer_id=orderer_id,
        department_id=department_id,
        via=via,
        presented_at=presented_at,
        presented_by=presented_by,
        presented_version=presented_version,
        revision=0,
        **DeskItem.presentation_entry(orderer_id, department_id, stamp, number),
    )
    try:
        item.save(condition=DeskItem.pk.does_not_exist())
        return item, True
    except PutError as error:
        if not condition_failed(error):
            raise
        return DeskItem.get(*DeskItem.key(number), consistent_read=True), False


def write_row(item: DeskItem, *, row: dict, search: str, changed: bool, ending: dict | None, changed_stamp: str) -> bool:
    """Write the rebuilt row, its gsi3/gsi4 entries and revision + 1 on the condition that the item is
    still at the revision read (`item.revision`). True if written, False if another rebuild won."""
    number = item.contract_number
    revision = int(item.revision or 0)
    actions = [
        DeskItem.row.set(row),
        DeskItem.search.set(search),
        DeskItem.changed.set(changed),
        DeskItem.ending.set(ending) if ending else DeskItem.ending.remove(),
        DeskItem.revision.set(revision + 1),
        DeskItem.gsi3pk.set(DeskItem.scope_key(item.orderer_id)),
        DeskItem.gsi3sk.set(DeskItem.expiry_sort_key(row["expiry"], number)),
        DeskItem.gsi4pk.set(DeskItem.scope_key(item.orderer_id)),
        DeskItem.gsi4sk.set(DeskItem.change_sort_key(changed_stamp, number)),
    ]
    condition = DeskItem.revision == revision if revision else DeskItem.revision.does_not_exist() | (DeskItem.revision == 0)
    try:
        item.update(actions=actions, condition=condition)
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False


def rows(
    index: str, scope: str, *, expiring: tuple[date, date] | None = None, forward: bool, limit: int | None,
    start: dict | None, page_size: int,
):
    """The desk rows of `index` (gsi1 … gsi4) in the partition `scope`, from `start`; on gsi3,
    `expiring` (first, last) keeps the rows whose 保証期限 is in that range."""
    condition = DeskItem.gsi3sk.between(*DeskItem.expiry_range(*expiring)) if expiring else None
    return _ROW_INDEXES[index].query(scope, condition, scan_index_forward=forward, limit=limit, last_evaluated_key=start, page_size=page_size)


def expiring(orderer_id: str, first: date, last: date) -> Iterator[DeskItem]:
    """An orderer's rows whose 保証期限 is from `first` to `last` (gsi3, a key range)."""
    return DeskItem.by_expiry.query(DeskItem.scope_key(orderer_id), DeskItem.gsi3sk.between(*DeskItem.expiry_range(first, last)))


# ------------------------------------------------------------------------- events


def logged(number: str, kind: str, ref: str) -> bool:
    """Whether the event is in the log."""
    try:
        DeskEventItem.get(*DeskEventItem.key(number, kind, ref), consistent_read=True, attributes_to_get=["pk"])
        return True
    except DeskEventItem.DoesNotExist:
        return False


def log_event(
    number: str, kind: str, ref: str, *, orderer_id: str, department_id: str | None, stamp: str, rank: int, **fields,
) -> DeskEventItem:
    """Put the event unless it is there (the first stands) and answer the one that stands. `stamp`
    is the sort-key time the desk learnt it at, `rank` its place among events of one instant."""
    event = DeskEventItem(
        *DeskEventItem.key(number, kind, ref),
        contract_number=number,
        orderer_id=orderer_id,
        department_id=department_id,
        kind=kind,
        **fields,
        **DeskEventItem.log_entry(orderer_id, department_id, stamp, rank, number, kind, ref),
    )
    try:
        event.save(condition=DeskEventItem.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        event = DeskEventItem.get(*DeskEventItem.key(number, kind, ref), consistent_read=True)
    return event


def events_of(number: str) -> list[DeskEventItem]:
    """Every event logged of the guarantee (consistent)."""
    return list(DeskEventItem.query(ContractItem.partition(number), DeskEventItem.sk.startswith(DeskEventItem.PREFIX), consistent_read=True))


def event_log(index: str, scope: str, limit: int, start: dict | None):
    """One page of the event log of `index` (gsi1: an orderer's, gsi2: a department's), oldest first."""
    return _EVENT_INDEXES[index].query(scope, scan_index_forward=True, limit=limit, last_evaluated_key=start, page_size=limit)


# ------------------------------------------------------------------------- 受領確認 and looks


def receipts_of(number: str, orderer_id: str) -> list[ReceiptItem]:
    """The orderer's 受領確認 of the contract (consistent)."""
    return [r for r in contracts_repository.receipts(number, consistent=True) if r.orderer_id == orderer_id]


def receive(number: str, version: int, *, orderer_id: str, orderer_name: str | None, received_by: str, received_at: datetime) -> tuple[ReceiptItem, bool]:
    """Put the orderer's 受領確認 of a version unless one is there (the first stands): (the receipt
    that stands, whether this call put it)."""
    receipt = ReceiptItem(
        *ReceiptItem.key(number, version, orderer_id),
        contract_number=number,
        version=version,
        orderer_id=orderer_id,
        orderer_name=orderer_name,
        received_by=received_by,
        received_at=received_at,
    )
    try:
        receipt.save(condition=ReceiptItem.pk.does_not_exist())
        return receipt, True
    except PutError as error:
        if not condition_failed(error):
            raise
        return contracts_repository.receipt(number, version, orderer_id), False


def record_view(number: str, orderer_id: str, version: int, viewed_at: datetime) -> None:
    """The orderer's look at a version of the certificate."""
    ViewItem(
        *ViewItem.key(number, viewed_at, orderer_id), contract_number=number, orderer_id=orderer_id, version=version, viewed_at=viewed_at,
    ).save()


# ------------------------------------------------------------------------- audit


def audit_partition(orderer_id: str, number: str | None = None) -> str:
    """Where a desk audit item goes: the contract's partition, or the desk's own for a read of no one contract."""
    return ContractItem.partition(number) if number else DeskItem.audit_partition(orderer_id)
