"""Find anything: the staff's search of their issuer's contracts (GET /staff/contracts).

`q` is first read as a contract number as people type it (full-width, lower case, with or without
hyphens): a number is looked up by its key (one GetItem) and answers that contract or nothing.
Any other `q` is a part of the 受注者名 or the 工事名 (or of a number), compared after NFKC, without
spaces, in lower case. The lists are Queries on an index keyed by the caller's issuer, never a
scan: the issuer's contracts by issue time (gsi1 `CONTRACTS#{issuer}`, newest first; the issue
dates are a key range), by 保証期限 (gsi3, the 期限間近 worklist as a key range), or the issuer's
queue of waiting applications (the 変更申込あり worklist: its 変更 rows). Each request reads at most
READ_BUDGET items; a filter the index does not serve (q, orderer, branch, status) is applied to
what was read, and the page ends with a cursor where the budget ran out, as the orderer's desk
does (docs/decisions.md), so a page costs the same whatever the number of contracts. Another
issuer's contracts are never read: every query is in the caller's issuer's partition.
"""
from __future__ import annotations

from datetime import date, timedelta

from ...domain.catalogue.issuer import Issuer
from ...domain.catalogue.products import label as product_label
from ...domain.errors import InputError, Problem
from ...domain.guarantee import lifecycle
from ...domain.guarantee.certificates import iso_jst
from ...domain.identifiers import contract_number
from ...domain.identity import Caller, record_issuer
from ...domain.japanese import clock, wareki
from ...domain.japanese.text import compact_code
from ...aws import applications_repository, contracts_repository
from ...aws.models import ApplicationItem, ContractItem
from .. import contracts, issuers, registry
from ..commands import applications
from ..commands.desk import search_text
from .. import cursors

READ_BUDGET = 200  # items read per request, whatever the filters
DEFAULT_LIMIT, MAX_LIMIT = 50, 100
EXPIRING_DAYS = 30
EXPIRING, CHANGES = "expiring", "changes"
WORKLISTS = (EXPIRING, CHANGES)
STATUSES = (lifecycle.VALID, lifecycle.EXPIRED, lifecycle.TERMINATED, lifecycle.CLAIMED)
MAX_QUERY = 100


class _Filters:
    """The request's filters, every one judged before anything is read (one 422 lists them all)."""

    def __init__(
        self, issuer: Issuer | None, *, q: str | None, orderer_id: str | None, branch_code: str | None, status: str | None,
        issued_from: str | None, issued_to: str | None, worklist: str | None, limit: int | None,
    ):
        problems: list[Problem] = []
        self.number = None
        self.wanted = ""
        if q is not None and len(q) > MAX_QUERY:
            problems.append(Problem("q", "too_long", f"must be at most {MAX_QUERY} characters"))
        elif q and q.strip():
            try:
                self.number = contract_number.normalise(q)
            except contract_number.ContractNumberError:
                self.wanted = search_text(q)
        self.status = status or None
        if self.status is not None and self.status not in STATUSES:
            problems.append(Problem("status", "invalid_choice", f"must be one of {', '.join(STATUSES)}"))
        self.worklist = worklist or None
        if self.worklist is not None and self.worklist not in WORKLISTS:
            problems.append(Problem("worklist", "invalid_choice", f"must be one of {', '.join(WORKLISTS)}"))
        self.orderer_id = orderer_id or None
        if self.orderer_id is not None and registry.get_orderer(self.orderer_id) is None:
            problems.append(Problem("orderer_id", "unknown_orderer", "is not an orderer of the registry (GET /orderers)"))
        self.branch_code = compact_code(branch_code) if branch_code else None
        if self.branch_code is not None:
            if not (len(self.branch_code) == 2 and self.branch_code.isascii() and self.branch_code.isdigit()):
                problems.append(Problem("branch_code", "not_branch_code", "must be two digits"))
            elif issuer is None or self.branch_code not in {b.code for b in issuer.branches}:
                problems.append(Problem("branch_code", "unknown_branch", "is not a branch of the caller's issuer"))
        self.issued_from = _day("issued_from", issued_from, problems)
        self.issued_to = _day("issued_to", issued_to, problems)
        if self.issued_from and self.issued_to and self.issued_to < self.issued_from:
            problems.append(Problem("issued_to", "date_range_reversed", "is before issued_from"))
        self.limit = DEFAULT_LIMIT if limit is None else limit
        if not 1 <= self.limit <= MAX_LIMIT:
            problems.append(Problem("limit", "too_large" if self.limit > MAX_LIMIT else "too_small", f"must be 1 to {MAX_LIMIT}"))
        if problems:
            raise InputError(problems)
        self.today = clock.today()

    def issued(self) -> tuple[date | None, date | None] | None:
        return (self.issued_from, self.issued_to) if self.issued_from or self.issued_to else None

    def keeps(self, contract: ContractItem) -> bool:
        """Whether the contract read passes the filters the index did not serve."""
        if self.orderer_id and contract.orderer_id != self.orderer_id:
            return False
        if self.branch_code and contract.branch_code != self.branch_code:
            return False
        created = clock.to_jst(contract.created_at).date()
        if (self.issued_from and created < self.issued_from) or (self.issued_to and created > self.issued_to):
            return False
        status = _status(contract, self.today)
        if self.status and status != self.status:
            return False
        if self.worklist == EXPIRING and not _expiring(contract, status, self.today):
            return False
        if self.worklist == CHANGES and not contract.pending_change:
            return False
        if self.wanted:
            content = contract.content or {}
            text = search_text(" ".join((contract.contract_number, (content.get("contractor") or {}).get("name", ""), content.get("work_name", ""))))
            if self.wanted not in text:
                return False
        return True


