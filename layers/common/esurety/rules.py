"""Business rules on an application: what pydantic cannot see field by field."""
from __future__ import annotations

from datetime import date

from .errors import Problem
from .orderers import Orderer
from .products import has_deposit_bank, label
from .schemas import ApplicationRequest


def application_problems(request: ApplicationRequest, orderer: Orderer | None, today: date) -> list[Problem]:
    problems: list[Problem] = []
    work, guarantee = request.work, request.guarantee
    if orderer is None:
        problems.append(Problem("orderer_id", "unknown orderer"))
    elif request.format == "electronic" and not orderer.accepts_electronic(request.product, today):
        if request.product not in orderer.products:
            reason = f"{orderer.name} does not accept electronic {label(request.product)}; choose paper"
        else:
            reason = f"{orderer.name} accepts electronic guarantees from {orderer.accepts_from.isoformat()}; choose paper"
        problems.append(Problem("format", reason))
    if work.period_end < work.period_start:
        problems.append(Problem("work.period_end", "is before work.period_start"))
    if work.contract_date > work.period_end:
        problems.append(Problem("work.contract_date", "is after work.period_end"))
    if guarantee.amount > work.contract_price:
        problems.append(Problem("guarantee.amount", "exceeds work.contract_price"))
    if guarantee.deadline < today:
        problems.append(Problem("guarantee.deadline", "is in the past"))
    elif guarantee.deadline < work.period_end:
        problems.append(Problem("guarantee.deadline", "is before work.period_end: the guarantee must cover the work"))
    if has_deposit_bank(request.product) and not request.deposit_bank:
        problems.append(Problem("deposit_bank", f"is required for {label(request.product)}"))
    if not has_deposit_bank(request.product) and request.deposit_bank:
        problems.append(Problem("deposit_bank", f"must be null for {label(request.product)}"))
    return problems
