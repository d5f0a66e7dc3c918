"""Four eyes (承認): a staff decision that waits for a different staff member of the same issuer.

An issuer with `four_eyes` on (its registry entry; tools/issuers.py `four-eyes <issuer> on|off`)
has 発行, 訂正 and 解約 / 履行請求 decided by two people. The first staff member's decision (the
maker's) is judged at once as the action would judge it (404, 422, 428, 409: nothing waits that
could never run), then stored as an approval (`pending`) with the body it was sent with; nothing
else is written. A different staff member of the same issuer then approves it (the action runs
exactly as the one-step route runs it, with the maker as the one who decided and the approver
recorded beside them in the audit item) or returns it with a reason (`returned`, an audit item
`approval-return`). Nobody approves or returns their own decision (403 own_decision_not_approvable).

Keyed writes make every step converge (aws/approvals_repository.py):
- one approval open per target (an application, a contract): a second maker decision on it is
  409 approval_pending, except the same maker's same decision again (a double click, a retry),
  which answers the approval it made;
- an approver claims the approval before running its action, so two approvers never both run it;
  the action itself converges on repeats (issue, 訂正, 解約 each do), so a claim's holder that
  stopped half-way completes it on its retry. An action refused as impossible now (the application
  no longer waits, the contract moved on) gives the claim back and answers the action's own 409:
  nothing is written, the approval stays pending (to be returned);
- approving or returning settles the approval and frees its target in one transaction, on the
  condition that it is still pending; a repeat of the same decision by the same person answers the
  first result, anything else 409 approval_not_pending.

services/commands/staff_decisions.py calls this and runs the approved actions (their audit items
and e-mails stay where they are for the one-step route).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from datetime import timedelta

from ...aws import approvals_repository, contracts_repository
from ...aws.models import ApplicationItem, ApprovalItem, ContractItem
from ...domain.approvals import APPROVED, CORRECT, ISSUE, PENDING, RETURNED, STATUSES, TERMINATE
from ...domain.catalogue import products
from ...domain.errors import Conflict, Forbidden, InputError, NotFound, Problem
from ...domain.guarantee import lifecycle
from ...domain.guarantee.certificates import NEW, iso_jst
from ...domain.identity import STAFF, Caller
from ...domain.japanese import clock
from .. import issuers, registry
from . import applications, audit

PAGE = 50
# A claim older than this is a call that stopped: another approver may take the approval over
# (the action converges, so running it again completes it rather than repeating it).
CLAIM_TIMEOUT = timedelta(minutes=5)
RETURN_AUDIT = "approval-return"
_APPROVAL_ID = re.compile(r"[0-9a-f]{32}")


def required(caller: Caller) -> bool:
    """Whether the staff member's issuer wants a second staff member on 発行, 訂正 and 解約."""
    issuer = issuers.get_issuer(caller.staff_issuer)
    return bool(issuer is not None and issuer.four_eyes)


# ----------------------------------------------------------------------------- the maker


def propose_issue(caller: Caller, item: ApplicationItem) -> dict:
    """The maker's 発行 of a waiting application, judged as issuance would judge it now."""
    if applications.kind_of(item) == applications.CHANGE_KIND:
        if item.status == applications.REJECTED:
            raise Conflict("application_rejected", f"the application was rejected ({item.reject_reason})")
        summary = _change_summary(item)
    else:
        applications.check_issuable(item)  # 409 with the reason, as the one-step issue
        summary = _application_summary(item)
    return _propose(
        caller, ISSUE, ApplicationItem.partition(item.application_id), summary,
        application_id=item.application_id,
        contract_number=item.contract_number if applications.kind_of(item) == applications.CHANGE_KIND else None,
    )


def propose_correct(caller: Caller, contract: ContractItem, shown: lifecycle.Shown, version: int, request: dict, if_match: str | None) -> dict:
    """The maker's 訂正 of a shown version (already judged by corrections.judge)."""
    summary = {**_contract_summary(contract), "label": shown.label}
    return _propose(
        caller, CORRECT, ContractItem.partition(contract.contract_number), summary,
        contract_number=contract.contract_number, version=version, request=request, if_match=if_match,
    )


