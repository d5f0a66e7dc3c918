"""What staff see: an application with the rules judged today, and a contract with every record.

Staff see what the contractor and the orderer do not: hidden records (訂正, 変更取消 and what they
replaced), the hash chain's fields, who decided what (the audit trail), every document's link.
Never the auth key, and no link to a notice (it prints the key). Staff see their own issuer's
applications and contracts only: another issuer's is 404, as one that does not exist.
"""
from __future__ import annotations

from ...domain.guarantee import certificates, changes, lifecycle
from ...domain.japanese import clock
from ...domain.application import rules
from ...aws import applications_repository, contracts_repository, storage
from ...domain.guarantee.certificates import CHANGE_CANCELLATION, iso_jst
from ...domain.errors import Problem
from ...domain.identity import Caller
from ...aws.models import ApplicationItem, ContractItem, UploadItem, VersionItem
from ...domain.catalogue.products import label as product_label
from ..commands import applications, audit, contract_actions, endings, outbox, uploads
from .. import contracts, issuers, registry


def _problems(problems: list[Problem]) -> list[dict]:
    return [{"field": p.field, "code": p.code, "reason": p.reason} for p in problems]


def _at(moment) -> str | None:
    return iso_jst(moment)


def _undelivered_of(owner: str) -> list[dict]:
    """E-mails to the contractor that SES refused or that failed on every retry (メール未達)."""
    return [
        {"mail_id": m.mail_id, "to": m.to, "subject": m.subject, "reason": m.reason, "failed_at": _at(m.failed_at)}
        for m in outbox.undelivered(owner)
    ]


# ----------------------------------------------------------------------------- an application


def _upload(upload_id: str, pinned_version: str | None) -> dict:
    """The 認定調書 an interim application names: its check, and a short-lived link to the very
    object version that was checked (the one the application pinned when it was submitted). A
    later object under the key (a replayed POST) is never linked; staff see how many were tried."""
    try:
        item = applications_repository.upload(upload_id)
    except UploadItem.DoesNotExist:
        return {"upload_id": upload_id, "state": None, "link": None}
    out = {
        "upload_id": upload_id,
        "state": item.state,
        "reason": item.reason,
        "code": item.reason_code,
        "pages": item.pages,
        "size": item.size,
        "sha256": item.sha256,
        "checked_at": _at(item.checked_at),
        "swap_attempts": len(item.swap_versions or ()),
        "link": None,
    }
    version = pinned_version or item.object_version  # applications submitted before the pin: the check's
    if item.state == "checked" and version and version == item.object_version:
        out["link"] = uploads.staff_link(upload_id, version)
    return out


def application(caller: Caller, application_id: str) -> dict:
    """Everything the contractor sent, the rules as of today (while it waits), and for a change the
    content in force beside it; for a 中間前払金 application its 認定調書."""
    item = applications.load_for_staff(caller, application_id)
    kind = applications.kind_of(item)
    request = item.request
    out = {
        **applications.summary(item),
        "issuer": issuers.ref(issuers.issuer_of(item)),
        "company_id": item.company_id,
        "submitted_at": _at(item.submitted_at),
        "decided_at": _at(item.decided_at),
        "decided_by": item.decided_by,
        "request": request,
        "problems": None,  # judged only while the application waits for a decision
        # A reject's e-mail that could not be delivered (a 新規 without a contract keeps it here).
        "undelivered_mail": _undelivered_of(ApplicationItem.partition(application_id)) if item.status == applications.REJECTED else [],
    }
    today = clock.today()
    if kind == applications.CHANGE_KIND:
        contract = contracts_repository.get(item.contract_number)
        records = contracts_repository.versions(contract.contract_number)
        chain = lifecycle.valid_chain(records)  # as issuing would judge it: rendered changes count
        in_force = chain[-1]
        out["in_force"] = {
            "version": in_force.version,
            "label": in_force.label,
            "certificate": certificates.certificate_json(in_force.record, in_force.change_number),
        }
        after = changes.apply_change(in_force.record.content, request["change"], today)
        out["kinds"] = changes.describe(in_force.record.content, after)
        out["next_label"] = lifecycle.label(lifecycle.next_change_number(records))
        if item.status == applications.SUBMITTED:
            problems = changes.change_problems(in_force.record.content, request["change"], today)
            if contract.ending:
                problems = [Problem("contract_number", "guarantee_ended", "the guarantee has ended"), *problems]
            out["problems"] = _problems(problems)
    else:
        if item.status == applications.SUBMITTED:
            out["problems"] = _problems(rules.issue_problems(request, registry.orderer_for(request), today, issuers.issuer_of(item)))
        if request.get("upload_id"):
            out["certification_document"] = _upload(request["upload_id"], item.upload_version)
    return out


