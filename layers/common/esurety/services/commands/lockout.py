"""The verification lockout: a budget of attempts per contract number and per caller, per window.

An attempt is reserved with one conditional UpdateItem *before* the key is judged, so parallel
guesses cannot all pass a check that has not yet counted them: DynamoDB applies each update
atomically, and the update that would exceed the budget fails instead of counting. The contract's
counter is keyed by the normalised number whether or not such a contract exists, so the lockout
answers alike for every number. See docs/decisions.md ("Verification lockout").
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from pynamodb.exceptions import UpdateError

from ...domain.errors import InputError, Problem, TooManyAttempts
from ...domain.identity import Caller
from ...domain.japanese import clock
from ...aws.models import AttemptItem, ContractItem, condition_failed, transact
from . import audit, contract_actions

WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Budget:
    scope: str  # the counter's kind, part of its key
    attempts: int  # per window


CONTRACT = Budget("contract", 5)  # per normalised contract number
CALLER = Budget("caller", 20)  # per orderer login (the Cognito subject)


@dataclass(frozen=True)
class Reservation:
    budget: Budget
    name: str
    window_start: int
    attempts: int  # this window's count, this attempt included

    @property
    def exhausts(self) -> bool:
        """This attempt took the window's last one: the lock starts now unless it succeeds."""
        return self.attempts >= self.budget.attempts


def reserve(budget: Budget, name: str, now: float) -> Reservation:
    """Count one attempt, or raise TooManyAttempts when this window's budget is spent."""
    at = int(now)
    cutoff = at - WINDOW_SECONDS
    item = AttemptItem(*AttemptItem.key(budget.scope, name))
    for _ in range(3):  # a window may end between the two updates; then the first applies next time
        try:
            # Absent or the window is over: open a new window with this attempt.
            item.update(
                actions=[
                    AttemptItem.attempts.set(1),
                    AttemptItem.window_start.set(at),
                    AttemptItem.expires_at.set(at + 2 * WINDOW_SECONDS),
                ],
                condition=AttemptItem.pk.does_not_exist() | (AttemptItem.window_start <= cutoff),
            )
            return Reservation(budget, name, at, 1)
        except UpdateError as error:
            if not condition_failed(error):
                raise
        try:
            # Within the window: count this attempt only if one is left.
            item.update(
                actions=[AttemptItem.attempts.add(1)],
                condition=(AttemptItem.window_start > cutoff) & (AttemptItem.attempts < budget.attempts),
            )
            return Reservation(budget, name, int(item.window_start), int(item.attempts))
        except UpdateError as error:
            if not condition_failed(error):
                raise
        try:
            current = AttemptItem.get(*AttemptItem.key(budget.scope, name), consistent_read=True)
        except AttemptItem.DoesNotExist:
            continue
        if int(current.window_start) > cutoff:
            raise TooManyAttempts(max(1, int(current.window_start) + WINDOW_SECONDS - at), scope=budget.scope)
    raise TooManyAttempts(1, scope=budget.scope)


