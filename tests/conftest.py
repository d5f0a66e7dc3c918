"""Every test shares this: the environment set before esurety is imported, the in-process AWS (moto) the
unit, integration and infrastructure tests use, the fidelity and no-skip hooks, and the shared fixtures."""
from __future__ import annotations

import contextlib
import importlib.util
from datetime import datetime, timedelta, timezone
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Set before esurety is imported: the models read the table name at import.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "AWS_REGION": "ap-northeast-1",
        "TABLE_NAME": "esurety-test",
        "BUCKET_NAME": "esurety-test-docs-123456789012-ap-northeast-1",  # the template's name for Stage=test
        "PEPPER_SECRET_ID": "esurety/test/pepper",
        "AUTH_KEY_KMS_KEY_ID": "alias/esurety-test",
        "SIGNING_KEY_ID": "alias/esurety-test-signing",
        "SIGNING_CERTIFICATE_PARAMETER": "/esurety/test/signing-certificate",
        "MAIL_FROM": "no-reply@surety.example",
        "POWERTOOLS_SERVICE_NAME": "esurety-test",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "PUBLICATION_QUEUE_URL": "https://sqs.ap-northeast-1.amazonaws.com/123456789012/esurety-test-publication",
        "MAIL_QUEUE_URL": "https://sqs.ap-northeast-1.amazonaws.com/123456789012/esurety-test-mail",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

import aws_fidelity  # noqa: E402  (hooks botocore before any client exists: IAM, S3 403s, key limits)
from aws_fidelity import pytest_sessionfinish, pytest_terminal_summary, pytest_testnodedown  # noqa: E402,F401
from moto import mock_aws  # noqa: E402

from esurety.aws import keys, signing  # noqa: E402
from esurety.config import settings  # noqa: E402


def _forget_process_caches() -> None:
    from aws_lambda_powertools.utilities.parameters.base import clear_caches

    keys.forget()
    signing.forget()
    clear_caches()


aws_fidelity.on_cold_start(_forget_process_caches)  # each function reads its own secrets (IAM)


def load_handler(relative: str, name: str):
    """Import a function's module by path, as Lambda does (each function has its own `app`)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with _its_own_process(ROOT / relative):
        aws_fidelity.load_module(spec, module, ROOT / relative)  # runs as its template function (IAM)
    return module


@contextlib.contextmanager
def _its_own_process(path: Path):
    """Each function runs in its own process, named by its template POWERTOOLS_SERVICE_NAME: the
    handler gets a fresh esurety.aws.observability (Logger, Tracer, Metrics) made under that name."""
    logical_id = aws_fidelity._template().function_for(path)
    service = aws_fidelity._template().environment(logical_id).get("POWERTOOLS_SERVICE_NAME") if logical_id else None
    before = os.environ.get("POWERTOOLS_SERVICE_NAME")
    os.environ["POWERTOOLS_SERVICE_NAME"] = service or before or ""
    sys.modules.pop("esurety.aws.observability", None)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("POWERTOOLS_SERVICE_NAME", None)
        else:
            os.environ["POWERTOOLS_SERVICE_NAME"] = before


@pytest.fixture(scope="session")
def template() -> dict:
    """infra/template.yaml with its intrinsics in long form, read as the local cloud deploys it."""
    from tools.localcloud.deploy import load_template

    return load_template(ROOT / "infra" / "template.yaml")


class LambdaContext:
    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-northeast-1:123456789012:function:test"
    aws_request_id = "req-0001"


# The demo root CA that issued the current `cloud`'s signing certificate (see the trust_root fixture).
_SIGNING_TRUST = {}


def _s3_event_as_aws_sends_it():
    """moto's S3 notifications lack the object's versionId (and sequencer); AWS's carry them."""
    from moto.s3 import notifications

    original = notifications._get_s3_event

    def with_version(event_name, bucket, key, notification_id):
        event = original(event_name, bucket, key, notification_id)
        event["Records"][0]["s3"]["object"].update(versionId=key.version_id or "null", sequencer="0055AED6DCD90281E5")
        return event

    notifications._get_s3_event = with_version
    return original


