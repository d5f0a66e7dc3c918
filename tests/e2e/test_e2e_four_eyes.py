"""Four eyes in the local cloud, as `make run` sets it up: the demo surety's staff member decides,
the approver (`make token ROLE=approver`) approves, each signed in with their own TOTP code and
carrying their Japanese display name in the ID token.

The harness deploys without four eyes (tests that issue with one staff member keep working); this
module turns them on with the operator's tool, as `make run` does, and off again.
"""
from __future__ import annotations

import base64
import json

import pytest

from e2e_support import application_body, http, local_cloud, tokens  # noqa: F401 (fixtures)
from tools.localcloud import demo
from tools.localcloud.__main__ import STACK

pytestmark = pytest.mark.e2e


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_every_demo_user_carries_a_japanese_name(tokens):
    names = {role: _claims(token).get("name") for role, token in tokens.items()}
    assert names["staff"] == "栃木 花子" and names["approver"] == "宇都宮 次郎" and names["contractor"] == "さくら 太郎"
    assert all(names.values()), names
    assert _claims(tokens["approver"])["custom:issuer_id"] == _claims(tokens["staff"])["custom:issuer_id"] == "toto-hosho"


def test_the_staff_member_decides_and_the_approver_issues(local_cloud, http, tokens):
    cloud, _ = local_cloud
    demo.four_eyes(cloud, STACK, demo.DEFAULT_ISSUER, on=True)
    try:
        status, created = http.call("POST", "/applications", tokens["contractor"], body=application_body())
        assert status == 201, created
        status, waiting = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
        assert status == 202 and waiting["status"] == "pending" and waiting["decided_by_name"] == "栃木 花子", waiting
        approval = f"/staff/approvals/{waiting['approval_id']}"
        status, own = http.call("POST", approval, tokens["staff"], body={"decision": "approve"})
        assert status == 403 and own["code"] == "own_decision_not_approvable"
        status, listed = http.call("GET", "/staff/approvals", tokens["approver"])
        assert status == 200 and waiting["approval_id"] in [a["approval_id"] for a in listed["items"]]
        status, approved = http.call("POST", approval, tokens["approver"], body={"decision": "approve"})
        assert status == 200 and approved["status"] == "approved" and approved["approved_by_name"] == "宇都宮 次郎", approved
        number = approved["result"]["contract_number"]
        status, view = http.call("GET", f"/staff/contracts/{number}", tokens["approver"])
        (entry,) = [a for a in view["audit"] if a["action"] == "issue"]
        assert entry["staff_name"] == "栃木 花子" and entry["details"]["approved_by_name"] == "宇都宮 次郎"
    finally:
        demo.four_eyes(cloud, STACK, demo.DEFAULT_ISSUER, on=False)
    status, created = http.call("POST", "/applications", tokens["contractor"], body=application_body())
    status, issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
    assert status == 202 and "approval_id" not in issued  # off: one step, as the other e2e modules issue
