"""The mail queue: each e-mail to a contractor is put here, and the mail sender
(functions/issue/mail.py) hands it to SES (esurety/aws/mailer.py) outside the request.

Never the auth key: the texts are esurety.domain.mail.messages / staff_mail, which carry none.
"""
from __future__ import annotations

import json

from ..config import settings
from . import client


def message(mail_id: str, owner: str, to: str, subject: str, body: str) -> dict:
    """The queue message's body: `owner` is the partition the mail's record goes in (a contract's)."""
    return {"mail_id": mail_id, "owner": owner, "to": to, "subject": subject, "body": body}


def enqueue(mail_id: str, owner: str, to: str, subject: str, body: str) -> None:
    text = json.dumps(message(mail_id, owner, to, subject, body), ensure_ascii=False)
    client("sqs").send_message(QueueUrl=settings().mail_queue_url, MessageBody=text)
