"""The company profile (会社情報): what prefills every new application on the Net Desk, so a clerk
types 受注者名, 住所, JV名, 預託金融機関 and the e-mail once, and the orderer the company applied to last.

One profile per company (`custom:company_id`): a contractor reads and writes its own company's only,
and another company's is never reachable (the key is the caller's company, not a parameter).
"""
from __future__ import annotations

from ...aws import profiles_repository
from ...aws.models import ProfileItem
from ...domain.application.schemas import ProfileRequest
from ...domain.guarantee.certificates import iso_jst
from ...domain.identity import Caller
from ...domain.japanese import clock


def as_json(item: ProfileItem | None) -> dict:
    """The `Profile` answer; a company that never saved one has every field null (never a 404)."""
    return {
        "contractor": item.contractor if item else None,
        "deposit_bank": item.deposit_bank if item else None,
        "notify_email": item.notify_email if item else None,
        "last_orderer_id": item.last_orderer_id if item else None,
        "updated_at": iso_jst(item.updated_at) if item and item.updated_at else None,
    }


def get(caller: Caller) -> dict:
    return as_json(profiles_repository.get(caller.company_id))


def save(caller: Caller, request: ProfileRequest) -> dict:
    """Overwrites the profile with `request` (validated as an application's same fields); a repeat
    of the same body leaves the same profile. The orderer last applied to is kept."""
    fields = request.model_dump(mode="json")
    profiles_repository.save(caller.company_id, fields, clock.now(), caller.subject)
    return get(caller)


def remember_orderer(caller: Caller, orderer_id: str) -> None:
    """Called on each application stored: its orderer is the form's default next time."""
    profiles_repository.remember_orderer(caller.company_id, orderer_id)
