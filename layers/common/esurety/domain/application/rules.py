"""Business rules on an application: what pydantic cannot see field by field."""
from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from .. import error_codes
from ..errors import Problem
from ..catalogue.issuer import Issuer, load_issuer
from ..catalogue.orderers import Orderer
from ..catalogue.products import Product, has_deposit_bank, label
from .schemas import ApplicationRequest, Partial, known

HORIZON_YEARS = 10  # no date of an application lies more than this many years after today


def horizon(today: date) -> date:
    """The last date an application may name: the same day HORIZON_YEARS on (29 Feb: 28 Feb)."""
    try:
        return today.replace(year=today.year + HORIZON_YEARS)
    except ValueError:
        return today.replace(year=today.year + HORIZON_YEARS, day=28)


def _orderer_problems(request: ApplicationRequest | Partial, orderer: Orderer | None, today: date) -> list[Problem]:
    if not known(request.orderer_id, request.orderer, request.format):
        return []  # the wrong field's own error says it
    if request.orderer_id is not None and request.orderer is not None:
        return [Problem("orderer", "orderer_with_orderer_id", "must be null when orderer_id is given (an orderer of the registry)")]
    if request.orderer is not None:
        if request.format == "electronic":
            # Electronic guarantees exist only for the orderers of the registry, who verify them.
            return [Problem("orderer_id", "electronic_needs_registered_orderer", "is required for an electronic guarantee; an orderer outside the registry gets paper")]
        return []
    if request.orderer_id is None:
        return [Problem("orderer_id", "required", "is required")]
    if orderer is None:
        if request.format == "paper":
            return [Problem("orderer_id", "unknown_orderer", "unknown orderer; for an orderer outside the registry give orderer.name and orderer.beneficiary_name instead")]
        return [Problem("orderer_id", "unknown_orderer", "unknown orderer")]
    if known(request.product) and request.format == "electronic" and not orderer.accepts_electronic(request.product, today):
        if request.product not in orderer.products:
            return [Problem("format", "orderer_not_electronic_product",
                            f"{orderer.name} does not accept electronic {label(request.product)}; choose paper")]
        return [Problem("format", "orderer_not_electronic_yet",
                        f"{orderer.name} accepts electronic guarantees from {orderer.accepts_from.isoformat()}; choose paper")]
    return []


class _DefaultIssuer:
    """`application_problems` called without an issuer: the platform's first surety."""


DEFAULT_ISSUER = _DefaultIssuer()


def _issuer_problems(request: ApplicationRequest | Partial, orderer: Orderer | None, issuer: Issuer | None, today: date) -> list[Problem]:
    """The chosen issuer: in the registry, taking applications, offering the product, of a kind the
    orderer accepts for it; and the branch one of its branches.

    The kind is judged for electronic guarantees: an orderer's acceptances (as its accepts_from)
    say since when it takes electronic guarantees from issuers of a kind. A paper guarantee is
    judged by its orderer when it is handed over, as every paper guarantee is; the platform
    refuses only what the issuer does not offer (docs/decisions.md).
    """
    if not known(request.issuer_id):
        return []  # the field's own error says it; the branch is judged once the issuer is known
    if issuer is None:
        return [Problem("issuer_id", "unknown_issuer", "is not an issuer of the registry (GET /issuers)")]
    problems = []
    if not issuer.takes_applications():
        problems.append(Problem("issuer_id", "issuer_not_taking_applications",
                                f"{issuer.company} takes no applications ({issuer.status.value})"))
    if known(request.product):
        if not issuer.offers(request.product):
            problems.append(Problem("issuer_id", "issuer_not_offering_product", f"{issuer.company} does not offer {label(request.product)}"))
        elif (
            orderer is not None and orderer.orderer_id is not None and known(request.format) and request.format == "electronic"
            and not orderer.accepts_issuer_kind(issuer.kind, request.product, today)
        ):
            problems.append(Problem("issuer_id", "issuer_kind_not_accepted",
                                    f"{orderer.name} does not accept {label(request.product)} from a {issuer.kind.value} ({issuer.kind_label}) today"))
    if known(request.branch_code) and request.branch_code not in {branch.code for branch in issuer.branches}:
        codes = ", ".join(sorted(branch.code for branch in issuer.branches))
        problems.append(Problem("branch_code", "unknown_branch", f"is not a branch of {issuer.company} (branches: {codes})"))
    return problems


