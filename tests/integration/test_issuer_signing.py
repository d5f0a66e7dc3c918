"""Each issuer signs with its own KMS key and certificate: its documents validate against its own root
and no other's; a key or certificate that is not the issuer's, or cannot sign, gives no document but
503 `issuer_signing_unavailable`, the metric the alarm watches, and nothing stored.

The functions may sign with any key of the stage tagged for an issuer (attribute-based, no template
edit per issuer): the calls here are judged against the template's policies (tests/aws_fidelity.py),
so an issuer key without the tags is refused as AWS would refuse it."""
from __future__ import annotations

import dataclasses
import io
import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

import aws_fidelity
from conftest import CONTRACTOR_A, STAFF, LambdaContext, application_body, s3_put_event
from esurety.aws import signing
from esurety.aws.models import ApplicationItem, ContractItem, VersionItem
from esurety.config import settings
from esurety.documents.certificate import render_certificate
from esurety.domain.catalogue.issuer import Branch, Signing
from esurety.domain.japanese import clock
from esurety.domain.errors import IssuerSigningUnavailable
from esurety.metrics import metrics
from esurety.services import issuers
from support.documents import make_certificate
from support.flows import correct, records, rotate, terminate
from tools import signing_certificate

INSURER, BANK = "mihon-sonpo", "mirai-bank"
BRANCH = Branch("31", "栃木支店", "028-000-0000")  # the branch the applications here are made to
# A day on which 栃木県 accepts the insurer's and the bank's 契約保証 (data/orderers.json), and the work's dates around it.
ISSUE_DAY = datetime(2026, 5, 11, 10, 0, tzinfo=timezone(timedelta(hours=9)))
WORK = {"name": "県道宇都宮線道路改良工事（その５）", "kind": "construction", "contract_price": 50_000_000,
        "contract_date": "2026-05-08", "period_start": "2026-05-11", "period_end": "2027-03-15"}
UNAVAILABLE = "IssuerSigningUnavailable"


def certificate_parameter(issuer_id: str) -> str:
    return f"/esurety/test/issuers/{issuer_id}/signing-certificate"


def make_key(issuer_id: str | None, stage: str = "test") -> str:
    """A KMS signing key as the onboarding makes one: tagged for its issuer and this stage (ARN)."""
    tags = [{"TagKey": "esurety:stage", "TagValue": stage}]
    if issuer_id:
        tags.append({"TagKey": "esurety:issuer", "TagValue": issuer_id})
    return boto3.client("kms").create_key(
        Description=f"esurety test signing {issuer_id}", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Tags=tags
    )["KeyMetadata"]["Arn"]


def key_id(arn: str) -> str:
    return arn.rsplit("/", 1)[1]  # moto's DisableKey and EnableKey take the id only


def point(issuer_id: str, key: str, parameter: str) -> None:
    """The issuer's registry entry names `key` and `parameter` as its signing key and certificate."""
    issuer = issuers.get_issuer(issuer_id)
    if not any(branch.code == BRANCH.code for branch in issuer.branches):  # the applications here name it
        issuer = dataclasses.replace(issuer, branches=(*issuer.branches, BRANCH))
    issuers.register(dataclasses.replace(issuer, signing=Signing(key, parameter)))
    signing.forget()  # a new entry is read by the next cold start of a function that signs


@pytest.fixture
def pki(cloud) -> dict:
    """Two issuers with their own tagged key and demo certificate chain: {issuer_id: {"key", "root"}}."""
    issuers.seed()
    kms, ssm = boto3.client("kms"), boto3.client("ssm")
    made = {}
    for issuer_id in (INSURER, BANK):
        key = make_key(issuer_id)
        company = issuers.get_issuer(issuer_id).company
        root = signing_certificate.store_demo_certificate(kms, ssm, key, certificate_parameter(issuer_id), f"{company} 電子保証（デモ）")
        point(issuer_id, key, certificate_parameter(issuer_id))
        made[issuer_id] = {"key": key, "root": root}
    metrics.clear_metrics()  # what earlier tests recorded through the services without a handler
    yield made
    metrics.clear_metrics()


