"""E-mail goes out through the mail queue, outside the request that decided it.

A recorded decision answers 2xx whatever SES does with its e-mail; an address SES cannot carry is
refused at input (422 naming the field); one stored before that check (or any mail SES refuses,
or that fails on every retry) is shown to staff on the contract; a message the queue delivers
twice is sent once, and one whose sending fails for a while is sent by a later delivery.
"""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import CONTRACTOR_A, STAFF, LambdaContext, application_body, drain_mail, ses_sent, sqs_event
from esurety.aws import mail_queue, mailer
from esurety.aws.models import ApplicationItem, ContractItem, MailItem
from esurety.config import settings
from esurety.services.commands import outbox
from support.flows import issue_and_publish
from support.flows import EXTENSION, cancel, issue_change, rotate, staff_contract, terminate

LEGACY = "田中@example.jp"  # stored before addresses were checked; SES refuses it


# ----------------------------------------------------------------------------- at input


def _apply(api, address: str) -> tuple[int, dict]:
    return api.post("/applications", CONTRACTOR_A, application_body(notify_email=address))


@pytest.mark.parametrize("address", ["田中@example.jp", "tanaka@straße.example", "tanaka@会社", "tanaka@-kaisha.jp"])
def test_an_address_ses_cannot_send_to_is_refused_naming_the_field(api, address):
    status, answer = _apply(api, address)
    assert status == 422, answer
    assert [e["field"] for e in answer["errors"]] == ["notify_email"]


def test_a_japanese_domain_is_kept_in_the_form_ses_sends_to(api):
    status, created = _apply(api, "tanaka@会社.jp")
    assert status == 201, created
    stored = ApplicationItem.get(*ApplicationItem.key(created["application_id"])).request
    assert stored["notify_email"] == "tanaka@xn--6oq404h.jp"  # punycode of 会社.jp; decodes back to it
    assert "xn--6oq404h.jp".encode("ascii").decode("idna") == "会社.jp"


def test_a_full_width_address_is_its_ascii_form(api):
    status, created = _apply(api, "ｔａｎａｋａ＠ｅｘａｍｐｌｅ．ｊｐ")
    assert status == 201, created
    assert ApplicationItem.get(*ApplicationItem.key(created["application_id"])).request["notify_email"] == "tanaka@example.jp"


# ----------------------------------------------------------------------------- a stored address SES refuses


@pytest.fixture
def legacy_contract(api, handlers):
    """A published contract whose stored address SES refuses (written before the check)."""
    _, number, _ = issue_and_publish(api, handlers)
    drain_mail()
    contract = ContractItem.get(*ContractItem.key(number))
    contract.update(actions=[ContractItem.notify_email.set(LEGACY)])
    return number


def _undelivered(api, number: str) -> list[dict]:
    return staff_contract(api, number)["undelivered_mail"]


def test_a_termination_to_a_refused_address_is_recorded_and_its_mail_shown_to_staff(api, legacy_contract):
    number = legacy_contract
    before = len(ses_sent())
    status, answer = terminate(api, number, {"kind": "cancelled", "date": "2024-10-01", "reason": "工事の中止"})
    assert status == 200, answer
    assert drain_mail() == []  # refused for good: not retried
    assert len(ses_sent()) == before
    assert staff_contract(api, number)["termination"]["date"] == "2024-10-01"
    (mail,) = _undelivered(api, number)
    assert mail["to"] == LEGACY and mail["subject"] == "保証契約の解約のお知らせ"
    assert "InvalidParameterValue" in mail["reason"]


def test_a_key_rotation_to_a_refused_address_answers_200_and_shows_the_mail(api, legacy_contract):
    number = legacy_contract
    status, answer = rotate(api, number)
    assert status == 200 and answer["key_generation"] == 2
    drain_mail()
    assert staff_contract(api, number)["key_generation"] == 2
    assert [m["subject"] for m in _undelivered(api, number)] == ["電子保証の認証キー再発行のお知らせ"]


def test_a_rejected_change_to_a_refused_address_is_recorded(api, legacy_contract):
    number = legacy_contract
    _, created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, EXTENSION)
    status, answer = api.post(f"/staff/applications/{created['application_id']}/reject", STAFF, {"reason": "書類不備"})
    assert status == 200 and answer["status"] == "rejected"
    drain_mail()
    assert [m["subject"] for m in _undelivered(api, number)] == ["保証申込についてのお知らせ"]