# 中間前払金 is an extra advance of at most 2割 of the contract price (LIFECYCLE.md §1.6).
INTERIM_SHARE = (2, 10)

# 契約保証 covers at least 1/10 of the contract price, 3/10 where the award went through a
# 低入札価格調査 (LIFECYCLE.md, 契約保証 amount; 公共工事標準請負契約約款 第4条).
CONTRACT_MINIMUM = (1, 10)
CONTRACT_MINIMUM_LOW_BID = (3, 10)


def interim_share_problem(amount: int, contract_price: int) -> Problem | None:
    """The 2割 rule of 中間前払金保証, for an application and for a 訂正 alike (domain/guarantee/amendments.py)."""
    numerator, denominator = INTERIM_SHARE
    if amount * denominator > contract_price * numerator:
        return Problem("guarantee.amount", "interim_over_share", "exceeds 2割 of work.contract_price (中間前払金は請負代金額の2割以内)")
    return None


def contract_minimum_problem(amount: int, contract_price: int, low_bid_investigation: bool = False) -> Problem | None:
    """契約保証's floor: 1/10 of the price (3/10 after a 低入札価格調査), for an application and a change."""
    numerator, denominator = CONTRACT_MINIMUM_LOW_BID if low_bid_investigation else CONTRACT_MINIMUM
    if amount * denominator < contract_price * numerator:
        if low_bid_investigation:
            return Problem("guarantee.amount", "guarantee_below_low_bid_minimum",
                           "is below 3/10 of work.contract_price (低入札価格調査を経た契約の契約保証は請負代金額の10分の3以上)")
        return Problem("guarantee.amount", "guarantee_below_contract_minimum",
                       "is below 1/10 of work.contract_price (契約保証は請負代金額の10分の1以上)")
    return None


def _interim_problems(request: ApplicationRequest | Partial) -> list[Problem]:
    """中間前払金保証 needs the orderer's 認定調書 and the 前払金保証 it follows; no other product names them."""
    if request.product != Product.INTERIM_ADVANCE_PAYMENT:
        return [
            Problem(field, "only_for_interim", f"is only for {label(Product.INTERIM_ADVANCE_PAYMENT)}")
            for field in ("upload_id", "advance_contract_number")
            if getattr(request, field) is not None and known(getattr(request, field))
        ]
    problems = []
    if request.upload_id is None:
        problems.append(Problem("upload_id", "upload_required", "is required: upload the orderer's 認定調書 (POST /applications/uploads) and name it here"))
    if request.advance_contract_number is None:
        problems.append(Problem("advance_contract_number", "advance_contract_required", "is required: the contract number of the 前払金保証 of this work"))
    if known(request.guarantee.amount, request.work.contract_price):
        share = interim_share_problem(request.guarantee.amount, request.work.contract_price)
        if share:
            problems.append(share)
    return problems


