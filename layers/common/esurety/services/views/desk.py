"""The orderer's desk, read: the list, one guarantee (without its key), the event log, 受領確認 in bulk.

Every read is a Query on an index keyed by the caller's orderer (or orderer and department), never a
scan, and reads at most READ_BUDGET items per request: a filter the index does not serve (product,
status, issuer, 要確認, 変更あり, the q search, a department on the expiry and change orders) is applied to
what was read, and the page ends with a cursor where the budget ran out, so a page costs the same
on a desk of 100 rows as on one of 100,000 (docs/decisions.md). The cursor is opaque (base64url of
the index and the last key read) and bound to the index and partition it was made for. The export
(`all_rows`) is the one read of the whole desk: the same query and filters, to the end.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Iterator

from ...domain.errors import InputError, NotFound, Problem
from ...domain.guarantee import certificates, lifecycle
from ...domain.guarantee.certificates import CHANGE_CANCELLATION, CORRECTION, iso_jst
from ...domain.identity import Caller
from ...domain.japanese import clock
from ...aws import contracts_repository, desk_repository, storage
from ...aws.models import DeskItem
from .. import contracts, issuers
from .. import cursors
from ..commands import desk

READ_BUDGET = 200  # items read per request, whatever the filters
DEFAULT_LIMIT, MAX_LIMIT = 50, 100
EXPIRING_DAYS = 30
VIEWS = ("attention", "changed", "expiring", "all")
SORTS = ("presented", "expiry", "changed")
STATUSES = (lifecycle.VALID, lifecycle.EXPIRED, lifecycle.TERMINATED, lifecycle.CLAIMED)
MAX_QUERY = 100


# ------------------------------------------------------------------------- cursors (views/cursors.py)

_encode, _decode, _position = cursors.encode, cursors.decode, cursors.position


# ------------------------------------------------------------------------- the list


def _choice(field: str, value: str | None, allowed: tuple[str, ...], default: str | None) -> str | None:
    if value is None or value == "":
        return default
    if value not in allowed:
        raise InputError(Problem(field, "invalid_choice", f"must be one of {', '.join(allowed)}"))
    return value


def _limit(value: int | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not 1 <= value <= MAX_LIMIT:
        raise InputError(Problem("limit", "too_large" if value > MAX_LIMIT else "too_small", f"must be 1 to {MAX_LIMIT}"))
    return value


def as_read(item: DeskItem, today: date, seen: dict | None = None) -> dict:
    """The row as of today: its status from the dates (期限満了 once the 保証期限 has passed, a recorded
    解約 / 履行請求 from its date on), 期限間近 when valid and within 30 days. A row built before rows
    named their issuer is the platform's first surety's (`seen`: issuers.ref_of's memo)."""
    row = dict(item.row)
    if not row.get("issuer"):
        row["issuer"] = issuers.ref_of({}, seen)
    expiry = date.fromisoformat(row["expiry"])
    ending = lifecycle.Ending(item.ending["kind"], date.fromisoformat(item.ending["date"])) if item.ending else None
    status = lifecycle.status(expiry, today, ending)
    row["status"], row["status_label"] = status, lifecycle.STATUS_LABELS[status]
    row["expiring_soon"] = status == lifecycle.VALID and expiry <= today + timedelta(days=EXPIRING_DAYS)
    return row


class _Selection:
    """What a list's filters read: the index and partition, its order and range, and what is kept of
    each item read (a filter the index does not serve). Shared by the page and the export."""

    def __init__(
        self, caller: Caller, *, department: str | None, product: str | None, status: str | None,
        view: str | None, q: str | None, sort: str | None, issuer_id: str | None = None,
    ):
        self.view = _choice("view", view, VIEWS, "all")
        self.sort = _choice("sort", sort, SORTS, "presented")
        self.status = _choice("status", status, STATUSES, None)
        if q is not None and len(q) > MAX_QUERY:
            raise InputError(Problem("q", "too_long", f"must be at most {MAX_QUERY} characters"))
        self.q = q
        self.wanted = desk.search_text(q) if q else ""
        self.product = product
        self.issuer_id = _issuer_filter(issuer_id)
        self.seen: dict = {}  # the IssuerRef of rows built before rows named their issuer
        # Another department's rows do not exist for a department user: nothing to read.
        self.empty = caller.department_id is not None and department not in (None, "", caller.department_id)
        if caller.department_id is not None:
            department = caller.department_id
        self.department = department or None
        self.today = today = clock.today()
        orderer_scope = desk.scope_key(caller.orderer_id)
        self.expiring = None
        if self.view == "expiring":  # the index serves it: 保証期限 from today to 30 days on
            self.index, self.hash_value = "gsi3", orderer_scope
            self.expiring = (today, today + timedelta(days=EXPIRING_DAYS))
            self.forward = True
        elif self.sort == "expiry":
            self.index, self.hash_value, self.forward = "gsi3", orderer_scope, True
        elif self.sort == "changed":
            self.index, self.hash_value, self.forward = "gsi4", orderer_scope, False
        elif self.department is not None:
            self.index, self.hash_value, self.forward = "gsi2", desk.scope_key(caller.orderer_id, self.department), False
        else:
            self.index, self.hash_value, self.forward = "gsi1", orderer_scope, False

    def start(self, cursor: str | None) -> dict | None:
        return _decode(cursor, self.index, f"gsi{self.index[-1]}pk", self.hash_value)

    def query(self, start: dict | None = None, limit: int | None = READ_BUDGET, page_size: int = READ_BUDGET):
        """The items of the index in the list's order, from `start`; `limit` None reads to the end."""
        return desk_repository.rows(
            self.index, self.hash_value, expiring=self.expiring, forward=self.forward, limit=limit, start=start, page_size=page_size,
        )

    def row(self, item: DeskItem) -> dict | None:
        """The item's row as read today if the filters keep it, else None."""
        if item.row is None:
            return None  # presented a moment ago, its row not yet built: the next read has it
        if self.department is not None and item.department_id != self.department:
            return None
        row = as_read(item, self.today, self.seen)
        if self.product and row["product"] != self.product:
            return None
        if self.issuer_id and row["issuer"]["issuer_id"] != self.issuer_id:
            return None
        if self.status and row["status"] != self.status:
            return None
        if self.view == "attention" and not row["needs_attention"]:
            return None
        if self.view == "changed" and not item.changed:
            return None
        if self.view == "expiring" and not row["expiring_soon"]:
            return None
        if self.wanted and self.wanted not in (item.search or ""):
            return None
        return row

    def filters(self) -> dict:
        """The filters as the audit records them (whether a search was given, not what)."""
        return {"view": self.view, "sort": self.sort, "department": self.department, "product": self.product,
                "status": self.status, "issuer_id": self.issuer_id, "q": bool(self.q)}


def _issuer_filter(issuer_id: str | None) -> str | None:
    """The issuer to filter by: one of the registry (retired ones too: their guarantees stay), or 422."""
    if not issuer_id:
        return None
    if issuers.get_issuer(issuer_id) is None:
        raise InputError(Problem("issuer_id", "unknown_issuer", "is not an issuer of the registry (GET /issuers)"))
    return issuer_id


def list_rows(
    caller: Caller, *, department: str | None = None, product: str | None = None, status: str | None = None,
    view: str | None = None, q: str | None = None, sort: str | None = None, cursor: str | None = None, limit: int | None = None,
    issuer_id: str | None = None,
) -> dict:
    selection = _Selection(caller, department=department, product=product, status=status, view=view, q=q, sort=sort, issuer_id=issuer_id)
    limit = _limit(limit)
    if selection.empty:
        return {"items": [], "next_cursor": None}
    index = selection.index
    found = selection.query(selection.start(cursor))
    items, read, last = [], 0, None
    for item in found:
        read += 1
        last = item
        row = selection.row(item)
        if row is None:
            continue
        items.append(row)
        if len(items) == limit:
            break
    # A full page stops at the last row it took; an exhausted budget at the last item it read: both
    # may have more after them. A query read to its end has none.
    more = last is not None and (len(items) == limit or read == READ_BUDGET)
    desk.audited(caller, "desk-list", **selection.filters(), rows=len(items))
    return {"items": items, "next_cursor": _encode(index, _position(last, index)) if more else None}


EXPORT_PAGE = 1000  # items a query page reads while exporting (DynamoDB ends a page at 1 MB anyway)


def all_rows(
    caller: Caller, *, department: str | None = None, product: str | None = None, status: str | None = None,
    view: str | None = None, q: str | None = None, sort: str | None = None, issuer_id: str | None = None,
) -> tuple[dict, Iterator[dict]]:
    """(the filters as audited, every row the list would show with them, in its order): the export
    reads the whole desk, page after page, bounded by the desk's size and not by READ_BUDGET. The
    filters are judged (422) before this returns, so nothing is read for a refused request."""
    selection = _Selection(caller, department=department, product=product, status=status, view=view, q=q, sort=sort, issuer_id=issuer_id)

    def rows() -> Iterator[dict]:
        if selection.empty:
            return
        for item in selection.query(limit=None, page_size=EXPORT_PAGE):
            row = selection.row(item)
            if row is not None:
                yield row

    return selection.filters(), rows()


# ------------------------------------------------------------------------- one guarantee


def _correction(record, by_version: dict) -> dict | None:
    if record.kind != CORRECTION:
        return None
    replaced = by_version.get(int(record.target_version or 0))
    return {
        "corrected_at": iso_jst(record.issued_at),
        "replaces": {
            "version": int(replaced.version) if replaced is not None else None,
            "issued_at": iso_jst(replaced.issued_at) if replaced is not None else None,
            "sha256": replaced.sha256 if replaced is not None else None,
        },
    }


def _withdrawn(records: list, chain: list) -> dict[int, list[dict]]:
    """For each shown version, the changes whose 変更取消 put it back in force."""
    out: dict[int, list[dict]] = {}
    for record in records:
        if record.kind != CHANGE_CANCELLATION:
            continue
        before = lifecycle.valid_chain([r for r in records if int(r.version) <= int(record.version)])
        if not before:
            continue
        entry = {
            "change_number": int(record.change_number or 0),
            "label": lifecycle.label(record.change_number),
            "cancelled_at": iso_jst(record.issued_at),
            "reason": record.reason,
        }
        out.setdefault(before[-1].version, []).append(entry)
    shown = {s.version for s in chain}
    return {v: entries for v, entries in out.items() if v in shown}


def one(caller: Caller, number: str, version: int | None = None) -> dict:
    """What `POST /verifications` answers, without the key, plus the desk row, the events and receipts."""
    number = contracts.path_number(number)
    version = contracts.path_version(version) if version is not None else None
    item = desk.load(caller, number)
    contract = contracts_repository.get(number)
    records = contracts_repository.versions(number)
    chain = contracts.shown_chain(contract, records)
    if not chain:
        raise NotFound("certificate")
    shown = chain[-1] if version is None else next((s for s in chain if s.version == version), None)
    if shown is None:
        raise NotFound("version")
    by_version = {int(r.version): r for r in records}
    if item.row is None or item.row.get("version") != chain[-1].version:
        # The row lags the records (a publication that stopped before its desk step is retried by
        # its queue): the look at one guarantee shows it as it is, and leaves it so.
        item = desk.refresh(number) or item
    viewed_at = clock.now()
    desk_repository.record_view(number, caller.orderer_id, shown.version, viewed_at)
    desk.audited(caller, "desk-view", number, version=shown.version)

    mine = desk_repository.receipts_of(number, caller.orderer_id)
    shown_versions = {s.version for s in chain}
    receipt_of_shown = next((r for r in mine if int(r.version) == shown.version), None)

    certificate = certificates.certificate_json(shown.record, shown.change_number)
    correction = _correction(shown.record, by_version)
    if correction:
        certificate["correction"] = correction
    withdrawn = _withdrawn(records, chain)
    history = certificates.history_json(chain)
    for entry, link in zip(history, chain):
        entry["sha256"] = link.record.sha256  # of the stored PDF: the 寄託記録 lists it, a clerk checks the file by it
        fix = _correction(link.record, by_version)
        if fix:
            entry["correction"] = fix
        if link.version in withdrawn:
            entry["withdrawn"] = withdrawn[link.version]
    events = sorted(desk_repository.events_of(number), key=lambda e: (e.written_at, desk.ORDER.index(e.kind), e.sk))
    return {
        "issuer": issuers.ref_of(contract),
        **contracts.status_json(contract, chain),
        "received_at": iso_jst(receipt_of_shown.received_at) if receipt_of_shown else None,
        "current_version": chain[-1].version,
        "certificate": certificate,
        "history": history,
        "chain_valid": contracts.chain_valid(contract, records),
        "pdf_url": storage.presigned_url(shown.record.s3_key, contracts.certificate_file(contract, shown)),
        "desk": as_read(item, clock.today()) if item.row else None,
        "events": [desk.event_json(e) for e in events],
        "receipts": [
            {
                "version": int(r.version),
                "label": lifecycle.label(by_version[int(r.version)].change_number) if int(r.version) in by_version else "",
                "received_by": r.received_by,
                "received_at": iso_jst(r.received_at),
                # recorded on a record no longer shown: replaced by a 訂正, or withdrawn by a 変更取消
                "superseded": int(r.version) not in shown_versions,
            }
            for r in sorted(mine, key=lambda r: int(r.version))
        ],
    }


# ------------------------------------------------------------------------- the event log


def events(caller: Caller, cursor: str | None = None, limit: int | None = None) -> dict:
    """In the order the desk learnt them, oldest first, from after the cursor; the cursor given back
    marks the last one read, so a reader asks again later from it and misses nothing."""
    limit = _limit(limit)
    if caller.department_id is None:
        index, hash_value = "gsi1", desk.scope_key(caller.orderer_id, log=True)
    else:
        index, hash_value = "gsi2", desk.scope_key(caller.orderer_id, caller.department_id, log=True)
    start = _decode(cursor, index, f"gsi{index[-1]}pk", hash_value)
    found = desk_repository.event_log(index, hash_value, limit, start)
    items = list(found)
    desk.audited(caller, "desk-events", rows=len(items))
    if items:
        next_cursor = _encode(index, _position(items[-1], index))
    else:
        next_cursor = cursor or None
    return {"items": [desk.event_json(e) for e in items], "next_cursor": next_cursor}


# ------------------------------------------------------------------------- 受領確認 in bulk


MAX_RECEIPTS = 100


def receive(caller: Caller, wanted: list[tuple[str, int]]) -> dict:
    """受領確認 of several rows in one step. Every row is judged before any is recorded: one that is
    not on this caller's desk, or a version not shown, answers 404 and records nothing."""
    judged = []
    for index, (number_text, version) in enumerate(wanted):
        try:
            number = contracts.path_number(number_text)
            version = contracts.path_version(version)
        except InputError as error:
            raise InputError([Problem(f"items.{index}.{p.field if p.field != 'number' else 'contract_number'}", p.code, p.reason)
                              for p in error.problems]) from None
        desk.load(caller, number)
        contract = contracts_repository.get(number)
        shown = next((s for s in contracts.shown_chain(contract) if s.version == version), None)
        if shown is None:
            raise NotFound("version")
        judged.append((contract, shown))
    out = []
    for contract, shown in judged:
        receipt, created = desk.receive(caller, contract, shown)
        desk.audited(caller, "desk-receipt", contract.contract_number, version=shown.version, new=created)
        out.append(desk.receipt_json(receipt, shown.label, created))
    return {"items": out}
