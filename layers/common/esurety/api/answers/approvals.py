"""Four eyes: the list of decisions waiting for (or given) a second staff member's approval.

The Approval itself is a staff answer (answers/staff.py): the staff application and contract answers
carry the one pending on them, and its `result` is a staff action's answer."""
from __future__ import annotations

from typing import Optional

from . import Answer
from .staff import Approval, ApprovalSummary

__all__ = ["Approval", "ApprovalSummary", "Approvals"]


class Approvals(Answer):
    """One page of the staff member's issuer's approvals of one status, oldest first."""

    items: list[Approval]
    next_cursor: Optional[str]
