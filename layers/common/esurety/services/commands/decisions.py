"""After staff decide an application (issue, reject): the audit item, and for a reject the e-mail.

The decision itself is applications.reject / issuance.issue, each converging on repeats. Its audit
item is keyed by the application's `decided_at`, so every repeat of one decision names the same
item and only the first put stores it; the call that stores a reject's item is the one that e-mails
the contractor the reason (at most one e-mail per reject, through the mail queue; no key, there is none yet).
"""
from __future__ import annotations

from ...domain.mail import staff_mail
from ...aws import applications_repository, contracts_repository
from ...aws.models import ApplicationItem, ContractItem
from . import applications, audit, outbox


def _item(application_id: str) -> ApplicationItem:
    return applications_repository.get(application_id)


def issued(application_id: str, issued_answer: dict, staff: str | None) -> None:
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


def rejected(application_id: str, staff: str | None) -> None:
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
    mail = staff_mail.rejected(name, application_id, what, item.reject_reason, branch)
    outbox.put(f"reject#{application_id}", pk, to, mail.subject, mail.body)