def _day(field: str, value: str | None, problems: list[Problem]) -> date | None:
    """A date as people write it (令和8年12月1日, R8.12.1, 2026/12/1, full-width): the API's one parser."""
    if not value:
        return None
    try:
        return wareki.parse_date(value)
    except wareki.DateInputError as error:
        problems.append(Problem(field, error.code, error.reason))
        return None


def _status(contract: ContractItem, today: date) -> str:
    deadline = date.fromisoformat(contract.content["guarantee_deadline"])
    return lifecycle.status(deadline, today, contracts.ending_of(contract))


def _expiring(contract: ContractItem, status: str, today: date) -> bool:
    """期限間近: valid, and the 保証期限 within EXPIRING_DAYS from today."""
    return status == lifecycle.VALID and contract.content["guarantee_deadline"] <= (today + timedelta(days=EXPIRING_DAYS)).isoformat()


def _label(contract: ContractItem) -> str:
    """The label of the version in force; read from the records for a contract the index has not
    reached yet (written before the index, and not backfilled)."""
    if contract.in_force_label:
        return contract.in_force_label
    chain = lifecycle.valid_chain(contracts_repository.versions(contract.contract_number))
    return chain[-1].label if chain else lifecycle.label(None)


def row(contract: ContractItem, issuer: Issuer, today: date, seen: dict | None = None) -> dict:
    """A StaffContractRow: the contract as the search lists it."""
    content = contract.content or {}
    status = _status(contract, today)
    return {
        "contract_number": contract.contract_number,
        "issuer": issuers.ref(issuer),
        "product": contract.product,
        "product_label": product_label(contract.product),
        "company_id": contract.company_id,
        "contractor_name": (content.get("contractor") or {}).get("name"),
        "work_name": content.get("work_name"),
        "orderer_id": contract.orderer_id,
        "orderer_name": contract.orderer_name,
        "branch_code": contract.branch_code,
        "branch_name": issuer.branch(contract.branch_code).name,
        "guarantee_amount": content.get("guarantee_amount"),
        "guarantee_deadline": content.get("guarantee_deadline"),
        "status": status,
        "status_label": lifecycle.STATUS_LABELS[status],
        "expiring_soon": _expiring(contract, status, today),
        "label": _label(contract),
        "created_at": iso_jst(contract.created_at),
        "pending_change": bool(contract.pending_change),
    }


