"""What every staff action on a contract shares: loading it, optimistic locking, the 409's `current`.

Each action reads the contract and its records, decides, and writes revision + 1 on the condition
that the contract still is the revision it read (aws/contracts_repository.write_revision, one
helper for every action). Whoever loses that race,
or acts on a revision older than the one the contract has (`If-Match: <revision>`, the revision the
staff screen showed), gets 409 with `current`: the contract's state as staff see it now.
"""
from __future__ import annotations

import hashlib
import re

from ...domain.guarantee import lifecycle
from ...domain.errors import Conflict, InputError, NotFound, PreconditionRequired, Problem
from ...domain.identity import record_issuer
from ...aws import contracts_repository
from ...aws.models import ContractItem, VersionItem
from .. import contracts

_REVISION = re.compile(r'^(?:W/)?"?(?P<revision>[0-9]{1,9})"?$')
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as HTTP header values are


def load(number: str, issuer_id: str) -> ContractItem:
    """The contract by its number as typed in the path (422 on `number`), if it is `issuer_id`'s
    (the acting staff member's issuer, Caller.staff_issuer): 404 if there is none, and the same
    404 for another issuer's contract, so its staff learn nothing of it (as between companies)."""
    number = contracts.path_number(number)
    try:
        contract = contracts_repository.get(number)
    except ContractItem.DoesNotExist:
        raise NotFound("contract") from None
    if record_issuer(contract.issuer_id) != issuer_id:
        raise NotFound("contract")
    return contract


def expected_revision(header: str | None) -> int:
    """The revision an `If-Match` header names (`3`, `"3"` or `W/"3"`); 428 without the header.

    Required on every action (docs/decisions.md): an action is what staff decided looking at one
    revision, so it never applies to another one silently."""
    if header is None:
        raise PreconditionRequired(
            "If-Match", "If-Match is required: the contract's revision as GET /staff/contracts/{number} shows it"
        )
    match = _REVISION.fullmatch(header.strip())
    if not match:
        raise InputError(Problem("If-Match", "invalid_if_match", "must be the contract's revision as GET /staff/contracts/{number} shows it"))
    return int(match["revision"])


def request_digest(idempotency_key: str | None) -> str | None:
    if idempotency_key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise InputError(Problem("Idempotency-Key", "invalid_idempotency_key", "must be 1 to 255 visible ASCII characters"))
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


def current(contract: ContractItem, records: list[VersionItem] | None = None) -> dict:
    """The contract as staff see it now (the `current` of a 409)."""
    if records is None:
        records = contracts_repository.versions(contract.contract_number)
    chain = contracts.shown_chain(contract, records)
    return {
        "contract_number": contract.contract_number,
        "revision": contracts_repository.revision(contract),
        "latest_version": int(contract.latest_version),
        "key_generation": int(contract.key_generation or 1),
        **contracts.status_json(contract, chain),
        "history": [{"label": s.label, "version": s.version, "kind": s.record.kind} for s in chain],
        "pending_change": contract.pending_change,
    }


def check_revision(contract: ContractItem, expected: int | None, records: list[VersionItem] | None = None) -> None:
    revision = contracts_repository.revision(contract)
    if expected is not None and expected != revision:
        raise Conflict(
            "contract_changed", f"the contract is at revision {revision}, not {expected}: look at it again and retry",
            current=current(contract, records),
        )


def changed_meanwhile(number: str, issuer_id: str) -> Conflict:
    """The 409 of a lost race: what the winner left."""
    contract = load(number, issuer_id)
    return Conflict("contract_changed", "the contract changed meanwhile: look at it again and retry", current=current(contract))


def shown_now(contract: ContractItem, records: list[VersionItem], version: int, cancelling: bool = False) -> lifecycle.Shown:
    """The record `version` if the history shows it now (409 with `current` if not).

    Judged twice: on what has taken effect (the history the contractor and the orderer see) and
    on every record written (a correction or change still on its way to the platform counts), so
    a version whose correction is being published cannot be corrected a second time meanwhile.
    """
    check = lifecycle.check_cancellable if cancelling else lifecycle.check_correctable
    try:
        shown = check(contracts.in_effect(records, contract.format == "electronic"), version)
    except lifecycle.LifecycleError as error:
        raise Conflict(error.code, str(error), current=current(contract, records)) from None
    try:
        check(records, version)
    except lifecycle.LifecycleError as error:
        on_its_way = ", ".join(
            f"version {int(r.version)} ({lifecycle.label(r.change_number)} {r.kind})" for r in not_yet_in_effect(contract, records)
        )
        reason = f"{error} — counting what is issued but not yet published ({on_its_way}): retry after its publication"
        raise Conflict(error.code, reason, current=current(contract, records)) from None
    return shown


def not_yet_in_effect(contract: ContractItem, records: list[VersionItem]) -> list[VersionItem]:
    """Changes and corrections written but not yet on the platform (an electronic certificate
    between its issue and its publication)."""
    in_effect = {int(r.version) for r in contracts.in_effect(records, contract.format == "electronic")}
    return [r for r in records if int(r.version) not in in_effect]


def next_version(contract: ContractItem, records: list[VersionItem]) -> int:
    return max([int(contract.latest_version)] + [int(r.version) for r in records]) + 1
