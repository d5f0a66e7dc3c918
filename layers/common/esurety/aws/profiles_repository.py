"""A contractor company's profile in the table (ProfileItem): one item per company, read by GetItem,
written by UpdateItem (an upsert: the first save creates it, each later one overwrites the fields it names).

The use cases read and write it through these functions and never build a key."""
from __future__ import annotations

from datetime import datetime

from .models import ProfileItem


def get(company_id: str) -> ProfileItem | None:
    """The company's profile, or None when it has never been saved."""
    try:
        return ProfileItem.get(*ProfileItem.key(company_id), consistent_read=True)
    except ProfileItem.DoesNotExist:
        return None


def save(company_id: str, fields: dict, updated_at: datetime, updated_by: str) -> ProfileItem:
    """Overwrites the profile's own fields (`contractor`, `deposit_bank`, `notify_email`; None removes one),
    keeping `last_orderer_id`; the same call twice leaves the same item (idempotent)."""
    item = ProfileItem(*ProfileItem.key(company_id))
    actions = [ProfileItem.company_id.set(company_id), ProfileItem.updated_at.set(updated_at), ProfileItem.updated_by.set(updated_by)]
    for name in ("contractor", "deposit_bank", "notify_email"):
        attribute = getattr(ProfileItem, name)
        actions.append(attribute.remove() if fields.get(name) is None else attribute.set(fields[name]))
    item.update(actions=actions)
    return item


def remember_orderer(company_id: str, orderer_id: str) -> None:
    """The orderer of the company's latest application: the form's default next time."""
    item = ProfileItem(*ProfileItem.key(company_id))
    item.update(actions=[ProfileItem.company_id.set(company_id), ProfileItem.last_orderer_id.set(orderer_id)])
