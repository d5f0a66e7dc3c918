"""Four eyes (承認): an issuer that wants a second staff member on 発行, 訂正 and 解約 / 履行請求.

Asserted as staff notice it: the maker's decision answers 202 with an `Approval` and nothing
happens to the application or contract yet; the maker cannot approve it (403 with a code); a
different staff member of the same issuer approves it (the certificate is issued, decided by the
maker, the audit naming both) or returns it with a reason; staff of another issuer see nothing;
with the setting off everything is one step as before; a repeated or raced approval issues once.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import CONTRACTOR_A, STAFF_INSURER, STAFF_TOTO, application_body
from esurety.aws.models import ApplicationItem, AuditItem, ContractItem
from esurety.domain.approvals import ApprovalDecision
from esurety.domain.errors import Conflict
from esurety.domain.identity import from_event
from support.approvals import APPROVER, MAKER, THIRD, four_eyes
from support.flows import BANK_FIX, records, rotate

TERMINATION = {"kind": "cancelled", "date": "2024-12-02", "reason": "工事の中止による解約"}


def _apply(api) -> str:
    status, created = api.post("/applications", CONTRACTOR_A, application_body())
    assert status == 201, created
    return created["application_id"]


def _decide(api, approval_id: str, claims: dict, decision: str = "approve", reason: str | None = None):
    body = {"decision": decision, **({"reason": reason} if reason is not None else {})}
    return api.post(f"/staff/approvals/{approval_id}", claims, body)


def _audit(pk: str) -> list[AuditItem]:
    return list(AuditItem.query(pk, AuditItem.sk.startswith(AuditItem.PREFIX)))


def _revision(api, number: str, claims=MAKER) -> str:
    return f'"{api.get(f"/staff/contracts/{number}", claims)[1]["revision"]}"'


def _contracts_of_company() -> list[str]:
    return [c.contract_number for c in ContractItem.by_company.query("COMPANY#company-a", ContractItem.gsi2sk.startswith("CONTRACT#"))]


# ----------------------------------------------------------------------------- 発行


def test_the_maker_waits_and_a_second_staff_member_issues(api):
    four_eyes(True)
    application_id = _apply(api)

    status, waiting = api.post(f"/staff/applications/{application_id}/issue", MAKER)
    assert status == 202, waiting
    assert waiting["status"] == "pending" and waiting["action"] == "issue" and waiting["approval_id"]
    assert waiting["application_id"] == application_id and waiting["result"] is None
    assert (waiting["decided_by"], waiting["decided_by_name"]) == ("staff-1", "栃木 花子")
    assert waiting["summary"] == {
        "contractor_name": application_body()["contractor"]["name"], "work_name": "県道宇都宮線道路改良工事（その２）",
        "guarantee_amount": application_body()["guarantee"]["amount"], "guarantee_deadline": application_body()["guarantee"]["deadline"],
        "label": "新規", "product_label": "前払金保証", "orderer_name": "栃木県",
    }
    approval_id = waiting["approval_id"]
    # Nothing is issued yet: the application still waits, no contract, no number.
    shown = api.get(f"/staff/applications/{application_id}", APPROVER)[1]
    assert shown["status"] == "submitted" and shown["pending_approval"]["approval_id"] == waiting["approval_id"]
    assert _contracts_of_company() == [] and api.get("/contracts", CONTRACTOR_A)[1] == {"contracts": [], "next_cursor": None}
    # A double click of 発行 answers the same approval; it is listed once, as 承認待ち.
    assert api.post(f"/staff/applications/{application_id}/issue", MAKER) == (202, waiting)
    status, page = api.get("/staff/approvals", APPROVER)
    assert status == 200 and [a["approval_id"] for a in page["items"]] == [approval_id] and page["next_cursor"] is None
    assert api.get(f"/staff/approvals/{approval_id}", APPROVER) == (200, waiting)

    # The maker cannot approve (nor return) their own decision.
    status, refused = _decide(api, approval_id, MAKER)
    assert status == 403 and refused["code"] == "own_decision_not_approvable"
    assert refused["message"] == "ご自身が行った判断は承認・差戻しできません。別の職員に承認を依頼してください。"
    assert _decide(api, approval_id, MAKER, "return", "確認のため")[1]["code"] == "own_decision_not_approvable"
    assert api.get(f"/staff/applications/{application_id}", APPROVER)[1]["status"] == "submitted"

    # A different staff member of the same issuer approves: the certificate is issued, decided by the maker.
    status, approved = _decide(api, approval_id, APPROVER)
    assert status == 200, approved
    assert approved["status"] == "approved" and (approved["approved_by"], approved["approved_by_name"]) == ("staff-approver", "宇都宮 次郎")
    number = approved["result"]["contract_number"]
    assert approved["contract_number"] == number and approved["result"]["label"] == "新規" and approved["approved_at"]
    seen = api.get(f"/staff/applications/{application_id}", APPROVER)[1]
    assert (seen["status"], seen["decided_by"], seen["contract_number"]) == ("issued", "staff-1", number)
    assert _contracts_of_company() == [number]
    # The audit names both: the maker as the one who decided, the approver beside them.
    view = api.get(f"/staff/contracts/{number}", APPROVER)[1]
    (entry,) = view["audit"]
    assert (entry["action"], entry["staff_subject"], entry["staff_name"]) == ("issue", "staff-1", "栃木 花子")
    assert entry["details"]["approved_by"] == "staff-approver" and entry["details"]["approved_by_name"] == "宇都宮 次郎"
    assert entry["details"]["approval_id"] == approval_id

    # The approver's retry answers the first result; anyone else is told it is no longer pending.
    assert _decide(api, approval_id, APPROVER) == (200, approved)
    status, late = _decide(api, approval_id, THIRD)
    assert status == 409 and late["code"] == "approval_not_pending" and late["current"]["status"] == "approved"
    assert _decide(api, approval_id, APPROVER, "return", "やはり差し戻し")[1]["code"] == "approval_not_pending"
    # Issued once: one record, one issue audit item, one contract.
    assert [int(r.version) for r in records(number)] == [1] and len(_audit(ContractItem.partition(number))) == 1
    assert _contracts_of_company() == [number]
    assert api.get("/staff/approvals", APPROVER)[1]["items"] == []
    assert [a["approval_id"] for a in api.get("/staff/approvals", APPROVER, query={"status": "approved"})[1]["items"]] == [approval_id]
    # 発行 again after the decision answers what was issued (nothing waits, nothing more is issued).
    status, again = api.post(f"/staff/applications/{application_id}/issue", MAKER)
    assert status == 202 and again["contract_number"] == number and "approval_id" not in again


def test_a_returned_decision_says_why_and_the_application_can_be_decided_again(api):
    four_eyes(True)
    application_id = _apply(api)
    approval_id = api.post(f"/staff/applications/{application_id}/issue", MAKER)[1]["approval_id"]

    status, missing = _decide(api, approval_id, APPROVER, "return")
    assert status == 422 and [(e["field"], e["code"]) for e in missing["errors"]] == [("reason", "reason_required")]
    status, returned = _decide(api, approval_id, APPROVER, "return", "保証期限を確認してください")
    assert status == 200, returned
    assert returned["status"] == "returned" and returned["return_reason"] == "保証期限を確認してください"
    assert returned["approved_by_name"] == "宇都宮 次郎" and returned["result"] is None
    assert _decide(api, approval_id, APPROVER, "return", "保証期限を確認してください") == (200, returned)  # a retry
    assert _decide(api, approval_id, THIRD)[1]["code"] == "approval_not_pending"
    # Nothing issued; the return is in the application's audit naming both.
    assert api.get(f"/staff/applications/{application_id}", APPROVER)[1]["status"] == "submitted" and _contracts_of_company() == []
    (entry,) = _audit(ApplicationItem.partition(application_id))
    assert (entry.action, entry.staff_subject, entry.staff_name) == ("approval-return", "staff-1", "栃木 花子")
    assert entry.details["approved_by_name"] == "宇都宮 次郎" and entry.details["reason"] == "保証期限を確認してください"
    assert [a["approval_id"] for a in api.get("/staff/approvals", APPROVER, query={"status": "returned"})[1]["items"]] == [approval_id]

    # The maker decides again: a new approval, which the approver approves.
    status, second = api.post(f"/staff/applications/{application_id}/issue", MAKER)
    assert status == 202 and second["approval_id"] != approval_id and second["status"] == "pending"
    assert _decide(api, second["approval_id"], APPROVER)[1]["status"] == "approved"


def test_another_issuers_staff_see_and_decide_nothing(api):
    four_eyes(True)
    application_id = _apply(api)
    approval_id = api.post(f"/staff/applications/{application_id}/issue", MAKER)[1]["approval_id"]

    absent = api.get(f"/staff/approvals/{'0' * 32}", STAFF_INSURER)
    assert absent[0] == 404
    assert api.get(f"/staff/approvals/{approval_id}", STAFF_INSURER) == absent
    assert _decide(api, approval_id, STAFF_INSURER) == absent
    assert _decide(api, approval_id, STAFF_INSURER, "return", "不明") == absent
    assert api.get("/staff/approvals", STAFF_INSURER) == (200, {"items": [], "next_cursor": None})
    assert api.get(f"/staff/approvals/{approval_id}", APPROVER)[1]["status"] == "pending"
    # A malformed id is a 422 naming it, not a 404 that could be confused with another's.
    status, bad = api.get("/staff/approvals/not-an-id", APPROVER)
    assert status == 422 and bad["errors"][0]["code"] == "not_approval_id"


def test_the_list_pages_and_a_cursor_opens_only_its_own_list(api):
    four_eyes(True)
    made = [api.post(f"/staff/applications/{_apply(api)}/issue", MAKER)[1]["approval_id"] for _ in range(2)]
    status, first = api.get("/staff/approvals", APPROVER, query={"limit": "1"})
    assert status == 200 and len(first["items"]) == 1 and first["next_cursor"]
    status, second = api.get("/staff/approvals", APPROVER, query={"limit": "1", "cursor": first["next_cursor"]})
    assert status == 200 and {first["items"][0]["approval_id"], second["items"][0]["approval_id"]} == set(made)
    for claims, query in ((APPROVER, {"status": "approved"}), (STAFF_INSURER, {})):
        status, refused = api.get("/staff/approvals", claims, query={**query, "cursor": first["next_cursor"]})
        assert status == 422 and refused["errors"][0]["field"] == "cursor"


def test_with_four_eyes_off_every_decision_is_one_step(api):
    four_eyes(False)
    application_id = _apply(api)
    status, issued = api.post(f"/staff/applications/{application_id}/issue", MAKER)
    assert status == 202 and "approval_id" not in issued and issued["label"] == "新規"
    number = issued["contract_number"]
    (entry,) = _audit(ContractItem.partition(number))
    assert (entry.staff_subject, entry.staff_name) == ("staff-1", "栃木 花子") and "approved_by" not in (entry.details or {})
    assert api.get("/staff/approvals", APPROVER)[1]["items"] == []


@pytest.mark.usefixtures("atomic_requests")
def test_two_approvers_racing_and_repeating_issue_once(api):
    four_eyes(True)
    application_id = _apply(api)
    approval_id = api.post(f"/staff/applications/{application_id}/issue", MAKER)[1]["approval_id"]
    from esurety.services.commands import staff_decisions

    def event(claims):
        return {"requestContext": {"authorizer": {"jwt": {"claims": claims}}}}

    approvers = [from_event(event(APPROVER)), from_event(event(THIRD))] * 4

    def approve(caller):
        try:
            return caller.subject, staff_decisions.decide(approval_id, ApprovalDecision(decision="approve"), caller)
        except Conflict as refused:
            return caller.subject, refused.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(approve, approvers))
    answers = [answer for _, answer in outcomes if isinstance(answer, dict)]
    assert answers and all(a == answers[0] for a in answers)  # every success is the one approval
    winner = answers[0]["approved_by"]
    # The other approver is told it is no longer pending; the winner's repeats get the first result.
    assert {(who, answer if isinstance(answer, str) else "approved") for who, answer in outcomes} <= {
        (winner, "approved"), ({"staff-approver": "staff-third", "staff-third": "staff-approver"}[winner], "approval_not_pending"),
    }
    number = answers[0]["result"]["contract_number"]
    assert [int(r.version) for r in records(number)] == [1]
    assert _contracts_of_company() == [number] and len(_audit(ContractItem.partition(number))) == 1


# ----------------------------------------------------------------------------- 訂正 and 解約


def test_a_correction_waits_for_approval_and_runs_as_the_maker_decided(api, contract):
    number, _ = contract
    four_eyes(True)
    revision = _revision(api, number)

    status, waiting = api.post(f"/staff/contracts/{number}/versions/1/corrections", MAKER, BANK_FIX, headers={"If-Match": revision})
    assert status == 202, waiting
    assert (waiting["action"], waiting["status"], waiting["contract_number"], waiting["version"]) == ("correct", "pending", number, 1)
    assert waiting["request"] == BANK_FIX and waiting["summary"]["label"] == "新規"
    assert [int(r.version) for r in records(number)] == [1]  # nothing corrected yet
    # The contract page says what waits on it, and for whom.
    pending = api.get(f"/staff/contracts/{number}", APPROVER)[1]["pending_approval"]
    assert (pending["approval_id"], pending["decided_by_name"]) == (waiting["approval_id"], waiting["decided_by_name"])
    # One decision at a time on a contract: a second maker decision on it is refused while this one waits.
    status, busy = api.post(f"/staff/contracts/{number}/termination", THIRD, TERMINATION, headers={"If-Match": revision})
    assert status == 409 and busy["code"] == "approval_pending" and busy["current"]["approval_id"] == waiting["approval_id"]

    status, approved = _decide(api, waiting["approval_id"], APPROVER)
    assert status == 200, approved
    assert approved["result"]["kind"] == "訂正" and approved["result"]["target_version"] == 1 and approved["result"]["label"] == "新規"
    (record,) = [r for r in records(number) if r.kind == "訂正"]
    assert record.decided_by == "staff-1" and record.content["deposit_bank"] == "みどり銀行 駅前支店"
    corrected = [a for a in api.get(f"/staff/contracts/{number}", APPROVER)[1]["audit"] if a["action"] == "correct"]
    assert [(a["staff_subject"], a["staff_name"], a["details"]["approved_by_name"]) for a in corrected] == [("staff-1", "栃木 花子", "宇都宮 次郎")]


def test_an_approval_the_contract_moved_past_is_refused_with_nothing_written(api, contract):
    number, _ = contract
    four_eyes(True)
    waiting = api.post(f"/staff/contracts/{number}/versions/1/corrections", MAKER, BANK_FIX, headers={"If-Match": _revision(api, number)})[1]
    assert rotate(api, number, claims=THIRD)[0] == 200  # key rotation stays one step: the revision moves on
    before = [int(r.version) for r in records(number)]

    status, refused = _decide(api, waiting["approval_id"], APPROVER)
    assert status == 409 and refused["code"] == "contract_changed"
    assert [int(r.version) for r in records(number)] == before
    assert api.get(f"/staff/approvals/{waiting['approval_id']}", APPROVER)[1]["status"] == "pending"
    # It waits to be returned; after that the contract takes decisions again.
    assert _decide(api, waiting["approval_id"], APPROVER, "return", "版が変わったため、もう一度判断してください")[0] == 200
    assert api.post(f"/staff/contracts/{number}/termination", MAKER, TERMINATION, headers={"If-Match": _revision(api, number)})[0] == 202


def test_a_termination_waits_for_approval_then_ends_the_guarantee(api, contract):
    number, _ = contract
    four_eyes(True)
    status, waiting = api.post(f"/staff/contracts/{number}/termination", MAKER, TERMINATION, headers={"If-Match": _revision(api, number)})
    assert status == 202 and waiting["action"] == "terminate" and waiting["request"] == TERMINATION
    assert api.get(f"/staff/contracts/{number}", APPROVER)[1]["ending"] is None  # not ended yet
    # The maker's double click answers the same approval; another staff member's decision waits its turn.
    assert api.post(f"/staff/contracts/{number}/termination", MAKER, TERMINATION, headers={"If-Match": _revision(api, number)}) == (202, waiting)
    status, busy = api.post(f"/staff/contracts/{number}/termination", THIRD, TERMINATION, headers={"If-Match": _revision(api, number)})
    assert status == 409 and busy["code"] == "approval_pending"

    status, approved = _decide(api, waiting["approval_id"], STAFF_TOTO)
    assert status == 200, approved
    assert approved["result"]["kind"] == "cancelled" and approved["result"]["recorded_by"] == "staff-1"
    view = api.get(f"/staff/contracts/{number}", APPROVER)[1]
    assert view["ending"] is not None
    (entry,) = [a for a in view["audit"] if a["action"] == "terminate"]
    assert (entry["staff_subject"], entry["staff_name"], entry["details"]["approved_by"]) == ("staff-1", "栃木 花子", "staff-toto")


def test_a_decision_the_action_would_refuse_never_waits(api, contract):
    number, _ = contract
    four_eyes(True)
    status, refused = api.post(f"/staff/contracts/{number}/termination", MAKER, {**TERMINATION, "date": "2020-01-01"},
                               headers={"If-Match": _revision(api, number)})
    assert status == 422 and refused["errors"][0]["code"] == "date_before_issue"
    status, stale = api.post(f"/staff/contracts/{number}/versions/1/corrections", MAKER, BANK_FIX, headers={"If-Match": '"99"'})
    assert status == 409 and stale["code"] == "contract_changed"
    assert api.post(f"/staff/contracts/{number}/termination", MAKER, TERMINATION)[0] == 428
    assert api.get("/staff/approvals", APPROVER)[1]["items"] == []
    assert [int(r.version) for r in records(number)] == [1]  # nothing written


# ----------------------------------------------------------------------------- the operator's switch


def test_the_operator_turns_four_eyes_on_and_off_with_the_issuers_tool(api, capsys):
    from tools import issuers as tool

    where = ["--table", "esurety-test", "--stage", "test"]
    assert tool.main([*where, "seed"]) == 0
    assert tool.main([*where, "four-eyes", "toto-hosho", "on"]) == 0
    assert "second staff member" in capsys.readouterr().out
    assert tool.main([*where, "four-eyes", "toto-hosho", "on"]) == 0 and "already" in capsys.readouterr().out
    assert "approval_id" in api.post(f"/staff/applications/{_apply(api)}/issue", MAKER)[1]

    assert tool.main([*where, "four-eyes", "toto-hosho", "off"]) == 0
    assert "approval_id" not in api.post(f"/staff/applications/{_apply(api)}/issue", MAKER)[1]
    assert tool.main([*where, "four-eyes", "no-such-issuer", "on"]) == 2
    assert "no issuer no-such-issuer" in capsys.readouterr().err
