"""The audit trail of staff actions: one AuditItem per action, in the contract's partition.

A staff action on a contract (訂正, 変更取消, 解約/履行請求, key rotation) writes its audit item in
the same transaction as the action, so the trail holds exactly the actions that happened: a
replay that writes nothing writes no audit item either. Issue and reject are decided by the
existing services; their item is put right after (staff_decisions.py), keyed by the application's `decided_at`, so a
repeated decision finds its item already there (the first put stands). A decision on an
application that has no contract (a rejected 新規) is kept in the application's partition.
The items never hold a key, only what the action was about, who did it and that person's issuer.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PutError

from ...domain.japanese import clock
from ...domain.guarantee.certificates import iso_jst
from ...aws import contracts_repository
from ...aws.models import ApplicationItem, AuditItem, ContractItem, condition_failed

ISSUE, REJECT = "issue", "reject"
CORRECT, CANCEL_CHANGE, TERMINATE, ROTATE_KEY = "correct", "cancel-change", "terminate", "rotate-key"


def _stamp(at: datetime) -> str:
    return clock.to_jst(at).isoformat(timespec="milliseconds")


def entry(
    pk: str,
    action: str,
    ref: str,
    staff: str | None,
    at: datetime,
    *,
    contract_number: str | None = None,
    application_id: str | None = None,
    staff_issuer_id: str | None = None,
    staff_name: str | None = None,
    **details,
) -> AuditItem:
    """The item of one action; `ref` makes its sort key unique (a revision, an application id).
    `staff_issuer_id`: the issuer of the staff member who acted (None for an orderer's desk action)."""
    return AuditItem(
        *AuditItem.key(pk, _stamp(at), action, ref),
        action=action,
        contract_number=contract_number,
        application_id=application_id,
        staff_subject=staff,
        staff_issuer_id=staff_issuer_id,
        staff_name=staff_name,
        at=at,
        details={k: v for k, v in details.items() if v is not None} or None,
    )


def for_contract(
    number: str, action: str, revision: int, staff: str | None, at: datetime, *, staff_issuer_id: str,
    staff_name: str | None = None, **details
) -> AuditItem:
    """The audit item of a staff action that moves the contract to `revision` (written in its transaction)."""
    return entry(
        ContractItem.partition(number), action, f"r{int(revision):06d}", staff, at,
        contract_number=number, staff_issuer_id=staff_issuer_id, staff_name=staff_name, **details,
    )


def record_once(item: AuditItem) -> bool:
    """Put the item unless it is there; True if this call put it (the claim of a decision's e-mail)."""
    try:
        item.save(condition=AuditItem.pk.does_not_exist())
        return True
    except PutError as error:
        if not condition_failed(error):
            raise
        return False


def decision_names(decided: list[ApplicationItem]) -> dict[str, str]:
    """The display name of who issued or rejected each application (its audit item's `staff_name`,
    as recorded at the decision), by application id; none for a decision recorded before names were.
    The items are keyed by the decision (staff_decisions.py), so they are read by key: one
    BatchGetItem for a page of the queue, whatever the size of the trail."""
    keys = []
    for item in decided:
        if item.decided_at is None or item.status not in ("issued", "rejected"):
            continue
        action = ISSUE if item.status == "issued" else REJECT
        owners = [ApplicationItem.partition(item.application_id)]
        if item.contract_number:
            owners.append(ContractItem.partition(item.contract_number))
        keys += [AuditItem.key(owner, _stamp(item.decided_at), action, item.application_id) for owner in owners]
    if not keys:
        return {}
    return {found.application_id: found.staff_name for found in AuditItem.batch_get(keys) if found.staff_name and found.application_id}


def items(number: str) -> list[AuditItem]:
    return contracts_repository.audit_items(ContractItem.partition(number))


def as_json(item: AuditItem) -> dict:
    return {
        "at": iso_jst(item.at),
        "action": item.action,
        "staff_subject": item.staff_subject,
        "staff_issuer_id": item.staff_issuer_id,
        "staff_name": item.staff_name,
        "application_id": item.application_id,
        "details": item.details or {},
    }