@pytest.fixture(scope="session")
def _moto():
    """One in-process AWS for the whole run; each test resets it (much cheaper than a new mock)."""
    from moto.s3 import notifications

    original = _s3_event_as_aws_sends_it()
    mock = mock_aws()
    mock.start()
    yield mock
    mock.stop()
    notifications._get_s3_event = original


PUBLICATION_DLQ = "esurety-test-publication-failures"
PUBLICATION_MAX_RECEIVES = 5  # as the template's redrive policy


def _publication_queues() -> None:
    """The publication queue with its dead-letter queue, fed by the bucket as in the template."""
    import boto3

    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName=PUBLICATION_DLQ)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=os.environ["PUBLICATION_QUEUE_URL"].rsplit("/", 1)[1],
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": PUBLICATION_MAX_RECEIVES})},
    )["QueueUrl"]
    assert url == settings().publication_queue_url
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("s3").put_bucket_notification_configuration(
        Bucket=settings().bucket_name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "certificate-arrival",
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "certificates/"}, {"Name": "suffix", "Value": ".pdf"}]}},
                }
            ]
        },
    )


MAIL_DLQ = "esurety-test-mail-failures"


def _mail_queues() -> None:
    """The mail queue with its dead-letter queue, as in the template."""
    import boto3

    from esurety.services.commands.outbox import MAX_RECEIVES

    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName=MAIL_DLQ)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=os.environ["MAIL_QUEUE_URL"].rsplit("/", 1)[1],
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES})},
    )["QueueUrl"]
    assert url == settings().mail_queue_url


def drain_mail(rounds: int = 1) -> list[dict]:
    """Run the mail sender (MailFunction, judged by its IAM) over what the mail queue holds, as
    Lambda's event source mapping does: each message a record with its receive count, the ones it
    reports failed left on the queue (visible again at once, so the next round retries them), the
    others deleted. Returns each round's batch item failures."""
    import boto3

    sqs = boto3.client("sqs")
    url = settings().mail_queue_url
    sender = load_handler("functions/issue/mail.py", "esurety_fn_mail")
    failures = []
    for _ in range(rounds):
        while True:
            received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=30)
            messages = received.get("Messages", [])
            if not messages:
                break
            event = {"Records": [
                {
                    "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                    "attributes": m["Attributes"], "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:ap-northeast-1:123456789012:{url.rsplit('/', 1)[1]}",
                    "awsRegion": "ap-northeast-1",
                }
                for m in messages
            ]}
            answer = sender.lambda_handler(event, LambdaContext())
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            failures.extend(answer.get("batchItemFailures", []))
            for m in messages:
                if m["MessageId"] in failed:
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
                else:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if failed:
                break  # one delivery per round for what failed (the queue's visibility timeout)
    return failures


