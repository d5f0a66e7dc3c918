"""The publication path converges whatever fails: a fault before and after each AWS call of issue
and publish, two overlapping issue calls, a publication failing on every attempt.

A clean run is recorded first (every AWS call the issue call and the publisher make, through
botocore's `before-call`/`after-call` events on every client, boto3's and PynamoDB's alike), so a
call added to either joins the matrix by itself. Each case then runs in a fresh account:
submit, issue with the fault armed (it fires once, at that call), then what happens on AWS
afterwards: staff press 発行 again after an error, the publication queue redelivers what failed
until its receives are spent (then the dead-letter queue holds it), the reconciler runs a few
minutes later. Each case must end with exactly one published version whose recorded digest is
that of the one stored object version, one notice, at most one e-mail (exactly one unless the
fault hit the e-mail itself after it was claimed), the application issued, nothing pending.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

import conftest
from conftest import CONTRACTOR_A, PUBLICATION_DLQ, STAFF, LambdaContext, application_body, load_handler
from esurety import aws
from esurety.domain.japanese import clock
from esurety.config import settings
from esurety.aws.models import ALL_MODELS, ApplicationItem, VersionItem

ISSUE, PUBLISH = "issue", "publish"


# ----------------------------------------------------------------------------- calls and faults


class InjectedFault(Exception):
    """Not a ClientError: botocore must not retry it, and the code must not mistake it for an answer."""


@dataclass
class Calls:
    """Every AWS call, labelled `service.Operation[ prefix/] #n` within the stage that makes it."""

    stage: str | None = None
    recorded: dict = field(default_factory=lambda: {ISSUE: [], PUBLISH: []})
    counts: Counter = field(default_factory=Counter)
    fault: tuple | None = None  # (stage, label, "before" | "after", every_time)
    fired: int = 0
    on_call: object = None  # (stage, label, when) -> None, for the overlap cases

    def label(self, event_name: str, model, params: dict) -> str:
        service = event_name.split(".")[1]
        where = f" {params['Key'].split('/')[0]}/" if service == "s3" and "Key" in (params or {}) else ""
        base = f"{service}.{model.name}{where}"
        self.counts[(self.stage, base)] += 1
        return f"{base} #{self.counts[(self.stage, base)]}"

    def parameters(self, event_name, model, params, context, **kwargs):
        if self.stage is not None:
            context["fault_matrix_label"] = self.label(event_name, model, params)

    def before(self, context, **kwargs):
        if self.stage is None or "fault_matrix_label" not in context:
            return
        label = context["fault_matrix_label"]
        self.recorded[self.stage].append(label)
        self._maybe(label, "before")

    def hook(self, client) -> None:
        client.meta.events.register("before-parameter-build", self.parameters)
        client.meta.events.register("before-call", self.before)
        client.meta.events.register("after-call", self.after)

    def after(self, event_name, context, **kwargs):
        if self.stage is None or "fault_matrix_label" not in context:
            return
        self._maybe(context["fault_matrix_label"], "after")

    def _maybe(self, label: str, when: str):
        if self.on_call:
            self.on_call(self.stage, label, when)
        if self.fault is None:
            return
        stage, wanted, moment, every_time = self.fault
        same = label == wanted if not every_time else label.rsplit(" #", 1)[0] == wanted.rsplit(" #", 1)[0]
        if (stage, moment) == (self.stage, when) and same:
            self.fired += 1
            if not every_time:
                self.fault = None
            raise InjectedFault(f"{when} {stage} {label}")

    def run(self, stage: str, action):
        outer, self.stage = self.stage, stage
        counts = {k: v for k, v in self.counts.items() if k[0] == stage}
        if outer != stage:
            for key in counts:
                del self.counts[key]  # each invocation counts its own calls from 1
        try:
            return action()
        finally:
            self.stage = outer


def record_calls(patch: pytest.MonkeyPatch, recorder: Calls) -> Calls:
    """Hooks every botocore client created from now on (cached ones are dropped first)."""
    original = botocore.session.Session.create_client

    def create_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        recorder.hook(client)
        return client

    patch.setattr(botocore.session.Session, "create_client", create_client)
    aws.client.cache_clear()
    for model in ALL_MODELS:
        patch.setattr(model, "_connection", None)
    return recorder


def forget_clients() -> None:
    aws.client.cache_clear()
    for model in ALL_MODELS:
        model._connection = None


@pytest.fixture
def calls(monkeypatch):
    yield record_calls(monkeypatch, Calls())
    forget_clients()


# ----------------------------------------------------------------------------- what AWS does around it


class Platform:
    """The staff's button, the publication queue's event source mapping and the schedule."""

    def __init__(self, api, handlers, calls: Calls, monkeypatch, change: bool = False):
        self.api, self.handlers, self.calls, self.monkeypatch = api, handlers, calls, monkeypatch
        self.reconciler = load_handler("functions/issue/reconcile.py", "esurety_fn_ReconcileFunction")
        self.sqs = boto3.client("sqs")
        self.change = change  # the case is a 変更 of a published 新規, not the 新規 itself

    def submit(self) -> str:
        status, created = self.api.post("/applications", CONTRACTOR_A, application_body())
        assert status == 201, created
        if not self.change:
            return created["application_id"]
        # The 新規 is issued and published first, unrecorded; the case is its change.
        assert self.issue(created["application_id"]) == 202
        self.deliver()
        number = ApplicationItem.get(*ApplicationItem.key(created["application_id"])).contract_number
        status, change = self.api.post(f"/contracts/{number}/changes", CONTRACTOR_A, CHANGE)
        assert status == 201, change
        self.calls.recorded = {ISSUE: [], PUBLISH: []}
        return change["application_id"]

    def issue(self, application_id: str) -> int:
        def press():
            try:
                return self.api.post(f"/staff/applications/{application_id}/issue", STAFF)[0]
            except Exception:  # the fault, as raised or wrapped: unhandled in the function, API Gateway answers 500
                return 500

        return self.calls.run(ISSUE, press)

    def deliver(self) -> int:
        """As Lambda's SQS mapping: one message per invocation, deleted unless reported failed;
        a failed one comes back (here at once, as if its visibility timeout had passed)."""
        url, deliveries = settings().publication_queue_url, 0
        while True:
            received = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0,
                                                AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
            if not received:
                return deliveries
            message = received[0]
            deliveries += 1
            event = {"Records": [{"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
                                  "attributes": message.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": message["MD5OfBody"],
                                  "eventSource": "aws:sqs", "awsRegion": "ap-northeast-1",
                                  "eventSourceARN": "arn:aws:sqs:ap-northeast-1:123456789012:esurety-test-publication"}]}

            def invoke():
                try:
                    return self.handlers["publish"].lambda_handler(event, LambdaContext())
                except Exception:  # the whole batch failed (Powertools raises when every record failed)
                    return {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}

            result = self.calls.run(PUBLISH, invoke)
            if not result["batchItemFailures"]:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            assert deliveries < 50, "the publication queue does not drain"

    def reconcile(self, minutes_later: int = 10) -> dict:
        later = clock.now() + timedelta(minutes=minutes_later)
        self.monkeypatch.setattr(clock, "now", lambda: later)
        return self.reconciler.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())

    def dead_letters(self) -> int:
        url = self.sqs.get_queue_url(QueueName=PUBLICATION_DLQ)["QueueUrl"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def settle(self, application_id: str, first_status: int) -> None:
        status = first_status
        for _ in range(3):
            if status != 202:
                status = self.issue(application_id)  # staff saw an error and press again
            self.deliver()
            self.reconcile()
            self.deliver()
            if status == 202:
                return


def sent_mail_count() -> int:
    """E-mails SES accepted once the mail sender ran over the mail queue."""
    conftest.drain_mail()
    return len(conftest.ses_sent())


CHANGE = {"guarantee": {"amount": 30_000_000}, "reason": "前払金の追加請求（増額）のため"}


def outcome(application_id: str, mails: int) -> dict:
    """What a user would notice, from the table and the bucket, about the application's version."""
    from esurety.aws.models import ContractItem
    from esurety.services import contracts

    s3, bucket = boto3.client("s3"), settings().bucket_name
    application = ApplicationItem.get(*ApplicationItem.key(application_id), consistent_read=True)
    number = application.contract_number
    versions = list(VersionItem.query(f"CONTRACT#{number}", VersionItem.sk.startswith(VersionItem.PREFIX), consistent_read=True)) if number else []
    mine = [v for v in versions if v.application_id == application_id]
    version = mine[0] if len(mine) == 1 else None
    objects = s3.list_object_versions(Bucket=bucket, Prefix=version.s3_key).get("Versions", []) if version else []
    notice = storage_notice_key(number, int(version.version)) if version else None
    notices = s3.list_object_versions(Bucket=bucket, Prefix=notice).get("Versions", []) if notice else []
    published = version is not None and version.state == "published"
    digest_ok = False
    if published and len(objects) == 1:
        body = s3.get_object(Bucket=bucket, Key=version.s3_key, VersionId=objects[0]["VersionId"])["Body"].read()
        digest_ok = hashlib.sha256(body).hexdigest() == version.sha256
    pending = list(VersionItem.pending.query(VersionItem.PENDING))
    chain_ok = False
    if number and versions:
        chain_ok = contracts.chain_valid(ContractItem.get(*ContractItem.key(number), consistent_read=True), versions)
    return {
        "application": application.status,
        "records": len(versions),
        "published": sum(v.state == "published" for v in mine),
        "objects": len(objects),
        "digest_ok": digest_ok,
        "chain_ok": chain_ok,
        "notices": len(notices),
        "mails": mails,
        "claimed": published and version.notified_at is not None,
        "pending": len(pending),
    }


