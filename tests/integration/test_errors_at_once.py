"""One 422 lists every problem of an application or a change: the field errors and the rules
between fields (保証金額 over 請負金額, the missing bank, a deadline in the past) together, so a
clerk fixes everything in one round; a rule whose field is itself wrong is left to that field's
error. Dates typed as people write them (令和8年12月1日, R8.12.1) are taken on every date field, and
契約保証's own rules (1/10, 3/10 after a 低入札価格調査, the 請負契約日) are answered with their codes."""
from __future__ import annotations

import copy

from conftest import CONTRACTOR_A, CONTRACTOR_B, application_body
from esurety.aws import applications_repository
from esurety.aws.models import ApplicationItem
from esurety.domain import error_codes
from support.flows import terminate


def _with(body: dict, **paths) -> dict:
    body = copy.deepcopy(body)
    for path, value in paths.items():
        *parents, last = path.split("__")
        target = body
        for part in parents:
            target = target[part]
        target[last] = value
    return body


def _stored() -> int:
    return len(list(ApplicationItem.queue.query("APPLICATIONS#submitted")))


def _problems(answer: dict) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in answer["errors"]]


def test_field_errors_and_cross_field_rules_come_in_one_answer(api):
    body = _with(
        application_body(),
        contractor__name="",  # a field error
        deposit_bank=None,  # 前払金保証 without its bank
        guarantee__amount=60_000_000,  # over the 50,000,000 price
        guarantee__deadline="2024-01-31",  # in the past
    )
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422
    assert sorted(_problems(answer)) == sorted([
        ("contractor.name", "empty"),
        ("guarantee.amount", "amount_over_price"),
        ("guarantee.deadline", "deadline_in_past"),
        ("deposit_bank", "deposit_bank_required"),
    ])
    assert answer["errors"][0]["field"] == "contractor.name"  # the field errors first
    assert all(e["code"] in error_codes.MESSAGES and e["reason"] for e in answer["errors"])
    assert _stored() == 0


def test_a_rule_whose_field_is_wrong_is_left_to_that_fields_error(api):
    body = _with(application_body(), work__contract_price="五千万", guarantee__amount=60_000_000, work__period_start="令和6年2月30日")
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422
    assert sorted(_problems(answer)) == [("work.contract_price", "not_yen_amount"), ("work.period_start", "not_a_calendar_date")]


def test_an_unknown_orderer_is_answered_beside_a_field_error(api):
    status, answer = api.post("/applications", CONTRACTOR_A, _with(application_body(), orderer_id="nowhere-town", work__name=""))
    assert status == 422
    assert sorted(_problems(answer)) == [("orderer_id", "unknown_orderer"), ("work.name", "empty")]


def test_an_application_dated_in_wareki_and_full_width_is_stored_in_iso(api):
    body = _with(
        application_body(),
        work__contract_date="令和6年4月1日",
        work__period_start="R6.4.2",
        work__period_end="２０２５／３／１４",
        guarantee__deadline="令和７年３月３１日",
    )
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 201, answer
    work = applications_repository.get(answer["application_id"]).request["work"]
    assert (work["contract_date"], work["period_start"], work["period_end"]) == ("2024-04-01", "2024-04-02", "2025-03-14")


# ---------------------------------------------------------------- 契約保証 and the 請負契約日


def test_a_contract_guarantee_below_one_tenth_of_the_price_is_refused(api):
    status, answer = api.post("/applications", CONTRACTOR_A, _with(application_body("contract"), guarantee__amount=4_999_999))
    assert status == 422 and _problems(answer) == [("guarantee.amount", "guarantee_below_contract_minimum")]
    assert "10分の1" in error_codes.MESSAGES["guarantee_below_contract_minimum"]
    status, answer = api.post("/applications", CONTRACTOR_A, _with(application_body("contract"), guarantee__amount=5_000_000))
    assert status == 201, answer


def test_after_a_low_bid_investigation_the_floor_is_three_tenths(api):
    low_bid = _with(application_body("contract"), guarantee__amount=14_999_999, work__low_bid_investigation=True)
    status, answer = api.post("/applications", CONTRACTOR_A, low_bid)
    assert status == 422 and _problems(answer) == [("guarantee.amount", "guarantee_below_low_bid_minimum")]
    status, answer = api.post("/applications", CONTRACTOR_A, _with(low_bid, guarantee__amount=15_000_000))
    assert status == 201, answer


def test_the_floor_is_a_contract_guarantee_rule_only(api):
    status, answer = api.post("/applications", CONTRACTOR_A, _with(application_body(), guarantee__amount=1_000_000))
    assert status == 201, answer  # a 前払金保証 of 2 % of the price is the orderer's business


def test_a_contract_date_after_the_works_begin_or_in_the_future_is_refused(api):
    after_start = _with(application_body(), work__contract_date="2024-03-20", work__period_start="2024-03-15")
    status, answer = api.post("/applications", CONTRACTOR_A, after_start)
    assert status == 422 and _problems(answer) == [("work.contract_date", "contract_date_after_period_start")]
    future = _with(application_body(), work__contract_date="2024-04-02")  # the clock says 2024-04-01
    status, answer = api.post("/applications", CONTRACTOR_A, future)
    assert status == 422 and _problems(answer) == [("work.contract_date", "contract_date_in_future")]
    assert _stored() == 0


# ---------------------------------------------------------------- changes and the staff's 解約


def test_a_change_lists_its_field_error_and_its_rule_together(api, contract):
    number, _ = contract
    body = {"guarantee": {"amount": 60_000_000}, "work": {"period_end": "令和7年2月30日"}, "reason": "増額"}
    status, answer = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, body)
    assert status == 422
    assert sorted(_problems(answer)) == [("guarantee.amount", "amount_over_price"), ("work.period_end", "not_a_calendar_date")]
    assert _stored() == 0  # the contract's own application was issued: nothing waits


def test_a_change_dated_in_wareki_is_taken(api, contract):
    number, _ = contract
    body = {"guarantee": {"deadline": "R7.6.30"}, "work": {"period_end": "令和7年6月13日"}, "reason": "工期延長"}
    status, answer = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, body)
    assert status == 201, answer
    change = applications_repository.get(answer["application_id"]).request["change"]
    assert (change["guarantee"]["deadline"], change["work"]["period_end"]) == ("2025-06-30", "2025-06-13")


def test_another_companys_contract_is_not_found_whatever_the_body(api, contract):
    number, _ = contract
    status, answer = api.post(f"/contracts/{number}/changes", CONTRACTOR_B, {"guarantee": {"amount": "x"}, "reason": "増額"})
    assert status == 404 and answer["code"] == "not_found"


def test_the_staffs_termination_date_is_taken_in_wareki_and_an_impossible_one_named(api, contract, sent_mail):
    number, _ = contract
    status, answer = terminate(api, number, {"kind": "cancelled", "date": "令和6年2月30日", "reason": "工事の中止"})
    assert status == 422 and _problems(answer) == [("date", "not_a_calendar_date")]
    status, answer = terminate(api, number, {"kind": "cancelled", "date": "令和６年１０月１日", "reason": "工事の中止"})
    assert status == 200, answer
    status, refused = terminate(api, number, {"kind": "cancelled", "date": "2024-11-01", "reason": "工事の中止"})
    assert status == 409 and refused["current"]["ending"]["date"] == "2024-10-01"
