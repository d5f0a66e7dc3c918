"""訂正 and 変更取消 by staff: new records that change what the history shows, never what it stored.

- **訂正** of a shown version k: a new record (kind 訂正, `target_version` k) restating k's
  content with the corrections, under k's label (新規 or 変更ー k: `change_number` is k's), issued
  today. Its certificate is rendered and stored like a change's (under certificates/ its arrival
  publishes it; paper/ at once); once it has taken effect it stands in k's place in the chain and k
  is hidden. No fee statement: a correction fixes what was printed, not what was guaranteed.
- **変更取消** of the last change: a record (kind 変更取消, no certificate) that takes effect at
  once; its chain link is written with it. The change and its corrections are hidden; the previous
  valid version is in force again, and the next change takes the withdrawn number (domain/guarantee/lifecycle.py).
  Only the last change, and none while a later one is on its way (the orderer's chain must hold and
  its labels run without gaps). The withdrawn change's fee is reversed with a statement of its own
  (`changes.withdrawal_fee`, at `fees/{number}/v{cancellation:03d}.pdf`): put after the record, then
  the e-mail is claimed (`notified_at`) and sent; a retried request completes what is missing.

Both are written in one transaction with the contract (latest_version, the content in force,
revision + 1 on the condition that the revision is the one read) and the audit item. A retried
request converges on the record the first one wrote: a correction is the same when it has the
same target, reason and corrected content (the body decides, no header needed); a change is
cancelled once (the same reason answers that record, another reason 409).
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from datetime import date

from pynamodb.exceptions import UpdateError

from ...domain.guarantee import amendments, changes, lifecycle
from ...domain.japanese import clock
from ...domain.mail import staff_mail
from ...aws import bucket_keys, contracts_repository, signing, storage
from ...domain.guarantee.certificates import (
    CHANGE,
    CHANGE_CANCELLATION,
    CORRECTION,
    PUBLISHED,
    RENDERED,
    iso_jst,
    render_input,
)
from ...documents.certificate import render_certificate
from ...documents.fee_difference import render_fee_difference
from ...domain.errors import Conflict
from ...aws.models import ContractItem, VersionItem, condition_failed
from ...domain.application.schemas import CorrectionRequest
from . import audit, contract_actions, desk, publication
from .. import contracts, issuers
from ...domain.catalogue import fees
from . import outbox

logger = Logger(child=True)


def _answer(record: VersionItem) -> dict:
    return {
        "contract_number": record.contract_number,
        "version": int(record.version),
        "kind": record.kind,
        "target_version": int(record.target_version),
        "change_number": int(record.change_number) if record.change_number else None,
        "label": lifecycle.label(record.change_number),
        "state": record.state,
    }


# ----------------------------------------------------------------------------- 訂正


def _same_correction(record: VersionItem, target: int, reason: str, content: dict) -> bool:
    return (
        record.kind == CORRECTION
        and int(record.target_version or 0) == target
        and record.reason == reason
        and amendments.same_certificate(record.content, content)
    )


def _store(record: VersionItem, pdf: bytes | None, issuer) -> bool:
    """Put the corrected certificate unless known stored, record its digest and chain link;
    True if this call created the object (its arrival then publishes it)."""
    if record.sha256:
        return False
    if pdf is None:
        pdf = signing.sign_pdf(render_certificate(render_input(record), issuer), issuer=issuer)
    stored, created = storage.create_pdf(record.s3_key, pdf, owner=record.record_id)
    publication.record_stored(record, stored)
    return created


def _judge(contract: ContractItem, records: list[VersionItem], expected: int, version: int) -> lifecycle.Shown:
    """What a new 訂正 must pass before it is written (409 with `current`): the shown record it corrects."""
    if contract.ending:
        raise Conflict(
            "guarantee_ended", "the guarantee has ended: its certificates can no longer be corrected", current=contract_actions.current(contract, records)
        )
    contract_actions.check_revision(contract, expected, records)
    return contract_actions.shown_now(contract, records, version)


def judge(number: str, version: int, request: CorrectionRequest, if_match: str | None, *, issuer_id: str) -> tuple[ContractItem, lifecycle.Shown | None]:
    """Everything `correct` judges before it writes (404, 422, 428, 409), writing nothing: a decision
    that waits for a second staff member (four eyes) is refused at once for what the action would
    refuse. Returns the contract and the record corrected; None for a correction already written
    (the action would answer it)."""
    version = contracts.path_version(version)
    contract = contract_actions.load(number, issuer_id)
    expected = contract_actions.expected_revision(if_match)
    records = contracts_repository.versions(contract.contract_number)
    target = contracts.record_of(records, version)
    corrections = request.model_dump(mode="json", exclude_unset=True, exclude={"reason"})
    content = amendments.corrected(target.content, corrections, clock.today())
    if any(_same_correction(r, version, request.reason, content) for r in records):
        return contract, None
    return contract, _judge(contract, records, expected, version)


def correct(
    number: str, version: int, request: CorrectionRequest, staff: str | None, if_match: str | None = None, *, issuer_id: str,
    staff_name: str | None = None, approval: dict | None = None,
) -> tuple[dict, bool]:
    """Returns (the correction record, whether this call wrote it). `issuer_id`: the acting staff
    member's issuer (another issuer's contract is 404, before anything is read or written).
    `staff_name`: their display name, for the audit; `approval`: who approved it under four eyes
    (approved_by, approved_by_name, approval_id), also in the audit item."""
    version = contracts.path_version(version)
    contract = contract_actions.load(number, issuer_id)
    issuer = issuers.issuer_of(contract)  # the corrected certificate is its issuer's
    number = contract.contract_number
    expected = contract_actions.expected_revision(if_match)
    records = contracts_repository.versions(number)
    target = contracts.record_of(records, version)
    corrections = request.model_dump(mode="json", exclude_unset=True, exclude={"reason"})
    today = clock.today()
    content = amendments.corrected(target.content, corrections, today)  # 422 naming the field

    written = next((r for r in records if _same_correction(r, version, request.reason, content)), None)
    pdf = None
    created = False
    if written is None:
        shown = _judge(contract, records, expected, version)
        in_force = lifecycle.valid_chain(records)[-1].version == version  # the content in force is the target's
        version_no = contract_actions.next_version(contract, records)
        electronic = contract.format == "electronic"
        now = clock.now()
        record = VersionItem(
            *VersionItem.key(number, version_no),
            contract_number=number,
            version=version_no,
            kind=CORRECTION,
            change_number=shown.change_number or None,  # the target's label: 新規 or 変更ー k
            target_version=version,
            reason=request.reason,
            decided_by=staff,
            state=RENDERED,
            record_id=VersionItem.new_record_id(),
            content=content,
            s3_key=bucket_keys.document(number, version_no, electronic),
            # No statement of its own: the fee event of the label stays the target's (its statement
            # stays listed for the contractor under the label the correction now shows).
            fee=target.fee,
            fee_kind=target.fee_kind,
            fee_s3_key=target.fee_s3_key,
            rendered_at=now,
            **(VersionItem.pending_entry(number, version_no, now) if electronic else {}),
        )
        pdf = signing.sign_pdf(render_certificate(render_input(record), issuer), issuer=issuer)
        revision = contracts_repository.revision(contract)
        actions = [ContractItem.latest_version.set(version_no)]
        if in_force:
            actions += [ContractItem.content.set(content), *contracts_repository.index_actions(contract, content, shown.label)]
        entry = audit.for_contract(
            number, audit.CORRECT, revision + 1, staff, now, staff_issuer_id=issuer_id, staff_name=staff_name,
            version=version_no, target_version=version, label=shown.label, reason=request.reason,
            fields=amendments.describe(target.content, content), **(approval or {}),
        )
        if contracts_repository.write_revision(contract, actions, ContractItem.ending.does_not_exist(), creates=[record, entry]):
            written, created = record, True
        else:
            records = contracts_repository.versions(number)
            written = next((r for r in records if _same_correction(r, version, request.reason, content)), None)
            if written is None:
                raise contract_actions.changed_meanwhile(number, issuer_id) from None  # another action won
            pdf = None  # a concurrent identical request wrote it: go on with what it stored
    stored_now = _store(written, pdf, issuer)
    written = contracts_repository.version(number, written.version)
    if not stored_now and publication.awaits_publication(written):
        publication.request(number, int(written.version))  # its arrival may have been lost: ask again
    return _answer(written), created


# ----------------------------------------------------------------------------- 変更取消


def cancel(
    number: str, version: int, reason: str, staff: str | None, if_match: str | None = None, *, issuer_id: str,
    staff_name: str | None = None,
) -> tuple[dict, bool]:
    """Returns (the answer, whether this call recorded the cancellation); `issuer_id` as for correct."""
    version = contracts.path_version(version)
    contract = contract_actions.load(number, issuer_id)
    number = contract.contract_number
    expected = contract_actions.expected_revision(if_match)
    records = contracts_repository.versions(number)
    contracts.record_of(records, version)  # 404 for a version that was never written

    def existing(records: list[VersionItem]) -> VersionItem | None:
        return next((r for r in records if r.kind == CHANGE_CANCELLATION and int(r.target_version or 0) == version), None)

    done = existing(records)
    if done is not None:
        if done.reason != reason:
            raise Conflict("already_cancelled_differently", f"version {version} was already cancelled (as record {int(done.version)}) for another reason",
                           current=contract_actions.current(contract, records))
        _finish_cancellation(contract, records, done)
        return _cancel_answer(contract, records, done), False
    if contract.ending:
        raise Conflict(
            "guarantee_ended", "the guarantee has ended: its changes can no longer be cancelled", current=contract_actions.current(contract, records)
        )
    contract_actions.check_revision(contract, expected, records)
    shown = contract_actions.shown_now(contract, records, version, cancelling=True)

    version_no = contract_actions.next_version(contract, records)
    now = clock.now()
    before = lifecycle.valid_chain(records)[-1].record.content
    withdrawn = withdrawn_change(records, shown.record)
    record = VersionItem(
        *VersionItem.key(number, version_no),
        contract_number=number,
        version=version_no,
        kind=CHANGE_CANCELLATION,
        change_number=shown.change_number,
        target_version=version,
        reason=reason,
        decided_by=staff,
        state=PUBLISHED,  # in effect once recorded: there is nothing to publish
        issued_at=now,
        content={},
        s3_key="",  # no PDF
        rendered_at=now,
    )
    after = lifecycle.valid_chain([*records, record])[-1]
    record.content = after.record.content  # the content in force again
    record.content_before = before
    issuer = issuers.issuer_of(contract)
    difference = withdrawal_difference(withdrawn, issuer)
    if difference is not None:  # the withdrawn change's fee, reversed, with its own statement
        signing.check(issuer)  # 503 before it is recorded when its statement cannot be signed
        record.fee, record.fee_kind, record.fee_s3_key = difference.amount, difference.kind, bucket_keys.fee_statement(number, version_no)
    # Its chain link at once (what publication.chain_link computes at a PDF's storage, without a PDF).
    linked = [r for r in records if r.record_sha256]
    record.previous_sha256, record.record_sha256 = lifecycle.link(number, linked, record)
    revision = contracts_repository.revision(contract)
    entry = audit.for_contract(
        number, audit.CANCEL_CHANGE, revision + 1, staff, now, staff_issuer_id=issuer_id, staff_name=staff_name,
        version=version_no, target_version=version, label=shown.label, reason=reason, in_force_version=after.version,
    )
    if not contracts_repository.write_revision(
        contract,
        [
            ContractItem.latest_version.set(version_no), ContractItem.content.set(after.record.content),
            *contracts_repository.index_actions(contract, after.record.content, after.label),
        ],
        ContractItem.ending.does_not_exist(),
        creates=[record, entry],
    ):
        records = contracts_repository.versions(number)
        done = existing(records)
        if done is None or done.reason != reason:
            raise contract_actions.changed_meanwhile(number, issuer_id) from None
        _finish_cancellation(contract, records, done)
        return _cancel_answer(contract_actions.load(number, issuer_id), records, done), False
    records = [*records, record]
    _finish_cancellation(contract, records, record)
    return _cancel_answer(contract, records, record), True


def withdrawn_change(records: list[VersionItem], shown: VersionItem) -> VersionItem:
    """The 変更 record a shown record stands for (a correction restates it; the fee is the change's)."""
    by_version = {int(r.version): r for r in records}
    while shown.kind == CORRECTION and int(shown.target_version or 0) in by_version:
        shown = by_version[int(shown.target_version)]
    return shown


def withdrawal_difference(change: VersionItem, issuer) -> changes.FeeDifference | None:
    """The change's difference reversed, as it was computed at its issue, by the issuer's fee table
    (None for a record without one)."""
    if change.kind != CHANGE or not change.content_before or change.fee is None:
        return None
    return changes.withdrawal_fee(
        change.content_before, change.content, date.fromisoformat(change.content["issue_date"]), fees.table_of(issuer)
    )


def _finish_cancellation(contract: ContractItem, records: list[VersionItem], record: VersionItem) -> None:
    """The orderer's desk told; put the withdrawn fee's statement (once), then claim and send the e-mail (once)."""
    in_force = lifecycle.valid_chain(records)
    desk.change_cancelled(contract.contract_number, record, in_force[-1].label if in_force else None)
    if record.notified_at is not None:
        return
    by_version = {int(r.version): r for r in records}
    change = withdrawn_change(records, by_version[int(record.target_version)])
    issuer = issuers.issuer_of(contract)
    difference = withdrawal_difference(change, issuer) if record.fee_s3_key else None
    if difference is not None:  # put where no object is (If-None-Match): a retry keeps the first one
        cancelled_on = clock.to_jst(record.issued_at).date()
        pdf = render_fee_difference(render_input(change), difference, occasion="cancellation", cancelled_on=cancelled_on, issuer=issuer)
        storage.create_pdf(record.fee_s3_key, signing.sign_pdf(pdf, issuer=issuer), read_back=False)
    try:
        record.update(actions=[VersionItem.notified_at.set(clock.now())], condition=VersionItem.notified_at.does_not_exist())
    except UpdateError as error:
        if condition_failed(error):
            return  # a concurrent call claimed it
        raise
    in_force = lifecycle.valid_chain(records)
    fee = {"kind": record.fee_kind, "amount": int(record.fee)} if record.fee is not None else None
    _mail_cancelled(contract, int(record.version), lifecycle.label(record.change_number), in_force[-1].label if in_force else "", record.reason, fee)


def _cancel_answer(contract: ContractItem, records: list[VersionItem], record: VersionItem) -> dict:
    chain = contracts.shown_chain(contract, records)
    return {
        "contract_number": record.contract_number,
        "version": int(record.version),
        "kind": record.kind,
        "target_version": int(record.target_version),
        "cancelled_label": lifecycle.label(record.change_number),
        "recorded_at": iso_jst(record.issued_at),
        "in_force": {"version": chain[-1].version, "label": chain[-1].label} if chain else None,
        "fee": {"kind": record.fee_kind, "amount": int(record.fee)} if record.fee is not None else None,
    }


def _mail_cancelled(
    contract: ContractItem, record_version: int, cancelled_label: str, in_force_label: str, reason: str, fee: dict | None
) -> None:
    """Sent by the call that claimed it (at most once)."""
    if not contract.notify_email:
        return
    content = contract.content
    issuer = issuers.issuer_of(contract)
    mail = staff_mail.change_cancelled(
        content["contractor"]["name"], contract.contract_number, content["work_name"], cancelled_label, in_force_label, reason,
        content.get("branch_code"), issuer=issuer, fee=fee,
    )
    number = contract.contract_number  # the cancellation's record names its one e-mail (a retry reads a newer revision)
    outbox.put(f"cancel#{number}#v{record_version:03d}", ContractItem.partition(number), contract.notify_email, mail.subject, mail.body,
               sender_name=outbox.sender_name(issuer))