def validate(pdf: bytes, root_pem: str):
    """pyHanko's verdict on the one signature, trusting only `root_pem`, fetching nothing."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(pem.unarmor(root_pem.encode("ascii"))[2])
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 1
    return validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=[root], allow_fetching=False))


def signer_key(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].signer_cert.public_key.dump()


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return render_certificate(make_certificate("contract", None))


def sign_as_issue_function(pdf: bytes, issuer_id: str) -> bytes:
    with aws_fidelity.acting_as("IssueFunction"):  # judged as the function that issues
        return signing.sign_pdf(pdf, issuer=issuers.get_issuer(issuer_id))


def refused_count() -> int:
    recorded = metrics.metric_set.get(UNAVAILABLE)
    return len(recorded["Value"]) if recorded else 0


# ----------------------------------------------------------------------------- each its own key


def test_each_issuers_document_validates_against_its_own_root_and_not_the_others(pki, trust_root, unsigned):
    signed = {issuer_id: sign_as_issue_function(unsigned, issuer_id) for issuer_id in (INSURER, BANK)}
    signed["toto-hosho"] = sign_as_issue_function(unsigned, "toto-hosho")  # no signing block: the stack's key
    roots = {INSURER: pki[INSURER]["root"], BANK: pki[BANK]["root"], "toto-hosho": trust_root}
    for signer, pdf in signed.items():
        for root_of, root in roots.items():
            status = validate(pdf, root)
            assert status.intact and status.valid  # the signature is sound under any root...
            assert status.trusted == (root_of == signer), (signer, root_of)  # ...but chains to its issuer's only
    kms = boto3.client("kms")
    for issuer_id in (INSURER, BANK):
        assert signer_key(signed[issuer_id]) == kms.get_public_key(KeyId=pki[issuer_id]["key"])["PublicKey"]
        assert issuers.get_issuer(issuer_id).company in str(validate(signed[issuer_id], roots[issuer_id]).signing_cert.subject.native)
    assert refused_count() == 0


def test_the_signer_and_placeholder_are_kept_per_key_and_certificate(pki, unsigned):
    calls = []
    record = lambda params, **_: calls.append(dict(params))  # noqa: E731
    from esurety import aws

    aws.client("kms").meta.events.register("provide-client-params.kms.*", record)
    try:
        for _ in range(2):
            for issuer_id in (INSURER, BANK):
                sign_as_issue_function(unsigned, issuer_id)
    finally:
        aws.client("kms").meta.events.unregister("provide-client-params.kms.*", record)
    # Each key checked once (DescribeKey, ListResourceTags), then one Sign per document, with its own key.
    checks = [c["KeyId"] for c in calls if "Message" not in c]
    assert sorted(checks) == sorted([pki[INSURER]["key"]] * 2 + [pki[BANK]["key"]] * 2)
    assert [c["KeyId"] for c in calls if "Message" in c] == [pki[INSURER]["key"], pki[BANK]["key"]] * 2


# ----------------------------------------------------------------------------- never the wrong issuer's


def refused(unsigned: bytes, issuer_id: str, match: str) -> None:
    before = refused_count()
    with pytest.raises(IssuerSigningUnavailable, match=match) as raised:
        sign_as_issue_function(unsigned, issuer_id)
    assert raised.value.issuer_id == issuer_id
    assert refused_count() == before + 1  # the metric IssuerSigningUnavailableAlarm watches


def test_an_entry_naming_another_issuers_key_and_certificate_signs_nothing(pki, unsigned):
    point(BANK, pki[INSURER]["key"], certificate_parameter(INSURER))
    refused(unsigned, BANK, f"tagged esurety:issuer='{INSURER}'")


def test_an_entry_naming_another_issuers_key_with_its_own_certificate_signs_nothing(pki, unsigned):
    point(BANK, pki[INSURER]["key"], certificate_parameter(BANK))
    refused(unsigned, BANK, "not this issuer's")


def test_a_key_refused_and_then_tagged_for_the_issuer_signs_at_the_next_request(pki, unsigned):
    key = make_key(INSURER)  # tagged for the insurer by mistake
    root = signing_certificate.store_demo_certificate(boto3.client("kms"), boto3.client("ssm"), key, certificate_parameter(BANK))
    point(BANK, key, certificate_parameter(BANK))
    refused(unsigned, BANK, f"tagged esurety:issuer='{INSURER}'")
    boto3.client("kms").tag_resource(KeyId=key_id(key), Tags=[{"TagKey": "esurety:issuer", "TagValue": BANK}])
    assert validate(sign_as_issue_function(unsigned, BANK), root).bottom_line  # the same process: no cold start


def test_a_certificate_that_is_not_of_the_issuers_key_signs_nothing(pki, unsigned):
    point(BANK, pki[BANK]["key"], certificate_parameter(INSURER))  # its own key, the insurer's certificate
    refused(unsigned, BANK, "does not belong to KMS key")


def test_a_disabled_key_signs_nothing(pki, unsigned):
    boto3.client("kms").disable_key(KeyId=key_id(pki[BANK]["key"]))
    refused(unsigned, BANK, "is Disabled")


def test_a_key_disabled_after_its_check_signs_nothing(pki, unsigned):
    sign_as_issue_function(unsigned, BANK)  # checked and cached for the process
    boto3.client("kms").disable_key(KeyId=key_id(pki[BANK]["key"]))
    with aws_fidelity.acting_as("IssueFunction"):
        before = refused_count()
        with pytest.raises(IssuerSigningUnavailable, match="DisabledException"):
            signing.sign_pdf(unsigned, issuer=issuers.get_issuer(BANK))
    assert refused_count() == before + 1


def test_a_key_pending_deletion_signs_nothing(pki, unsigned):
    boto3.client("kms").schedule_key_deletion(KeyId=key_id(pki[BANK]["key"]), PendingWindowInDays=7)
    refused(unsigned, BANK, "is PendingDeletion")


def test_a_key_that_does_not_exist_signs_nothing(pki, unsigned):
    aws_fidelity.tolerate_denials()  # a key that is not there carries no tag the grant asks for
    point(BANK, "arn:aws:kms:ap-northeast-1:123456789012:key/00000000-0000-0000-0000-000000000000", certificate_parameter(BANK))
    refused(unsigned, BANK, "NotFoundException|AccessDenied")


@pytest.mark.parametrize("tagged_for,stage", [(None, "test"), (BANK, "prod")], ids=["no-issuer-tag", "another-stage"])
def test_a_key_the_functions_are_not_granted_signs_nothing(pki, unsigned, tagged_for, stage):
    """Without the issuer tag, or of another stage, AWS refuses the key to the function (the harness judges it)."""
    aws_fidelity.tolerate_denials()
    key = make_key(tagged_for, stage)
    signing_certificate.store_demo_certificate(boto3.client("kms"), boto3.client("ssm"), key, certificate_parameter(BANK))
    point(BANK, key, certificate_parameter(BANK))
    refused(unsigned, BANK, "AccessDeniedException")


def test_an_issuer_without_a_signing_key_never_borrows_the_stacks(pki, unsigned):
    issuers.register(dataclasses.replace(issuers.get_issuer(BANK), signing=None))
    refused(unsigned, BANK, "no signing key registered")


def test_a_certificate_outside_the_issuers_path_is_not_readable(pki, unsigned):
    """The functions read certificates under /esurety/<stage>/issuers/ only."""
    aws_fidelity.tolerate_denials()
    elsewhere = "/elsewhere/mirai-bank/signing-certificate"
    signing_certificate.store_demo_certificate(boto3.client("kms"), boto3.client("ssm"), pki[BANK]["key"], elsewhere)
    point(BANK, pki[BANK]["key"], elsewhere)
    refused(unsigned, BANK, "could not be read")


# ----------------------------------------------------------------------------- through the staff API


@pytest.fixture
def api_day(api, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: ISSUE_DAY)
    return api


def apply_to(api, issuer_id: str) -> str:
    """An application for a 契約保証 to `issuer_id` (the choice itself, its rules and numbers, are
    the application's tests), at the branch `point` gave the issuer."""
    body = application_body("contract", work=WORK, guarantee={"amount": 5_000_000, "deadline": "2027-03-15"})
    status, created = api.post("/applications", CONTRACTOR_A, {**body, "issuer_id": issuer_id})
    assert status == 201, created
    return created["application_id"]


def staff_of(issuer_id: str) -> dict:
    """The claims of a staff member of `issuer_id`: staff act on their own issuer's records only."""
    return {**STAFF, "sub": f"staff-{issuer_id}", "custom:issuer_id": issuer_id}


def emitted(capsys) -> dict:
    """{metric name: values} of the EMF lines the handlers printed since the last call."""
    found = {}
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blob = json.loads(line)
            for definition in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = blob[definition["Name"]]
                found.setdefault((blob["service"], definition["Name"]), []).extend(value if isinstance(value, list) else [value])
    return found


def stored_table_keys() -> list[str]:
    return [item["pk"]["S"] for item in boto3.client("dynamodb").scan(TableName=settings().table_name)["Items"]]


def stored_keys() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=settings().bucket_name)
    return [o["Key"] for o in listed.get("Contents", [])]


