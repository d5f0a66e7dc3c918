"""The table loses writes the bucket kept: a number handed out again never adopts the old objects.

On AWS a point-in-time restore of the table (locally a `kill -9` of the local cloud) takes the
table back to before an issue while the bucket keeps what was put. The same contract number and
version are then handed out again to another application. Its certificate, fee statement and
notice must be its own: what the orderer is told, the PDF the orderer is given and the digest
recorded must agree, and the old objects (an old amount, an old auth key) are refused, logged
and counted, never published.
"""
from __future__ import annotations

import hashlib
import io
import re
import urllib.parse

import boto3
import pytest
from pypdf import PdfReader

from conftest import CONTRACTOR_A, ORDERER_TOCHIGI, STAFF, LambdaContext, application_body, s3_put_event
from esurety.aws import bucket_keys, storage
from esurety.config import settings
from esurety.aws.models import ContractItem, VersionItem

OLD_AMOUNT, NEW_AMOUNT = 33_000_000, 38_000_000


def _table():
    return boto3.client("dynamodb")


def _snapshot() -> list[dict]:
    return _table().scan(TableName=settings().table_name, ConsistentRead=True)["Items"]


def _restore(items: list[dict]) -> None:
    """The table as it was at the snapshot (a point-in-time restore); the bucket is left as it is."""
    name = settings().table_name
    for item in _snapshot():
        _table().delete_item(TableName=name, Key={"pk": item["pk"], "sk": item["sk"]})
    for item in items:
        _table().put_item(TableName=name, Item=item)


def _served(url: str) -> bytes:
    """The bytes a presigned GET link serves (moto's links name the bucket and key in the URL)."""
    parsed = urllib.parse.urlparse(url)
    path = urllib.parse.unquote(parsed.path).lstrip("/")
    bucket = settings().bucket_name
    if path.startswith(bucket + "/"):
        path = path[len(bucket) + 1:]
    query = urllib.parse.parse_qs(parsed.query)
    arguments = {"Bucket": bucket, "Key": path}
    if "versionId" in query:
        arguments["VersionId"] = query["versionId"][0]
    return boto3.client("s3").get_object(**arguments)["Body"].read()


def _text(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def _issue(api, amount: int) -> str:
    body = application_body(guarantee={"amount": amount, "deadline": "2025-03-31"})
    status, created = api.post("/applications", CONTRACTOR_A, body)
    assert status == 201, created
    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202, issued
    return issued["contract_number"]


def _publish(handlers, key: str) -> None:
    result = handlers["publish"].lambda_handler(s3_put_event(key), LambdaContext())
    assert result == {"batchItemFailures": []}


def _auth_key(api, number: str) -> str:
    return api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]


@pytest.fixture
def old_life(api, handlers):
    """A contract issued and published for 33,000,000 円, then lost by the table (not the bucket)."""
    before = _snapshot()
    number = _issue(api, OLD_AMOUNT)
    _publish(handlers, bucket_keys.certificate(number, 1))
    old_key = _auth_key(api, number)
    old_objects = boto3.client("s3").list_object_versions(Bucket=settings().bucket_name)["Versions"]
    _restore(before)
    with pytest.raises(ContractItem.DoesNotExist):
        ContractItem.get(*ContractItem.key(number))
    return number, old_key, {o["Key"] for o in old_objects}


def test_a_number_handed_out_again_publishes_its_own_certificate(api, handlers, sent_mail, old_life, caplog):
    number, old_key, old_objects = old_life
    assert _issue(api, NEW_AMOUNT) == number  # the counter was restored too: the same number, version 1
    version = VersionItem.get(*VersionItem.key(number, 1), consistent_read=True)
    assert version.s3_key not in old_objects  # the old object stays where it is, unadopted
    _publish(handlers, version.s3_key)

    new_key = _auth_key(api, number)
    assert new_key != old_key
    status, verified = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": new_key})
    assert status == 200, verified
    assert verified["certificate"]["guarantee_amount"] == NEW_AMOUNT and verified["chain_valid"] is True
    served = _served(verified["pdf_url"])
    assert "38,000,000円" in _text(served) and "33,000,000円" not in _text(served)
    version.refresh(consistent_read=True)
    assert version.state == "published"
    assert version.sha256 == hashlib.sha256(served).hexdigest()  # the digest recorded is of the bytes served

    # The contractor's own documents of this life: the fee statement of this amount, the notice of this key.
    status, link = api.get(f"/contracts/{number}/fee-statements/1", CONTRACTOR_A)
    assert status == 200, link
    assert link["url"] and "38,000,000" in _text(_served(link["url"]))
    status, link = api.get(f"/contracts/{number}/notice", CONTRACTOR_A)
    assert status == 200, link
    notice = _text(_served(link["url"]))
    assert new_key in notice and old_key not in notice


