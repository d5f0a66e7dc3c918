"""Four eyes (承認): what a second staff member decides on a maker's decision, and the names of both.

An issuer with `four_eyes` on (domain/catalogue/issuer.py) has 発行, 訂正 and 解約 / 履行請求 decided
twice: the first staff member's decision waits as an approval (`pending`), a different staff member
of the same issuer approves it (the action runs, `approved`) or sends it back with a reason
(`returned`). The use case is services/commands/approvals.py.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict

from .application.schemas import MAX_REASON, Text

ISSUE, CORRECT, TERMINATE = "issue", "correct", "terminate"
ACTIONS = (ISSUE, CORRECT, TERMINATE)
PENDING, APPROVED, RETURNED = "pending", "approved", "returned"
STATUSES = (PENDING, APPROVED, RETURNED)
APPROVE, RETURN = "approve", "return"


class ApprovalDecision(BaseModel):
    """POST /staff/approvals/{approval_id}: approve, or return with a reason (required then:
    the maker reads why, 422 `reason_required` without it)."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "return"]
    reason: Optional[Text(MAX_REASON)] = None