@pytest.mark.parametrize("wrong", ["another-issuers-key", "disabled-key"])
def test_an_issue_whose_key_cannot_sign_answers_503_and_stores_nothing(api_day, pki, capsys, wrong):
    api = api_day
    if wrong == "another-issuers-key":
        point(BANK, pki[INSURER]["key"], certificate_parameter(INSURER))
    else:
        boto3.client("kms").disable_key(KeyId=key_id(pki[BANK]["key"]))
    application_id = apply_to(api, BANK)
    capsys.readouterr()

    status, answer = api.post(f"/staff/applications/{application_id}/issue", staff_of(BANK))
    assert status == 503, answer
    assert answer["code"] == "issuer_signing_unavailable"
    assert "電子署名" in answer["message"] and "時間をおいて" in answer["message"]
    assert emitted(capsys).get(("esurety-issue", UNAVAILABLE)) == [1.0]
    # Nothing issued: no document, no contract, no number, the application still waits.
    assert stored_keys() == []
    assert list(ContractItem.by_company.query("COMPANY#company-a", ContractItem.gsi2sk.startswith("CONTRACT#"))) == []
    assert not [k for k in stored_table_keys() if k.startswith("CONTRACT#") or k.startswith("COUNTER#")]
    item = ApplicationItem.get(*ApplicationItem.key(application_id))
    assert item.status == "submitted" and item.contract_number is None

    # The key put right (the entry, or the key enabled again), the same request issues, signed by the bank.
    if wrong == "another-issuers-key":
        point(BANK, pki[BANK]["key"], certificate_parameter(BANK))
    else:
        boto3.client("kms").enable_key(KeyId=key_id(pki[BANK]["key"]))
        signing.forget()
    status, issued = api.post(f"/staff/applications/{application_id}/issue", staff_of(BANK))
    assert status == 202, issued
    pdf = boto3.client("s3").get_object(Bucket=settings().bucket_name, Key=f"certificates/{issued['contract_number']}/v001.pdf")["Body"].read()
    assert validate(pdf, pki[BANK]["root"]).bottom_line
    assert not validate(pdf, pki[INSURER]["root"]).trusted


