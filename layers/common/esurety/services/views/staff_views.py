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
from ...domain.catalogue import fees
from ...aws import applications_repository, contracts_repository, orderers_repository, storage
from ...domain.guarantee.certificates import CHANGE_CANCELLATION, iso_jst
from ...domain.errors import Problem
from ...domain.identity import Caller
from ...aws.models import ApplicationItem, ContractItem, UploadItem, VersionItem
from ...domain.catalogue.products import label as product_label
from ..commands import applications, approvals, audit, contract_actions, endings, lockout, outbox, uploads
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


def _orderer_names() -> dict[str, str]:
    """The registry's orderers by id (one read of its partition for a whole page)."""
    return {entry["orderer_id"]: entry["name"] for entry in orderers_repository.all_data()}


def _orderer_name(request: dict, names: dict[str, str]) -> str | None:
    """The orderer a 新規 / 中間前払金 application names: the registry's name, or the one typed for paper."""
    typed = request.get("orderer")
    if typed:
        return typed.get("name")
    return names.get(request.get("orderer_id"))


def queue(caller: Caller, status: str, limit: int = applications.QUEUE_PAGE, cursor: str | None = None, kind: str | None = None) -> dict:
    """A page of the staff queue (applications.queue) with names beside the ids: the orderer's
    (the registry's, or the contract's for a 変更) and who decided (the decision's audit item)."""
    page = applications.queue(caller, status, limit=limit, cursor=cursor, kind=kind)
    rows = page["applications"]
    if not rows:
        return page
    names = _orderer_names()
    changes_of = [r["contract_number"] for r in rows if r["kind"] == applications.CHANGE_KIND and r.get("contract_number")]
    contracts_of = contracts_repository.many(changes_of)
    decided = [r["application_id"] for r in rows if r.get("decided_by")] if status != applications.SUBMITTED else []
    deciders = audit.decision_names(applications_repository.many(decided))
    for r in rows:
        if r["kind"] == applications.CHANGE_KIND:
            contract = contracts_of.get(r.get("contract_number"))
            r["orderer_id"] = contract.orderer_id if contract is not None else None
            r["orderer_name"] = contract.orderer_name if contract is not None else None
        else:
            r["orderer_name"] = names.get(r.get("orderer_id")) or r.get("orderer_name")
        r["decided_by_name"] = deciders.get(r["application_id"])
    return page


def _fee_estimate(request: dict, issuer, today) -> dict | None:
    """The 保証料 issuing it today would charge (the 保証料計算書's computation, the issuer's table):
    None when the request cannot be priced (a deadline already past, a product without rates)."""
    try:
        quote = fees.quote(request["product"], request["guarantee"]["amount"], today, request["guarantee"]["deadline"], fees.table_of(issuer))
    except (ValueError, KeyError, TypeError):
        return None
    return {"fee": quote.fee, "days": quote.days, "table_name": quote.table_name or "保証料率表"}


def _decided_change(item: ApplicationItem) -> dict | None:
    """What an issued 変更 changed, from the records: the version it was applied to (the chain in
    force just before it) and the record it made, as decided (not today's contract)."""
    records = contracts_repository.versions(item.contract_number)
    made = next((r for r in records if r.application_id == item.application_id and r.kind == certificates.CHANGE), None)
    if made is None:
        return None
    base = lifecycle.valid_chain([r for r in records if int(r.version) < int(made.version)])
    before = made.content_before or (base[-1].record.content if base else {})
    return {
        "version": int(made.version),
        "from_label": base[-1].label if base else lifecycle.label(None),
        "to_label": lifecycle.label(made.change_number),
        "fields": changes.differences(before, made.content),
    }


