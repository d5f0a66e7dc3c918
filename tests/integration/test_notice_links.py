"""Each shown version's auth-key notice after a key rotation, and a rotation racing a publication.

The contractor's notice link is judged as AWS would answer ApplyFunction (tests/aws_fidelity.py):
its role may not list the bucket, so asking S3 about a missing notice answers 403, not 404. The
link must come from what the version records, and every recorded notice must print the key in
force: a notice with a dead key handed to an orderer fails at the verification screen.
"""
from __future__ import annotations

import pytest

from conftest import CONTRACTOR_A, STAFF, application_body
from esurety.domain import error_codes
from esurety.aws import keys
from esurety.aws.models import ContractItem, VersionItem
from support.flows import issue_and_publish, pdf_text
from support.flows import INCREASE, issue_change, key_of, overview, publish, records, rotate


def live_generation(number: str) -> int:
    return int(ContractItem.get(*ContractItem.key(number), consistent_read=True).key_generation)


def notice_link(api, number: str, version: int | None = None) -> tuple[int, dict]:
    query = {"version": str(version)} if version is not None else None
    return api.get(f"/contracts/{number}/notice", CONTRACTOR_A, query=query)


def assert_notices_print(number: str, key: str, dead: list[str]) -> None:
    """Every published version records a notice for the live generation, printing `key` and no dead key."""
    generation = live_generation(number)
    for record in records(number):
        if record.state != "published":
            continue
        assert record.notice_generation == generation, (record.version, record.notice_s3_key)
        text = pdf_text(record.notice_s3_key)
        assert key in text and not any(old in text for old in dead), record.notice_s3_key


def test_after_a_rotation_every_shown_version_has_a_notice_with_the_new_key(api, handlers):
    _, number, _ = issue_and_publish(api, handlers)
    issue_change(api, handlers, number, INCREASE, "2024-06-03T02:00:00.000Z")
    old = overview(api, number)["auth_key"]
    assert rotate(api, number)[0] == 200
    new = overview(api, number)["auth_key"]

    for version, label in ((1, "新規"), (2, "変更ー1"), (None, "変更ー1")):
        status, link = notice_link(api, number, version)
        assert status == 200, (version, link)
        text = pdf_text(key_of(link))
        assert new in text and old not in text and f"（{label}）" in text
    assert key_of(notice_link(api, number, 1)[1]) == f"notices/{number}/v001-key2.pdf"
    assert_notices_print(number, new, [old])


@pytest.mark.parametrize("version", [1, 2], ids=["new", "change"])
def test_a_rotation_between_the_publisher_s_key_read_and_its_notice_leaves_the_live_key_in_force(api, handlers, monkeypatch, version):
    """The rotation commits after the publisher decrypted the key of the generation it read, and
    before the publisher puts the notice: the version published then still gets the new key."""
    if version == 1:  # the 新規: its key is not shown before it is published
        created = api.post("/applications", CONTRACTOR_A, application_body())[1]
        status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
        number = issued["contract_number"]
        old = keys.decrypt(ContractItem.get(*ContractItem.key(number)).key_ciphertext, number)
    else:  # 変更ー1 of a published 新規
        _, number, _ = issue_and_publish(api, handlers)
        old = overview(api, number)["auth_key"]
        created = api.post(f"/contracts/{number}/changes", CONTRACTOR_A, INCREASE)[1]
        status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202 and issued["version"] == version

    real = keys.decrypt
    rotated = []

    def rotate_meanwhile(ciphertext, contract_number):
        key = real(ciphertext, contract_number)
        if not rotated:
            rotated.append(rotate(api, number))  # as staff: IssueFunction
        return key

    monkeypatch.setattr(keys, "decrypt", rotate_meanwhile)
    publish(handlers, number, version, "2024-06-03T02:00:00.000Z")
    monkeypatch.setattr(keys, "decrypt", real)
    assert rotated and rotated[0][0] == 200, rotated
    assert live_generation(number) == 2

    new = overview(api, number)["auth_key"]
    assert new != old
    status, link = notice_link(api, number)
    assert status == 200, link
    text = pdf_text(key_of(link))
    assert new in text and old not in text
    assert_notices_print(number, new, [old])


def test_a_version_without_a_notice_for_the_live_key_answers_409_with_its_code(api, handlers, monkeypatch):
    """A rotation stopped between its write and its notices: the link says so (never 500), and
    rotating again completes it."""
    from esurety.aws import signing

    _, number, _ = issue_and_publish(api, handlers)

    def stopped(*_args, **_kwargs):
        raise RuntimeError("the function stopped")

    monkeypatch.setattr(signing, "sign_pdf", stopped)
    with pytest.raises(RuntimeError):
        rotate(api, number)  # the key is rotated; no notice prints it
    monkeypatch.undo()
    assert live_generation(number) == 2

    status, body = notice_link(api, number)
    assert status == 409, body
    assert body["code"] == "notice_not_renewed" and "認証キー" in body["message"]
    assert "認証キーの再発行" in error_codes.MESSAGES["notice_not_renewed"]  # what the screen says for the code
    assert rotate(api, number)[0] == 200
    status, link = notice_link(api, number)
    assert status == 200 and key_of(link) == f"notices/{number}/v001-key3.pdf"


def test_a_notice_put_late_for_a_dead_key_is_never_recorded_over_the_live_one(api, handlers):
    """A slow writer (a publisher's renewal, an earlier rotation) records after a later rotation."""
    from esurety.services.commands import notices

    _, number, _ = issue_and_publish(api, handlers)
    old = overview(api, number)["auth_key"]
    assert rotate(api, number)[0] == 200
    new = overview(api, number)["auth_key"]
    version = VersionItem.get(*VersionItem.key(number, 1), consistent_read=True)
    notices.record(version, f"notices/{number}/v001.pdf", 1)
    assert (version.notice_s3_key, version.notice_generation) == (f"notices/{number}/v001-key2.pdf", 2)
    assert key_of(notice_link(api, number)[1]) == f"notices/{number}/v001-key2.pdf"
    assert_notices_print(number, new, [old])