@pytest.fixture
def cloud(_moto):
    """A fresh account: table, bucket, KMS keys, pepper, signing certificate, SES sender, registry."""
    from aws_lambda_powertools.utilities.parameters.base import clear_caches

    from tools.signing_certificate import store_demo_certificate

    _moto.reset()
    keys.forget()
    signing.forget()
    clear_caches()
    import boto3

    from esurety.aws.models import create_table
    from esurety.services import registry

    create_table()
    s3 = boto3.client("s3")
    s3.create_bucket(
        Bucket=settings().bucket_name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    s3.put_bucket_versioning(Bucket=settings().bucket_name, VersioningConfiguration={"Status": "Enabled"})
    _publication_queues()
    _mail_queues()
    kms = boto3.client("kms")
    key_id = kms.create_key(Description="esurety test")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=settings().key_id, TargetKeyId=key_id)
    # The PDF signing key (as SigningKey in the template) and a demo certificate for it.
    signing_key_id = kms.create_key(
        Description="esurety test signing", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY",
        Tags=[{"TagKey": "esurety:issuer", "TagValue": "toto-hosho"}, {"TagKey": "esurety:stage", "TagValue": "test"}],
    )["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=os.environ["SIGNING_KEY_ID"], TargetKeyId=signing_key_id)
    _SIGNING_TRUST["root_pem"] = store_demo_certificate(
        kms, boto3.client("ssm"), signing_key_id, os.environ["SIGNING_CERTIFICATE_PARAMETER"]
    )
    _SIGNING_TRUST["key_id"] = signing_key_id
    # Notices are put with SSE-KMS under DocumentsKey, as the template's NOTICE_KMS_KEY_ARN says
    # (the bucket policy refuses any other notice put: the IAM harness answers as AWS would).
    documents_key = kms.create_key(Description="esurety test documents")["KeyMetadata"]["Arn"]
    os.environ["NOTICE_KMS_KEY_ARN"] = documents_key
    settings.cache_clear()
    boto3.client("secretsmanager").create_secret(Name=settings().pepper_secret_id, SecretString="pepper-for-tests-0123456789")
    boto3.client("ses").verify_email_identity(EmailAddress=settings().mail_from)
    registry.seed()
    aws_fidelity.new_account()
    yield
    refused = aws_fidelity.take_problems()
    keys.forget()
    signing.forget()
    clear_caches()
    _SIGNING_TRUST.clear()
    assert not refused, "AWS would refuse what this test did:\n" + "\n".join(refused)


@pytest.fixture
def trust_root(cloud) -> str:
    """PEM of the demo root CA that issued this cloud's signing certificate: the only trust anchor."""
    return _SIGNING_TRUST["root_pem"]


@pytest.fixture
def signing_key_id(cloud) -> str:
    """Key id of this cloud's KMS signing key (its alias is $SIGNING_KEY_ID)."""
    return _SIGNING_TRUST["key_id"]


@pytest.fixture(scope="session")
def handlers():
    return {
        "apply": load_handler("functions/apply/app.py", "esurety_fn_apply"),
        "issue": load_handler("functions/issue/app.py", "esurety_fn_issue"),
        "publish": load_handler("functions/issue/publish.py", "esurety_fn_publish"),
        "verify": load_handler("functions/verify/app.py", "esurety_fn_verify"),
        "desk": load_handler("functions/desk/app.py", "esurety_fn_desk"),
        "mail": load_handler("functions/issue/mail.py", "esurety_fn_mail"),
    }


CONTRACTOR_A = {"cognito:groups": "[contractor]", "custom:company_id": "company-a", "sub": "user-a"}
CONTRACTOR_B = {"cognito:groups": "[contractor]", "custom:company_id": "company-b", "sub": "user-b"}
STAFF = {"cognito:groups": "[staff]", "sub": "staff-1"}
# Staff of an issuer other than the default one (custom:issuer_id of the staff pool), and the default
# issuer's staff with the attribute set (STAFF has none, as staff created before several issuers).
STAFF_INSURER = {"cognito:groups": "[staff]", "custom:issuer_id": "mihon-sonpo", "sub": "staff-insurer"}
STAFF_TOTO = {"cognito:groups": "[staff]", "custom:issuer_id": "toto-hosho", "sub": "staff-toto"}
ORDERER_TOCHIGI = {"cognito:groups": "[orderer]", "custom:orderer_id": "tochigi-pref", "sub": "orderer-1"}
ORDERER_ASHIKAGA = {"cognito:groups": "[orderer]", "custom:orderer_id": "ashikaga-city", "sub": "orderer-2"}
# 栃木県's 県土整備部 技術管理課 (前払金・中間前払金) and 会計局 契約検査課 (契約保証): department clerks
ORDERER_TOCHIGI_WORKS = {"cognito:groups": "[orderer]", "custom:orderer_id": "tochigi-pref", "custom:department_id": "works", "sub": "orderer-works"}
ORDERER_TOCHIGI_CONTRACTS = {
    "cognito:groups": "[orderer]", "custom:orderer_id": "tochigi-pref", "custom:department_id": "contracts", "sub": "orderer-contracts",
}


def http_event(method: str, path: str, claims: dict | None, body=None, headers: dict | None = None, query: dict | None = None) -> dict:
    """An API Gateway HTTP API (payload 2.0) event as the JWT authorizer passes it on."""
    raw_body = body if isinstance(body, str) or body is None else json.dumps(body, ensure_ascii=False)
    event = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "pytest"},
            "requestId": "r1",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "01/Apr/2024:03:00:00 +0000",
            "timeEpoch": 1711940400000,
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return event


