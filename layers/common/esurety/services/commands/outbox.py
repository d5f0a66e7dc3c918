"""E-mail to the contractor, sent outside the request that decided it.

A decision that is recorded answers 2xx whatever becomes of its e-mail. The services put each
e-mail on the mail queue (`put`); the mail sender (functions/issue/mail.py) takes it from there
(`deliver`): SES refusing an address, throttling or being down happens there, never in a request.

- Each e-mail has an id fixed by the event it tells of (`reject#{application}`, `ending#{number}`,
  `issued#{number}#v001` …), so a request that runs again enqueues the same id, and a queue that
  delivers a message twice delivers the same id.
- The sender claims the id before calling SES: a conditional put of the `MAIL#{id}` item in the
  contract's partition (state `sending`). Of two deliveries one wins; at most one e-mail goes out
  (a sender that dies between its claim and SES's answer loses that e-mail, as the publisher's
  `notified_at` claim does). A `retry` or `failed` item is claimed again by the next delivery
  (the queue's retry, a redrive from the dead-letter queue): nothing of it went out yet. SES's
  answer is then recorded: `sent`, or
  - `failed` when SES refuses the message for good (MessageRejected, InvalidParameterValue: an
    address it cannot carry), or when the last receive before the dead-letter queue fails too;
  - `retry` (the claim given back) after any other failure, which is raised so the queue delivers
    the message again after its visibility timeout.
- Staff see the `failed` ones on the contract (services/views/staff_views.py: メール未達).
"""
from __future__ import annotations

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PutError, UpdateError

from ...domain.japanese import clock
from ...aws import mail_queue, mail_repository, mailer
from ...aws.models import MailItem, condition_failed

logger = Logger(child=True)

SENDING, SENT, RETRY, FAILED = "sending", "sent", "retry", "failed"
# SES's refusals that no retry changes: the message (its address) is what is wrong.
REFUSED = frozenset({"MessageRejected", "InvalidParameterValue", "MailFromDomainNotVerified"})
# As the template's MailQueue redrive policy: the receive after which the message is dead-lettered.
MAX_RECEIVES = 5


def put(mail_id: str, owner: str, to: str, subject: str, body: str, sender_name: str | None = None) -> None:
    """Put one e-mail on the mail queue. A queue that refuses it does not undo the decision that
    asked for it: the e-mail is recorded as undelivered on the contract, for staff to see.
    `sender_name` is the From name: the issuer's (`sender_name(issuer)`)."""
    try:
        mail_queue.enqueue(mail_id, owner, to, subject, body, sender_name)
    except (BotoCoreError, ClientError) as error:
        logger.error("e-mail not queued", extra={"mail_id": mail_id, "error": type(error).__name__})
        try:
            _failed_item(mail_id, owner, to, subject, f"not queued: {_why(error)}").save(
                condition=MailItem.pk.does_not_exist()
            )
        except (PutError, BotoCoreError, ClientError):
            logger.exception("undelivered e-mail not recorded", extra={"mail_id": mail_id})


def sender_name(issuer) -> str:
    """The From name of an issuer's e-mails: its mail_sender_name, else its company."""
    return issuer.mail_sender_name or issuer.company


def _why(error: Exception) -> str:
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return f"{detail.get('Code', 'Error')}: {detail.get('Message', '')}".strip()
    return type(error).__name__


def _failed_item(mail_id: str, owner: str, to: str, subject: str, reason: str) -> MailItem:
    now = clock.now()
    pk, sk = MailItem.key(owner, mail_id)
    return MailItem(pk, sk, mail_id=mail_id, state=FAILED, to=to, subject=subject, attempts=0,
                    claimed_at=now, failed_at=now, reason=reason[:500])


def _claim(message: dict) -> MailItem | None:
    """The mail's item, claimed for this delivery; None when another delivery has it or had it."""
    pk, sk = MailItem.key(message["owner"], message["mail_id"])
    item = MailItem(pk, sk, mail_id=message["mail_id"], state=SENDING, to=message["to"], subject=message["subject"],
                    attempts=1, claimed_at=clock.now())
    try:
        item.save(condition=MailItem.pk.does_not_exist())
        return item
    except PutError as error:
        if not condition_failed(error):
            raise
    item = mail_repository.get(message["owner"], message["mail_id"])
    try:  # not sent yet: a failure that may pass gave the claim back, or a redrive from the dead-letter queue
        item.update(
            actions=[MailItem.state.set(SENDING), MailItem.attempts.add(1), MailItem.claimed_at.set(clock.now())],
            condition=MailItem.state.is_in(RETRY, FAILED),
        )
        return item
    except UpdateError as error:
        if condition_failed(error):
            return None  # sending or sent: another delivery's
        raise


def deliver(message: dict, receive_count: int = 1) -> str:
    """Send one queued e-mail once. Returns what happened, for the log: sent | duplicate | failed.
    Raises (after giving the claim back) when a later delivery may succeed."""
    item = _claim(message)
    if item is None:
        return "duplicate"
    try:
        named = {"sender_name": message["sender_name"]} if message.get("sender_name") else {}  # queued before: MAIL_FROM as is
        message_id = mailer.send(message["to"], message["subject"], message["body"], **named)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in REFUSED:
            _fail(item, _why(error))
            return "failed"
        _give_back(item, error, receive_count)
        raise
    except BotoCoreError as error:
        _give_back(item, error, receive_count)
        raise
    item.update(actions=[MailItem.state.set(SENT), MailItem.sent_at.set(clock.now()), MailItem.message_id.set(message_id)])
    return "sent"


def _fail(item: MailItem, reason: str) -> None:
    logger.warning("e-mail undelivered", extra={"mail_id": item.mail_id, "reason": reason})
    item.update(actions=[MailItem.state.set(FAILED), MailItem.failed_at.set(clock.now()), MailItem.reason.set(reason[:500])])


def _give_back(item: MailItem, error: Exception, receive_count: int) -> None:
    """After a failure that may pass: the claim is given back for the queue's next delivery, or,
    on the last receive before the dead-letter queue, the mail is recorded as undelivered."""
    if receive_count >= MAX_RECEIVES:
        _fail(item, f"retries exhausted: {_why(error)}")
        return
    item.update(actions=[MailItem.state.set(RETRY), MailItem.reason.set(_why(error)[:500])])


def undelivered(owner: str) -> list[MailItem]:
    """The e-mails of a contract (its partition) that could not be delivered, oldest first."""
    failed = [m for m in mail_repository.of_owner(owner) if m.state == FAILED]
    return sorted(failed, key=lambda m: m.failed_at or m.claimed_at)