def propose_terminate(caller: Caller, contract: ContractItem, chain: list[lifecycle.Shown], request: dict, if_match: str | None) -> dict:
    """The maker's 解約 / 履行請求 (already judged by endings.judge)."""
    summary = {**_contract_summary(contract), "label": chain[-1].label}
    return _propose(
        caller, TERMINATE, ContractItem.partition(contract.contract_number), summary,
        contract_number=contract.contract_number, request=request, if_match=if_match,
    )


def _propose(caller: Caller, action: str, target: str, summary: dict, **fields) -> dict:
    for _ in range(3):
        waiting = approvals_repository.open_on(target)
        if waiting is not None:
            if _same_decision(waiting, caller, action, fields):
                return as_json(waiting)  # a double click or a retry: the approval it made
            raise Conflict("approval_pending", f"an approval ({waiting.action}) is pending on this target", current=as_json(waiting))
        now = clock.now()
        approval_id = uuid.uuid4().hex
        item = ApprovalItem(
            *ApprovalItem.key(approval_id),
            approval_id=approval_id, issuer_id=caller.staff_issuer, action=action, status=PENDING, target=target,
            summary={k: v for k, v in summary.items() if v is not None}, decided_by=caller.subject, decided_by_name=caller.name,
            decided_at=now, **fields, **ApprovalItem.list_entry(caller.staff_issuer, PENDING, now, approval_id),
        )
        if approvals_repository.create(item):
            return as_json(item)
        # Another maker's decision on the target won the race (or ours did, on a retry): look again.
    raise Conflict("approval_pending", "an approval is pending on this target")


def _same_decision(waiting: ApprovalItem, caller: Caller, action: str, fields: dict) -> bool:
    return (
        waiting.decided_by == caller.subject
        and waiting.action == action
        and (int(waiting.version) if waiting.version is not None else None) == fields.get("version")
        and (waiting.request or None) == (fields.get("request") or None)
    )


def _application_summary(item: ApplicationItem) -> dict:
    request = item.request
    orderer = registry.orderer_for(request)
    return {
        "contractor_name": request["contractor"]["name"],
        "work_name": request["work"]["name"],
        "guarantee_amount": request["guarantee"]["amount"],
        "guarantee_deadline": request["guarantee"]["deadline"],
        "label": NEW,
        "product_label": products.label(request["product"]),
        "orderer_name": orderer.name if orderer is not None else None,
    }


def _change_summary(item: ApplicationItem) -> dict:
    contract = contracts_repository.get(item.contract_number)
    change = item.request.get("change") or {}
    guarantee = change.get("guarantee") or {}
    records = contracts_repository.versions(contract.contract_number)
    return {
        **_contract_summary(contract),
        # what the change asks for, where it changes them
        "guarantee_amount": guarantee.get("amount") or contract.content.get("guarantee_amount"),
        "guarantee_deadline": guarantee.get("deadline") or contract.content.get("guarantee_deadline"),
        "label": lifecycle.label(lifecycle.next_change_number(records)),
    }


def _contract_summary(contract: ContractItem) -> dict:
    content = contract.content
    return {
        "contractor_name": (content.get("contractor") or {}).get("name"),
        "work_name": content.get("work_name"),
        "guarantee_amount": content.get("guarantee_amount"),
        "guarantee_deadline": content.get("guarantee_deadline"),
        "product_label": content.get("product_label") or products.label(contract.product),
        "orderer_name": contract.orderer_name,
    }


# ----------------------------------------------------------------------------- the approver


def load(caller: Caller, approval_id: str) -> ApprovalItem:
    """The approval if it is the staff member's issuer's: another issuer's does not exist for them."""
    if not isinstance(approval_id, str) or not _APPROVAL_ID.fullmatch(approval_id):
        raise InputError(Problem("approval_id", "not_approval_id", "is not an approval id (32 lower-case hex digits)"))
    try:
        item = approvals_repository.get(approval_id)
    except ApprovalItem.DoesNotExist:
        raise NotFound("approval") from None
    if item.issuer_id != caller.staff_issuer:
        raise NotFound("approval")
    return item


def _not_own(item: ApprovalItem, caller: Caller) -> None:
    if item.decided_by == caller.subject:
        raise Forbidden("a decision is approved or returned by another staff member than its maker", code="own_decision_not_approvable")