def search(
    caller: Caller, *, q: str | None = None, orderer_id: str | None = None, branch_code: str | None = None,
    status: str | None = None, issued_from: str | None = None, issued_to: str | None = None,
    worklist: str | None = None, cursor: str | None = None, limit: int | None = None,
) -> dict:
    """One page of the caller's issuer's contracts the filters select, and the cursor of the next."""
    issuer_id = caller.staff_issuer
    issuer = issuers.get_issuer(issuer_id)
    filters = _Filters(
        issuer, q=q, orderer_id=orderer_id, branch_code=branch_code, status=status,
        issued_from=issued_from, issued_to=issued_to, worklist=worklist, limit=limit,
    )
    if issuer is None:  # a staff member of an issuer not (yet) in the registry: it issued nothing
        if cursor:
            raise cursors.bad_cursor()  # this list gave none
        return {"items": [], "next_cursor": None}
    if filters.number is not None:
        return {"items": _by_number(issuer, filters), "next_cursor": None}
    if filters.worklist == CHANGES:
        return _changes(issuer, filters, cursor)
    scope = ContractItem.issuer_key(issuer_id)
    if filters.worklist == EXPIRING:  # the index serves it: 保証期限 from today to 30 days on, soonest first
        index = "gsi3"
        start = cursors.decode(cursor, index, "gsi3pk", scope)
        found = contracts_repository.of_issuer(
            issuer_id, expiring=(filters.today, filters.today + timedelta(days=EXPIRING_DAYS)), start=start, limit=READ_BUDGET, forward=True,
        )
    else:  # newest first; the issue dates a key range
        index = "gsi1"
        start = cursors.decode(cursor, index, "gsi1pk", scope)
        found = contracts_repository.of_issuer(issuer_id, issued=filters.issued(), start=start, limit=READ_BUDGET, forward=False)
    items, read, last = [], 0, None
    for contract in found:
        read += 1
        last = contract
        if not filters.keeps(contract):
            continue
        items.append(row(contract, issuer, filters.today))
        if len(items) == filters.limit:
            break
    # A full page stops at the last row it took, an exhausted budget at the last item it read: both
    # may have more after them. A query read to its end has none.
    more = last is not None and (len(items) == filters.limit or read == READ_BUDGET)
    return {"items": items, "next_cursor": cursors.encode(index, cursors.position(last, index)) if more else None}


def _by_number(issuer: Issuer, filters: _Filters) -> list[dict]:
    """The contract of a typed number, if it is the caller's issuer's and passes the filters."""
    try:
        contract = contracts_repository.get(filters.number, consistent=False)
    except ContractItem.DoesNotExist:
        return []
    if record_issuer(contract.issuer_id) != issuer.issuer_id or not filters.keeps(contract):
        return []  # another issuer's contract is not there for this caller
    return [row(contract, issuer, filters.today)]


def _changes(issuer: Issuer, filters: _Filters, cursor: str | None) -> dict:
    """変更申込あり: the contracts of the 変更 waiting in the issuer's queue, oldest application first."""
    index = "gsi1"
    scope = ApplicationItem.queue_key(applications.SUBMITTED, issuer.issuer_id)
    start = cursors.decode(cursor, index, "gsi1pk", scope)
    waiting, read, last = [], 0, None
    for item in applications_repository.queue(issuer.issuer_id, applications.SUBMITTED, READ_BUDGET, start):
        read += 1
        last = item
        if applications.kind_of(item) == applications.CHANGE_KIND and item.contract_number:
            waiting.append(item)
            if len(waiting) == filters.limit:
                break
    found = contracts_repository.many(a.contract_number for a in waiting)
    items = []
    for application in waiting:
        contract = found.get(application.contract_number)
        if contract is not None and record_issuer(contract.issuer_id) == issuer.issuer_id and filters.keeps(contract):
            items.append(row(contract, issuer, filters.today))
    more = last is not None and (len(waiting) == filters.limit or read == READ_BUDGET)
    return {"items": items, "next_cursor": cursors.encode(index, cursors.position(last, index)) if more else None}