# ----------------------------------------------------------------------------- a contract


def _record_label(record: VersionItem) -> str:
    return lifecycle.label(record.change_number)


def _record_json(number: str, record: VersionItem, shown: set[int]) -> dict:
    stored = bool(record.sha256)
    out = {
        "version": int(record.version),
        "kind": record.kind,
        "label": _record_label(record),
        "change_number": int(record.change_number) if record.change_number else None,
        "target_version": int(record.target_version) if record.target_version else None,
        "shown": int(record.version) in shown,
        "state": record.state,
        "rendered_at": _at(record.rendered_at),
        "issued_at": _at(record.issued_at),
        "notified_at": _at(record.notified_at),
        "application_id": record.application_id,
        "reason": record.reason,
        "decided_by": record.decided_by,
        "sha256": record.sha256,
        "record_sha256": record.record_sha256,
        "previous_sha256": record.previous_sha256,
        "fee": int(record.fee) if record.fee is not None else None,
        "fee_kind": record.fee_kind if record.fee is not None else None,
        "guarantee_amount": record.content.get("guarantee_amount"),
        "guarantee_deadline": record.content.get("guarantee_deadline"),
        "certificate": None,
        "fee_statement": None,
    }
    if record.kind != CHANGE_CANCELLATION and record.s3_key and stored:
        out["certificate"] = storage.download_link(record.s3_key, contracts.record_files(number, record, int(record.version) in shown)[0])
    # A fee statement is put before its certificate; a 変更取消's (no certificate) before its e-mail's claim.
    if record.fee_s3_key and (stored if record.kind != CHANGE_CANCELLATION else record.notified_at is not None):
        out["fee_statement"] = storage.download_link(record.fee_s3_key, contracts.record_files(number, record, int(record.version) in shown)[1])
    return out


def _views(number: str) -> list[dict]:
    return [
        {"orderer_id": v.orderer_id, "version": int(v.version), "viewed_at": _at(v.viewed_at)}
        for v in contracts_repository.views(number)
    ]




def contract(caller: Caller, number: str) -> dict:
    contract = contract_actions.load(number, caller.staff_issuer)
    number = contract.contract_number
    records = sorted(contracts_repository.versions(number), key=lambda r: int(r.version))
    chain = contracts.shown_chain(contract, records)
    shown = {s.version for s in chain}
    return {
        "contract_number": number,
        "application_id": contract.application_id,
        "company_id": contract.company_id,
        "issuer": issuers.ref_of(contract),
        "orderer_id": contract.orderer_id,
        "orderer_name": contract.orderer_name,
        "product": contract.product,
        "product_label": product_label(contract.product),
        "format": contract.format,
        "branch_code": contract.branch_code,
        "notify_email": contract.notify_email,
        "created_at": _at(contract.created_at),
        "revision": contracts_repository.revision(contract),
        "latest_version": int(contract.latest_version),
        "key_generation": int(contract.key_generation or 1),
        "pending_change": contract.pending_change,
        **contracts.status_json(contract, chain),
        "termination": endings.ending_json(contract),
        "termination_statement": contracts.statement_link(contract),
        "chain_valid": contracts.chain_valid(contract, records),
        "in_force": certificates.certificate_json(chain[-1].record, chain[-1].change_number) if chain else None,
        "history": certificates.history_json(chain),
        "records": [_record_json(number, r, shown) for r in records],
        "receipts": contracts.receipts_json(number),
        "views": _views(number),
        "audit": [audit.as_json(item) for item in audit.items(number)],
        "undelivered_mail": _undelivered_of(ContractItem.partition(number)),
    }
