"""The verification lockout: a budget of attempts per contract number and per caller, per window.

An attempt is reserved with one conditional UpdateItem *before* the key is judged, so parallel
guesses cannot all pass a check that has not yet counted them: DynamoDB applies each update
atomically, and the update that would exceed the budget fails instead of counting. The contract's
counter is keyed by the normalised number whether or not such a contract exists, so the lockout
answers alike for every number. See docs/decisions.md ("Verification lockout").
"""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import UpdateError

from ...domain.errors import TooManyAttempts
from ...aws.models import AttemptItem, condition_failed

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
