"""The rules between an application's fields, judged on a valid request and on what an invalid
one gives rightly (schemas.partial): a rule runs when every field it needs is valid, so one answer
lists every problem, and never judges a value the clerk must fix first."""
from __future__ import annotations

from datetime import date

import pytest

from esurety.domain.application import rules
from esurety.domain.application.schemas import UNKNOWN, ApplicationRequest, partial
from esurety.domain.guarantee.changes import change_problems

TODAY = date(2024, 4, 1)


def _body(product: str = "advance_payment", **work_and_guarantee) -> dict:
    body = {
        "product": product,
        "format": "paper",
        "branch_code": "31",
        "orderer": {"name": "那須町", "beneficiary_name": "那須町長"},
        "work": {"name": "町道改良工事", "kind": "construction", "contract_price": 50_000_000,
                 "contract_date": "2024-04-01", "period_start": "2024-04-02", "period_end": "2025-03-14"},
        "guarantee": {"amount": 20_000_000, "deadline": "2025-03-31"},
        "contractor": {"name": "丸山建設 株式会社", "address": "栃木県宇都宮市本町1-2-3"},
        "deposit_bank": "みどり銀行 本町支店" if product != "contract" else None,
    }
    for path, value in work_and_guarantee.items():
        group, name = path.split("__")
        body[group][name] = value
    return body


def _codes(body: dict) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in rules.application_problems(partial(ApplicationRequest, body), None, TODAY)]


def test_a_valid_request_and_its_partial_are_judged_alike():
    body = _body(guarantee__amount=60_000_000)
    valid = rules.application_problems(ApplicationRequest.model_validate(body), None, TODAY)
    assert valid == rules.application_problems(partial(ApplicationRequest, body), None, TODAY)
    assert [(p.field, p.code) for p in valid] == [("guarantee.amount", "amount_over_price")]


def test_the_partial_holds_each_valid_field_and_marks_the_wrong_ones():
    seen = partial(ApplicationRequest, _body(work__contract_price="５０，０００，０００", work__period_start="令和6年2月30日"))
    assert seen.work.contract_price == 50_000_000 and seen.work.period_start is UNKNOWN
    assert seen.work.contract_date == date(2024, 4, 1) and seen.guarantee.amount == 20_000_000
    empty = partial(ApplicationRequest, {"work": "not an object"})
    assert empty.product is UNKNOWN and empty.work.contract_price is UNKNOWN and empty.deposit_bank is None


@pytest.mark.parametrize("wrong, skipped", [
    ({"work__contract_price": "五千万", "guarantee__amount": 60_000_000}, "amount_over_price"),
    ({"guarantee__amount": 0, "work__contract_price": 1}, "amount_over_price"),
    ({"work__period_start": "x", "work__contract_date": "2024-03-01", "work__period_end": "2024-03-01"}, "period_end_before_start"),
    ({"guarantee__deadline": "2024-13-01"}, "deadline_in_past"),
    ({"work__period_end": "R6.2.30", "guarantee__deadline": "2024-05-01"}, "deadline_before_period_end"),
])
def test_a_rule_needing_a_wrong_field_is_skipped(wrong, skipped):
    assert skipped not in [code for _, code in _codes(_body(**wrong))]


def test_every_rule_that_can_be_judged_is_judged_at_once():
    body = _body(guarantee__amount=60_000_000, guarantee__deadline="2024-03-01", work__name="")
    body["deposit_bank"] = None
    assert sorted(_codes(body)) == [
        ("deposit_bank", "deposit_bank_required"), ("guarantee.amount", "amount_over_price"), ("guarantee.deadline", "deadline_in_past"),
    ]


def test_an_unknown_product_leaves_the_product_rules_unjudged():
    body = _body(guarantee__amount=1)
    body["product"], body["deposit_bank"] = "bond", None
    assert _codes(body) == []


@pytest.mark.parametrize("amount, low_bid, code", [
    (4_999_999, False, "guarantee_below_contract_minimum"),
    (5_000_000, False, None),
    (14_999_999, True, "guarantee_below_low_bid_minimum"),
    (15_000_000, True, None),
    (50_000_000, True, None),
])
def test_a_contract_guarantee_covers_a_tenth_or_three_tenths_after_a_low_bid_investigation(amount, low_bid, code):
    codes = _codes(_body("contract", guarantee__amount=amount, work__low_bid_investigation=low_bid))
    assert codes == ([("guarantee.amount", code)] if code else [])


def test_advance_payments_have_no_floor():
    assert _codes(_body(guarantee__amount=1)) == []


def test_a_contract_guarantee_needs_no_bank_and_drops_one_given():
    assert ApplicationRequest.model_validate({**_body("contract"), "deposit_bank": "みどり銀行"}).deposit_bank is None
    assert _codes(_body("contract")) == []
    assert ApplicationRequest.model_validate(_body()).deposit_bank == "みどり銀行 本町支店"


@pytest.mark.parametrize("contract_date, period_start, code", [
    ("2024-04-02", "2024-04-03", "contract_date_in_future"),
    ("2024-03-20", "2024-03-19", "contract_date_after_period_start"),
    ("2024-03-20", "2024-03-20", None),
    ("2024-04-01", "2024-04-02", None),
])
def test_the_contract_date_is_not_after_the_works_begin_nor_in_the_future(contract_date, period_start, code):
    codes = _codes(_body(work__contract_date=contract_date, work__period_start=period_start))
    assert codes == ([("work.contract_date", code)] if code else [])