def test_each_issuers_certificate_and_notice_are_signed_with_its_key(api_day, handlers, pki, trust_root):
    """Issued by the staff API, published by the publisher: every document of the insurer's contract
    is the insurer's; the surety's, issued beside it, stays the stack key's."""
    api, s3 = api_day, boto3.client("s3")
    numbers = {}
    for issuer_id in (INSURER, "toto-hosho"):
        application_id = apply_to(api, issuer_id)
        status, issued = api.post(f"/staff/applications/{application_id}/issue", staff_of(issuer_id))
        assert status == 202, issued
        number = numbers[issuer_id] = issued["contract_number"]
        assert ContractItem.get(*ContractItem.key(number)).issuer_id == issuer_id
        handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    roots = {INSURER: pki[INSURER]["root"], "toto-hosho": trust_root}
    for issuer_id, number in numbers.items():
        version = VersionItem.get(*VersionItem.key(number, 1))
        assert version.state == "published"
        for key in (version.s3_key, version.fee_s3_key, version.notice_s3_key):
            pdf = s3.get_object(Bucket=settings().bucket_name, Key=key)["Body"].read()
            for root_of, root in roots.items():
                assert validate(pdf, root).trusted == (root_of == issuer_id), (key, root_of)


def test_the_staffs_actions_on_an_issuers_contract_are_signed_with_its_key(api_day, handlers, pki, trust_root, monkeypatch):
    """訂正, key rotation and 解約 of the insurer's guarantee: its corrected certificate, its renewed
    notice and its 保証料返還計算書 are the insurer's, never the stack key's."""
    api, s3 = api_day, boto3.client("s3")
    application_id = apply_to(api, INSURER)
    number = api.post(f"/staff/applications/{application_id}/issue", staff_of(INSURER))[1]["contract_number"]
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())

    status, corrected = correct(api, number, 1, {"work": {"name": "県道宇都宮線道路改良工事（その６）"}, "reason": "工事名の誤記"}, claims=staff_of(INSURER))
    assert status == 202, corrected
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v{corrected['version']:03d}.pdf"), LambdaContext())
    status, rotated = rotate(api, number, claims=staff_of(INSURER))
    assert status == 200, rotated
    monkeypatch.setattr(clock, "now", lambda: ISSUE_DAY + timedelta(days=30))
    status, ending = terminate(api, number, {"kind": "cancelled", "date": "2026-06-10", "reason": "工事の中止による解約"}, claims=staff_of(INSURER))
    assert status == 200, ending

    corrected_version = VersionItem.get(*VersionItem.key(number, corrected["version"]))
    renewed = [v.notice_s3_key for v in records(number) if v.notice_generation == rotated["key_generation"]]
    statement = ContractItem.get(*ContractItem.key(number)).ending["statement_s3_key"]
    documents = [corrected_version.s3_key, *renewed, statement]
    assert len(documents) >= 3, documents
    for key in documents:
        pdf = s3.get_object(Bucket=settings().bucket_name, Key=key)["Body"].read()
        assert validate(pdf, pki[INSURER]["root"]).bottom_line, key
        assert not validate(pdf, trust_root).trusted, key


