"""The orderer's desk (発注者デスク): presentations, the desk row kept true, the desk's event log, 受領確認.

A guarantee reaches an orderer's desk when it is presented: by the contractor's direct submission
(提出, `POST /contracts/{number}/submissions`) or by a successful verification with the key
(`POST /verifications`). The presentation is one item per contract (DeskItem; a guarantee is in
favour of one orderer), put on the condition that none is there: the first one stands.

The row the desk lists is rebuilt from what is stored (the contract, its records, this orderer's
receipts) on every life event, never patched: publication of 新規/変更/訂正, 変更取消, 解約/履行請求,
受領確認 each call `life_event`, which rebuilds the row (conditional on the revision it read, so two
rebuilds never lose one another's input) and puts the event's item under a key the event fixes,
so a retried delivery neither duplicates an event nor sends its department a second e-mail.
期限満了 is no event: the status is derived from the 保証期限 when the row is read.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from aws_lambda_powertools import Logger
from ...domain.catalogue import products
from ...domain.catalogue.issuer import DEFAULT_ISSUER_ID
from ...domain.catalogue.orderers import Orderer
from ...domain.catalogue.products import Product
from ...domain.errors import Conflict, InputError, NotFound, Problem
from ...domain.guarantee import lifecycle
from ...domain.guarantee.certificates import CHANGE, CORRECTION, NEW, iso_jst
from ...domain.japanese import clock, text
from ...domain.mail import desk_mail
from ...domain.identity import Caller
from ...aws import contracts_repository, desk_repository
from ...aws.models import ContractItem, DeskEventItem, DeskItem, ReceiptItem, VersionItem
from .. import contracts, issuers, registry
from . import audit, outbox

logger = Logger(child=True)

SUBMISSION, KEY = "submission", "key"
SUBMITTED, PRESENTED, REGISTERED, CHANGED, CORRECTED = "submitted", "presented", "registered", "changed", "corrected"
CHANGE_CANCELLED, TERMINATED, CLAIMED, RECEIVED = "change_cancelled", "terminated", "claimed", "received"
# The events the department's mailbox is told of (one e-mail per event and department).
MAILED = frozenset({SUBMITTED, CHANGED, CORRECTED, CHANGE_CANCELLED, TERMINATED, CLAIMED})
NO_DEPARTMENT = DeskItem.NO_DEPARTMENT
# Of events learnt in one instant (a presentation logs the 新規 it presents), the order they are told in.
ORDER = (REGISTERED, SUBMITTED, PRESENTED, CHANGED, CORRECTED, CHANGE_CANCELLED, TERMINATED, CLAIMED, RECEIVED)
_PUBLISHED_KIND = {NEW: REGISTERED, CHANGE: CHANGED, CORRECTION: CORRECTED}
_REBUILD_TRIES = 5


def stamp(moment: datetime) -> str:
    """Sort-key time: ISO 8601 JST with milliseconds (sorts as it reads)."""
    return clock.to_jst(moment).isoformat(timespec="milliseconds")


def scope_key(orderer_id: str, department_id: str | None = None, log: bool = False) -> str:
    """An index partition of the desk (log=False) or its event log (log=True): the orderer's, or a department's."""
    return DeskEventItem.scope_key(orderer_id, department_id) if log else DeskItem.scope_key(orderer_id, department_id)


def search_text(value: str) -> str:
    """What the q search compares: NFKC (full-width letters and digits as typed), hyphen-likes as
    '-', no spaces, lower case; the same function normalises the typed query."""
    return text.compact_code(value).lower()


def load(caller: Caller, number: str) -> DeskItem:
    """The guarantee on this caller's desk; 404 for one not presented to its orderer or (for a
    department user) not in its department: another desk's rows do not exist for it."""
    item = desk_repository.get(number)
    if item is None:
        raise NotFound("desk row")
    if not visible_to(caller, item):
        raise NotFound("desk row")
    return item


