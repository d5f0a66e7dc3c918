"""保証料（見込み） (POST /applications/estimate): the application judged as POST /applications judges
it (the same 422 with every problem), nothing stored, and the fee the same computation as the
保証料計算書: issued the same day, the certificate's statement carries the estimated fee."""
from __future__ import annotations

import copy

from conftest import CONTRACTOR_A, STAFF, application_body
from esurety.aws.models import ApplicationItem
from esurety.domain.catalogue import fees
from support.flows import issue_and_publish, overview, pdf_text


def _stored() -> int:
    return len(list(ApplicationItem.queue.query("APPLICATIONS#submitted")))


def _body(**work):
    body = application_body()
    body["work"] = {**body["work"], **work}
    return body


def test_the_estimate_is_the_fee_the_issued_fee_statement_carries(api, handlers):
    status, estimate = api.post("/applications/estimate", CONTRACTOR_A, application_body())
    assert status == 200, estimate
    assert _stored() == 0
    assert estimate["issuer"]["issuer_id"] == "toto-hosho" and estimate["product_label"] == "前払金保証"
    assert estimate["issue_date"] == "2024-04-01" and estimate["deadline"] == "2025-03-31"
    assert estimate["days"] == 365  # 2024-04-01 to 2025-03-31, both included
    assert estimate["fee"] == sum(line["fee"] for line in estimate["lines"]) or estimate["minimum_applied"]
    assert estimate["breakdown"][-1] == f"保証料：{estimate['fee']:,} 円"
    assert estimate["request"]["guarantee"] == {"amount": 20_000_000, "deadline": "2025-03-31"}

    _, number, _ = issue_and_publish(api, handlers)
    [statement] = overview(api, number)["fee_statements"]
    assert statement["fee"] == estimate["fee"]
    assert f"{estimate['fee']:,}" in pdf_text(f"fees/{number}/v001.pdf")


def test_the_estimate_is_the_issuers_table_computed_as_the_statement_computes_it(api):
    body = application_body("contract", deposit_bank=None, guarantee={"amount": 15_000_000, "deadline": "令和7年3月31日"})
    status, estimate = api.post("/applications/estimate", CONTRACTOR_A, body)
    assert status == 200, estimate
    assert estimate["product_label"] == "契約保証"
    assert estimate["request"]["guarantee"]["deadline"] == "2025-03-31"  # typed 令和7年3月31日
    from esurety.services import issuers

    expected = fees.quote("contract", 15_000_000, "2024-04-01", "2025-03-31", fees.table_of(issuers.get_issuer("toto-hosho")))
    assert (estimate["fee"], estimate["days"], estimate["minimum_applied"]) == (expected.fee, expected.days, expected.minimum_applied)
    assert [line["formula"] for line in estimate["lines"]] == [expected.formula(line) for line in expected.lines]
    assert estimate["breakdown"] == list(expected.breakdown)
    assert estimate["table_name"] == (expected.table_name or "") and estimate["sample"] is expected.sample


def test_a_refused_estimate_answers_every_problem_as_an_application_does_and_stores_nothing(api):
    body = copy.deepcopy(application_body())
    body["contractor"]["name"] = ""
    body["deposit_bank"] = None
    body["guarantee"] = {"amount": 60_000_000, "deadline": "令和6年1月31日"}
    status, answer = api.post("/applications/estimate", CONTRACTOR_A, body)
    assert status == 422
    problems = sorted((e["field"], e["code"]) for e in answer["errors"])
    assert problems == sorted([
        ("contractor.name", "empty"),
        ("guarantee.amount", "amount_over_price"),
        ("guarantee.deadline", "deadline_in_past"),
        ("deposit_bank", "deposit_bank_required"),
    ])
    assert (status, answer) == api.post("/applications", CONTRACTOR_A, body)  # the same answer, word for word
    assert _stored() == 0
    assert api.get("/profile", CONTRACTOR_A)[1]["last_orderer_id"] is None


def test_the_contract_guarantees_rules_are_judged_before_a_fee_is_given(api):
    low = application_body("contract", deposit_bank="みどり銀行 本町支店", guarantee={"amount": 4_000_000, "deadline": "2025-03-31"})
    status, answer = api.post("/applications/estimate", CONTRACTOR_A, low)
    assert status == 422
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("guarantee.amount", "guarantee_below_contract_minimum")]
    low_bid = {**low, "guarantee": {"amount": 10_000_000, "deadline": "2025-03-31"}, "work": {**low["work"], "low_bid_investigation": True}}
    status, answer = api.post("/applications/estimate", CONTRACTOR_A, low_bid)
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("guarantee.amount", "guarantee_below_low_bid_minimum")]
    # 契約保証 asks for no 預託金融機関: one sent (prefilled from the profile) is dropped, not refused.
    status, estimate = api.post("/applications/estimate", CONTRACTOR_A, {**low_bid, "guarantee": {"amount": 15_000_000, "deadline": "2025-03-31"}})
    assert status == 200, estimate
    future = _body(contract_date="2024-04-05")
    status, answer = api.post("/applications/estimate", CONTRACTOR_A, future)
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("work.contract_date", "contract_date_in_future")]


def test_only_contractors_estimate(api):
    assert api.post("/applications/estimate", STAFF, application_body())[0] == 403
    assert api.post("/applications/estimate", {}, application_body())[0] == 403