class Api:
    """Calls the handlers the way API Gateway would, and decodes the JSON answer."""

    ROUTES = {
        "apply": ("/orderers", "/issuers", "/applications", "/contracts", "/profile"),
        "issue": ("/staff/",),
        "verify": ("/verifications",),
        "desk": ("/desk/",),
    }

    def __init__(self, handlers):
        self.handlers = handlers

    def _function(self, path: str):
        for name, prefixes in self.ROUTES.items():
            if any(path.startswith(prefix) for prefix in prefixes):
                return self.handlers[name]
        raise AssertionError(f"no function serves {path}")

    def call(self, method: str, path: str, claims: dict | None, body=None, headers=None, query=None):
        response = self._function(path).lambda_handler(http_event(method, path, claims, body, headers, query), LambdaContext())
        payload = json.loads(response["body"]) if response.get("body") else None
        return response["statusCode"], payload

    def get(self, path, claims, **kw):
        return self.call("GET", path, claims, **kw)

    def post(self, path, claims, body=None, **kw):
        return self.call("POST", path, claims, body, **kw)


@pytest.fixture
def api(cloud, handlers):
    return Api(handlers)


def application_body(product: str = "advance_payment", **overrides) -> dict:
    body = {
        "product": product,
        "format": "electronic",
        "notify_email": "keiri@maruyama-kensetsu.example",
        "branch_code": "31",
        "orderer_id": "tochigi-pref",
        "work": {
            "name": "県道宇都宮線道路改良工事（その２）",
            "kind": "construction",
            "contract_price": 50_000_000,
            "contract_date": "2024-04-01",
            "period_start": "2024-04-02",
            "period_end": "2025-03-14",
        },
        "guarantee": {"amount": 20_000_000, "deadline": "2025-03-31"},
        "contractor": {"name": "丸山建設 株式会社", "address": "栃木県宇都宮市本町1-2-3", "jv_name": None},
        "deposit_bank": "みどり銀行 本町支店" if product != "contract" else None,
    }
    for key, value in overrides.items():
        body[key] = value
    return body


def nintei_pdf() -> bytes:
    """A one-page PDF standing for the orderer's 認定調書 (its content is the orderer's)."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.drawString(72, 720, "nintei chousho")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def checked_upload(api, claims: dict | None = None) -> str:
    """A 認定調書 uploaded as the browser does it (the presigned POST's key; the bytes put by the
    test as the account owner, since in-process moto takes no form POST), then judged by the
    upload check on its S3 notification. Returns the upload id an application names."""
    import boto3

    status, upload = api.post("/applications/uploads", claims or CONTRACTOR_A)
    assert status == 201, upload
    key = upload["fields"]["key"]
    boto3.client("s3").put_object(Bucket=settings().bucket_name, Key=key, Body=nintei_pdf(), ContentType="application/pdf")
    check = load_handler("functions/apply/upload_check.py", "esurety_fn_upload_check")
    assert check.lambda_handler(s3_notification(key), LambdaContext())["outcomes"] == ["checked"]
    return upload["upload_id"]


def issued_paper_advance(api, orderer_id: str = "ashikaga-city") -> str:
    """The number of an issued paper 前払金保証 (paper needs no publication)."""
    status, created = api.post("/applications", CONTRACTOR_A, application_body(format="paper", orderer_id=orderer_id))
    assert status == 201, created
    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202, issued
    return issued["contract_number"]


def interim_body(api, advance_contract_number: str, claims: dict | None = None, **overrides) -> dict:
    """A 中間前払金保証 application following `advance_contract_number` (2割 of the price)."""
    body = application_body("interim_advance_payment", **overrides)
    body["guarantee"] = {**body["guarantee"], "amount": 10_000_000}
    body["upload_id"] = checked_upload(api, claims)
    body["advance_contract_number"] = advance_contract_number
    return {**body, **overrides}


def s3_put_event(key: str, event_time: str = "2024-04-01T03:00:00.000Z") -> dict:
    """What the publisher receives for an arrival: the publication queue's message holding the
    ObjectCreated:Put notification S3 sends, built from the real object in the (moto) bucket."""
    return sqs_event(s3_notification(key, event_time))


def sqs_event(*bodies: dict) -> dict:
    """An SQS event source mapping's batch, one record per message body."""
    return {
        "Records": [
            {
                "messageId": f"message-{number}",
                "receiptHandle": f"receipt-{number}",
                "body": json.dumps(body, ensure_ascii=False),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1711940400000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-northeast-1:123456789012:esurety-test-publication",
                "awsRegion": "ap-northeast-1",
            }
            for number, body in enumerate(bodies, start=1)
        ]
    }


