"""解約 and 保証債務履行請求 recorded by staff: the end of the guarantee, from its date on.

The ending is written on the contract (`ending`: kind, date, reason, who and when, the version in
force and, for 解約, the refund) with the audit item, in one transaction conditioned on there being
no ending yet and on the revision read. From its date the contractor and the orderer see the status
`terminated` (解約) or `claimed` (履行請求); the certificates stay viewable.

Nothing changes the content after an ending, so nothing may be on its way when it is recorded: a
change or correction issued but not yet published makes the ending 409 (retry after its
publication; the reason names it). A change the contractor applied for that staff have not issued
is withdrawn in the ending's transaction (the application `rejected` with WITHDRAWN_REASON, the
contract's mark removed) and the ending's e-mail says so. The 保証料返還計算書 is therefore computed on
the version in force at the end, which stays the last one.

A 解約 returns the fee of the days after its date (changes.termination_refund): its signed
保証料返還計算書 is put once at `fees/{number}/termination.pdf` (If-None-Match), naming the
record it is computed from as its owner (beside another record's object: `…/termination-{record_id}.pdf`). Then the e-mail is
claimed (`ending_notified_at`, set once) and sent. A repeated identical request answers 200 with the
same ending and completes whatever a stopped call left undone; a different one is 409.
"""
from __future__ import annotations

from datetime import date

from pynamodb.exceptions import UpdateError

from ...domain.guarantee import changes, lifecycle
from ...domain.japanese import clock
from ...domain.mail import staff_mail
from ...aws import applications_repository, bucket_keys, contracts_repository, signing, storage
from ...documents.fee_difference import render_fee_difference
from ...domain.errors import Conflict, InputError, Problem
from ...aws.models import ApplicationItem, ContractItem, condition_failed
from ...domain.application.schemas import TerminationRequest
from . import applications, audit, contract_actions
from .. import contracts, issuers
from ...domain.catalogue import fees
from . import desk, outbox

CANCELLED, CLAIMED = "cancelled", "claimed"
WITHDRAWN_REASON = "保証契約の終了（解約/履行請求）により取り下げ"
_WANTED = ("kind", "date", "reason")


def statement_key(number: str) -> str:
    return bucket_keys.termination_statement(number)


def ending_json(contract: ContractItem) -> dict | None:
    """The recorded ending as the staff and the API show it."""
    ending = contract.ending
    if not ending:
        return None
    return {
        "contract_number": contract.contract_number,
        "kind": ending["kind"],
        "label": lifecycle.STATUS_LABELS[lifecycle.TERMINATED if ending["kind"] == CANCELLED else lifecycle.CLAIMED],
        "date": ending["date"],
        "reason": ending["reason"],
        "recorded_at": ending.get("recorded_at"),
        "recorded_by": ending.get("recorded_by"),
        "version": ending.get("version"),
        "refund": ending.get("refund"),
        "withdrawn_change": ending.get("withdrawn_change"),
    }


def _problems(request: TerminationRequest, chain: list[lifecycle.Shown]) -> list[Problem]:
    began = date.fromisoformat(chain[0].record.content["issue_date"])
    deadline = date.fromisoformat(chain[-1].record.content["guarantee_deadline"])
    if request.date < began:
        return [Problem("date", "date_before_issue", f"is before the guarantee was issued ({began.isoformat()})")]
    if request.kind == CANCELLED and request.date > deadline:
        reason = f"is after the guarantee's deadline ({deadline.isoformat()}): it has expired, there is nothing to cancel"
        return [Problem("date", "date_after_deadline", reason)]
    return []


def _judge(contract: ContractItem, request: TerminationRequest, expected: int, records: list) -> list[lifecycle.Shown]:
    """What an ending must pass before it is recorded (409 with `current`, 422): the chain it ends."""
    chain = contracts.shown_chain(contract, records)
    if not chain:
        raise Conflict(
            "no_certificate_yet", "no certificate has taken effect yet: there is nothing to end", current=contract_actions.current(contract, records)
        )
    problems = _problems(request, chain)
    if problems:
        raise InputError(problems)
    contract_actions.check_revision(contract, expected, records)
    on_its_way = contract_actions.not_yet_in_effect(contract, records)
    if on_its_way:
        named = ", ".join(f"{lifecycle.label(r.change_number)} ({r.kind}, version {int(r.version)})" for r in on_its_way)
        raise Conflict(
            "not_yet_published", f"{named} is issued but not yet published: retry after its publication (nothing may change after the end)",
            current=contract_actions.current(contract, records),
        )
    return chain


def judge(number: str, request: TerminationRequest, if_match: str | None, *, issuer_id: str) -> tuple[ContractItem, list[lifecycle.Shown] | None]:
    """Everything `terminate` judges before it records (404, 422, 428, 409), writing nothing: a
    decision that waits for a second staff member (four eyes) is refused at once for what the action
    would refuse. Returns the contract and the chain it ends; None when an ending is recorded already
    (the action answers the same one again, or 409)."""
    contract = contract_actions.load(number, issuer_id)
    expected = contract_actions.expected_revision(if_match)
    if contract.ending:
        return contract, None
    return contract, _judge(contract, request, expected, contracts_repository.versions(contract.contract_number))


