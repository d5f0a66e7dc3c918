"""The mail queue: each e-mail to a contractor is put here, and the mail sender
(functions/issue/mail.py) hands it to SES (esurety/aws/mailer.py) outside the request.

Never the auth key: the texts are esurety.domain.mail.messages / staff_mail, which carry none.
"""
from __future__ import annotations

import json

from ..config import settings
from . import client


def message(mail_id: str, owner: str, to: str, subject: str, body: str, sender_name: str | None = None) -> dict:
    """The queue message's body: `owner` is the partition the mail's record goes in (a contract's);
    `sender_name` the From name (the issuer's), absent: the stack's MAIL_FROM as it is."""
    out = {"mail_id": mail_id, "owner": owner, "to": to, "subject": subject, "body": body}
    if sender_name:
        out["sender_name"] = sender_name
    return out


def enqueue(mail_id: str, owner: str, to: str, subject: str, body: str, sender_name: str | None = None) -> None:
    text = json.dumps(message(mail_id, owner, to, subject, body, sender_name), ensure_ascii=False)
    client("sqs").send_message(QueueUrl=settings().mail_queue_url, MessageBody=text)
