"""The verification lockout holds under parallel guesses, counts unknown numbers like known ones,
and limits each orderer login as well as each number (services/commands/lockout.py)."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from conftest import (
    CONTRACTOR_A,
    ORDERER_ASHIKAGA,
    ORDERER_TOCHIGI,
    STAFF,
    LambdaContext,
    application_body,
    s3_put_event,
)
from esurety.domain.identifiers import contract_number
from esurety.aws import keys
from esurety.domain.errors import NotFound, TooManyAttempts
from esurety.domain.identity import from_event
from esurety.aws.models import AttemptItem
from esurety.services.commands import lockout
from esurety.services.views import verification

# DynamoDB applies each request atomically; moto's backend, shared by threads here, is made to (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("atomic_requests")

WRONG = "ABCDEFGHJKLM"
START = 1_800_000_000.0


def caller_of(claims: dict):
    return from_event({"requestContext": {"authorizer": {"jwt": {"claims": claims}}}})


def other_login_of_tochigi(n: int) -> dict:
    return {**ORDERER_TOCHIGI, "sub": f"orderer-tochigi-{n}"}


def issue(api, handlers, **overrides) -> str:
    _, created = api.post("/applications", CONTRACTOR_A, application_body(**overrides))
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    folder = "paper" if overrides.get("format") == "paper" else "certificates"
    if folder == "certificates":
        handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    return number


@pytest.fixture
def contract(api, handlers):
    return issue(api, handlers)


@pytest.fixture
def key(api, contract):
    return api.get(f"/contracts/{contract}", CONTRACTOR_A)[1]["auth_key"]


@pytest.fixture
def clock(monkeypatch):
    now = {"t": START}
    monkeypatch.setattr(verification.time, "time", lambda: now["t"])
    return now


def unknown(serial: int) -> str:
    return contract_number.make("31", 2024, "advance_payment", 500 + serial)


def answer(claims, number, typed) -> int:
    try:
        verification.verify(caller_of(claims), number, typed)
        return 200
    except NotFound:
        return 404
    except TooManyAttempts:
        return 429


class JudgeRendezvous:
    """Holds every guess that reaches the key comparison until each of the N guesses is either
    there or already answered: all guesses that got past the lockout are judged at once, the
    worst interleaving for a check-then-act lockout, and the same one on every run."""

    def __init__(self, total: int, compare):
        self.total, self.compare = total, compare
        self.condition = threading.Condition()
        self.settled = 0
        self.judged = 0

    def settle(self):
        with self.condition:
            self.settled += 1
            self.condition.notify_all()

    def matches(self, typed, digest):
        with self.condition:
            self.judged += 1
            self.settled += 1
            self.condition.notify_all()
            # A safety net against a hang, not a measure: every guess settles within moments.
            assert self.condition.wait_for(lambda: self.settled >= self.total, timeout=120)
        return self.compare(typed, digest)


@pytest.mark.parametrize("guesses", [10, 24])
def test_parallel_wrong_guesses_are_judged_at_most_five_times(api, contract, key, clock, monkeypatch, guesses):
    keys.pepper()  # read once, as a warm function has
    rendezvous = JudgeRendezvous(guesses, keys.matches)
    monkeypatch.setattr(keys, "matches", rendezvous.matches)
    logins = [other_login_of_tochigi(n) for n in range(guesses)]  # no caller budget is the limit here

    def guess(claims):
        status = answer(claims, contract, WRONG)
        if status == 429:
            rendezvous.settle()
        return status

    with ThreadPoolExecutor(max_workers=guesses) as pool:
        statuses = list(pool.map(guess, logins))
    print(f"\nparallel wrong guesses: judged {rendezvous.judged} of {guesses}")
    assert rendezvous.judged <= lockout.CONTRACT.attempts
    assert statuses.count(404) == rendezvous.judged and statuses.count(429) == guesses - rendezvous.judged

    monkeypatch.setattr(keys, "matches", rendezvous.compare)
    assert answer(ORDERER_TOCHIGI, contract, key) == 429  # the right key waits for the window too
    clock["t"] += lockout.WINDOW_SECONDS
    assert answer(ORDERER_TOCHIGI, contract, key) == 200


def test_an_unknown_number_is_answered_and_locked_like_a_known_one(api, contract, clock):
    missing = unknown(1)
    known = [api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": contract, "auth_key": WRONG}) for _ in range(6)]
    absent = [api.post("/verifications", ORDERER_ASHIKAGA, {"contract_number": missing, "auth_key": WRONG}) for _ in range(6)]
    assert [s for s, _ in known] == [404] * 5 + [429] == [s for s, _ in absent]
    assert known == absent  # the same bodies, 404 and 429 alike


def test_every_miss_takes_the_same_path(api, handlers, contract, key, clock, monkeypatch):
    """The same AWS requests and one HMAC for an unknown number, a wrong key, another orderer's
    contract and a paper one: nothing in the work done tells them apart."""
    paper = issue(api, handlers, format="paper")
    another = issue(api, handlers)  # each case is the first attempt on its number, as the counter's state counts
    another_key = api.get(f"/contracts/{another}", CONTRACTOR_A)[1]["auth_key"]
    keys.pepper()
    requests, hashed = [], []
    original_call, original_matches = BotocoreStubber.__call__, keys.matches

    def record(self, event_name, request, **kwargs):
        if event_name.startswith("before-send."):
            requests[-1].append(event_name.removeprefix("before-send."))
        return original_call(self, event_name, request, **kwargs)

    def counted(typed, digest):
        hashed[-1] += 1
        return original_matches(typed, digest)

    monkeypatch.setattr(BotocoreStubber, "__call__", record)
    monkeypatch.setattr(keys, "matches", counted)
    cases = [(ORDERER_TOCHIGI, unknown(2), key), (ORDERER_TOCHIGI, contract, WRONG), (ORDERER_ASHIKAGA, another, another_key), (ORDERER_TOCHIGI, paper, key)]
    for n, (claims, number, typed) in enumerate(cases):
        requests.append([])
        hashed.append(0)
        assert answer(other_login_of_tochigi(n) if claims is ORDERER_TOCHIGI else claims, number, typed) == 404
    assert hashed == [1] * len(cases)
    assert all(r == requests[0] for r in requests), requests
    assert requests[0] == ["dynamodb.UpdateItem", "dynamodb.UpdateItem", "dynamodb.GetItem"]


def test_one_login_trying_many_numbers_is_locked_after_its_budget(api, contract, key, clock):
    budget = lockout.CALLER.attempts
    statuses = [answer(ORDERER_TOCHIGI, unknown(n), WRONG) for n in range(budget)]
    assert statuses == [404] * budget
    assert answer(ORDERER_TOCHIGI, unknown(budget), WRONG) == 429
    assert answer(ORDERER_TOCHIGI, contract, key) == 429  # the login is locked, whatever the number
    # No number was locked by it: another login of the same orderer reads the contract at once.
    assert answer(other_login_of_tochigi(1), contract, key) == 200
    clock["t"] += lockout.WINDOW_SECONDS
    assert answer(ORDERER_TOCHIGI, contract, key) == 200


def test_a_locked_login_spends_no_numbers_attempts(api, contract, key, clock):
    for n in range(lockout.CALLER.attempts):
        answer(ORDERER_TOCHIGI, unknown(n), WRONG)
    for _ in range(10):
        assert answer(ORDERER_TOCHIGI, contract, WRONG) == 429
    with pytest.raises(AttemptItem.DoesNotExist):
        AttemptItem.get(*AttemptItem.key("contract", contract))
    # Five more failures, by other logins, are what it takes to lock the contract.
    assert [answer(other_login_of_tochigi(n), contract, WRONG) for n in range(6)] == [404] * 5 + [429]


def test_one_login_can_lock_few_contracts(api, handlers, clock):
    """Locking a contract costs five failures of the login's twenty: four contracts per window."""
    numbers = [unknown(n) for n in range(10)]
    locked = 0
    for number in numbers:
        statuses = [answer(ORDERER_TOCHIGI, number, WRONG) for _ in range(lockout.CONTRACT.attempts + 1)]
        locked += statuses[-1] == 429 and all(s == 404 for s in statuses[:-1])
    assert locked == lockout.CALLER.attempts // lockout.CONTRACT.attempts