def visible_to(caller: Caller, item: DeskItem) -> bool:
    if item.orderer_id != caller.orderer_id:
        return False
    return caller.department_id is None or item.department_id == caller.department_id


# ------------------------------------------------------------------------- presentation


def present(contract: ContractItem, orderer: Orderer | None, department_id: str | None, via: str, actor: str) -> tuple[DeskItem, bool]:
    """Put the guarantee on its orderer's desk (the first presentation stands); (the item, whether
    this call presented it). The contract's certificate must be in effect (the caller checked)."""
    number = contract.contract_number
    if department_id is None and orderer is not None:
        found = orderer.department_for(contract.product)
        department_id = found.department_id if found else None
    chain = contracts.shown_chain(contract)
    now = clock.now()
    item, created = desk_repository.present(
        number, orderer_id=contract.orderer_id, department_id=department_id, via=via, presented_at=now, presented_by=actor,
        presented_version=chain[-1].version, stamp=stamp(now),
    )
    kind = SUBMITTED if item.via == SUBMISSION else PRESENTED
    if not created and _logged(number, kind):
        refresh(number)  # a repeat (each verification by key is one) finds the row as the records are now
        return item, False
    # A presentation cut short (before its row, or its events) is completed by its repeat.
    first = chain[0]
    life_event(number, REGISTERED, f"v{first.version:03d}", first.record.issued_at, label=first.label, version=first.version, mail=False)
    life_event(number, kind, "first", item.presented_at, label=chain[-1].label, version=item.presented_version, actor=item.presented_by)
    if created:
        logger.info("guarantee presented", extra={"contract_number": number, "orderer_id": item.orderer_id, "via": via, "department_id": department_id})
    return item, created


def _logged(number: str, kind: str) -> bool:
    return desk_repository.logged(number, kind, "first")


# ------------------------------------------------------------------------- the row


def _label_of(record: VersionItem) -> str:
    return lifecycle.label(record.change_number)


def build_row(item: DeskItem, contract: ContractItem, records: list[VersionItem], receipts: list[ReceiptItem]) -> tuple[dict, bool]:
    """(the desk row as stored, whether the guarantee changed since it was presented). The status
    stored is the one of this moment; 期限満了 and 期限間近 are derived again when read."""
    chain = contracts.shown_chain(contract, records)
    in_force = chain[-1]
    content = in_force.record.content
    status = contracts.status_json(contract, chain)
    by_version = {int(r.version): r for r in records}
    shown_versions = {s.version for s in chain}
    latest = max(receipts, key=lambda r: r.received_at, default=None)
    receipt = None
    if latest is not None:
        record = by_version.get(int(latest.version))
        receipt = {
            "version": int(latest.version),
            "label": _label_of(record) if record is not None else "",
            "received_by": latest.received_by,
            "received_at": iso_jst(latest.received_at),
            "current": int(latest.version) == in_force.version,
        }
    ended_at = _ending_at(contract)
    in_force_receipt = next((r for r in receipts if int(r.version) == in_force.version), None)
    needs_attention = in_force_receipt is None or (ended_at is not None and ended_at > in_force_receipt.received_at)
    moments = [item.presented_at, *(r.issued_at for r in contracts.in_effect(records, True) if r.issued_at)]
    moments += [r.received_at for r in receipts]
    if ended_at is not None:
        moments.append(ended_at)
    changed_at = max(moments)
    department = None
    orderer = registry.get_orderer(item.orderer_id)
    if orderer is not None and item.department_id:
        department = orderer.department(item.department_id)
    issuer = issuers.issuer_of(contract)
    row = {
        "contract_number": contract.contract_number,
        "issuer_name": issuer.company,
        "issuer": issuers.ref(issuer),
        "product": contract.product,
        "product_name": products.label(contract.product),
        "project_name": content["work_name"],
        "contractor_name": content["contractor"]["name"],
        "amount": int(content["guarantee_amount"]),
        "expiry": content["guarantee_deadline"],
        "label": in_force.label,
        "version": in_force.version,
        "status": status["status"],
        "status_label": status["status_label"],
        "department_id": item.department_id,
        "department_name": department.name if department else None,
        "via": item.via,
        "presented_at": iso_jst(item.presented_at),
        "receipt": receipt,
        "needs_attention": needs_attention,
        "corrected": in_force.record.kind == CORRECTION,
        "changed_at": iso_jst(changed_at),
    }
    changed = (
        in_force.version != int(item.presented_version)
        or (ended_at is not None and ended_at > item.presented_at)
        or any(int(r.version) not in shown_versions for r in receipts)
    )
    return row, changed


