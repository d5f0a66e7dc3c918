"""変更: what a change may alter, the leaflet's price-only rule, and the fee it costs or returns."""
from __future__ import annotations

from datetime import date

import pytest

from esurety.domain.guarantee import changes
from esurety.domain.catalogue import fees

CONTENT = {
    "product": "advance_payment",
    "guarantee_amount": 20_000_000,
    "guarantee_deadline": "2025-03-31",
    "contract_price": 50_000_000,
    "period_start": "2024-04-01",
    "period_end": "2025-03-15",
    "issue_date": "2024-04-01",
    "work_name": "県道改良工事",
}
TODAY = date(2024, 10, 1)


def test_a_change_restates_everything_with_the_new_values():
    after = changes.apply_change(CONTENT, {"guarantee": {"amount": 24_000_000}}, TODAY)
    assert after["guarantee_amount"] == 24_000_000
    assert after["work_name"] == "県道改良工事"
    assert after["issue_date"] == "2024-10-01"
    assert changes.describe(CONTENT, after) == ["増額"]


def test_a_change_of_the_contract_price_alone_is_refused_with_the_leaflets_reason():
    problems = changes.change_problems(CONTENT, {"work": {"contract_price": 60_000_000}}, TODAY)
    assert [(p.field, p.reason) for p in problems] == [("work.contract_price", changes.PRICE_ONLY)]
    assert "変更手続きは不要" in problems[0].reason


def test_a_change_that_changes_nothing_is_refused():
    problems = changes.change_problems(CONTENT, {"guarantee": {"amount": 20_000_000}}, TODAY)
    assert problems[0].reason == changes.NOTHING_CHANGES


@pytest.mark.parametrize(
    "change, field",
    [
        ({"guarantee": {"amount": 60_000_000}}, "guarantee.amount"),  # above the price
        ({"work": {"period_end": "2025-06-30"}}, "guarantee.deadline"),  # no longer covers the works
        ({"guarantee": {"deadline": "2024-09-30"}}, "guarantee.deadline"),  # past
        ({"work": {"period_start": "2025-04-01"}}, "work.period_end"),
    ],
)
def test_a_change_must_leave_a_coherent_guarantee(change, field):
    assert field in [p.field for p in changes.change_problems(CONTENT, change, TODAY)]


def test_an_increase_and_an_extension_cost_the_difference_of_the_remaining_period():
    after = changes.apply_change(CONTENT, {"guarantee": {"amount": 24_000_000, "deadline": "2025-06-30"}}, TODAY)
    difference = changes.change_fee(CONTENT, after, TODAY)
    old = fees.quote("advance_payment", 20_000_000, TODAY, date(2025, 3, 31)).computed_fee
    new = fees.quote("advance_payment", 24_000_000, TODAY, date(2025, 6, 30)).computed_fee
    assert (difference.kind, difference.amount) == ("additional", new - old)
    assert difference.amount > 0 and difference.title == "保証料計算書"


def test_a_decrease_returns_the_difference():
    after = changes.apply_change(CONTENT, {"guarantee": {"amount": 10_000_000}}, TODAY)
    difference = changes.change_fee(CONTENT, after, TODAY)
    assert difference.kind == "refund" and difference.amount > 0
    assert difference.title == "保証料返還計算書"


def test_termination_returns_the_fee_of_the_days_after_it():
    refund = changes.termination_refund(CONTENT, date(2025, 3, 30))
    one_day = fees.quote("advance_payment", 20_000_000, date(2025, 3, 31), date(2025, 3, 31)).computed_fee
    assert (refund.kind, refund.amount) == ("refund", one_day)
    assert changes.termination_refund(CONTENT, date(2025, 3, 31)).kind == "none"  # nothing left to return