def test_successes_spend_none_of_the_callers_budget(api, contract, key, clock):
    for n in range(lockout.CALLER.attempts - 1):
        assert answer(ORDERER_TOCHIGI, unknown(n), WRONG) == 404
    for _ in range(3):
        assert answer(ORDERER_TOCHIGI, contract, key) == 200
    assert answer(ORDERER_TOCHIGI, unknown(99), WRONG) == 404  # the twentieth failure
    assert answer(ORDERER_TOCHIGI, unknown(98), WRONG) == 429


def test_a_success_resets_the_numbers_count(api, contract, key, clock):
    for n in range(4):
        assert answer(other_login_of_tochigi(n), contract, WRONG) == 404
    assert answer(ORDERER_TOCHIGI, contract, key) == 200
    assert [answer(other_login_of_tochigi(n), contract, WRONG) for n in range(6)] == [404] * 5 + [429]


def test_failures_and_locks_are_logged_without_the_key(api, contract, key, clock, caplog):
    caplog.set_level(logging.INFO)
    typed = {"contract_number": contract.replace("-", "ー"), "auth_key": WRONG}
    for _ in range(6):
        api.post("/verifications", ORDERER_TOCHIGI, typed)
    api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": contract, "auth_key": key})
    records = [r for r in caplog.records if r.getMessage().startswith("verification ")]
    outcomes = [(r.getMessage(), getattr(r, "outcome", None), getattr(r, "lock_scope", None)) for r in records]
    assert outcomes == [("verification failed", "not-found", None)] * 5 + [
        ("verification lock engaged", "locked", "contract"),
        ("verification refused: locked", "refused-locked", "contract"),
        ("verification refused: locked", "refused-locked", "contract"),
    ]
    assert {r.contract_number for r in records} == {contract}  # normalised, as the counter is keyed
    assert {r.caller for r in records} == {ORDERER_TOCHIGI["sub"]}
    assert {getattr(r, "reason", None) for r in records[:5]} == {"wrong-key"}
    assert key not in caplog.text and WRONG not in caplog.text
