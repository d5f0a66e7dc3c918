"""Random days at a review desk with four eyes on (hypothesis stateful), through the staff routes.

Each life is one application of its own; three staff members of one issuer press 発行 on it, and
approve or return whatever waits, in any order, any number of times (double clicks, retries, the
maker trying their own). After every step what staff would notice must hold:

- the application is issued at most once, with one contract and one record, decided by the maker
  of the one approval that was approved, and that approval names an approver other than its maker;
- at most one approval waits on the application, and it is the one the staff list shows;
- a maker never approves or returns their own (403 own_decision_not_approvable, nothing changes);
- every approval that is no longer pending stays as it was decided (replays answer the same).
"""
from __future__ import annotations

from hypothesis import HealthCheck, settings as hypothesis_settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from conftest import CONTRACTOR_A, application_body
from esurety.aws.models import ContractItem, VersionItem
from support.approvals import APPROVER, MAKER, THIRD, four_eyes

STAFF_MEMBERS = {"maker": MAKER, "approver": APPROVER, "third": THIRD}


def test_random_days_at_the_desk_issue_once_and_never_on_one_persons_say(api):
    four_eyes(True)
    outcomes: list[tuple[bool, int]] = []  # per life: issued, approvals returned

    class Desk(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            status, created = api.post("/applications", CONTRACTOR_A, application_body())
            assert status == 201, created
            self.application_id = created["application_id"]
            self.decided: dict[str, dict] = {}  # approval id → its answer once approved or returned
            self.approvals: dict[str, str] = {}  # approval id → its maker's subject
            self.issued_by: str | None = None

        @rule(who=st.sampled_from(sorted(STAFF_MEMBERS)))
        def press_issue(self, who):
            status, answer = api.post(f"/staff/applications/{self.application_id}/issue", STAFF_MEMBERS[who])
            if self.issued_by is not None:
                assert status == 202 and "approval_id" not in answer  # decided already: what was issued
                return
            if status == 409:
                assert answer["code"] == "approval_pending"
                assert self.approvals[answer["current"]["approval_id"]] != STAFF_MEMBERS[who]["sub"]
                return
            assert status == 202 and answer["status"] == "pending", answer
            self.approvals.setdefault(answer["approval_id"], answer["decided_by"])
            assert self.approvals[answer["approval_id"]] == STAFF_MEMBERS[who]["sub"]

        @rule(who=st.sampled_from(sorted(STAFF_MEMBERS)), decision=st.sampled_from(["approve", "approve", "return"]), which=st.integers(0, 3))
        def decide(self, who, decision, which):
            if not self.approvals:
                return
            approval_id = sorted(self.approvals)[which % len(self.approvals)]
            claims = STAFF_MEMBERS[who]
            body = {"decision": decision, **({"reason": "内容を確認してください"} if decision == "return" else {})}
            status, answer = api.post(f"/staff/approvals/{approval_id}", claims, body)
            maker = self.approvals[approval_id]
            if claims["sub"] == maker:
                assert status == 403 and answer["code"] == "own_decision_not_approvable"
                return
            earlier = self.decided.get(approval_id)
            if earlier is not None:
                same = earlier["approved_by"] == claims["sub"] and earlier["status"] == {"approve": "approved", "return": "returned"}[decision]
                assert (status, answer) == (200, earlier) if same else (status == 409 and answer["code"] == "approval_not_pending")
                return
            if status == 409:  # the application was issued through another approval meanwhile? never: one waits at a time
                raise AssertionError(answer)
            assert status == 200, answer
            assert answer["approved_by"] == claims["sub"] and answer["decided_by"] == maker
            self.decided[approval_id] = answer
            if answer["status"] == "approved":
                assert self.issued_by is None
                self.issued_by = maker

        @invariant()
        def issued_once_on_two_peoples_say(self):
            seen = api.get(f"/staff/applications/{self.application_id}", APPROVER)[1]
            if self.issued_by is None:
                assert seen["status"] == "submitted" and seen["contract_number"] is None
                return
            assert seen["status"] == "issued" and seen["decided_by"] == self.issued_by
            number = seen["contract_number"]
            assert [int(v.version) for v in VersionItem.query(ContractItem.partition(number), VersionItem.sk.startswith("VERSION#"))] == [1]
            (approved,) = [a for a in self.decided.values() if a["status"] == "approved"]
            assert approved["result"]["contract_number"] == number and approved["approved_by"] != approved["decided_by"]

        @invariant()
        def one_waits_at_most_and_the_list_shows_it(self):
            waiting = [a for a in api.get("/staff/approvals", APPROVER)[1]["items"] if a["application_id"] == self.application_id]
            undecided = [a for a in self.approvals if a not in self.decided]
            assert len(undecided) <= 1 and [a["approval_id"] for a in waiting] == undecided

        def teardown(self):
            outcomes.append((self.issued_by is not None, sum(a["status"] == "returned" for a in self.decided.values())))

    run_state_machine_as_test(
        Desk,
        settings=hypothesis_settings(
            max_examples=8, stateful_step_count=20, deadline=None, derandomize=True, database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # The lives played did reach both ends: issued through an approval, and returned.
    assert any(issued for issued, _ in outcomes) and any(returned for _, returned in outcomes), outcomes
