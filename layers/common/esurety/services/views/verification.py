"""保証確認: the orderer types contract number and auth key and reads the certificate.

An unknown number, a wrong key, another orderer's contract, a paper contract and a certificate
not yet on the platform all end in the same NotFound, by the same path (a lockout reservation on
the number, a GetItem of the three attributes the attempt is judged by, an HMAC of the typed key),
so a guesser learns nothing, not even from the time it takes. A mistyped number
(its check letter fails) is told apart: that reveals nothing about any contract. Each attempt is
reserved against the caller's and the number's budget before the key is judged (lockout.py).
Every failure and every lock is logged with number, caller and outcome; the key never is.
"""
from __future__ import annotations

import time

from aws_lambda_powertools import Logger

from ...domain.guarantee import certificates
from ...domain.japanese import clock
from ...domain.identifiers import contract_number
from ... import metrics
from ...aws import contracts_repository, keys, storage
from ...domain.errors import InputError, KeyRenewed, NotFound, Problem, TooManyAttempts
from ...domain.catalogue.issuer import DEFAULT_ISSUER_ID
from ...domain.identity import Caller
from ...aws.models import ContractItem, ReceiptItem, ViewItem
from ..commands import desk, lockout
from .. import issuers, registry
from ..contracts import chain_valid, shown_chain, status_json
from .. import contracts  # the certificate's download name

logger = Logger(child=True)

# Judged against when no digest is stored (no such contract, or paper): HMAC-SHA256 output is
# 64 hex digits and never this, so the typed key is hashed and compared on every path alike.
_NO_DIGEST = "0" * 64
# The attributes an attempt is judged by (_refusal): all that is read before the key is known right.
_JUDGED = ("format", "key_digest", "orderer_id", "retired_key_digests")


def _caller_name(caller: Caller) -> str:
    return caller.subject or f"orderer:{caller.orderer_id}"


def _renewed(contract: ContractItem | None, key_text: str, caller: Caller) -> bool:
    """Whether the typed key is one this contract's key was renewed away from, typed by the orderer
    it was issued to: the one failure the answer names (the holder of a once-valid key learns that
    it was renewed, nothing more; docs/decisions.md). Every retired digest is compared, match or not."""
    retired = list(contract.retired_key_digests or []) if contract is not None else []
    matched = [keys.matches(key_text, digest) for digest in retired]
    return any(matched) and contract.orderer_id == caller.orderer_id


def _refusal(contract: ContractItem | None, key_matches: bool, caller: Caller) -> str | None:
    """Why this attempt fails (for the log only; the answer is the same), or None."""
    if contract is None:
        return "no-such-contract"
    if contract.format != "electronic" or contract.key_digest is None:
        return "paper"
    if not key_matches:
        return "wrong-key"
    if contract.orderer_id != caller.orderer_id:
        return "other-orderer"
    return None


def _log_lock(reservation: lockout.Reservation, number: str, caller: Caller) -> None:
    metrics.count(metrics.LOCKOUTS)
    logger.warning(
        "verification lock engaged",
        extra={
            "contract_number": number,
            "caller": caller.subject,
            "orderer_id": caller.orderer_id,
            "outcome": "locked",
            "lock_scope": reservation.budget.scope,
            "attempts": reservation.attempts,
        },
    )


def _reserve(number: str, caller: Caller, now: float) -> tuple[lockout.Reservation, lockout.Reservation]:
    """The caller's attempt, then the number's; 429 when either budget is spent.

    The caller's comes first, so a locked caller spends no contract's attempts."""
    try:
        by_caller = lockout.reserve(lockout.CALLER, _caller_name(caller), now)
        try:
            by_number = lockout.reserve(lockout.CONTRACT, number, now)
        except TooManyAttempts:
            lockout.give_back(by_caller)  # not judged, so not a failure of this caller
            raise
    except TooManyAttempts as locked:
        locked.contact = contact_for(number)
        logger.warning(
            "verification refused: locked",
            extra={
                "contract_number": number,
                "caller": caller.subject,
                "orderer_id": caller.orderer_id,
                "outcome": "refused-locked",
                "lock_scope": locked.scope,
                "retry_after": locked.retry_after_seconds,
            },
        )
        metrics.verification("locked")
        raise
    return by_caller, by_number


def contact_for(number: str) -> dict:
    """Whom an orderer locked out of a number may call: the issuer its number names (the two-digit
    code in front, none for the platform's first surety) and the branch of its first two digits.
    Read from the number alone, never from a contract: a number no contract has gets the same
    kind of answer (an unknown code or branch: the platform's first surety, its first branch), so
    the answer tells nothing of whether the number exists."""
    parsed = contract_number.parse(number)
    listed = issuers.list_issuers()
    issuer = next((i for i in listed if parsed.issuer_code and i.number_code == parsed.issuer_code), None)
    if issuer is None:
        issuer = next(i for i in listed if i.issuer_id == DEFAULT_ISSUER_ID)
    branch = issuer.branch(parsed.branch_code)
    return {"issuer_name": issuer.company, "branch_name": branch.name, "phone": branch.tel}


def _judged(number: str) -> ContractItem | None:
    """What judging an attempt needs of the contract, and only that: an existing number's read
    brings back three short attributes, an unknown one's nothing, so the two cost alike (the whole
    item, its content and encrypted key, took about 3 ms more to read and parse)."""
    try:
        return contracts_repository.get_judged(number, _JUDGED)
    except ContractItem.DoesNotExist:
        return None