def application_problems(
    request: ApplicationRequest | Partial, orderer: Orderer | None, today: date, issuer: Issuer | None | _DefaultIssuer = DEFAULT_ISSUER
) -> list[Problem]:
    """Every cross-field rule of an application that its fields let judge.

    `request` is a valid request, or the `Partial` of an invalid one: a rule that needs a field
    given wrongly is skipped (that field's own error is answered), so one 422 lists every problem.
    `orderer` is the registry's entry for `request.orderer_id` (None when absent or unknown);
    `issuer` the registry's entry the application goes to (None: `request.issuer_id` is unknown).
    """
    if isinstance(issuer, _DefaultIssuer):
        issuer = load_issuer()
    problems = _orderer_problems(request, orderer, today)
    problems += _issuer_problems(request, orderer, issuer, today)
    work, guarantee = request.work, request.guarantee
    last = horizon(today)
    for field, day in (
        ("work.contract_date", work.contract_date),
        ("work.period_start", work.period_start),
        ("work.period_end", work.period_end),
        ("guarantee.deadline", guarantee.deadline),
    ):
        if known(day) and day > last:
            problems.append(Problem(field, "too_far_ahead", f"is more than {HORIZON_YEARS} years ahead (after {last.isoformat()})"))
    if known(work.period_start, work.period_end) and work.period_end < work.period_start:
        problems.append(Problem("work.period_end", "period_end_before_start", "is before work.period_start"))
    if known(work.contract_date):
        if work.contract_date > today:
            problems.append(Problem("work.contract_date", "contract_date_in_future",
                                    "is in the future: give the date the works contract was signed (請負契約日)"))
        elif known(work.period_start) and work.contract_date > work.period_start:
            problems.append(Problem("work.contract_date", "contract_date_after_period_start",
                                    "is after work.period_start: the works contract is signed before the works begin"))
    if known(guarantee.amount, work.contract_price):
        if guarantee.amount > work.contract_price:
            problems.append(Problem("guarantee.amount", "amount_over_price", "exceeds work.contract_price"))
        elif known(request.product, work.low_bid_investigation) and request.product == Product.CONTRACT:
            minimum = contract_minimum_problem(guarantee.amount, work.contract_price, work.low_bid_investigation)
            if minimum:
                problems.append(minimum)
    if known(guarantee.deadline):
        if guarantee.deadline < today:
            problems.append(Problem("guarantee.deadline", "deadline_in_past", "is in the past"))
        elif known(work.period_end) and guarantee.deadline < work.period_end:
            problems.append(Problem("guarantee.deadline", "deadline_before_period_end", "is before work.period_end: the guarantee must cover the work"))
    if not known(request.product):
        return problems  # what remains depends on the product
    problems += _interim_problems(request)
    # A 預託金融機関 given with 契約保証 is dropped by the schema (ApplicationRequest), not refused.
    if has_deposit_bank(request.product) and known(request.deposit_bank) and not request.deposit_bank:
        problems.append(Problem("deposit_bank", "deposit_bank_required", f"is required for {label(request.product)}"))
    return problems


def issue_problems(
    stored_request: dict, orderer: Orderer | None, today: date, issuer: Issuer | None | _DefaultIssuer = DEFAULT_ISSUER
) -> list[Problem]:
    """What stands in the way of issuing a stored application today.

    The application was valid when it was submitted; the world may have moved since: the deadline
    passed, the orderer left the registry or stopped accepting electronic guarantees (of this
    product, or from issuers of this kind), the issuer stopped taking applications or closed the
    branch, or this system's limits changed. Every rule of a new application is judged again, on
    the stored request, as of today. `issuer` is the application's (ApplicationItem.issuer_id).
    """
    try:
        request = ApplicationRequest.model_validate(stored_request)
    except ValidationError as error:
        return [
            Problem(".".join(str(p) for p in e.get("loc", ())) or "request", *error_codes.from_pydantic(e))
            for e in error.errors()
        ]
    problems = application_problems(request, orderer, today, issuer)
    for problem in problems:
        if problem.field == "guarantee.deadline" and problem.code == "deadline_in_past":
            problems[problems.index(problem)] = Problem(problem.field, "deadline_passed", "has passed since the application")
        if problem.field == "orderer_id" and problem.code == "unknown_orderer":
            problems[problems.index(problem)] = Problem(problem.field, "orderer_left_registry", "is no longer in the orderer registry")
    return problems