def application(caller: Caller, application_id: str) -> dict:
    """Everything the contractor sent, the rules as of today (while it waits), and for a change the
    content in force beside it; for a 中間前払金 application its 認定調書."""
    item = applications.load_for_staff(caller, application_id)
    kind = applications.kind_of(item)
    request = item.request
    issuer = issuers.issuer_of(item)
    out = {
        **applications.summary(item),
        "issuer": issuers.ref(issuer),
        "company_id": item.company_id,
        "submitted_at": _at(item.submitted_at),
        "decided_at": _at(item.decided_at),
        "decided_by": item.decided_by,
        "decided_by_name": audit.decision_names([item]).get(application_id),
        "request": request,
        "problems": None,  # judged only while the application waits for a decision
        # A reject's e-mail that could not be delivered (a 新規 without a contract keeps it here).
        "undelivered_mail": _undelivered_of(ApplicationItem.partition(application_id)) if item.status == applications.REJECTED else [],
        "decided_change": None,
        "fee_estimate": None,
        # Four eyes: the decision on it waiting for a second staff member (one GetItem; null: none).
        "pending_approval": approvals.pending_for_application(caller, application_id) if item.status == applications.SUBMITTED else None,
    }
    today = clock.today()
    if kind == applications.CHANGE_KIND:
        contract = contracts_repository.get(item.contract_number)
        out["contractor_name"] = request.get("contractor_name")
        out["orderer_id"], out["orderer_name"] = contract.orderer_id, contract.orderer_name
        if item.status == applications.ISSUED:
            out["decided_change"] = _decided_change(item)
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
        orderer = registry.orderer_for(request)
        out["contractor_name"] = request["contractor"]["name"]
        out["orderer_id"], out["orderer_name"] = request.get("orderer_id"), orderer.name if orderer is not None else None
        if item.status == applications.SUBMITTED:
            out["problems"] = _problems(rules.issue_problems(request, orderer, today, issuer))
            out["fee_estimate"] = _fee_estimate(request, issuer, today)
        if request.get("upload_id"):
            out["certification_document"] = _upload(request["upload_id"], item.upload_version)
    return out


# ----------------------------------------------------------------------------- a contract


def _record_label(record: VersionItem) -> str:
    return lifecycle.label(record.change_number)


def _record_json(number: str, record: VersionItem, shown: set[int], names: dict[int, str] | None = None) -> dict:
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
        "decided_by_name": (names or {}).get(int(record.version)),
        "sha256": record.sha256,
        "record_sha256": record.record_sha256,
        "previous_sha256": record.previous_sha256,
        "fee": int(record.fee) if record.fee is not None else None,
        "fee_kind": record.fee_kind if record.fee is not None else None,
        "guarantee_amount": record.content.get("guarantee_amount"),
        "guarantee_deadline": record.content.get("guarantee_deadline"),
        "certificate": None,
        "fee_statement": None,
        # What it states, so a 訂正 of a version not in force opens with that version's values.
        "facts": certificates.certificate_json(record) if record.kind != CHANGE_CANCELLATION and record.content else None,
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




_RECORDING_ACTIONS = (audit.ISSUE, audit.CORRECT, audit.CANCEL_CHANGE)


def _record_names(trail: list) -> dict[int, str]:
    """Who wrote each record, by version: the name on the audit item of the action that wrote it."""
    names = {}
    for item in trail:
        version = (item.details or {}).get("version")
        if item.action in _RECORDING_ACTIONS and version is not None and item.staff_name:
            names[int(version)] = item.staff_name
    return names


def contract(caller: Caller, number: str) -> dict:
    contract = contract_actions.load(number, caller.staff_issuer)
    number = contract.contract_number
    records = sorted(contracts_repository.versions(number), key=lambda r: int(r.version))
    chain = contracts.shown_chain(contract, records)
    shown = {s.version for s in chain}
    trail = audit.items(number)
    names = _record_names(trail)
    content = contract.content or {}
    return {
        "contract_number": number,
        "application_id": contract.application_id,
        "company_id": contract.company_id,
        "issuer": issuers.ref_of(contract),
        "orderer_id": contract.orderer_id,
        "orderer_name": contract.orderer_name,
        "contractor_name": (content.get("contractor") or {}).get("name"),
        "work_name": content.get("work_name"),
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
        "records": [_record_json(number, r, shown, names) for r in records],
        "receipts": contracts.receipts_json(number),
        "views": _views(number),
        "audit": [audit.as_json(item) for item in trail],
        "pending_approval": approvals.pending_for_contract(caller, number),
        "lock": lockout.contract_lock(number),
        "undelivered_mail": _undelivered_of(ContractItem.partition(number)),
    }