def _ending_at(contract: ContractItem) -> datetime | None:
    if not contract.ending or not contract.ending.get("recorded_at"):
        return None
    return datetime.fromisoformat(contract.ending["recorded_at"])


def refresh(number: str) -> DeskItem | None:
    """Rebuild the row of a presented guarantee from what is stored; None when it is on no desk."""
    for _ in range(_REBUILD_TRIES):
        item = desk_repository.get(number)
        if item is None:
            return None
        contract = contracts_repository.get(number)
        records = contracts_repository.versions(number)
        row, changed = build_row(item, contract, records, desk_repository.receipts_of(number, item.orderer_id))
        search = " ".join(search_text(v) for v in (row["contract_number"], row["project_name"], row["contractor_name"]))
        ending = {"kind": contract.ending["kind"], "date": contract.ending["date"]} if contract.ending else None
        if desk_repository.write_row(
            item, row=row, search=search, changed=changed, ending=ending, changed_stamp=stamp(datetime.fromisoformat(row["changed_at"])),
        ):
            return item
    raise RuntimeError(f"desk row of {number} kept changing while rebuilt")


# ------------------------------------------------------------------------- events


def event_json(event: DeskEventItem) -> dict:
    return {
        "event_id": event.event_ref() + "#" + event.contract_number,
        "at": iso_jst(event.at),
        "contract_number": event.contract_number,
        "kind": event.kind,
        "label": event.label,
        "version": int(event.version) if event.version is not None else None,
        "department_id": event.department_id,
        "detail": event.detail or {},
    }


def life_event(
    number: str, kind: str, ref: str, at: datetime | None, *, label: str | None = None, version: int | None = None,
    actor: str | None = None, detail: dict | None = None, mail: bool = True,
) -> bool:
    """An event of a guarantee's life: its desk row rebuilt, the event logged once (keyed by
    `kind` and `ref`), its department told once. Nothing for a guarantee on no desk. True when
    this call logged it."""
    item = refresh(number)
    if item is None:
        return False
    now = clock.now()
    event = desk_repository.log_event(
        number, kind, ref, orderer_id=item.orderer_id, department_id=item.department_id, stamp=stamp(now), rank=ORDER.index(kind),
        at=at or now, written_at=now, label=label, version=version, actor=actor, detail=detail or None,
    )
    # The e-mail's id is fixed by the event (outbox: one per id), so a retry that gets here again
    # sends nothing more; a retry whose first try died before queuing it sends it now.
    if mail and kind in MAILED:
        _mail_department(item, event)
    return True


def _mail_department(item: DeskItem, event: DeskEventItem) -> None:
    orderer = registry.get_orderer(item.orderer_id)
    department = orderer.department(item.department_id) if orderer and item.department_id else None
    if department is None:
        return  # no department mailbox: the desk and its event log tell the orderer
    row = item.row or {}
    issuer = issuer_of_row(row)
    mail = desk_mail.department_notice(
        event.kind, department.name, item.contract_number, row.get("product_name", ""), row.get("project_name", ""),
        row.get("contractor_name", ""), event.label or "", issuer, detail=event.detail or {},
    )
    number = item.contract_number
    outbox.put(f"desk#{department.department_id}#{number}#{event.event_ref()}", ContractItem.partition(number),
               department.email, mail.subject, mail.body, sender_name=outbox.sender_name(issuer))