def terminate(
    number: str, request: TerminationRequest, staff: str | None, if_match: str | None = None, *, issuer_id: str,
    staff_name: str | None = None, approval: dict | None = None,
) -> tuple[dict, bool]:
    """Returns (the ending, whether this call recorded it). `staff_name` and `approval` (four eyes:
    approved_by, approved_by_name, approval_id) go into the audit item."""
    contract = contract_actions.load(number, issuer_id)
    number = contract.contract_number
    expected = contract_actions.expected_revision(if_match)
    wanted = {"kind": request.kind, "date": request.date.isoformat(), "reason": request.reason}
    if contract.ending:
        return _repeat(contract, wanted), False
    records = contracts_repository.versions(number)
    chain = _judge(contract, request, expected, records)

    issuer = issuers.issuer_of(contract)
    if request.kind == CANCELLED:
        # 503 before the end is recorded when the issuer's key cannot sign its 保証料返還計算書.
        signing.check(issuer)
    in_force = chain[-1]
    now = clock.now()
    refund = None
    if request.kind == CANCELLED:
        difference = changes.termination_refund(in_force.record.content, request.date, fees.table_of(issuer))
        refund = {"kind": difference.kind, "amount": difference.amount}
    ending = {
        **wanted,
        "recorded_at": clock.to_jst(now).isoformat(timespec="seconds"),
        "recorded_by": staff,
        "version": in_force.version,
        "label": in_force.label,
        "refund": refund,
        "statement_s3_key": statement_key(number) if request.kind == CANCELLED else None,
    }
    pending = contract.pending_change
    if pending:
        waiting = applications_repository.get(pending)
        ending["withdrawn_change"] = {"application_id": pending, "reason": waiting.request.get("reason")}
    revision = contracts_repository.revision(contract)
    entry = audit.for_contract(
        number, audit.TERMINATE, revision + 1, staff, now, staff_issuer_id=issuer_id, staff_name=staff_name,
        kind=request.kind, date=wanted["date"], reason=request.reason, version=in_force.version,
        refund=refund["amount"] if refund else None, withdrawn_application=pending, **(approval or {}),
    )
    actions = [ContractItem.ending.set(ending)]
    condition = ContractItem.ending.does_not_exist()
    withdrawn = []
    if pending:
        actions.append(ContractItem.pending_change.remove())
        condition &= ContractItem.pending_change == pending
        withdrawn.append((waiting, applications.rejection(waiting, WITHDRAWN_REASON, staff, now), ApplicationItem.status == applications.SUBMITTED))
    else:
        condition &= ContractItem.pending_change.does_not_exist()  # a change applied for meanwhile: 409
    if not contracts_repository.write_revision(contract, actions, condition, creates=[entry], updates=withdrawn):
        contract = contract_actions.load(number, issuer_id)
        if not contract.ending:
            raise contract_actions.changed_meanwhile(number, issuer_id) from None
        return _repeat(contract, wanted), False  # a concurrent identical request recorded it (or 409)
    contract = contract_actions.load(number, issuer_id)
    _finish(contract)
    return ending_json(contract), True


def _repeat(contract: ContractItem, wanted: dict) -> dict:
    """A request for an ending already recorded: the same one converges, another is refused."""
    recorded = {k: contract.ending.get(k) for k in _WANTED}
    if recorded != wanted:
        raise Conflict("ending_recorded_differently", "the guarantee's end is already recorded differently", current=contract_actions.current(contract))
    _finish(contract)
    return ending_json(contract)


def _finish(contract: ContractItem) -> None:
    """The orderer's desk told; store the 保証料返還計算書 (once), then claim and send the e-mail (once)."""
    desk.ended(contract)
    if contract.ending_notified_at is not None:
        return  # claimed after the statement was stored: nothing is left to do
    ending = contract.ending
    number = contract.contract_number
    issuer = issuers.issuer_of(contract)  # its statement and e-mail are the issuer's
    if ending.get("statement_s3_key"):
        records = contracts_repository.versions(number)
        record = contracts.record_of(records, int(ending["version"]))
        ended_on = date.fromisoformat(ending["date"])
        difference = changes.termination_refund(record.content, ended_on, fees.table_of(issuer))
        pdf = signing.sign_pdf(render_fee_difference(record.content, difference, occasion="termination", ended_on=ended_on, issuer=issuer), issuer=issuer)
        # Its owner is the record it is computed from: one a lost life left at the key is refused
        # and this one goes beside it (statement_link finds it there).
        owner = record.record_id
        storage.create_pdf(ending["statement_s3_key"], pdf, read_back=owner is not None, owner=owner)
    try:
        contract.update(
            actions=[ContractItem.ending_notified_at.set(clock.now())], condition=ContractItem.ending_notified_at.does_not_exist()
        )
    except UpdateError as error:
        if condition_failed(error):
            return  # a concurrent call claimed it
        raise
    if not contract.notify_email:
        return
    content = contract.content
    refund = (ending.get("refund") or {}).get("amount")
    withdrawn = ending.get("withdrawn_change")
    mail = staff_mail.terminated(
        content["contractor"]["name"], number, content["work_name"], ending["kind"], ending["date"], refund,
        content.get("branch_code"), issuer=issuer, withdrawn_change=withdrawn,
    )
    outbox.put(f"ending#{number}", ContractItem.partition(number), contract.notify_email, mail.subject, mail.body,
               sender_name=outbox.sender_name(issuer))