def _opened(number: str, judged: ContractItem) -> ContractItem | None:
    """The whole contract once the key opened it; None if its key or orderer changed since judged
    (a staff key rotation between the two reads: the typed key was judged against the old one)."""
    try:
        contract = contracts_repository.get(number)
    except ContractItem.DoesNotExist:
        return None
    if (contract.key_digest, contract.orderer_id, contract.format) != (judged.key_digest, judged.orderer_id, judged.format):
        return None
    return contract


def _open(caller: Caller, number_text: str, key_text: str) -> tuple[str, ContractItem, list, list]:
    """The contract the typed number and key open for this orderer, its records and shown chain;
    NotFound (the same for every reason) otherwise. Every attempt is reserved first (lockout)."""
    try:
        number = contract_number.normalise(number_text)
    except contract_number.ContractNumberError as error:
        metrics.verification("invalid")
        raise InputError(Problem("contract_number", "not_contract_number", str(error))) from None

    now = time.time()
    by_caller, by_number = _reserve(number, caller, now)
    judged = _judged(number)
    stored = judged.key_digest if judged is not None and judged.key_digest else _NO_DIGEST
    reason = _refusal(judged, keys.matches(key_text, stored), caller)
    if reason == "wrong-key" and _renewed(judged, key_text, caller):
        reason = "key-renewed"
    contract = _opened(number, judged) if reason is None else None
    if reason is None and contract is None:
        reason = "changed-meanwhile"
    records = contracts_repository.versions(number) if reason is None else []
    chain = shown_chain(contract, records) if reason is None else []
    if reason is None and not chain:
        reason = "not-published"
    if reason is not None:
        logger.warning(
            "verification failed",
            extra={
                "contract_number": number,
                "caller": caller.subject,
                "orderer_id": caller.orderer_id,
                "outcome": "not-found",
                "reason": reason,
            },
        )
        metrics.verification("not_found")
        for reservation in (by_number, by_caller):
            if reservation.exhausts:
                _log_lock(reservation, number, caller)
        # A renewed key still spends an attempt (it is a wrong key), but the clerk is told why, so
        # that they ask the contractor rather than retry into the lock.
        raise KeyRenewed("certificate") if reason == "key-renewed" else NotFound("certificate")
    lockout.reset(lockout.CONTRACT, number)
    lockout.give_back(by_caller)  # a success is not a failure of this caller
    return number, contract, records, chain


def _shown(chain: list, version: int | None):
    """The shown record asked for (default: the one in force); a hidden or unknown version is
    answered as not shown (409 would tell a guesser nothing either, but the key was right)."""
    if version is None:
        return chain[-1]
    for shown in chain:
        if shown.version == version:
            return shown
    raise NotFound("version")


def verify(caller: Caller, number_text: str, key_text: str, version: int | None = None) -> dict:
    """The certificate (the version in force, or `version` of the history), the guarantee's status,
    the history of the valid chain and whether its hash chain holds: the deposit (寄託) as it is."""
    number, contract, records, chain = _open(caller, number_text, key_text)
    shown = _shown(chain, version)
    viewed_at = clock.now()
    ViewItem(
        *ViewItem.key(number, viewed_at, caller.orderer_id),
        contract_number=number,
        orderer_id=caller.orderer_id,
        version=shown.version,
        viewed_at=viewed_at,
    ).save()
    metrics.verification("ok")
    logger.info("verified", extra={"contract_number": number, "caller": caller.subject, "outcome": "verified"})
    # A successful verification is a presentation: the guarantee stays on this orderer's desk.
    desk.present(contract, registry.get_orderer(caller.orderer_id), None, desk.KEY, caller.subject)
    record = shown.record
    try:  # this orderer's 受領確認 of the version shown, if recorded
        receipt = contracts_repository.receipt(number, shown.version, caller.orderer_id)
    except ReceiptItem.DoesNotExist:
        receipt = None
    return {
        "issuer": issuers.ref_of(contract),  # the orderer sees whose guarantee it holds
        **status_json(contract, chain),
        "received_at": certificates.iso_jst(receipt.received_at) if receipt else None,
        "current_version": chain[-1].version,
        "certificate": certificates.certificate_json(record, shown.change_number),
        "history": certificates.history_json(chain),
        "chain_valid": chain_valid(contract, records),
        "pdf_url": storage.presigned_url(record.s3_key, contracts.certificate_file(contract, shown)),
    }


def record_receipt(caller: Caller, number_text: str, key_text: str, version: int) -> tuple[dict, bool]:
    """受領確認: the orderer records receiving a shown version; the first record stands (a retry
    answers it again). Returns (the receipt, whether this call recorded it)."""
    number, contract, _, chain = _open(caller, number_text, key_text)
    shown = _shown(chain, version)
    desk.present(contract, registry.get_orderer(caller.orderer_id), None, desk.KEY, caller.subject)
    receipt, created = desk.receive(caller, contract, shown)
    logger.info("receipt recorded", extra={"contract_number": number, "version": shown.version, "caller": caller.subject, "new": created})
    return {"contract_number": number, "version": shown.version, "received_at": certificates.iso_jst(receipt.received_at)}, created
