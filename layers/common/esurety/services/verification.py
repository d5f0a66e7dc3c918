"""保証確認: the orderer types contract number and auth key and reads the certificate.

An unknown number, a wrong key, another orderer's contract, a paper contract and a certificate
not yet on the platform all end in the same NotFound, by the same path (a lockout reservation on
the number, a GetItem, an HMAC of the typed key), so a guesser learns nothing. A mistyped number
(its check letter fails) is told apart: that reveals nothing about any contract. Each attempt is
reserved against the caller's and the number's budget before the key is judged (lockout.py).
Every failure and every lock is logged with number, caller and outcome; the key never is.
"""
from __future__ import annotations

import time

from aws_lambda_powertools import Logger

from .. import certificates, clock, contract_number, keys, metrics, storage
from ..errors import InputError, NotFound, Problem, TooManyAttempts
from ..identity import Caller
from ..models import ContractItem, ViewItem
from . import lockout
from .contracts import visible_versions

logger = Logger(child=True)

# Judged against when no digest is stored (no such contract, or paper): HMAC-SHA256 output is
# 64 hex digits and never this, so the typed key is hashed and compared on every path alike.
_NO_DIGEST = "0" * 64


def _caller_name(caller: Caller) -> str:
    return caller.subject or f"orderer:{caller.orderer_id}"


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


def verify(caller: Caller, number_text: str, key_text: str) -> dict:
    try:
        number = contract_number.normalise(number_text)
    except contract_number.ContractNumberError as error:
        metrics.verification("invalid")
        raise InputError(Problem("contract_number", str(error))) from None

    now = time.time()
    by_caller, by_number = _reserve(number, caller, now)
    try:
        contract = ContractItem.get(*ContractItem.key(number), consistent_read=True)
    except ContractItem.DoesNotExist:
        contract = None
    stored = contract.key_digest if contract is not None and contract.key_digest else _NO_DIGEST
    reason = _refusal(contract, keys.matches(key_text, stored), caller)
    shown = visible_versions(contract) if reason is None else []
    if reason is None and not shown:
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
        raise NotFound("certificate")

    latest = shown[-1]
    viewed_at = clock.now()
    ViewItem(
        ContractItem.key(number)[0],
        f"{ViewItem.PREFIX}{viewed_at.isoformat()}#{caller.orderer_id}",
        contract_number=number,
        orderer_id=caller.orderer_id,
        version=int(latest.version),
        viewed_at=viewed_at,
    ).save()
    lockout.reset(lockout.CONTRACT, number)
    lockout.give_back(by_caller)  # a success is not a failure of this caller
    metrics.verification("ok")
    logger.info("verified", extra={"contract_number": number, "caller": caller.subject, "outcome": "verified"})
    return {
        "certificate": certificates.certificate_json(latest),
        "history": certificates.history_json(shown),
        "pdf_url": storage.presigned_url(latest.s3_key, f"certificate-{number}-v{int(latest.version):03d}.pdf"),
    }
