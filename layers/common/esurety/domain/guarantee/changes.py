"""変更 (a change of the guarantee contract) and what it costs or returns (pure).

A change restates the whole certificate (the leaflet: 「変更後の契約内容を表示します」). What may
change is the guarantee amount (増額 / 減額), its deadline (保証期限) and the works period (工期);
the contract price (請負金額) may change with them. A change of the contract price alone is refused:
the leaflet's note 2 says it does not affect the guarantee and needs no change procedure.

Fees (sample method, as the rate table is a sample; docs/decisions.md): the fee of the remaining
period is quoted for the content before and after the change, both from the change's issue date;
a positive difference is charged (追加保証料, on 増額 or extension), a negative one returned
(保証料返還, on 減額 or a shortened deadline). 解約 returns the fee of the days after its date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Mapping

from ..catalogue import fees
from ..application.rules import contract_minimum_problem
from ..errors import Problem

PRICE_ONLY = (
    "a change of the contract price alone does not affect the guarantee and needs no change procedure "
    "(請負金額のみの変更は保証に影響がないため、変更手続きは不要です)"
)
NOTHING_CHANGES = "changes nothing: give a new guarantee amount, deadline or works period"

# Fields of the certificate content a change may set, by the request's path.
CHANGEABLE = {
    "guarantee.amount": "guarantee_amount",
    "guarantee.deadline": "guarantee_deadline",
    "work.period_start": "period_start",
    "work.period_end": "period_end",
    "work.contract_price": "contract_price",
}
GUARANTEE_FIELDS = ("guarantee_amount", "guarantee_deadline", "period_start", "period_end")
# What people call each of them (the certificate's own words).
CHANGEABLE_LABELS = {
    "guarantee.amount": "保証金額",
    "guarantee.deadline": "保証期限",
    "work.period_start": "工期（自）",
    "work.period_end": "工期（至）",
    "work.contract_price": "請負金額",
}


def requested(change: Mapping) -> dict:
    """The content fields a change request sets ({content field: value}), dates as YYYY-MM-DD."""
    out = {}
    for path, field in CHANGEABLE.items():
        group, name = path.split(".")
        value = (change.get(group) or {}).get(name)
        if value is not None:
            out[field] = value.isoformat() if isinstance(value, date) else value
    return out


def apply_change(content: Mapping, change: Mapping, issue_date: date) -> dict:
    """The certificate content after the change: everything restated, the new values in place."""
    return {**content, **requested(change), "issue_date": issue_date.isoformat()}


def change_problems(content: Mapping, change: Mapping, today: date, unknown: frozenset[str] = frozenset()) -> list[Problem]:
    """What is wrong with a change of `content` (the version in force) as requested.

    `unknown` are the request paths (`guarantee.amount`, …) given wrongly: their own errors are
    answered, and a rule that needs one of them is skipped, so one 422 lists every problem.
    """
    new_values = requested(change)
    moved = {field for field, value in new_values.items() if content.get(field) != value}
    if not unknown:
        if not moved:
            return [Problem("body", "nothing_changes", NOTHING_CHANGES)]
        if moved == {"contract_price"}:
            return [Problem("work.contract_price", "price_change_alone", PRICE_ONLY)]
    after = {**content, **new_values}

    def judged(*paths: str) -> bool:
        return not unknown.intersection(paths)

    problems = []
    if judged("work.period_start", "work.period_end") and after["period_end"] < after["period_start"]:
        problems.append(Problem("work.period_end", "period_end_before_start", "is before work.period_start"))
    if judged("guarantee.amount", "work.contract_price"):
        if after["guarantee_amount"] > after["contract_price"]:
            problems.append(Problem("guarantee.amount", "amount_over_price", "exceeds work.contract_price"))
        elif content.get("product") == "contract" and after["guarantee_amount"] < content["guarantee_amount"]:
            # A 減額 of 契約保証 stops at 1/10 of the price. A price raised alone does not oblige an
            # increase (the orderer may ask for one: LIFECYCLE.md), so only a decrease is judged; and
            # the content does not say whether the award went through a 低入札価格調査 (3/10 is
            # judged on the application), so a change is held to the 1/10 floor.
            minimum = contract_minimum_problem(after["guarantee_amount"], after["contract_price"])
            if minimum:
                problems.append(minimum)
    if judged("guarantee.deadline"):
        if after["guarantee_deadline"] < today.isoformat():
            problems.append(Problem("guarantee.deadline", "deadline_in_past", "is in the past"))
        elif judged("work.period_end") and after["guarantee_deadline"] < after["period_end"]:
            problems.append(Problem("guarantee.deadline", "deadline_before_period_end", "is before work.period_end: the guarantee must cover the work"))
    return problems


def describe(before: Mapping, after: Mapping) -> list[str]:
    """The kinds of change in words people use: 増額, 減額, 保証期限延長, 保証期限短縮, 工期変更."""
    words = []
    if after["guarantee_amount"] > before["guarantee_amount"]:
        words.append("増額")
    elif after["guarantee_amount"] < before["guarantee_amount"]:
        words.append("減額")
    if after["guarantee_deadline"] > before["guarantee_deadline"]:
        words.append("保証期限延長")
    elif after["guarantee_deadline"] < before["guarantee_deadline"]:
        words.append("保証期限短縮")
    if (after["period_start"], after["period_end"]) != (before["period_start"], before["period_end"]):
        words.append("工期変更")
    return words


@dataclass(frozen=True)
class FeeDifference:
    """What a change or an end costs (additional) or returns (refund), in yen, with its quotes."""

    kind: str  # "additional" | "refund" | "none"
    amount: int  # ≥ 0
    before: fees.FeeQuote | None
    after: fees.FeeQuote | None

    @property
    def title(self) -> str:
        return "保証料返還計算書" if self.kind == "refund" else "保証料計算書"


def _remaining(content: Mapping, start: date, table) -> fees.FeeQuote | None:
    deadline = date.fromisoformat(content["guarantee_deadline"])
    if deadline < start:
        return None  # nothing of this guarantee remains after `start`
    return fees.quote(content["product"], content["guarantee_amount"], start, deadline, table)


def _lines_total(quote: fees.FeeQuote | None) -> int:
    # The minimum fee applies to a whole guarantee, not to a remainder: compare the computed lines.
    return quote.computed_fee if quote else 0


def change_fee(before: Mapping, after: Mapping, issue_date: date, table=None) -> FeeDifference:
    old, new = _remaining(before, issue_date, table), _remaining(after, issue_date, table)
    difference = _lines_total(new) - _lines_total(old)
    kind = "additional" if difference > 0 else "refund" if difference < 0 else "none"
    return FeeDifference(kind, abs(difference), old, new)


def withdrawal_fee(before: Mapping, after: Mapping, issue_date: date, table=None) -> FeeDifference:
    """変更取消 of the change from `before` to `after` issued on `issue_date`: its difference reversed.

    The change is withdrawn as if it had not been made, so what it charged is returned (a withdrawn
    追加保証料) and what it returned is charged again (a withdrawn 保証料返還), in full, computed as
    the change was (`before` of the statement is the withdrawn content, `after` the one in force again).
    """
    change = change_fee(before, after, issue_date, table)
    kind = {"additional": "refund", "refund": "additional"}.get(change.kind, "none")
    return FeeDifference(kind, change.amount, change.after, change.before)


def termination_refund(content: Mapping, ended_on: date, table=None) -> FeeDifference:
    """解約 on `ended_on`: the fee of the days after it is returned."""
    old = _remaining(content, ended_on + timedelta(days=1), table)
    amount = _lines_total(old)
    return FeeDifference("refund" if amount else "none", amount, old, None)


def differences(before: Mapping, after: Mapping) -> list[dict]:
    """The fields a change moved, each `{field, label, before, after}` (request paths, the
    certificate's words, the values as stored: yen as integers, dates as YYYY-MM-DD), in the
    order of CHANGEABLE."""
    return [
        {"field": path, "label": CHANGEABLE_LABELS[path], "before": before.get(name), "after": after.get(name)}
        for path, name in CHANGEABLE.items()
        if before.get(name) != after.get(name)
    ]