def claim(caller: Caller, approval_id: str) -> tuple[ApprovalItem, dict | None]:
    """The approval claimed for the caller to run its action, or (item, answer) when this approver
    approved it already (a double click, a retry: the first result). 403 for the maker, 409 when it
    is no longer pending or another approver is running it."""
    item = load(caller, approval_id)
    _not_own(item, caller)
    if item.status == APPROVED and item.approved_by == caller.subject:
        return item, as_json(item)
    if item.status != PENDING:
        raise _not_pending(item)
    now = clock.now()
    if not approvals_repository.claim(item, caller.subject, now, now - CLAIM_TIMEOUT):
        item = approvals_repository.get(approval_id)
        if item.status == APPROVED and item.approved_by == caller.subject:
            return item, as_json(item)
        raise _not_pending(item)
    return approvals_repository.get(approval_id), None


def release(item: ApprovalItem, caller: Caller) -> None:
    """The action was refused (nothing written): the approval waits again, for anyone to approve or return."""
    approvals_repository.release(item, caller.subject)


def _closing(item: ApprovalItem, status: str, caller: Caller, now) -> list:
    """The updates that close an approval as `status` by `caller` (approved or returned): who, when,
    and its entry moved to that status's list."""
    return [
        ApprovalItem.status.set(status),
        ApprovalItem.approved_by.set(caller.subject),
        ApprovalItem.approved_at.set(now),
        ApprovalItem.gsi1pk.set(ApprovalItem.list_key(item.issuer_id, status)),
        *([ApprovalItem.approved_by_name.set(caller.name)] if caller.name else []),
    ]


def settle(item: ApprovalItem, caller: Caller, result: dict) -> dict:
    """Record the approval (the action ran: `result` is its answer) and free its target."""
    actions = [
        *_closing(item, APPROVED, caller, clock.now()),
        ApprovalItem.result.set(result),
        ApprovalItem.claimed_by.remove(),
        ApprovalItem.claimed_at.remove(),
    ]
    if result.get("contract_number"):
        actions.append(ApprovalItem.contract_number.set(result["contract_number"]))
    condition = (ApprovalItem.status == PENDING) & (ApprovalItem.claimed_by == caller.subject)
    approvals_repository.settle(item, actions, condition)
    item = approvals_repository.get(item.approval_id)
    if item.status == APPROVED and item.approved_by == caller.subject:
        return as_json(item)
    raise _not_pending(item)  # another approver took a claim we held too long, and settled it first


def send_back(caller: Caller, approval_id: str, reason: str | None) -> dict:
    """Return a pending approval to its maker with a reason (nothing of the action is written)."""
    if reason is None or not reason.strip():
        raise InputError(Problem("reason", "reason_required", "is required to return a decision"))
    item = load(caller, approval_id)
    _not_own(item, caller)
    if item.status == RETURNED and item.approved_by == caller.subject and item.return_reason == reason:
        return as_json(item)  # the same return again: the first result
    if item.status != PENDING:
        raise _not_pending(item)
    now = clock.now()
    actions = [*_closing(item, RETURNED, caller, now), ApprovalItem.return_reason.set(reason)]
    # Not while another approver runs its action (a fresh claim): the action may be written already.
    condition = (ApprovalItem.status == PENDING) & (
        ApprovalItem.claimed_by.does_not_exist() | (ApprovalItem.claimed_at < now - CLAIM_TIMEOUT)
    )
    if approvals_repository.settle(item, actions, condition):
        item = approvals_repository.get(approval_id)
        audit.record_once(
            audit.entry(
                item.target, RETURN_AUDIT, item.approval_id, item.decided_by, now,
                contract_number=item.contract_number, application_id=item.application_id, staff_issuer_id=item.issuer_id,
                staff_name=item.decided_by_name, approval_id=item.approval_id, approval_action=item.action,
                approved_by=caller.subject, approved_by_name=caller.name, reason=reason,
            )
        )
        return as_json(item)
    item = approvals_repository.get(approval_id)
    if item.status == RETURNED and item.approved_by == caller.subject and item.return_reason == reason:
        return as_json(item)
    raise _not_pending(item)


