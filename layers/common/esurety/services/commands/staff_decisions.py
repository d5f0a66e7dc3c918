"""What each staff route calls: one use case per decision, with its audit and its side effects.

A route (functions/issue/app.py) calls exactly one function here. Each runs the command (issue,
reject, 訂正, 変更取消, 解約/履行請求, key rotation), then what belongs to the decision: its audit
item, its e-mail, and one structured log line (`staff decision`) naming who decided what.

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
from ...domain.mail import staff_mail
from ...aws import applications_repository, contracts_repository
from ...aws.models import ApplicationItem, ContractItem
from . import applications, audit, corrections, endings, issuance, key_rotation, outbox
from .. import issuers

logger = Logger(child=True)


def issue(application_id: str, staff: str | None) -> dict:
    """Issue an application (新規 or 変更); its audit item once; the log line."""
    issued = issuance.issue(application_id, staff)
    _issued(application_id, issued, staff)
    _log(audit.ISSUE, application_id, issued["contract_number"], staff)
    return issued


def reject(application_id: str, reason: str, staff: str | None) -> dict:
    """Reject an application; its audit item and the e-mail with the reason (once); the log line."""
    rejected = applications.reject(application_id, reason, staff)
    _rejected(application_id, staff)
    _log(audit.REJECT, application_id, rejected["contract_number"], staff)
    return rejected


def correct(number: str, version: int, request: CorrectionRequest, staff: str | None, if_match: str | None) -> dict:
    corrected, created = corrections.correct(number, version, request, staff, if_match=if_match)
    _log(audit.CORRECT, None, corrected["contract_number"], staff, version=corrected["version"], target_version=version, new=created)
    return corrected


def cancel_change(number: str, version: int, reason: str, staff: str | None, if_match: str | None) -> dict:
    cancelled, created = corrections.cancel(number, version, reason, staff, if_match=if_match)
    _log(audit.CANCEL_CHANGE, None, cancelled["contract_number"], staff, version=cancelled["version"], target_version=version, new=created)
    return cancelled


def terminate(number: str, request: TerminationRequest, staff: str | None, if_match: str | None) -> dict:
    ending, created = endings.terminate(number, request, staff, if_match=if_match)
    _log(audit.TERMINATE, None, ending["contract_number"], staff, kind=ending["kind"], new=created)
    return ending


def rotate_key(number: str, staff: str | None, idempotency_key: str | None, if_match: str | None) -> dict:
    rotated, created = key_rotation.rotate(number, staff, idempotency_key=idempotency_key, if_match=if_match)
    _log(audit.ROTATE_KEY, None, rotated["contract_number"], staff, key_generation=rotated["key_generation"], new=created)
    return rotated


def _log(action: str, application_id: str | None, contract_number: str | None, staff: str | None, **details) -> None:
    """One line per staff decision: what was decided, on what, by whom (the caller's `sub`).

    The trail that stays is the audit items (audit.py); `new` says whether this request decided
    anything or repeated a decision already taken."""
    logger.info(
        "staff decision",
        extra={"audit": True, "action": action, "application_id": application_id, "contract_number": contract_number, "staff_subject": staff, **details},
    )


def _item(application_id: str) -> ApplicationItem:
    return applications_repository.get(application_id)


def _issued(application_id: str, issued_answer: dict, staff: str | None) -> None:
    item = _item(application_id)
    if item.decided_at is None:
        return  # not marked issued (a call that stopped before it): the call that marks it audits it
    number = issued_answer["contract_number"]
    audit.record_once(
        audit.entry(
            ContractItem.partition(number), audit.ISSUE, application_id, staff, item.decided_at,
            contract_number=number, application_id=application_id,
            kind=applications.kind_of(item), version=issued_answer.get("version"), label=issued_answer.get("label"),
        )
    )


def _rejected(application_id: str, staff: str | None) -> None:
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
    issuer = issuers.issuer_of(item)  # the issuer applied to (a change's: its contract's)
    mail = staff_mail.rejected(name, application_id, what, item.reject_reason, branch, issuer=issuer)
    outbox.put(f"reject#{application_id}", pk, to, mail.subject, mail.body, sender_name=outbox.sender_name(issuer))
