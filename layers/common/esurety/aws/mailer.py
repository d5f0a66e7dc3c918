"""E-mail to the contractor through SES; the texts are esurety.domain.mail.messages (pure). Never the auth key."""
from __future__ import annotations

from email.utils import formataddr, parseaddr

from ..config import settings
from ..domain.mail.messages import ISSUED_SUBJECT, issued_body, signature_block  # noqa: F401 - the callers' names
from . import client


def source(sender_name: str | None) -> str:
    """The From of an e-mail: the stack's address, in the issuer's name when one is given (encoded
    as RFC 2047 asks for a Japanese name); without one, MAIL_FROM as configured."""
    if not sender_name:
        return settings().mail_from
    return formataddr((sender_name, parseaddr(settings().mail_from)[1]), charset="utf-8")


def send(to: str, subject: str, body: str, sender_name: str | None = None) -> str:
    response = client("ses").send_email(
        Source=source(sender_name),
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
        },
    )
    return response["MessageId"]