def issuer_of_row(row: dict):
    """The issuer a desk row names (a row built before rows named one: the platform's first surety)."""
    return issuers.issuer_of(row.get("issuer") or {})


def published(number: str, record: VersionItem) -> None:
    """A 新規, 変更 or 訂正 took effect on the platform (services/commands/publication.py)."""
    kind = _PUBLISHED_KIND.get(record.kind)
    if kind is None:
        return
    detail = None
    if record.kind == CORRECTION:
        replaced = contracts.record_of(contracts_repository.versions(number), int(record.target_version))
        detail = {"replaces": {"version": int(replaced.version), "issued_at": iso_jst(replaced.issued_at), "sha256": replaced.sha256}}
    life_event(number, kind, f"v{int(record.version):03d}", record.issued_at, label=_label_of(record), version=int(record.version), detail=detail)


def change_cancelled(number: str, record: VersionItem, in_force_label: str | None) -> None:
    """A 変更取消 was recorded (services/commands/corrections.py): which change it withdrew."""
    life_event(
        number, CHANGE_CANCELLED, f"v{int(record.version):03d}", record.issued_at, label=in_force_label, version=int(record.version),
        detail={"withdrawn": {"change_number": int(record.change_number or 0), "label": _label_of(record), "reason": record.reason}},
    )


def ended(contract: ContractItem) -> None:
    """解約 or 保証債務履行請求 was recorded (services/commands/endings.py)."""
    ending = contract.ending
    kind = TERMINATED if ending["kind"] == "cancelled" else CLAIMED
    life_event(
        contract.contract_number, kind, "ending", _ending_at(contract), label=ending.get("label"), version=ending.get("version"),
        detail={"date": ending["date"], "reason": ending.get("reason")},
    )


# ------------------------------------------------------------------------- 受領確認


def receipt_json(receipt: ReceiptItem, label: str, created: bool) -> dict:
    return {
        "contract_number": receipt.contract_number,
        "version": int(receipt.version),
        "label": label,
        "received_by": receipt.received_by,
        "received_at": iso_jst(receipt.received_at),
        "new": created,
    }


def receive(caller: Caller, contract: ContractItem, shown: lifecycle.Shown) -> tuple[ReceiptItem, bool]:
    """Record this orderer's 受領確認 of a shown version (the first record stands); logged on its desk
    (if presented) and the contractor told once."""
    number = contract.contract_number
    receipt, created = desk_repository.receive(
        number, shown.version, orderer_id=caller.orderer_id, orderer_name=contract.orderer_name, received_by=caller.subject,
        received_at=clock.now(),
    )
    logged = life_event(
        number, RECEIVED, f"v{shown.version:03d}", receipt.received_at, label=shown.label, version=shown.version, actor=receipt.received_by
    )
    if created or logged:
        _mail_contractor(contract, shown, receipt)
    return receipt, created


def _mail_contractor(contract: ContractItem, shown: lifecycle.Shown, receipt: ReceiptItem) -> None:
    if not contract.notify_email:
        return
    content = contract.content
    issuer = issuers.issuer_of(contract)
    mail = desk_mail.received(content["contractor"]["name"], contract.contract_number, content["work_name"], contract.orderer_name,
                              shown.label, iso_jst(receipt.received_at), content.get("branch_code"), issuer)
    number = contract.contract_number
    outbox.put(f"received#{number}#v{shown.version:03d}#{receipt.orderer_id}", ContractItem.partition(number), contract.notify_email, mail.subject, mail.body,
               sender_name=outbox.sender_name(issuer))


# ------------------------------------------------------------------------- audit