def storage_notice_key(number: str, version: int) -> str:
    from esurety.aws import bucket_keys

    return bucket_keys.notice(number, version)


def converged(result: dict, records: int = 1) -> bool:
    """One record for the application (the 新規's too for a change), published once from its one
    object, its notice, the hash chain holding; one e-mail, none only where it was claimed and SES
    then failed (at most once, by design)."""
    return (
        result["application"] == "issued"
        and (result["records"], result["published"], result["objects"], result["notices"], result["pending"]) == (records, 1, 1, 1, 0)
        and result["digest_ok"]
        and result["chain_ok"]
        and result["claimed"]
        and (result["mails"] == 1 or result["mails"] == 0 and result["claimed"])
    )


@pytest.fixture
def platform(api, handlers, calls, monkeypatch):
    return Platform(api, handlers, calls, monkeypatch)


def clean_run(platform: Platform) -> dict[str, list[str]]:
    application_id = platform.submit()
    assert platform.issue(application_id) == 202
    platform.deliver()
    return {stage: list(labels) for stage, labels in platform.calls.recorded.items()}


# ----------------------------------------------------------------------------- the tests


def test_a_clean_run_publishes_once(platform, sent_mail):
    recorded = clean_run(platform)
    assert "s3.PutObject certificates/ #1" in recorded[ISSUE] and "s3.GetObject certificates/ #1" in recorded[PUBLISH]
    assert not any(label.startswith("s3.HeadObject") for label in recorded[ISSUE])  # 403 on AWS for a missing key
    (application,) = ApplicationItem.queue.query("APPLICATIONS#issued")
    assert converged(outcome(application.application_id, len(sent_mail())))


