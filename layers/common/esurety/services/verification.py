"""保証確認: the orderer types contract number and auth key and reads the certificate.

An unknown number, a wrong key, another orderer's contract and a certificate not yet on the
platform all end in the same NotFound, so a guesser learns nothing. A mistyped number (its check
letter fails) is told apart: that reveals nothing about any contract. Five failures on one
contract within fifteen minutes lock it for the rest of that window.
"""
from __future__ import annotations

import time

from pynamodb.exceptions import UpdateError

from .. import certificates, clock, contract_number, keys, storage
from ..errors import InputError, NotFound, Problem, TooManyAttempts
from ..identity import Caller
from ..models import ContractItem, ViewItem
from .contracts import visible_versions

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _locked(contract: ContractItem, now: float) -> int:
    """Seconds until the lock ends, or 0."""
    if contract.verify_failures >= MAX_FAILURES and now - contract.verify_window_start < WINDOW_SECONDS:
        return int(contract.verify_window_start + WINDOW_SECONDS - now) + 1
    return 0


def _record_failure(contract: ContractItem, now: float) -> None:
    try:
        # A new window starts when the last one is over; otherwise count into the current one.
        contract.update(
            actions=[ContractItem.verify_failures.set(1), ContractItem.verify_window_start.set(int(now))],
            condition=ContractItem.verify_window_start < int(now - WINDOW_SECONDS),
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        contract.update(actions=[ContractItem.verify_failures.add(1)])


def verify(caller: Caller, number_text: str, key_text: str) -> dict:
    try:
        number = contract_number.normalise(number_text)
    except contract_number.ContractNumberError as error:
        raise InputError(Problem("contract_number", str(error))) from None
    try:
        contract = ContractItem.get(*ContractItem.key(number), consistent_read=True)
    except ContractItem.DoesNotExist:
        raise NotFound("certificate") from None

    now = time.time()
    wait = _locked(contract, now)
    if wait:
        raise TooManyAttempts(wait)
    authorised = (
        contract.format == "electronic"
        and contract.key_digest is not None
        and keys.matches(key_text, contract.key_digest)
        and contract.orderer_id == caller.orderer_id
    )
    if not authorised:
        _record_failure(contract, now)
        raise NotFound("certificate")
    shown = visible_versions(contract)
    if not shown:
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
    if contract.verify_failures:
        contract.update(actions=[ContractItem.verify_failures.set(0)])
    return {
        "certificate": certificates.certificate_json(latest),
        "history": certificates.history_json(shown),
        "pdf_url": storage.presigned_url(latest.s3_key, f"certificate-{number}-v{int(latest.version):03d}.pdf"),
    }