def audited(caller: Caller, action: str, number: str | None = None, **details) -> None:
    """Who looked at or did what on the desk: in the contract's partition, or the desk's own."""
    now = clock.now()
    pk = desk_repository.audit_partition(caller.orderer_id, number)
    audit.entry(
        pk, action, uuid.uuid4().hex, caller.subject, now, contract_number=number,
        orderer_id=caller.orderer_id, department_id=caller.department_id, **details,
    ).save()



# ------------------------------------------------------------------------- 提出 (the contractor)


def submit(caller: Caller, number: str, department_id: str) -> tuple[dict, bool]:
    """提出: the contractor presents its own company's guarantee to the orderer named on it, to the
    department the registry names for its product. (the presentation, whether this call made it);
    a repeat answers the first presentation, whichever way it came."""
    contract = contracts.load_for_company(caller, number)  # another company's: 404
    number = contract.contract_number
    orderer = registry.get_orderer(contract.orderer_id) if contract.orderer_id else None
    if orderer is None or contract.format != "electronic" or not orderer.accepts_submission(contract.product):
        raise Conflict(
            "direct_submission_not_accepted",
            "the orderer does not take a direct submission as the deposit for this product: hand over the notice",
            message="この発注者は、この保証について電子保証の提出を受け付けていません。認証キーのお知らせを従来どおりお渡しください。",
        )
    department = orderer.department(department_id)
    if department is None or Product(contract.product) not in department.products:
        raise InputError(Problem("department_id", "unknown_department", "is not a department of the orderer that takes this product"))
    if not contracts.shown_chain(contract):
        raise Conflict("not_yet_published", "the certificate is not yet published: submit it once it is",
                       message="保証証書の発行処理中です。発行が完了してから提出してください。")
    item, created = present(contract, orderer, department.department_id, SUBMISSION, caller.subject)
    named = orderer.department(item.department_id)
    return {
        "contract_number": number,
        "orderer_id": item.orderer_id,
        "department_id": item.department_id,
        "department_name": named.name if named else None,
        "via": item.via,
        "presented_at": iso_jst(item.presented_at),
    }, created


# ------------------------------------------------------------------------- reminders (scheduled)

REMINDER_DAYS = (30, 7)


def remind(today: date | None = None) -> int:
    """The departments' reminders 30 and 7 days before the 保証期限 of a valid presented guarantee:
    each orderer's rows expiring within 30 days (gsi3, a key range: the read is as large as what
    is due, not as the desk). A run that was missed is caught up by the next (a row within 30 days
    that was never reminded is); the mail id names the row, its 保証期限 and the reminder, so one
    mail per reminder and department, however often the schedule runs. Returns mails queued."""
    today = today or clock.today()
    queued = 0
    # The registry read whole once (one Query, as the orderers are): each row names its issuer.
    by_id = {issuer.issuer_id: issuer for issuer in issuers.list_issuers()}
    for orderer in registry.list_orderers():
        if not orderer.departments or orderer.orderer_id is None:
            continue
        for item in desk_repository.expiring(orderer.orderer_id, today, today + timedelta(days=REMINDER_DAYS[0])):
            department = orderer.department(item.department_id)
            if department is None or item.row is None or item.ending:
                continue
            expiry = date.fromisoformat(item.row["expiry"])
            days = REMINDER_DAYS[1] if expiry <= today + timedelta(days=REMINDER_DAYS[1]) else REMINDER_DAYS[0]
            row = item.row
            issuer = by_id.get((row.get("issuer") or {}).get("issuer_id") or DEFAULT_ISSUER_ID) or by_id[DEFAULT_ISSUER_ID]
            mail = desk_mail.reminder(department.name, item.contract_number, row["product_name"], row["project_name"],
                                      row["contractor_name"], row["label"], expiry, (expiry - today).days, issuer)
            number = item.contract_number
            outbox.put(f"desk-reminder#{department.department_id}#{number}#{expiry.isoformat()}#{days}d", ContractItem.partition(number),
                       department.email, mail.subject, mail.body, sender_name=outbox.sender_name(issuer))
            queued += 1
    return queued