def test_the_old_objects_arrival_is_refused_and_counted(api, handlers, old_life, capsys, caplog):
    number, _, _ = old_life
    _issue(api, NEW_AMOUNT)
    capsys.readouterr()
    caplog.clear()
    # The old object's notification delivered again (S3 delivers at least once; a redriven dead letter).
    _publish(handlers, bucket_keys.certificate(number, 1))
    out = capsys.readouterr().out
    version = VersionItem.get(*VersionItem.key(number, 1), consistent_read=True)
    assert version.state == "rendered"  # nothing was published from it
    assert '"ForeignObjects":[1.0]' in out.replace(" ", "")  # the metric ForeignObjectsAlarm watches
    refused = [r for r in caplog.records if r.getMessage() == "foreign object refused"]
    assert [(r.levelname, r.s3_key, r.record_id) for r in refused] == [("ERROR", bucket_keys.certificate(number, 1), version.record_id)]
    assert refused[0].object_record_id != version.record_id
    logged = out + "\n".join(str(r.__dict__) for r in caplog.records)
    assert old_life[1] not in logged  # keys and owners are logged, never an auth key
    from esurety.aws import keys

    right_key = keys.decrypt(ContractItem.get(*ContractItem.key(number)).key_ciphertext, number)
    status, verified = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": right_key})
    assert status == 404  # the orderer sees nothing until this record's own certificate arrives

    _publish(handlers, version.s3_key)  # this record's own object publishes it
    status, verified = api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": right_key})
    assert status == 200 and "38,000,000円" in _text(_served(verified["pdf_url"]))


def test_a_termination_statement_of_a_lost_life_is_not_served(api, handlers):
    """解約 in both lives: the 保証料返還計算書 served is of this life's refund, not the lost one's."""
    from datetime import timedelta

    from esurety.domain.japanese import clock

    ended_on = (clock.today() + timedelta(days=30)).isoformat()
    body = {"kind": "cancelled", "date": ended_on, "reason": "工事の中止による解約"}

    def issue_publish_terminate(amount: int) -> tuple[str, int]:
        number = _issue(api, amount)
        _publish(handlers, VersionItem.get(*VersionItem.key(number, 1), consistent_read=True).s3_key)
        revision = api.get(f"/staff/contracts/{number}", STAFF)[1]["revision"]  # as the staff screen sends it
        status, ending = api.post(f"/staff/contracts/{number}/termination", STAFF, body, headers={"If-Match": f'"{revision}"'})
        assert status == 200, ending
        return number, ending["refund"]["amount"]

    before = _snapshot()
    number, old_refund = issue_publish_terminate(OLD_AMOUNT)
    _restore(before)
    assert issue_publish_terminate(NEW_AMOUNT)[0] == number
    new_refund = ContractItem.get(*ContractItem.key(number)).ending["refund"]["amount"]
    assert new_refund != old_refund

    status, link = api.get(f"/contracts/{number}/termination-statement", CONTRACTOR_A)
    assert status == 200, link
    statement = _text(_served(link["url"]))
    assert f"{new_refund:,}円" in statement and f"{old_refund:,}円" not in statement


def test_an_object_is_adopted_only_by_the_record_it_names(cloud, capsys):
    """storage.create_pdf's rule, on its own: the same owner adopts what it put before; another
    owner's object (or one put before owners existed) is refused and the PDF goes beside it."""
    key = "certificates/31063-00001J/v001.pdf"
    mine, theirs = VersionItem.new_record_id(), VersionItem.new_record_id()
    first, created = storage.create_pdf(key, b"%PDF-1.7 theirs", owner=theirs)
    assert created and (first.key, first.owner) == (key, theirs)
    capsys.readouterr()

    again, created = storage.create_pdf(key, b"%PDF-1.7 theirs, rendered again", owner=theirs)
    assert not created and again.sha256 == first.sha256  # a retry of the same record adopts its object
    assert '"ForeignObjects"' not in capsys.readouterr().out

    stored, created = storage.create_pdf(key, b"%PDF-1.7 mine", owner=mine)
    assert created and stored.key == bucket_keys.owner_key(key, mine) == f"certificates/31063-00001J/v001-{mine}.pdf"
    assert storage.read(stored.key).owner == mine and storage.read(key).sha256 == first.sha256  # theirs is untouched
    repeated, created = storage.create_pdf(key, b"%PDF-1.7 mine, rendered again", owner=mine)
    assert not created and (repeated.key, repeated.sha256) == (stored.key, stored.sha256)
    assert storage.owned(key, mine) == stored.key and storage.owned(key, theirs) == key

    legacy = "fees/31063-00001J/v001.pdf"
    storage.create_pdf(legacy, b"%PDF-1.7 from before owners")  # no owner: as before
    assert storage.create_pdf(legacy, b"%PDF-1.7 mine", owner=mine)[0].key == bucket_keys.owner_key(legacy, mine)
    assert storage.create_pdf(legacy, b"%PDF-1.7 x")[0].key == legacy  # a record without an owner adopts as before
