"""Four eyes: a staff decision waiting for (or given) a second staff member's approval."""
from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import Field

from . import Answer
from .staff import Corrected, Issued, Termination


class ApprovalSummary(Answer):
    """What the list shows of the decision's target, as of the maker's decision."""

    contractor_name: Optional[str] = None
    work_name: Optional[str] = None
    guarantee_amount: Optional[int] = None
    guarantee_deadline: Optional[str] = None
    label: Optional[str] = Field(default=None, description="新規 or 変更ー n: the version the action is about.")
    product_label: Optional[str] = None
    orderer_name: Optional[str] = None


class Approval(Answer):
    """A maker's decision under four eyes. A staff route answers it (202) instead of running the
    action when the staff member's issuer requires a second staff member; `approval_id` tells it
    apart from the action's own answer."""

    approval_id: str
    action: Literal["issue", "correct", "terminate"]
    status: Literal["pending", "approved", "returned"]
    application_id: Optional[str]
    contract_number: Optional[str]
    version: Optional[int] = Field(description="correct: the version corrected.")
    summary: Optional[ApprovalSummary]
    request: Optional[dict[str, Any]] = Field(description="The action's body as the maker sent it (correct, terminate); null for issue.")
    decided_by: str = Field(description="The maker's subject.")
    decided_by_name: Optional[str]
    decided_at: str
    approved_by: Optional[str] = Field(description="The second staff member (who approved or returned it).")
    approved_by_name: Optional[str]
    approved_at: Optional[str]
    return_reason: Optional[str]
    result: Optional[Union[Corrected, Issued, Termination]] = Field(description="The action's answer once approved.")


class Approvals(Answer):
    """One page of the staff member's issuer's approvals of one status, oldest first."""

    items: list[Approval]
    next_cursor: Optional[str]
