"""An issue call that dies between the table write and the bucket put is finished by its retry.

On AWS a HeadObject of a missing key answers 403 to IssueFunction (its role may not list the
bucket), so a recovery that asks "is the PDF there yet?" fails on every retry (finding 1). The
harness answers as AWS does, so this test sees what production would.
"""
from __future__ import annotations

import hashlib

import boto3
import pytest

from conftest import CONTRACTOR_A, STAFF, LambdaContext, application_body, s3_put_event
from esurety.aws import client, contracts_repository
from esurety.config import settings
from esurety.aws.models import VersionItem


class FunctionDied(BaseException):
    """The invocation ends here (timeout, out of memory): nothing after this point runs."""


@pytest.fixture
def dies_at_first_bucket_put():
    """The next PutObject the functions make kills the invocation before it reaches S3."""
    events = client("s3").meta.events
    armed = {"on": True}

    def die(**_):
        if armed["on"]:
            armed["on"] = False
            raise FunctionDied()

    events.register_first("before-call.s3.PutObject", die, unique_id="test-dies-at-first-put")
    yield
    events.unregister("before-call.s3.PutObject", unique_id="test-dies-at-first-put")


def test_issue_retried_after_dying_before_the_bucket_put_completes(api, handlers, sent_mail, dies_at_first_bucket_put):
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    issue_path = f"/staff/applications/{created['application_id']}/issue"
    with pytest.raises(FunctionDied):
        api.post(issue_path, STAFF)  # the contract and version are written; no PDF is in the bucket

    status, issued = api.post(issue_path, STAFF)  # the staff member presses again (or API Gateway retried)
    assert status == 202, issued
    number = issued["contract_number"]
    key = f"certificates/{number}/v001.pdf"
    handlers["publish"].lambda_handler(s3_put_event(key), LambdaContext())

    versions = list(VersionItem.query(f"CONTRACT#{number}", VersionItem.sk.startswith("VERSION#")))
    assert [(v.version, v.state) for v in versions] == [(1, "published")]
    objects = boto3.client("s3").list_object_versions(Bucket=settings().bucket_name, Prefix="certificates/")
    assert len(objects.get("Versions", [])) == 1  # one object, so one arrival
    assert api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    assert len(sent_mail()) == 1
    assert api.post(issue_path, STAFF)[0] == 202  # and a later press changes nothing


@pytest.fixture
def dies_after_the_paper_put():
    yield from _dies_after_put("paper/")


@pytest.fixture
def dies_after_the_certificate_put():
    yield from _dies_after_put("certificates/")


def _dies_after_put(prefix: str):
    """The PDF under `prefix` reaches S3, then the invocation dies before it hears the answer."""
    events = client("s3").meta.events
    armed = {"on": True}

    # The object is put beside the call (outside the function, so unjudged) with its parameters,
    # then the call dies as if its answer were lost.
    def put_then_die(params, **kwargs):
        if armed["on"] and str(params.get("Key", "")).startswith(prefix):
            armed["on"] = False
            boto3.client("s3").put_object(**params)
            raise FunctionDied()

    events.register_first("before-parameter-build.s3.PutObject", put_then_die, unique_id="test-dies-after-paper-put")
    yield
    events.unregister("before-parameter-build.s3.PutObject", unique_id="test-dies-after-paper-put")


def test_a_paper_issue_retried_after_its_put_reads_back_what_is_stored(api, dies_after_the_paper_put):
    body = application_body("contract", format="paper", orderer_id="mlit")
    _, created = api.post("/applications", CONTRACTOR_A, body)
    issue_path = f"/staff/applications/{created['application_id']}/issue"
    with pytest.raises(FunctionDied):
        api.post(issue_path, STAFF)  # the paper PDF is in the bucket; the call never learnt it

    status, issued = api.post(issue_path, STAFF)  # the retry finds it there and keeps it
    assert status == 202, issued
    number = issued["contract_number"]
    objects = boto3.client("s3").list_object_versions(Bucket=settings().bucket_name, Prefix=f"paper/{number}/")
    assert len(objects.get("Versions", [])) == 1  # the first rendering stands
    stored = boto3.client("s3").get_object(Bucket=settings().bucket_name, Key=f"paper/{number}/v001.pdf")
    version = VersionItem.get(f"CONTRACT#{number}", "VERSION#001")
    assert version.sha256 == hashlib.sha256(stored["Body"].read()).hexdigest()  # the digest of what is stored


def test_an_arrival_whose_issue_died_after_the_put_is_recorded_and_chained_by_the_publisher(
    api, handlers, sent_mail, dies_after_the_certificate_put
):
    """Nobody presses 発行 again: the bucket's notification alone finishes the certificate."""
    from esurety.aws.models import ContractItem
    from esurety.services import contracts

    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    with pytest.raises(FunctionDied):
        api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    from esurety.aws.models import ApplicationItem

    number = ApplicationItem.get(*ApplicationItem.key(created["application_id"])).contract_number
    assert VersionItem.get(f"CONTRACT#{number}", "VERSION#001").sha256 is None  # the issue never recorded it
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    version = VersionItem.get(f"CONTRACT#{number}", "VERSION#001")
    stored = boto3.client("s3").get_object(Bucket=settings().bucket_name, Key=f"certificates/{number}/v001.pdf")["Body"].read()
    assert version.state == "published" and version.sha256 == hashlib.sha256(stored).hexdigest()
    assert version.record_sha256 and version.previous_sha256 == "0" * 64  # joined the hash chain
    contract = ContractItem.get(*ContractItem.key(number))
    assert contracts.chain_valid(contract, contracts_repository.versions(number))
    assert len(sent_mail()) == 1
