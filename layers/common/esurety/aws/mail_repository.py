"""The e-mails to the contractor in the table: one MailItem per e-mail, in the partition of the
contract (or of an application without one) it is about (services/commands/outbox.py)."""
from __future__ import annotations

from .models import MailItem


def get(owner_pk: str, mail_id: str) -> MailItem:
    """One e-mail's item as stored now (MailItem.DoesNotExist if there is none)."""
    return MailItem.get(*MailItem.key(owner_pk, mail_id), consistent_read=True)


def of_owner(owner_pk: str) -> list[MailItem]:
    """Every e-mail kept in a partition."""
    return list(MailItem.query(owner_pk, MailItem.sk.startswith(MailItem.PREFIX)))
