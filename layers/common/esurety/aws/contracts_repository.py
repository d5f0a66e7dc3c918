"""The contract aggregate in the table: the contract item and, in its partition, its certificate
versions, the orderers' views and receipts, and the staff's audit items.

The use cases read and write the aggregate through these functions and never build a key. The
staff's actions on a contract share one write, `write_revision`: optimistic locking on the
contract's `revision` (docs/decisions.md). An action reads the contract, decides, and writes
revision + 1 on the condition that the contract still is at the revision it read, in one
transaction with what the action puts; the caller hears whether it won, and a loser takes its
own lost-race branch (a concurrent identical request converges, anything else is a 409).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from ..domain.catalogue.issuer import DEFAULT_ISSUER_ID
from .models import (
    AuditItem,
    ContractItem,
    ReceiptItem,
    VersionItem,
    ViewItem,
    company_key,
    transact,
)


def get(number: str, consistent: bool = True) -> ContractItem:
    """The contract (ContractItem.DoesNotExist if there is none)."""
    return ContractItem.get(*ContractItem.key(number), consistent_read=consistent)


def get_judged(number: str, attributes: Iterable[str]) -> ContractItem:
    """Only `attributes` of the contract (a verification reads no more than it judges)."""
    return ContractItem.get(*ContractItem.key(number), consistent_read=True, attributes_to_get=list(attributes))


def company_page(company_id: str, start: dict | None, limit: int) -> Iterator[ContractItem]:
    """At most `limit` of the company's contracts by number, from after `start` (an exclusive start
    key of gsi2); the listing reads no further than that, whatever its caller keeps of them."""
    return ContractItem.by_company.query(
        company_key(company_id), ContractItem.gsi2sk.startswith(ContractItem.COMPANY_PREFIX),
        limit=limit, last_evaluated_key=start, page_size=limit,
    )


def many(numbers: Iterable[str]) -> dict[str, ContractItem]:
    """The contracts of `numbers` that exist, by number (BatchGetItem, eventually consistent: a list)."""
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        return {}
    return {c.contract_number: c for c in ContractItem.batch_get([ContractItem.key(n) for n in wanted])}


def index_actions(contract: ContractItem, content: dict, label: str) -> list:
    """The update actions that keep the contract's search index entries (gsi1, gsi3, the label in
    force) true to `content`, the content in force that the same write stores. Every write of a
    contract's content adds them, so the 保証期限 the index sorts by is never another than the one
    shown; they also give a contract written before the index its entries."""
    entry = ContractItem.index_entry(
        contract.issuer_id or DEFAULT_ISSUER_ID, contract.created_at, contract.contract_number, content["guarantee_deadline"], label
    )
    return [getattr(ContractItem, name).set(value) for name, value in entry.items()]


def of_issuer(
    issuer_id: str, *, issued: tuple[date | None, date | None] | None = None, expiring: tuple[date, date] | None = None,
    start: dict | None = None, limit: int, forward: bool,
) -> Iterator[ContractItem]:
    """An issuer's contracts: by issue time (gsi1, `issued` a range of JST days), or with `expiring`
    by 保証期限 from first to last (gsi3, a key range); from `start`, at most `limit` items read."""
    scope = ContractItem.issuer_key(issuer_id)
    if expiring is not None:
        condition = ContractItem.gsi3sk.between(*ContractItem.expiry_range(*expiring))
        return ContractItem.by_issuer_expiry.query(
            scope, condition, scan_index_forward=forward, limit=limit, last_evaluated_key=start, page_size=limit
        )
    condition = ContractItem.gsi1sk.between(*ContractItem.issued_range(*issued)) if issued else None
    return ContractItem.by_issuer.query(scope, condition, scan_index_forward=forward, limit=limit, last_evaluated_key=start, page_size=limit)


def revision(contract: ContractItem) -> int:
    """The contract's revision as read (0 on items written before revisions existed)."""
    return int(contract.revision or 0)


def write_revision(
    contract: ContractItem,
    actions: list,
    condition=None,
    *,
    creates: Iterable = (),
    updates: Iterable[tuple] = (),
    checks: Iterable[tuple] = (),
) -> bool:
    """Write `actions` and revision + 1 to the contract on the condition that it is still at the
    revision read (and `condition`), together with `creates` (each put only where none is),
    `updates` ((item, actions, condition)) and `checks` ((model, hash key, range key, condition)).

    True if written. False if a condition refused it or a concurrent transaction won the race:
    nothing is written, and the caller's lost-race branch reads what the winner left.
    """
    read = revision(contract)
    locked = ContractItem.revision == read
    return transact(
        creates=creates,
        updates=[(contract, [*actions, ContractItem.revision.set(read + 1)], locked if condition is None else locked & condition), *updates],
        checks=checks,
    )


def versions(number: str) -> list[VersionItem]:
    """Every record written for the contract (any kind, any state), by version."""
    return list(VersionItem.query(ContractItem.partition(number), VersionItem.sk.startswith(VersionItem.PREFIX), consistent_read=True))


def version(number: str, version_no: int) -> VersionItem:
    """One record as stored now (VersionItem.DoesNotExist if there is none)."""
    return VersionItem.get(*VersionItem.key(number, int(version_no)), consistent_read=True)


def pending_versions(before: str) -> Iterator[VersionItem]:
    """Records whose publication is unfinished, rendered before the sort key `before`, oldest first."""
    return VersionItem.pending.query(VersionItem.PENDING, VersionItem.gsi1sk < before)


def views(number: str, latest_only: bool = False) -> list[ViewItem]:
    """The orderers' reads of the certificate, oldest first (only the latest with `latest_only`)."""
    if latest_only:
        query = ViewItem.query(ContractItem.partition(number), ViewItem.sk.startswith(ViewItem.PREFIX), scan_index_forward=False, limit=1)
    else:
        query = ViewItem.query(ContractItem.partition(number), ViewItem.sk.startswith(ViewItem.PREFIX))
    return list(query)


def receipts(number: str, consistent: bool = False) -> list[ReceiptItem]:
    """受領確認 recorded on the contract, by version and orderer."""
    if consistent:
        return list(ReceiptItem.query(ContractItem.partition(number), ReceiptItem.sk.startswith(ReceiptItem.PREFIX), consistent_read=True))
    return list(ReceiptItem.query(ContractItem.partition(number), ReceiptItem.sk.startswith(ReceiptItem.PREFIX)))


def receipt(number: str, version_no: int, orderer_id: str) -> ReceiptItem:
    """An orderer's 受領確認 of a version (ReceiptItem.DoesNotExist if none is recorded)."""
    return ReceiptItem.get(*ReceiptItem.key(number, version_no, orderer_id), consistent_read=True)


def audit_items(owner_pk: str) -> list[AuditItem]:
    """The audit trail kept in a partition (a contract's, or an application's without one), in time."""
    return list(AuditItem.query(owner_pk, AuditItem.sk.startswith(AuditItem.PREFIX), consistent_read=True))