def give_back(reservation: Reservation) -> None:
    """Return an attempt that turned out not to be a failure (it was never judged, or it succeeded)."""
    item = AttemptItem(*AttemptItem.key(reservation.budget.scope, reservation.name))
    try:
        item.update(
            actions=[AttemptItem.attempts.add(-1)],
            # Only into the window it was taken from; a new window has not counted it.
            condition=(AttemptItem.window_start == reservation.window_start) & (AttemptItem.attempts > 0),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def reset(budget: Budget, name: str) -> None:
    """A success: the window's failures are forgiven."""
    item = AttemptItem(*AttemptItem.key(budget.scope, name))
    try:
        item.update(actions=[AttemptItem.attempts.set(0)], condition=AttemptItem.pk.exists())
    except UpdateError as error:
        if not condition_failed(error):
            raise


# ----------------------------------------------------------------------------- staff: see and lift


@dataclass(frozen=True)
class Lock:
    """A number's open window of failed attempts, as staff see it on the contract."""

    attempts: int
    budget: int
    window_start: int  # epoch seconds of the window's first attempt
    window_end: int  # epoch seconds: the lock, if any, ends then on its own

    @property
    def locked(self) -> bool:
        return self.attempts >= self.budget


def _open_window(budget: Budget, name: str, now: float) -> tuple[AttemptItem, Lock] | None:
    try:
        item = AttemptItem.get(*AttemptItem.key(budget.scope, name), consistent_read=True)
    except AttemptItem.DoesNotExist:
        return None
    start, attempts = int(item.window_start or 0), int(item.attempts or 0)
    if attempts <= 0 or start <= int(now) - WINDOW_SECONDS:
        return None  # no failure counted, or the window is over: nothing holds the number
    return item, Lock(attempts, budget.attempts, start, start + WINDOW_SECONDS)


def current(budget: Budget, name: str, now: float) -> Lock | None:
    """The number's (or caller's) counted failures in the open window; None when there are none."""
    found = _open_window(budget, name, now)
    return found[1] if found else None


def release(budget: Budget, name: str, now: float, audit_item_of) -> bool:
    """Forgive the open window's failures (staff lifting a lock), in one transaction with the audit
    item `audit_item_of(lock)` builds. The counter is reset on the condition that it is still the
    window and count read, so an attempt counted meanwhile is not forgiven unseen. False when there
    was nothing to lift: nothing written (a repeated request changes nothing and audits nothing)."""
    for _ in range(3):
        found = _open_window(budget, name, now)
        if found is None:
            return False
        item, lock = found
        unchanged = (AttemptItem.window_start == lock.window_start) & (AttemptItem.attempts == lock.attempts)
        if transact(updates=[(item, [AttemptItem.attempts.set(0)], unchanged)], creates=[audit_item_of(lock)]):
            return True
    return False


LOCK_RELEASE = "lock-release"  # the audit action of lifting a number's lock


def _moment(epoch: int) -> str:
    return clock.to_jst(datetime.fromtimestamp(epoch, timezone.utc)).isoformat(timespec="seconds")


def lock_json(lock: Lock | None) -> dict | None:
    """The `lock` of the staff contract answer: null, or the open window of failed verifications
    of its number (`locked` once the budget is spent; `since` the window's first failure, `until`
    when it ends on its own)."""
    if lock is None:
        return None
    return {
        "locked": lock.locked, "attempts": lock.attempts, "budget": lock.budget,
        "since": _moment(lock.window_start), "until": _moment(lock.window_end),
    }


def contract_lock(number: str) -> dict | None:
    """The verification lock on a contract's number, as staff see it."""
    return lock_json(current(CONTRACT, number, time.time()))


def lift(caller: Caller, number: str, reason: str | None) -> dict:
    """Staff lift the verification lock on a number of their issuer's contract, with the reason in
    the contract's audit (`lock-release`: the failures forgiven, the window, who and why). Answers
    the lock as it is now (null). Nothing to lift: the same answer, nothing written."""
    contract = contract_actions.load(number, caller.staff_issuer)  # 404 for another issuer's, before the reason
    if reason is None:
        raise InputError(Problem("reason", "reason_required", "why the lock is lifted is required (it is kept in the audit)"))
    number = contract.contract_number
    at = clock.now()

    def audit_item(lock: Lock):
        return audit.entry(
            ContractItem.partition(number), LOCK_RELEASE, f"w{lock.window_start}-{lock.attempts}", caller.subject, at,
            contract_number=number, staff_issuer_id=caller.staff_issuer, staff_name=caller.name,
            reason=reason, attempts=lock.attempts, locked=lock.locked,
            since=_moment(lock.window_start), until=_moment(lock.window_end),
        )

    release(CONTRACT, number, time.time(), audit_item)
    return {"contract_number": number, "lock": contract_lock(number)}