def test_two_overlapping_issue_calls_end_with_one_published_version(platform, sent_mail):
    """The slower call resumes after the faster one stored and recorded its certificate."""
    application_id = platform.submit()
    statuses = []

    def overlap(stage, label, when):
        if (stage, label, when) == (ISSUE, "s3.PutObject certificates/ #1", "before") and not statuses:
            statuses.append(None)
            platform.calls.on_call = None
            # The other staff member's call, start to end, in another Lambda instance: it must not
            # clear this instance's request context (here both run in one process).
            app = platform.handlers["issue"].app
            ours = dict(app.context)
            statuses.append(platform.issue(application_id))
            app.context.update(ours)

    platform.calls.on_call = overlap
    statuses.append(platform.issue(application_id))
    assert statuses[1:] == [202, 202]
    platform.deliver()
    result = outcome(application_id, len(sent_mail()))
    assert converged(result) and result["mails"] == 1, result


def test_a_publication_failing_on_every_attempt_is_dead_lettered_and_republished(platform, sent_mail):
    application_id = platform.submit()
    platform.calls.fault = (PUBLISH, "kms.Sign #1", "before", True)  # KMS throttles every signature
    assert platform.issue(application_id) == 202
    platform.deliver()
    assert platform.dead_letters() == 1  # retries spent: the alarm's metric
    assert VersionItem.get(*VersionItem.key(ApplicationItem.get(*ApplicationItem.key(application_id)).contract_number, 1)).state == "rendered"
    platform.calls.fault = None  # the throttling is over
    assert len(platform.reconcile()["requested"]) == 1
    platform.deliver()
    result = outcome(application_id, len(sent_mail()))
    assert converged(result) and result["mails"] == 1, result


def test_a_retried_issue_of_a_stored_certificate_republishes_it(platform, sent_mail):
    application_id = platform.submit()
    assert platform.issue(application_id) == 202
    platform.sqs.purge_queue(QueueUrl=settings().publication_queue_url)  # the arrival never reached the publisher
    assert platform.issue(application_id) == 202
    platform.deliver()
    result = outcome(application_id, len(sent_mail()))
    assert converged(result) and result["mails"] == 1, result