def s3_notification(key: str, event_time: str = "2024-04-01T03:00:00.000Z") -> dict:
    """The ObjectCreated:Put notification S3 sends, built from the real object in the (moto) bucket."""
    import boto3

    head = boto3.client("s3").head_object(Bucket=settings().bucket_name, Key=key)
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "ap-northeast-1",
                "eventTime": event_time,
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:esurety-issue"},
                "requestParameters": {"sourceIPAddress": "192.0.2.1"},
                "responseElements": {"x-amz-request-id": "req", "x-amz-id-2": "id2"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "certificate-arrival",
                    "bucket": {
                        "name": settings().bucket_name,
                        "ownerIdentity": {"principalId": "owner"},
                        "arn": f"arn:aws:s3:::{settings().bucket_name}",
                    },
                    "object": {
                        "key": key,
                        "size": head["ContentLength"],
                        "eTag": head["ETag"].strip('"'),
                        "versionId": head.get("VersionId", "null"),
                        "sequencer": "0055AED6DCD90281E5",
                    },
                },
            }
        ]
    }


def ses_sent() -> list:
    """The messages SES accepted so far, from moto's backend (what the recipients got)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["ap-northeast-1"].sent_messages)


@pytest.fixture
def sent_mail():
    """The messages SES accepted once the mail sender has run over the mail queue (e-mails are
    sent outside the request that decided them): what the recipient would get."""

    def read():
        drain_mail()
        return ses_sent()

    return read


FROZEN_NOW = datetime(2024, 4, 1, 10, 0, tzinfo=timezone(timedelta(hours=9)))


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """Service tests live on 2024-04-01 10:00 JST (栃木県's first day), so dates in them stay fixed."""
    from esurety.domain.japanese import clock

    monkeypatch.setattr(clock, "now", lambda: FROZEN_NOW)
    return FROZEN_NOW



# ----------------------------------------------------------------------------- shared by several modules
# Fixtures more than one test module asks for live here (test modules never import one another;
# their shared builders are in support/).


@pytest.fixture
def contract(api, handlers):
    """A published 前払金保証 (20,000,000 円 to 2025-03-31) and its auth key."""
    from support.flows import issue_and_publish, overview

    _, number, _ = issue_and_publish(api, handlers)
    return number, overview(api, number)["auth_key"]


@pytest.fixture
def atomic_requests(monkeypatch):
    """DynamoDB applies each request atomically; moto's in-memory backend does not guard itself
    against threads, so each request is made atomic here. Requests still interleave freely."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.__call__

    def atomic(self, event_name, request, **kwargs):
        with lock:
            return original(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", atomic)



# ----------------------------------------------------------------------------- spread over the cores
# `make test` runs under pytest-xdist (-n 2 --dist loadgroup): a test is a unit of work of its own
# unless a module (or class) fixture serves it, then its module is one unit, so that fixture is
# made once. The modules of tests/e2e/ are one unit together: one local cloud runs at a time (each
# module starts its own) beside the moto tests on the other core. The long single tests (the
# fault matrices) thus run side by side instead of one after the other.
_SHARED_SCOPES = {"module", "class", "package"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    if not hasattr(config, "workerinput"):
        return
    e2e = ROOT / "tests" / "e2e"
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        fixtures = getattr(item, "_fixtureinfo", None)
        shared = fixtures is not None and any(
            definition.scope in _SHARED_SCOPES for definitions in fixtures.name2fixturedefs.values() for definition in definitions
        )
        if e2e in item.path.parents:
            group = "e2e"
        elif shared:
            group = module
        else:
            group = item.nodeid
        item.add_marker(pytest.mark.xdist_group(group))


# No skipped tests: every skip is a failure (see no_skips.py).
from no_skips import pytest_make_collect_report, pytest_runtest_makereport  # noqa: E402,F401
