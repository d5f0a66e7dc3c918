"""Findings of the random lives (test_life_stateful.py) beyond the known ones, each as the shortest
plain sequence that shows it."""
from __future__ import annotations

import pytest

from conftest import CONTRACTOR_A, STAFF, LambdaContext, sqs_event
from support.flows import issue_and_publish, pdf_text


def seen(api, number: str, **headers) -> dict:
    """The headers the staff screen sends: `If-Match` with the revision it shows."""
    return {**headers, "If-Match": f'"{api.get(f"/staff/contracts/{number}", STAFF)[1]["revision"]}"'}


def rotate(api, number: str, **headers):
    return api.post(f"/staff/contracts/{number}/key-rotation", STAFF, headers=seen(api, number, **headers))


def test_a_rotation_retried_with_its_idempotency_key_completes_the_notice_a_stopped_call_left_undone(api, handlers, monkeypatch):
    """A rotation that stops after the key's write and before the notice's put (a Lambda timeout,
    S3 throttling) is retried by the staff's screen with the same Idempotency-Key: the retry must
    leave the version in force with a notice printing the live key, as every retried action
    completes what a stopped one left undone. (Today the retry answers the earlier rotation and
    puts nothing: the contractor's notice link is 404 until someone rotates again.)"""
    from esurety.aws import storage

    _, number, _ = issue_and_publish(api, handlers)
    real, stopped = storage.create_pdf, []

    def stop_once(*args, **kwargs):
        if not stopped:
            stopped.append(args[0])
            raise RuntimeError("the function stopped here")
        return real(*args, **kwargs)

    monkeypatch.setattr(storage, "create_pdf", stop_once)
    with pytest.raises(RuntimeError):
        rotate(api, number, **{"Idempotency-Key": "rotate-1"})
    assert stopped == [f"notices/{number}/v001-key2.pdf"]
    status, answer = rotate(api, number, **{"Idempotency-Key": "rotate-1"})
    assert (status, answer) == (200, {"contract_number": number, "key_generation": 2})
    deliver_publications(handlers)
    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    assert key in pdf_text(f"notices/{number}/v001-key2.pdf")
    status, link = api.get(f"/contracts/{number}/notice", CONTRACTOR_A)
    assert status == 200, link


def deliver_publications(handlers) -> None:
    """Run the publisher over what its queue holds (as the event source mapping would)."""
    import json

    from esurety.aws import client
    from esurety.config import settings

    url = settings().publication_queue_url
    while messages := client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            client("sqs").delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            handlers["publish"].lambda_handler(sqs_event(json.loads(message["Body"])), LambdaContext())


def stopped_rotation(api, handlers, monkeypatch) -> str:
    """A contract whose key rotation stopped after the key's write, before the notice's put."""
    from esurety.aws import storage

    _, number, _ = issue_and_publish(api, handlers)
    with monkeypatch.context() as patch:
        patch.setattr(storage, "create_pdf", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("stopped")))
        with pytest.raises(RuntimeError):
            rotate(api, number)
    return number


def test_the_notice_of_a_key_without_one_is_not_a_server_error(api, handlers, monkeypatch):
    """The contractor asks for the notice while the live key has none (a rotation stopped before
    its put, until it is retried or staff rotate again): 409 `notice_not_renewed` with its Japanese
    message (the notice is read from its record, docs/decisions.md), never a 5xx. (It was 500:
    `storage.exists` read S3's 403 for a missing key, which the function may not list, as an error.)"""
    number = stopped_rotation(api, handlers, monkeypatch)
    status, answer = api.get(f"/contracts/{number}/notice", CONTRACTOR_A)
    assert (status, answer["code"]) == (409, "notice_not_renewed"), answer
    assert "認証キー" in answer["message"]


def test_a_correction_after_the_end_does_not_change_the_content_the_guarantee_ended_with(api, handlers):
    """解約 recorded, then staff 訂正 the version in force: nothing after the end may change the
    content (the 変更取消 and 変更 are refused after it; a 訂正 is not). Refused with 409, or at least
    the content in force stays what it was when the guarantee ended."""
    from conftest import ORDERER_TOCHIGI, s3_put_event, LambdaContext

    _, number, _ = issue_and_publish(api, handlers)
    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    ended = {"kind": "cancelled", "date": "2024-04-01", "reason": "工事の中止による解約"}
    assert api.post(f"/staff/contracts/{number}/termination", STAFF, ended, headers=seen(api, number))[0] == 200
    status, corrected = api.post(f"/staff/contracts/{number}/versions/1/corrections", STAFF,
                                 {"deposit_bank": "みどり銀行 駅前支店", "reason": "預託金融機関の支店名の誤記"}, headers=seen(api, number))
    if status == 202:
        handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v{corrected['version']:03d}.pdf"), LambdaContext())
    deposit = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key})[1]
    assert deposit["certificate"]["deposit_bank"] == "みどり銀行 本町支店", (status, deposit["history"])
    assert status == 409, corrected