def test_a_rotation_or_an_ending_that_could_not_be_signed_records_nothing(api_day, handlers, pki, monkeypatch):
    """The staff's actions check the issuer's key before they write: a renewed key needs its notice,
    a 解約 its 保証料返還計算書."""
    api = api_day
    number = api.post(f"/staff/applications/{apply_to(api, INSURER)}/issue", staff_of(INSURER))[1]["contract_number"]
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    before = ContractItem.get(*ContractItem.key(number))
    boto3.client("kms").disable_key(KeyId=key_id(pki[INSURER]["key"]))
    signing.forget()  # a new instance of the function: it checks the key again

    status, answer = rotate(api, number, claims=staff_of(INSURER))
    assert (status, answer["code"]) == (503, "issuer_signing_unavailable"), answer
    monkeypatch.setattr(clock, "now", lambda: ISSUE_DAY + timedelta(days=30))
    status, answer = terminate(api, number, {"kind": "cancelled", "date": "2026-06-10", "reason": "工事の中止による解約"}, claims=staff_of(INSURER))
    assert (status, answer["code"]) == (503, "issuer_signing_unavailable"), answer
    after = ContractItem.get(*ContractItem.key(number))
    assert (after.key_generation, after.key_digest, after.ending) == (before.key_generation, before.key_digest, None)