def test_a_change_cancellation_to_a_refused_address_is_recorded(api, handlers, legacy_contract):
    number = legacy_contract
    issued = issue_change(api, handlers, number, EXTENSION, "2024-05-01T03:00:00.000Z")
    status, answer = cancel(api, number, issued["version"])
    assert status == 200, answer
    drain_mail()
    view = staff_contract(api, number)
    assert [r["kind"] for r in view["records"]][-1] == "変更取消"
    subjects = [m["subject"] for m in view["undelivered_mail"]]
    assert sorted(subjects) == sorted([mailer.ISSUED_SUBJECT, "電子保証の変更取消のお知らせ"])  # the change's notice, and the cancellation's


def test_a_rejected_new_application_whose_mail_is_refused_shows_it_on_the_application(api):
    status, created = _apply(api, "keiri@maruyama-kensetsu.example")
    item = ApplicationItem.get(*ApplicationItem.key(created["application_id"]))
    item.update(actions=[ApplicationItem.request.set({**item.request, "notify_email": LEGACY})])
    status, answer = api.post(f"/staff/applications/{created['application_id']}/reject", STAFF, {"reason": "書類不備"})
    assert status == 200 and answer["status"] == "rejected"
    drain_mail()
    view = api.get(f"/staff/applications/{created['application_id']}", STAFF)[1]
    assert [(m["to"], m["subject"]) for m in view["undelivered_mail"]] == [(LEGACY, "保証申込についてのお知らせ")]


# ----------------------------------------------------------------------------- the sender


def _queued(mail_id: str, number: str, to: str = "keiri@maruyama-kensetsu.example") -> dict:
    return mail_queue.message(mail_id, ContractItem.key(number)[0], to, "件名", "本文")


def test_a_mail_enqueued_twice_is_sent_once(api, handlers, legacy_contract):
    number = legacy_contract
    before = len(ses_sent())
    for _ in range(2):
        outbox.put("test#1", ContractItem.key(number)[0], "keiri@maruyama-kensetsu.example", "件名", "本文")
    assert drain_mail() == []
    assert len(ses_sent()) == before + 1
    item = MailItem.get(*MailItem.key(ContractItem.key(number)[0], "test#1"))
    assert item.state == "sent" and item.message_id


def test_a_mail_failing_for_a_while_is_sent_by_a_later_delivery(api, handlers, legacy_contract, monkeypatch):
    number = legacy_contract
    real, calls = mailer.send, []

    def throttled_once(to, subject, body):
        calls.append(to)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendEmail")
        return real(to, subject, body)

    monkeypatch.setattr(mailer, "send", throttled_once)
    before = len(ses_sent())
    outbox.put("test#2", ContractItem.key(number)[0], "keiri@maruyama-kensetsu.example", "件名", "本文")
    failures = drain_mail(rounds=2)
    assert len(failures) == 1 and len(calls) == 2
    assert len(ses_sent()) == before + 1
    assert _undelivered(api, number) == []


def test_a_mail_failing_on_its_last_receive_is_shown_to_staff(api, handlers, legacy_contract, monkeypatch):
    number = legacy_contract

    def down(to, subject, body):
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "Service is unavailable."}}, "SendEmail")

    monkeypatch.setattr(mailer, "send", down)
    message = _queued("test#3", number)
    event = sqs_event(message)
    answer = handlers["mail"].lambda_handler(event, LambdaContext())
    assert answer["batchItemFailures"]  # comes back
    assert _undelivered(api, number) == []
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(outbox.MAX_RECEIVES)
    answer = handlers["mail"].lambda_handler(event, LambdaContext())
    assert answer["batchItemFailures"]  # and goes to the dead-letter queue, recorded first
    (mail,) = _undelivered(api, number)
    assert mail["subject"] == "件名" and "ServiceUnavailable" in mail["reason"]


def test_a_queue_that_refuses_the_mail_does_not_undo_the_decision(api, legacy_contract, monkeypatch):
    number = legacy_contract

    def refused(*args, **kwargs):
        raise ClientError({"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue", "Message": "gone"}}, "SendMessage")

    monkeypatch.setattr(mail_queue, "enqueue", refused)
    status, _ = rotate(api, number)
    assert status == 200
    (mail,) = _undelivered(api, number)
    assert mail["subject"] == "電子保証の認証キー再発行のお知らせ" and "not queued" in mail["reason"]


def test_the_queue_carries_no_auth_key(api, handlers):
    _, number, _ = issue_and_publish(api, handlers)
    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=settings().mail_queue_url, MaxNumberOfMessages=10)["Messages"]
    assert messages and key not in json.dumps([json.loads(m["Body"]) for m in messages], ensure_ascii=False)
