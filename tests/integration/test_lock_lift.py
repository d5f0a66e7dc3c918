"""The verification lock, visible: staff see a number's failed attempts on the contract and lift the
lock with a reason kept in the audit; the locked-out orderer is told whom to call, by the number
alone, so the answer says nothing of whether a contract has it."""
from __future__ import annotations

import pytest

from conftest import CONTRACTOR_A, ORDERER_ASHIKAGA, ORDERER_TOCHIGI, STAFF, STAFF_INSURER
from support.flows import issue_and_publish
from esurety.aws.models import AttemptItem
from esurety.domain.identifiers import contract_number
from esurety.services import issuers
from esurety.services.commands import lockout
from esurety.services.views import verification

WRONG = "ABCDEFGHJKLM"
START = 1_800_000_000.0  # 2027-01-15 17:00 JST
STAFF_HANAKO = {**STAFF, "name": "栃木 花子"}
TOTO_TOCHIGI = {"issuer_name": "東都建設保証株式会社", "branch_name": "栃木支店", "phone": "028-000-0000"}


@pytest.fixture
def clock(monkeypatch):
    now = {"t": START}
    monkeypatch.setattr(verification.time, "time", lambda: now["t"])  # the one time module: lockout's too
    return now


@pytest.fixture
def published(api, handlers):
    _, number, _ = issue_and_publish(api, handlers)
    return number, api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]


def attempt(api, number: str, key: str = WRONG, claims=ORDERER_TOCHIGI) -> tuple[int, dict]:
    return api.post("/verifications", claims, {"contract_number": number, "auth_key": key})


def lock_of(api, number: str, claims=STAFF) -> dict | None:
    status, seen = api.get(f"/staff/contracts/{number}", claims)
    assert status == 200, seen
    return seen["lock"]


def lift(api, number: str, body: dict | None, claims=STAFF_HANAKO) -> tuple[int, dict]:
    return api.post(f"/staff/contracts/{number}/lock-release", claims, body)


def test_staff_see_the_tries_then_the_lock_and_lift_it_with_a_reason(api, published, clock):
    number, key = published
    assert lock_of(api, number) is None
    for _ in range(2):
        assert attempt(api, number)[0] == 404
    assert lock_of(api, number) == {
        "locked": False, "attempts": 2, "budget": 5, "since": "2027-01-15T17:00:00+09:00", "until": "2027-01-15T17:15:00+09:00",
    }
    for _ in range(3):
        assert attempt(api, number)[0] == 404
    status, refused = attempt(api, number, key)  # the right key waits for the window like any other
    assert status == 429 and refused["contact"] == TOTO_TOCHIGI
    lock = lock_of(api, number)
    assert (lock["locked"], lock["attempts"], lock["until"]) == (True, 5, "2027-01-15T17:15:00+09:00")

    # No reason: refused, and the lock stays.
    for body in ({}, {"reason": "  "}):
        status, answer = lift(api, number, body)
        assert status == 422 and [(e["field"], e["code"]) for e in answer["errors"]] == [("reason", "reason_required")]
    assert lock_of(api, number)["locked"] is True

    status, lifted = lift(api, number, {"reason": "発注者（栃木県 技術管理課）から電話、本人確認済み"})
    assert (status, lifted) == (200, {"contract_number": number, "lock": None})
    assert lock_of(api, number) is None
    assert attempt(api, number, key)[0] == 200  # the orderer reads it at once
    (entry,) = [a for a in api.get(f"/staff/contracts/{number}", STAFF)[1]["audit"] if a["action"] == "lock-release"]
    assert (entry["staff_subject"], entry["staff_name"]) == ("staff-1", "栃木 花子")
    assert entry["details"]["reason"] == "発注者（栃木県 技術管理課）から電話、本人確認済み"
    assert entry["details"]["attempts"] == 5 and entry["details"]["locked"] is True

    # Again, or with nothing to lift: the same answer, nothing more in the audit.
    assert lift(api, number, {"reason": "再度"}) == (200, {"contract_number": number, "lock": None})
    audit = api.get(f"/staff/contracts/{number}", STAFF)[1]["audit"]
    assert [a["action"] for a in audit].count("lock-release") == 1


def test_a_number_typed_in_full_width_is_lifted_and_the_window_ends_on_its_own(api, published, clock):
    number, key = published
    for _ in range(5):
        attempt(api, number)
    typed = "".join("－" if c == "-" else chr(ord(c) + 0xFEE0) for c in number).lower()
    assert lift(api, typed, {"reason": "電話で確認"}) == (200, {"contract_number": number, "lock": None})
    for _ in range(2):
        attempt(api, number)
    clock["t"] += lockout.WINDOW_SECONDS + 1
    assert lock_of(api, number) is None  # the window is over: nothing holds the number


def test_another_issuers_staff_neither_see_nor_lift_it(api, published, clock):
    number, _ = published
    for _ in range(5):
        attempt(api, number)
    before = AttemptItem.get(*AttemptItem.key("contract", number)).attempts
    absent = api.get(f"/staff/contracts/{number}", STAFF_INSURER)
    assert absent[0] == 404
    assert lift(api, number, {"reason": "誤操作"}, {**STAFF_INSURER, "name": "見本 一郎"}) == absent
    assert lift(api, number, {}, STAFF_INSURER) == absent  # 404 before the missing reason: nothing told
    assert AttemptItem.get(*AttemptItem.key("contract", number)).attempts == before
    assert lock_of(api, number)["locked"] is True


def test_the_locked_out_orderer_is_told_whom_to_call_without_learning_whether_the_number_exists(api, published, clock):
    number, _ = published
    issuers.seed()
    missing = contract_number.make("31", 2024, "advance_payment", 900)
    known = [attempt(api, number) for _ in range(6)]
    absent = [attempt(api, missing, claims=ORDERER_ASHIKAGA) for _ in range(6)]
    assert [s for s, _ in known] == [404] * 5 + [429] == [s for s, _ in absent]
    assert known[-1] == absent[-1] and known[-1][1]["contact"] == TOTO_TOCHIGI

    # A number with the insurer's code names the insurer's branch, whether or not it was issued.
    insurers = contract_number.make("41", 2025, "contract", 7, issuer_code="51")
    statuses = [attempt(api, insurers, claims={**ORDERER_TOCHIGI, "sub": "orderer-3"}) for _ in range(6)]
    assert statuses[-1][0] == 429
    assert statuses[-1][1]["contact"] == {"issuer_name": "見本損害保険株式会社", "branch_name": "宇都宮支店", "phone": "028-000-1000"}
    # An issuer code no issuer has: the platform's first surety.
    nobody = contract_number.make("31", 2024, "advance_payment", 3, issuer_code="98")
    last = [attempt(api, nobody, claims={**ORDERER_TOCHIGI, "sub": "orderer-4"}) for _ in range(6)][-1]
    assert last[0] == 429 and last[1]["contact"]["issuer_name"] == "東都建設保証株式会社"
