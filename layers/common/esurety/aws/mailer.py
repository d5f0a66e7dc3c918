"""E-mail to the contractor through SES; the texts are esurety.domain.mail.messages (pure). Never the auth key."""
from __future__ import annotations

from ..config import settings
from ..domain.mail.messages import ISSUED_SUBJECT, issued_body, signature_block  # noqa: F401 - the callers' names
from . import client


def send(to: str, subject: str, body: str) -> str:
    response = client("ses").send_email(
        Source=settings().mail_from,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
        },
    )
    return response["MessageId"]