def test_the_reconciler_queries_and_leaves_recent_versions_alone(platform):
    application_id = platform.submit()
    assert platform.issue(application_id) == 202
    platform.sqs.purge_queue(QueueUrl=settings().publication_queue_url)
    assert platform.reconcile(minutes_later=1)["requested"] == []  # the publisher may still be at work
    assert len(platform.reconcile(minutes_later=10)["requested"]) == 1


def test_fault_matrix(_moto, handlers, monkeypatch, capsys):
    """Every call of a clean run, a fault before and after it, each in a fresh account."""
    _matrix(_moto, handlers, capsys, change=False)


def test_fault_matrix_of_a_change(_moto, handlers, monkeypatch, capsys):
    """The same for a 変更 of a published 新規: its issue (the transaction with the contract's
    revision and pending mark, the chain link) and its publication."""
    _matrix(_moto, handlers, capsys, change=True)


def _matrix(_moto, handlers, capsys, change: bool):
    rows = []
    records = 2 if change else 1

    def fresh_case(run):
        account = conftest.cloud.__wrapped__(_moto)
        next(account)
        try:
            with pytest.MonkeyPatch.context() as patch:
                recorder = record_calls(patch, Calls())
                patch.setattr(clock, "now", clock.now)  # reconcile() moves it; each case starts at the frozen time
                platform = Platform(conftest.Api(handlers), handlers, recorder, patch, change=change)
                return run(platform, recorder, sent_mail_count)
        finally:
            forget_clients()
            next(account, None)

    recorded = fresh_case(lambda platform, recorder, mails: clean_run(platform))
    cases = [(stage, label, when) for stage in (ISSUE, PUBLISH) for label in recorded[stage] for when in ("before", "after")]
    assert len(cases) >= 40

    for stage, label, when in cases:
        def run(platform, recorder, mails, stage=stage, label=label, when=when):
            application_id = platform.submit()
            before = mails()
            recorder.fault = (stage, label, when, False)
            first = platform.issue(application_id)
            platform.settle(application_id, first)
            result = outcome(application_id, mails() - before)
            return f"{when} {stage} {label}", first, recorder.fired, result, converged(result, records)

        rows.append(fresh_case(run))

    for label in ("dynamodb.TransactWriteItems #1", "s3.PutObject certificates/ #1"):
        def overlap(platform, recorder, mails, label=label):
            application_id, seen = platform.submit(), []
            before = mails()

            def second_call(stage, at, when):
                if (stage, at, when) == (ISSUE, label, "before") and not seen:
                    recorder.on_call = None
                    seen.append(platform.issue(application_id))  # another staff member's call, start to end

            recorder.on_call = second_call
            first = platform.issue(application_id)
            platform.settle(application_id, first)
            result = outcome(application_id, mails() - before)
            return f"two overlapping issue calls (the second before {label})", f"{first}, {seen[0]}", len(seen), result, converged(result, records)

        rows.append(fresh_case(overlap))

    def failing_every_attempt(platform, recorder, mails):
        application_id = platform.submit()
        before = mails()
        recorder.fault = (PUBLISH, "kms.Sign #1", "before", True)
        first = platform.issue(application_id)
        platform.deliver()  # every receive fails: the dead-letter queue holds it
        dead = platform.dead_letters()
        recorder.fault = None
        platform.settle(application_id, first)  # the reconciler, a few minutes later
        result = outcome(application_id, mails() - before)
        return "publication failing on every attempt (kms.Sign), then the reconciler", first, min(recorder.fired, 1), result, converged(result, records) and dead == 1

    rows.append(fresh_case(failing_every_attempt))

    table = ["| case | first answer | faults | records | published | objects | digest = bytes | chain | notices | e-mails | application | converged |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, first, fired, result, ok in rows:
        table.append(f"| {name} | {first} | {fired} | {result['records']} | {result['published']} | {result['objects']} | {result['digest_ok']} | "
                     f"{result['chain_ok']} | {result['notices']} | {result['mails']} | {result['application']} | {'yes' if ok else 'NO'} |")
    with capsys.disabled():
        print(f"\n{'変更' if change else '新規'}:\n" + "\n".join(table) + f"\n{sum(r[4] for r in rows)} of {len(rows)} cases converged")
    assert all(r[2] == 1 for r in rows), [r[0] for r in rows if r[2] != 1]  # every fault did fire
    assert [r[0] for r in rows if not r[4]] == []
