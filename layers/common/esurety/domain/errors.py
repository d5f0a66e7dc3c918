"""Errors the services raise; the handlers turn them into HTTP responses."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str  # dotted path as in the API body, e.g. "work.contract_price"
    code: str  # stable snake_case, a key of esurety/domain/error_codes.py (the screens show its Japanese)
    reason: str  # English, for developers and the log


class InputError(Exception):
    """422: the request is well-formed JSON but a field is missing or wrong. Nothing was written."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in self.problems))


class NotFound(Exception):
    """404; the message is the same whatever was missing, so it leaks nothing."""


class KeyRenewed(NotFound):
    """404 that says why: the typed key opened this orderer's guarantee once and was renewed since
    (認証キーの再発行). Only the holder of a key that was valid learns it (docs/decisions.md)."""


class Forbidden(Exception):
    """403: the caller is authenticated but not in a group allowed here, or (with `code`, a key of
    esurety/domain/error_codes.py) may not do this one thing, e.g. approve their own decision."""

    def __init__(self, reason: str, code: str = "forbidden"):
        self.code = code
        super().__init__(reason)


class Conflict(Exception):
    """409: the resource is in a state that does not allow the operation; `current` (optional) is
    that state as the caller's view shows it, so a loser of a race sees what won. `code` (optional)
    is a stable snake_case name of the state for a screen to say in its words; `message` (optional)
    replaces the generic Japanese message when the state has its own."""

    def __init__(self, code: str, reason: str, current: dict | None = None, message: str | None = None):
        self.code = code  # a key of esurety/domain/error_codes.py
        self.current = current
        self.message = message
        super().__init__(reason)


class IssuerSigningUnavailable(Exception):
    """503: the issuer's signing key or certificate cannot sign for it now (no key registered, the key
    disabled, deleted or not allowed, tagged for another issuer, a certificate not of the key).
    Nothing is signed and nothing stored: the operator is alarmed; the same request succeeds once
    the key is fixed. `issuer_id` is whose key it is ("platform": the stack's own records)."""

    def __init__(self, issuer_id: str | None, reason: str):
        self.issuer_id = issuer_id
        self.reason = reason
        super().__init__(f"signing for {issuer_id or 'the issuer'} is unavailable: {reason}")


class PreconditionRequired(Exception):
    """428: a staff action on a contract without `If-Match` (the revision the caller acted on).

    Without it a stale screen's action would apply to whatever the contract has become meanwhile."""

    def __init__(self, header: str, reason: str):
        self.header = header
        super().__init__(reason)


class TooManyAttempts(Exception):
    """429: too many failed verifications of one contract number, or by one caller."""

    def __init__(self, retry_after_seconds: int, scope: str = "contract", contact: dict | None = None):
        self.retry_after_seconds = retry_after_seconds
        self.scope = scope  # which budget is spent (for the log; the answer is the same)
        # Whom the orderer may call ({issuer_name, branch_name, phone}), read from the typed number
        # alone, so it says nothing of whether a contract has that number.
        self.contact = contact
        super().__init__("too many failed attempts")
