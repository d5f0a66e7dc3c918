"""What the review desk shows beside the ids: names (orderer, contractor, who decided), the fee of
issuing an application today, and for an issued change the change it made, from the records."""
from __future__ import annotations

from conftest import CONTRACTOR_A, STAFF, application_body
from support.flows import EXTENSION, INCREASE, issue_and_publish, publish
from esurety.aws.models import VersionItem
from esurety.domain.catalogue import fees
from esurety.services import issuers

STAFF_HANAKO = {**STAFF, "name": "栃木 花子"}
STAFF_JIRO = {"cognito:groups": "[staff]", "sub": "staff-2", "name": "宇都宮 次郎"}


def staff_application(api, application_id: str) -> dict:
    status, seen = api.get(f"/staff/applications/{application_id}", STAFF)
    assert status == 200, seen
    return seen


def queue(api, status: str) -> list[dict]:
    code, page = api.get("/staff/applications", STAFF, query={"status": status})
    assert code == 200, page
    return page["applications"]


def test_a_waiting_application_shows_the_fee_issuing_it_would_charge(api):
    status, created = api.post("/applications", CONTRACTOR_A, application_body())
    assert status == 201, created
    seen = staff_application(api, created["application_id"])
    table = fees.table_of(issuers.get_issuer("toto-hosho"))
    quote = fees.quote("advance_payment", 20_000_000, "2024-04-01", "2025-03-31", table)
    assert seen["fee_estimate"] == {"fee": quote.fee, "days": 365, "table_name": "サンプル料率表"} and quote.fee > 0
    assert seen["decided_change"] is None

    # Issued, it states that very fee on its 保証料計算書; the estimate is gone (it is decided).
    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202, issued
    assert int(VersionItem.get(*VersionItem.key(issued["contract_number"], 1)).fee) == quote.fee
    assert staff_application(api, created["application_id"])["fee_estimate"] is None


def test_names_stand_beside_the_ids_in_the_queue_the_application_and_the_records(api, handlers):
    status, first = api.post("/applications", CONTRACTOR_A, application_body())
    status, second = api.post("/applications", CONTRACTOR_A, application_body(orderer_id="mlit"))
    assert status == 201, second
    rows = {r["application_id"]: r for r in queue(api, "submitted")}
    assert rows[first["application_id"]]["orderer_name"] == "栃木県" and rows[second["application_id"]]["orderer_name"] == "国土交通省"
    assert rows[first["application_id"]]["contractor_name"] == "丸山建設 株式会社"
    assert rows[first["application_id"]]["decided_by_name"] is None

    status, issued = api.post(f"/staff/applications/{first['application_id']}/issue", STAFF_HANAKO)
    assert status == 202, issued
    status, rejected = api.post(f"/staff/applications/{second['application_id']}/reject", STAFF_JIRO, {"reason": "書類不備のため"})
    assert status == 200, rejected

    (issued_row,) = queue(api, "issued")
    assert (issued_row["decided_by"], issued_row["decided_by_name"], issued_row["orderer_name"]) == ("staff-1", "栃木 花子", "栃木県")
    (rejected_row,) = queue(api, "rejected")
    assert (rejected_row["decided_by_name"], rejected_row["orderer_name"]) == ("宇都宮 次郎", "国土交通省")
    seen = staff_application(api, first["application_id"])
    assert (seen["decided_by_name"], seen["orderer_name"], seen["contractor_name"]) == ("栃木 花子", "栃木県", "丸山建設 株式会社")
    assert staff_application(api, second["application_id"])["decided_by_name"] == "宇都宮 次郎"

    number = issued["contract_number"]
    status, contract = api.get(f"/staff/contracts/{number}", STAFF)
    assert status == 200 and [(r["version"], r["decided_by_name"]) for r in contract["records"]] == [(1, "栃木 花子")]
    assert (contract["contractor_name"], contract["orderer_name"]) == ("丸山建設 株式会社", "栃木県")
    assert contract["work_name"] == "県道宇都宮線道路改良工事（その２）"
    assert [(a["action"], a["staff_name"]) for a in contract["audit"]] == [("issue", "栃木 花子")]


def test_a_decided_change_shows_the_change_it_made_not_todays_contract(api, handlers):
    _, number, _ = issue_and_publish(api, handlers)
    status, increase = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    assert status == 201, increase
    waiting = staff_application(api, increase["application_id"])
    assert waiting["decided_change"] is None and waiting["fee_estimate"] is None
    assert (waiting["orderer_name"], waiting["contractor_name"]) == ("栃木県", "丸山建設 株式会社")

    status, issued = api.post(f"/staff/applications/{increase['application_id']}/issue", STAFF_HANAKO)
    assert status == 202, issued
    publish(handlers, number, issued["version"], "2024-04-01T04:00:00.000Z")
    decided = staff_application(api, increase["application_id"])
    assert decided["decided_by_name"] == "栃木 花子"
    assert decided["decided_change"] == {
        "version": 2, "from_label": "新規", "to_label": "変更ー1",
        "fields": [{"field": "guarantee.amount", "label": "保証金額", "before": 20_000_000, "after": 30_000_000}],
    }

    # A later change moves the contract on; the first decision still shows what it changed.
    status, extension = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, EXTENSION)
    assert status == 201, extension
    assert api.post(f"/staff/applications/{extension['application_id']}/issue", STAFF)[0] == 202
    assert staff_application(api, increase["application_id"])["decided_change"] == decided["decided_change"]
    later = staff_application(api, extension["application_id"])["decided_change"]
    assert (later["from_label"], later["to_label"]) == ("変更ー1", "変更ー2")
    assert [(f["label"], f["before"], f["after"]) for f in later["fields"]] == [
        ("保証期限", "2025-03-31", "2025-09-30"), ("工期（至）", "2025-03-14", "2025-09-12"),
    ]


def test_each_record_states_its_facts_so_a_correction_opens_with_that_versions_values(api, handlers):
    """訂正 of 新規 after 変更ー1 is in force: the form's values are 新規's, not the contract's today."""
    _, number, _ = issue_and_publish(api, handlers)
    status, increase = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)
    assert status == 201, increase
    status, issued = api.post(f"/staff/applications/{increase['application_id']}/issue", STAFF)
    assert status == 202, issued
    publish(handlers, number, issued["version"], "2024-04-01T04:00:00.000Z")
    contract = api.get(f"/staff/contracts/{number}", STAFF)[1]
    facts = {r["version"]: r["facts"] for r in contract["records"]}
    assert (facts[1]["guarantee_amount"], facts[1]["label"]) == (20_000_000, "新規")
    assert (facts[2]["guarantee_amount"], facts[2]["label"]) == (30_000_000, "変更ー1")
    assert contract["in_force"]["guarantee_amount"] == 30_000_000
    assert facts[1]["work_name"] == contract["in_force"]["work_name"] and facts[1]["deposit_bank"]
