"""What each staff route calls: one use case per decision, with its audit and its side effects.

A route (functions/issue/app.py) calls exactly one function here, with the staff caller. Each
acts on the caller's issuer's applications and contracts only: another issuer's is 404 before
anything is written (the same 404 as for none, as between companies). Each runs the command
(issue, reject, 訂正, 変更取消, 解約/履行請求, key rotation), then what belongs to the decision: its
audit item (naming the staff member and their issuer), its e-mail, and one structured log line
(`staff decision`) naming who decided what.

Four eyes: when the staff member's issuer has `four_eyes` on, 発行, 訂正 and 解約 / 履行請求 do not
run at once. Each is judged as the action would judge it and waits as an approval (approvals.py:
the route answers the `Approval`); `decide` runs it when a different staff member approves, as the
one-step route runs it with the maker as the caller, the approver named beside them in its audit
item and its log line. 変更取消, reject and key rotation stay one step.

The actions on a contract write their audit item in the command's own transaction
(audit.for_contract). Issue and reject are decided by applications.reject / issuance.issue, each
converging on repeats; their audit item is put right after, keyed by the application's
`decided_at`, so every repeat of one decision names the same item and only the first put stores
it; the call that stores a reject's item is the one that e-mails the contractor the reason (at
most one e-mail per reject, through the mail queue; no key, there is none yet).
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from ...domain.application.schemas import CorrectionRequest, TerminationRequest
from ...domain.approvals import CORRECT, ISSUE, RETURN, TERMINATE, ApprovalDecision
from ...domain.errors import Conflict, InputError, IssuerSigningUnavailable, NotFound, PreconditionRequired
from ...domain.identity import Caller
from ...domain.mail import staff_mail
from ...aws import applications_repository, contracts_repository
from ...aws.models import ApplicationItem, ApprovalItem, ContractItem
from . import applications, approvals, audit, corrections, endings, issuance, key_rotation, outbox
from .. import issuers

logger = Logger(child=True)


def issue(application_id: str, caller: Caller) -> dict:
    """Issue an application (新規 or 変更) of the caller's issuer; its audit item once; the log line.
    Under four eyes a waiting application is not issued: the `Approval` is answered instead."""
    item = applications.load_for_staff(caller, application_id)  # 404 for another issuer's, before any number is reserved
    if item.status == applications.SUBMITTED and approvals.required(caller):
        return approvals.propose_issue(caller, item)
    # One step (or an application decided already: the issue converges on what was decided).
    return _issue(application_id, caller)


def _issue(application_id: str, maker: Caller, approval: dict | None = None) -> dict:
    issued = issuance.issue(application_id, maker.subject)
    _issued(application_id, issued, maker, approval)
    _log(audit.ISSUE, application_id, issued["contract_number"], maker, **(approval or {}))
    return issued


def reject(application_id: str, reason: str, caller: Caller) -> dict:
    """Reject an application of the caller's issuer; its audit item and the e-mail with the reason
    (once); the log line."""
    applications.load_for_staff(caller, application_id)
    rejected = applications.reject(application_id, reason, caller.subject)
    _rejected(application_id, caller)
    _log(audit.REJECT, application_id, rejected["contract_number"], caller)
    return rejected


def correct(number: str, version: int, request: CorrectionRequest, caller: Caller, if_match: str | None) -> dict:
    """訂正, or under four eyes its `Approval` (judged first: what the action would refuse is refused now)."""
    if approvals.required(caller):
        contract, shown = corrections.judge(number, version, request, if_match, issuer_id=caller.staff_issuer)
        if shown is not None:
            body = request.model_dump(mode="json", exclude_unset=True)
            return approvals.propose_correct(caller, contract, shown, version, body, if_match)
    return _correct(number, version, request, caller, if_match)


def _correct(number: str, version: int, request: CorrectionRequest, maker: Caller, if_match: str | None, approval: dict | None = None) -> dict:
    corrected, created = corrections.correct(
        number, version, request, maker.subject, if_match=if_match, issuer_id=maker.staff_issuer, staff_name=maker.name, approval=approval
    )
    _log(audit.CORRECT, None, corrected["contract_number"], maker, version=corrected["version"], target_version=version, new=created,
         **(approval or {}))
    return corrected


def cancel_change(number: str, version: int, reason: str, caller: Caller, if_match: str | None) -> dict:
    cancelled, created = corrections.cancel(
        number, version, reason, caller.subject, if_match=if_match, issuer_id=caller.staff_issuer, staff_name=caller.name
    )
    _log(audit.CANCEL_CHANGE, None, cancelled["contract_number"], caller, version=cancelled["version"], target_version=version, new=created)
    return cancelled


def terminate(number: str, request: TerminationRequest, caller: Caller, if_match: str | None) -> dict:
    """解約 / 履行請求, or under four eyes its `Approval` (judged first, as for 訂正)."""
    if approvals.required(caller):
        contract, chain = endings.judge(number, request, if_match, issuer_id=caller.staff_issuer)
        if chain is not None:
            return approvals.propose_terminate(caller, contract, chain, request.model_dump(mode="json"), if_match)
    return _terminate(number, request, caller, if_match)


def _terminate(number: str, request: TerminationRequest, maker: Caller, if_match: str | None, approval: dict | None = None) -> dict:
    ending, created = endings.terminate(
        number, request, maker.subject, if_match=if_match, issuer_id=maker.staff_issuer, staff_name=maker.name, approval=approval
    )
    _log(audit.TERMINATE, None, ending["contract_number"], maker, kind=ending["kind"], new=created, **(approval or {}))
    return ending


def decide(approval_id: str, decision: ApprovalDecision, caller: Caller) -> dict:
    """A second staff member approves a waiting decision (its action runs now, as the maker's) or
    returns it with a reason. Repeats answer the first result; the action never runs twice."""
    if decision.decision == RETURN:
        return approvals.send_back(caller, approval_id, decision.reason)
    item, answered = approvals.claim(caller, approval_id)
    if answered is not None:
        return answered
    try:
        result = _run(item, approvals.maker(item), approvals.approver_details(item, caller))
    except (Conflict, InputError, NotFound, PreconditionRequired, IssuerSigningUnavailable):
        approvals.release(item, caller)  # impossible now, nothing written: it waits again (to be returned)
        raise
    return approvals.settle(item, caller, result)


def _run(item: ApprovalItem, maker: Caller, approval: dict) -> dict:
    if item.action == ISSUE:
        return _issue(item.application_id, maker, approval)
    if item.action == CORRECT:
        request = CorrectionRequest.model_validate(item.request)
        return _correct(item.contract_number, int(item.version), request, maker, item.if_match, approval)
    if item.action == TERMINATE:
        return _terminate(item.contract_number, TerminationRequest.model_validate(item.request), maker, item.if_match, approval)
    raise ValueError(f"unknown approval action {item.action}")


def rotate_key(number: str, caller: Caller, idempotency_key: str | None, if_match: str | None) -> dict:
    rotated, created = key_rotation.rotate(
        number, caller.subject, idempotency_key=idempotency_key, if_match=if_match, issuer_id=caller.staff_issuer, staff_name=caller.name
    )
    _log(audit.ROTATE_KEY, None, rotated["contract_number"], caller, key_generation=rotated["key_generation"], new=created)
    return rotated


def _log(action: str, application_id: str | None, contract_number: str | None, caller: Caller, **details) -> None:
    """One line per staff decision: what was decided, on what, by whom (the caller's `sub` and issuer).

    The trail that stays is the audit items (audit.py); `new` says whether this request decided
    anything or repeated a decision already taken."""
    logger.info(
        "staff decision",
        extra={
            "audit": True, "action": action, "application_id": application_id, "contract_number": contract_number,
            "staff_subject": caller.subject, "staff_issuer_id": caller.staff_issuer, **details,
        },
    )


def _item(application_id: str) -> ApplicationItem:
    return applications_repository.get(application_id)


def _issued(application_id: str, issued_answer: dict, caller: Caller, approval: dict | None = None) -> None:
    item = _item(application_id)
    if item.decided_at is None:
        return  # not marked issued (a call that stopped before it): the call that marks it audits it
    number = issued_answer["contract_number"]
    audit.record_once(
        audit.entry(
            ContractItem.partition(number), audit.ISSUE, application_id, caller.subject, item.decided_at,
            contract_number=number, application_id=application_id, staff_issuer_id=caller.staff_issuer, staff_name=caller.name,
            kind=applications.kind_of(item), version=issued_answer.get("version"), label=issued_answer.get("label"),
            **(approval or {}),
        )
    )


def _rejected(application_id: str, caller: Caller) -> None:
    staff = caller.subject
    item = _item(application_id)
    if item.status != applications.REJECTED or item.decided_at is None:
        return
    change = applications.kind_of(item) == applications.CHANGE_KIND
    contract = None
    if change or item.contract_number:
        try:
            contract = contracts_repository.get(item.contract_number)
        except ContractItem.DoesNotExist:
            contract = None  # a 新規 rejected after its number was reserved: no contract
    pk = ContractItem.partition(contract.contract_number) if contract is not None else ApplicationItem.partition(application_id)
    claimed = audit.record_once(
        audit.entry(
            pk, audit.REJECT, application_id, item.decided_by or staff, item.decided_at,
            contract_number=contract.contract_number if contract is not None else None, application_id=application_id,
            staff_issuer_id=caller.staff_issuer, staff_name=caller.name,
            kind=applications.kind_of(item), reason=item.reject_reason,
        )
    )
    if not claimed:
        return  # a repeated reject: its e-mail went with the first
    request = item.request
    if change:
        to = contract.notify_email
        content = contract.content
        name, branch = content["contractor"]["name"], content.get("branch_code")
        what = f"保証契約番号 {contract.contract_number} の変更（{request.get('reason')}）"
    else:
        to = request.get("notify_email")
        name, branch = request["contractor"]["name"], request.get("branch_code")
        what = request["work"]["name"]
    if not to:
        return
    # Signed by the issuer applied to (its branch, its address), not the platform's first surety.
    issuer = issuers.issuer_of(contract if contract is not None else item)
    mail = staff_mail.rejected(name, application_id, what, item.reject_reason, branch, issuer=issuer)
    outbox.put(f"reject#{application_id}", pk, to, mail.subject, mail.body, sender_name=outbox.sender_name(issuer))