def _not_pending(item: ApprovalItem) -> Conflict:
    return Conflict("approval_not_pending", f"the approval is {item.status}" + (" (being approved)" if item.status == PENDING else ""),
                    current=as_json(item))


def maker(item: ApprovalItem) -> Caller:
    """The maker as the action sees its caller: their subject, issuer and name as they decided."""
    return Caller(subject=item.decided_by, groups=frozenset({STAFF}), issuer_id=item.issuer_id, name=item.decided_by_name)


def approver_details(item: ApprovalItem, caller: Caller) -> dict:
    """What the action's audit item records of the approval beside the maker."""
    return {"approval_id": item.approval_id, "approved_by": caller.subject, "approved_by_name": caller.name}


# ----------------------------------------------------------------------------- reading


def as_json(item: ApprovalItem) -> dict:
    """The `Approval` answer (api/answers/approvals.py)."""
    return {
        "approval_id": item.approval_id,
        "action": item.action,
        "status": item.status,
        "application_id": item.application_id,
        "contract_number": item.contract_number,
        "version": int(item.version) if item.version is not None else None,
        "summary": item.summary,
        "request": item.request,
        "decided_by": item.decided_by,
        "decided_by_name": item.decided_by_name,
        "decided_at": iso_jst(item.decided_at),
        "approved_by": item.approved_by,
        "approved_by_name": item.approved_by_name,
        "approved_at": iso_jst(item.approved_at) if item.approved_at else None,
        "return_reason": item.return_reason,
        "result": item.result,
    }


def get(caller: Caller, approval_id: str) -> dict:
    return as_json(load(caller, approval_id))


def pending_for_application(caller: Caller, application_id: str) -> dict | None:
    """The approval pending on an application of the caller's issuer (the staff application answer's `pending_approval`)."""
    return _pending_on(caller, ApplicationItem.partition(application_id))


def pending_for_contract(caller: Caller, number: str) -> dict | None:
    """The approval pending on a contract of the caller's issuer (the staff contract answer's `pending_approval`)."""
    return _pending_on(caller, ContractItem.partition(number))


def _pending_on(caller: Caller, target: str) -> dict | None:
    item = approvals_repository.open_on(target)
    if item is None or item.issuer_id != caller.staff_issuer or item.status != PENDING:
        return None
    return as_json(item)


def listing(caller: Caller, status: str = PENDING, limit: int = PAGE, cursor: str | None = None) -> dict:
    """One page of the caller's issuer's approvals of `status`, oldest first (a Query on gsi1, never a whole-table read)."""
    if status not in STATUSES:
        raise InputError(Problem("status", "invalid_choice", f"must be one of {', '.join(STATUSES)}"))
    if not 1 <= limit <= PAGE:
        raise InputError(Problem("limit", "invalid_limit", f"must be 1 to {PAGE}"))
    issuer_id = caller.staff_issuer
    start = _decode_cursor(cursor, issuer_id, status) if cursor is not None else None
    found = approvals_repository.of_issuer(issuer_id, status, limit, start)
    items = [as_json(item) for item in found]
    more = found.last_evaluated_key if len(items) == limit else None
    return {"items": items, "next_cursor": _encode_cursor(more)}


def _encode_cursor(key: dict | None) -> str | None:
    if not key:
        return None
    plain = {name: value["S"] for name, value in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, issuer_id: str, status: str) -> dict:
    """The key a cursor stands for; 422 on `cursor` for anything this list did not hand out (another issuer's too)."""
    bad = InputError(Problem("cursor", "invalid_cursor", "is not a cursor of this list (use next_cursor as given)"))
    if not 0 < len(cursor) <= 400 or not re.fullmatch(r"[A-Za-z0-9_-]+", cursor):
        raise bad
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    if not isinstance(plain, dict) or set(plain) != {"pk", "sk", "gsi1pk", "gsi1sk"} or not all(isinstance(v, str) for v in plain.values()):
        raise bad
    approval_id = plain["gsi1sk"].rsplit("#", 1)[-1]
    if (
        plain["gsi1pk"] != ApprovalItem.list_key(issuer_id, status)
        or not _APPROVAL_ID.fullmatch(approval_id)
        or (plain["pk"], plain["sk"]) != ApprovalItem.key(approval_id)
    ):
        raise bad
    return {name: {"S": value} for name, value in plain.items()}

