"""The approvals of four eyes in the table: the ApprovalItem and the mark on its target.

Every write here is conditional: a maker's decision is put with its target's mark only where no
other approval is open on that target; an approver claims an approval before running its action,
and settles it (approved or returned) together with closing the mark, on the condition that it is
still pending and still theirs. The use case (services/commands/approvals.py) never builds a key.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError, UpdateError

from .models import ApprovalItem, ApprovalTargetItem, condition_failed, transact_write, transaction_lost


def get(approval_id: str, consistent: bool = True) -> ApprovalItem:
    """The approval (ApprovalItem.DoesNotExist if there is none)."""
    return ApprovalItem.get(*ApprovalItem.key(approval_id), consistent_read=consistent)


def open_on(target: str) -> ApprovalItem | None:
    """The approval open on a target partition (`APP#…`, `CONTRACT#…`), if any."""
    try:
        mark = ApprovalTargetItem.get(*ApprovalTargetItem.key(target), consistent_read=True)
    except ApprovalTargetItem.DoesNotExist:
        return None
    if not mark.open:
        return None
    try:
        return get(mark.approval_id)
    except ApprovalItem.DoesNotExist:  # the mark is written with its approval: never alone
        return None


def create(item: ApprovalItem) -> bool:
    """Put a new approval and open its target's mark, in one transaction; False (nothing written)
    when another approval is open on the target, or a concurrent maker's won."""
    mark = ApprovalTargetItem(*ApprovalTargetItem.key(item.target), approval_id=item.approval_id, open=True)
    try:
        with transact_write() as transaction:
            transaction.save(item, condition=ApprovalItem.pk.does_not_exist())
            transaction.save(mark, condition=ApprovalTargetItem.pk.does_not_exist() | (ApprovalTargetItem.open == False))  # noqa: E712
    except TransactWriteError as error:
        if not transaction_lost(error):
            raise
        return False
    return True


def of_issuer(issuer_id: str, status: str, limit: int, start: dict | None):
    """One page of an issuer's approvals of `status`, oldest first (the result's last_evaluated_key pages on)."""
    return ApprovalItem.by_status.query(ApprovalItem.list_key(issuer_id, status), limit=limit, last_evaluated_key=start)


def claim(item: ApprovalItem, approver: str, now: datetime, stale_before: datetime) -> bool:
    """Mark the approval as being run by `approver`: only while pending, and unless another
    approver's claim is fresh. True if this call (or an earlier one of the same approver) holds it."""
    condition = (ApprovalItem.status == "pending") & (
        ApprovalItem.claimed_by.does_not_exist() | (ApprovalItem.claimed_by == approver) | (ApprovalItem.claimed_at < stale_before)
    )
    try:
        item.update(actions=[ApprovalItem.claimed_by.set(approver), ApprovalItem.claimed_at.set(now)], condition=condition)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def release(item: ApprovalItem, approver: str) -> None:
    """Give a claim back (its action was refused: nothing was written); another's claim is left alone."""
    try:
        item.update(
            actions=[ApprovalItem.claimed_by.remove(), ApprovalItem.claimed_at.remove()],
            condition=(ApprovalItem.status == "pending") & (ApprovalItem.claimed_by == approver),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def settle(item: ApprovalItem, actions: list, condition) -> bool:
    """The approval's new state (`actions` on `condition`) and its target's mark closed, together;
    False (nothing written) when the condition no longer holds."""
    mark = ApprovalTargetItem(*ApprovalTargetItem.key(item.target))
    try:
        with transact_write() as transaction:
            transaction.update(item, actions=actions, condition=condition)
            transaction.update(
                mark, actions=[ApprovalTargetItem.open.set(False)], condition=ApprovalTargetItem.approval_id == item.approval_id
            )
    except TransactWriteError as error:
        if not transaction_lost(error):
            raise
        return False
    return True