CONTENT = {
    "product": "contract", "guarantee_amount": 5_000_000, "guarantee_deadline": "2025-03-31", "contract_price": 50_000_000,
    "period_start": "2024-04-02", "period_end": "2025-03-14",
}


def test_a_decrease_cannot_take_a_contract_guarantee_below_a_tenth():
    decrease = {"guarantee": {"amount": 4_000_000}, "work": {}}
    assert [(p.field, p.code) for p in change_problems(CONTENT, decrease, TODAY)] == [("guarantee.amount", "guarantee_below_contract_minimum")]
    smaller_price = {"guarantee": {"amount": 4_000_000}, "work": {"contract_price": 40_000_000, "period_end": "2025-03-20"}}
    assert change_problems(CONTENT, smaller_price, TODAY) == []
    # A raised price does not oblige an increase: the orderer may ask for one.
    price_up = {"guarantee": {}, "work": {"contract_price": 60_000_000, "period_end": "2025-03-20"}}
    assert change_problems(CONTENT, price_up, TODAY) == []


def test_a_change_with_a_wrong_field_judges_only_what_it_can():
    change = {"guarantee": {"amount": 60_000_000}, "work": {}}
    problems = change_problems(CONTENT, change, TODAY, unknown=frozenset({"work.period_end"}))
    assert [(p.field, p.code) for p in problems] == [("guarantee.amount", "amount_over_price")]
    assert change_problems(CONTENT, {"guarantee": {}, "work": {}}, TODAY, unknown=frozenset({"guarantee.amount"})) == []


# ----------------------------------------------------------------------------- the chosen issuer


def _issuer_codes(body: dict, issuer, orderer, today: date = date(2026, 1, 15)) -> list[tuple[str, str]]:
    judged = rules.application_problems(partial(ApplicationRequest, body), orderer, today, issuer)
    return [(p.field, p.code) for p in judged if p.field in ("issuer_id", "branch_code")]


def _registry():
    from esurety.domain.catalogue import issuer as catalogue
    from esurety.domain.catalogue import orderers

    by_id = {entry.issuer_id: entry for entry in catalogue.seed()}
    tochigi = next(o for o in orderers.seed() if o.orderer_id == "tochigi-pref")
    return by_id, tochigi


def _electronic(product: str = "contract", branch_code: str = "41", issuer_id: str | None = "mihon-sonpo") -> dict:
    body = {**_body(product), "format": "electronic", "orderer": None, "orderer_id": "tochigi-pref", "branch_code": branch_code}
    if issuer_id is not None:
        body["issuer_id"] = issuer_id
    return body


def test_an_orderer_accepts_an_issuers_kind_for_a_product_from_its_day_on():
    by_id, tochigi = _registry()
    assert _issuer_codes(_electronic(), by_id["mihon-sonpo"], tochigi) == []
    assert _issuer_codes(_electronic(), by_id["mihon-sonpo"], tochigi, date(2025, 11, 30)) == [("issuer_id", "issuer_kind_not_accepted")]
    bank = _electronic(branch_code="21", issuer_id="mirai-bank")
    assert _issuer_codes(bank, by_id["mirai-bank"], tochigi) == [("issuer_id", "issuer_kind_not_accepted")]
    assert _issuer_codes(bank, by_id["mirai-bank"], tochigi, date(2026, 4, 1)) == []


def test_an_issuer_is_judged_on_what_it_offers_its_branches_and_whether_it_takes_applications():
    import dataclasses

    from esurety.domain.catalogue.issuer import IssuerStatus

    by_id, tochigi = _registry()
    mihon = by_id["mihon-sonpo"]
    assert _issuer_codes(_electronic("advance_payment"), mihon, tochigi) == [("issuer_id", "issuer_not_offering_product")]
    assert _issuer_codes(_electronic(branch_code="31"), mihon, tochigi) == [("branch_code", "unknown_branch")]
    retired = dataclasses.replace(mihon, status=IssuerStatus.RETIRED)
    assert _issuer_codes(_electronic(), retired, tochigi) == [("issuer_id", "issuer_not_taking_applications")]
    assert _issuer_codes(_electronic(), None, tochigi) == [("issuer_id", "unknown_issuer")]
    # an issuer id given wrongly is answered by its own error; the branch waits for a known issuer
    assert _issuer_codes(_electronic(branch_code="99", issuer_id="見本 損保!"), None, tochigi) == []


def test_without_an_issuer_the_first_surety_and_its_branches_are_judged():
    by_id, tochigi = _registry()
    body = _electronic("advance_payment", branch_code="31", issuer_id=None)
    assert _issuer_codes(body, by_id["toto-hosho"], tochigi) == []
    judged = rules.application_problems(partial(ApplicationRequest, {**body, "branch_code": "41"}), tochigi, date(2026, 1, 15))
    assert ("branch_code", "unknown_branch") in [(p.field, p.code) for p in judged]  # 41 is the insurer's, not the surety's


def test_a_paper_guarantee_is_not_judged_on_the_orderers_issuer_kinds():
    by_id, tochigi = _registry()
    paper = {**_electronic(branch_code="21", issuer_id="mirai-bank"), "format": "paper"}
    assert _issuer_codes(paper, by_id["mirai-bank"], tochigi) == []
    outside = {**_body("contract"), "branch_code": "21", "issuer_id": "mirai-bank"}
    assert _issuer_codes(outside, by_id["mirai-bank"], None) == []
