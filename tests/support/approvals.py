"""Builders for the four-eyes tests: the issuer setting, and the staff members who decide twice."""
from __future__ import annotations

# The default issuer's staff (toto-hosho): the maker has no custom:issuer_id (staff created before
# several issuers: the default issuer's), the approver has it; both carry a display name.
MAKER = {"cognito:groups": "[staff]", "sub": "staff-1", "name": "栃木 花子"}
APPROVER = {"cognito:groups": "[staff]", "custom:issuer_id": "toto-hosho", "sub": "staff-approver", "name": "宇都宮 次郎"}
THIRD = {"cognito:groups": "[staff]", "custom:issuer_id": "toto-hosho", "sub": "staff-third", "name": "鹿沼 三郎"}


def four_eyes(on: bool, issuer_id: str = "toto-hosho") -> None:
    """Turn an issuer's four eyes on or off in the registry, as `tools.issuers four-eyes` does."""
    from esurety.aws import issuers_repository
    from esurety.services import issuers

    issuers.seed()
    data = issuers_repository.data(issuer_id)
    issuers_repository.save(issuer_id, {**data, "four_eyes": on})
