"""訂正: a shown certificate as it should have been printed (pure).

Staff name, in the application's shape (`work`, `guarantee`, `contractor`, `deposit_bank`), only
what was printed wrongly; the corrected certificate restates everything else of the record it
corrects, under that record's label (新規 or 変更ー k), with its own issue date (the day it is
issued). The corrected content must still hold together as an application's would (periods in
order, the guarantee within the price and covering the works, a deposit bank exactly for the
products that have one). A correction fixes what was printed; it does not change the fee.
"""
from __future__ import annotations

import copy
from datetime import date
from typing import Any, Mapping

from ..errors import InputError, Problem
from ..catalogue.products import Product, has_deposit_bank, label
from ..application.rules import interim_share_problem

# Request path -> content field (the contractor's fields live in content["contractor"]).
FIELDS = {
    "work.name": "work_name",
    "work.kind": "work_kind",
    "work.contract_price": "contract_price",
    "work.contract_date": "contract_date",
    "work.period_start": "period_start",
    "work.period_end": "period_end",
    "guarantee.amount": "guarantee_amount",
    "guarantee.deadline": "guarantee_deadline",
    "contractor.name": "name",
    "contractor.address": "address",
    "contractor.jv_name": "jv_name",
    "deposit_bank": "deposit_bank",
}
NULLABLE = frozenset({"contractor.jv_name", "deposit_bank"})  # printed only when present
NOTHING_NAMED = "names nothing to correct: give at least one of work, guarantee, contractor, deposit_bank"
NOTHING_CORRECTED = "corrects nothing: every value given is already printed on that version"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def requested(corrections: Mapping) -> dict[str, Any]:
    """{request path: value} of what a correction body names (only the fields it sets)."""
    out: dict[str, Any] = {}
    problems = []
    for group, value in corrections.items():
        if group == "deposit_bank":
            out["deposit_bank"] = value
            continue
        if value is None:
            continue  # `"work": null` names nothing
        for name, given in value.items():
            path = f"{group}.{name}"
            if path not in FIELDS:
                problems.append(Problem(path, "not_correctable", "is not a field a correction may set"))
            elif given is None and path not in NULLABLE:
                problems.append(Problem(path, "cannot_remove", "cannot be removed from a certificate: give the value to print"))
            else:
                out[path] = _plain(given)
    if problems:
        raise InputError(problems)
    return out


def same_certificate(a: Mapping, b: Mapping) -> bool:
    """Whether two contents print the same certificate but for their issue dates."""
    return {k: v for k, v in a.items() if k != "issue_date"} == {k: v for k, v in b.items() if k != "issue_date"}


def corrected(content: Mapping, corrections: Mapping, issue_date: date) -> dict:
    """The content of the record corrected (`content`) with `corrections`, issued on `issue_date`.

    InputError (422) when the body names nothing, changes nothing, or makes a certificate that
    does not hold together (each problem names the field).
    """
    updates = requested(corrections)
    if not updates:
        raise InputError(Problem("body", "nothing_named", NOTHING_NAMED))
    after = copy.deepcopy(dict(content))
    contractor = dict(after.get("contractor") or {})
    for path, value in updates.items():
        if path.startswith("contractor."):
            contractor[FIELDS[path]] = value
        else:
            after[FIELDS[path]] = value
    after["contractor"] = contractor
    if same_certificate(after, content):
        raise InputError(Problem("body", "nothing_corrected", NOTHING_CORRECTED))
    problems = correction_problems(after)
    if problems:
        raise InputError(problems)
    after["issue_date"] = issue_date.isoformat()
    return after


def correction_problems(after: Mapping) -> list[Problem]:
    """What does not hold together in a corrected content (the application's cross-field rules;
    dates in the past are not judged: a correction restates a certificate already issued)."""
    problems = []
    if after["period_end"] < after["period_start"]:
        problems.append(Problem("work.period_end", "period_end_before_start", "is before work.period_start"))
    if after["contract_date"] > after["period_end"]:
        problems.append(Problem("work.contract_date", "contract_date_after_period_end", "is after work.period_end"))
    if after["guarantee_amount"] > after["contract_price"]:
        problems.append(Problem("guarantee.amount", "amount_over_price", "exceeds work.contract_price"))
    if after["guarantee_deadline"] < after["period_end"]:
        problems.append(Problem("guarantee.deadline", "deadline_before_period_end", "is before work.period_end: the guarantee must cover the work"))
    product = after["product"]
    if product == Product.INTERIM_ADVANCE_PAYMENT.value:
        share = interim_share_problem(after["guarantee_amount"], after["contract_price"])
        if share:
            problems.append(share)
    if has_deposit_bank(product) and not after.get("deposit_bank"):
        problems.append(Problem("deposit_bank", "deposit_bank_required", f"is required for {label(product)}"))
    if not has_deposit_bank(product) and after.get("deposit_bank"):
        problems.append(Problem("deposit_bank", "deposit_bank_not_allowed", f"must be null for {label(product)}"))
    return problems


def describe(before: Mapping, after: Mapping) -> list[str]:
    """The request paths whose printed value the correction changes (for the audit and the answer)."""
    changed = []
    for path, field in FIELDS.items():
        if path.startswith("contractor."):
            old, new = (before.get("contractor") or {}).get(field), (after.get("contractor") or {}).get(field)
        else:
            old, new = before.get(field), after.get(field)
        if old != new:
            changed.append(path)
    return changed
