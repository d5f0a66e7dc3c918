"""The unit tests answer as AWS would where moto does not: IAM per function, S3's 403, key limits."""
from __future__ import annotations

import os

import boto3
import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import GetError, PutError

import aws_fidelity
from aws_fidelity import HarnessError, Request, Statement, Template, acting_as, conditions_hold
from conftest import CONTRACTOR_A, FROZEN_NOW, STAFF, application_body
from esurety.aws import storage
from esurety.config import settings
from esurety.aws.models import ApplicationItem

BUCKET = os.environ["BUCKET_NAME"]


def _code(error: ClientError) -> tuple[int, str]:
    return error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]["Code"]


# ---------------------------------------------------------------------------- the matcher


def test_wildcards_are_iams():
    assert aws_fidelity._wildcard("arn:aws:s3:::b/certificates/*", "arn:aws:s3:::b/certificates/1/v001.pdf")
    assert not aws_fidelity._wildcard("arn:aws:s3:::b/certificates/*", "arn:aws:s3:::b/notices/1.pdf")
    assert aws_fidelity._wildcard("s3:Get*", "s3:getobject", ignore_case=True)
    assert aws_fidelity._wildcard("arn:aws:s3:::b/v00?.pdf", "arn:aws:s3:::b/v001.pdf")
    assert not aws_fidelity._wildcard("arn:aws:s3:::b/[a].pdf", "arn:aws:s3:::b/a.pdf")  # `[` is literal


def test_conditions_are_and_of_keys_or_of_values():
    assert conditions_hold({"StringEquals": {"ses:FromAddress": ["a@x", "b@x"]}}, {"ses:FromAddress": "b@x"})
    assert not conditions_hold({"StringEquals": {"ses:FromAddress": "a@x"}}, {"ses:FromAddress": "evil@x"})
    assert not conditions_hold({"StringEquals": {"ses:FromAddress": "a@x"}}, {})  # absent key: no match
    assert conditions_hold({"StringEqualsIfExists": {"ses:FromAddress": "a@x"}}, {})
    assert conditions_hold({"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["CONTRACT#*"]}}, {"dynamodb:LeadingKeys": ("CONTRACT#1",)})
    assert not conditions_hold({"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["CONTRACT#*"]}}, {"dynamodb:LeadingKeys": ("APP#1",)})
    assert conditions_hold({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"})
    assert not conditions_hold({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"})


def test_a_condition_key_the_harness_was_not_taught_fails_loudly():
    with pytest.raises(HarnessError, match="aws:SourceIp"):
        conditions_hold({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}, {})


def test_an_operation_the_harness_was_not_taught_fails_loudly():
    with pytest.raises(HarnessError, match="glacier:ListVaults"):
        aws_fidelity.iam_requests("glacier", "ListVaults", {}, "ap-northeast-1")


def test_a_transaction_is_authorised_item_by_item():
    requests = aws_fidelity.iam_requests(
        "dynamodb",
        "TransactWriteItems",
        {"TransactItems": [{"Put": {"TableName": "t", "Item": {}}}, {"ConditionCheck": {"TableName": "t", "Key": {}}}]},
        "ap-northeast-1",
    )
    assert [r.action for r in requests] == ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"]


def test_reading_an_object_version_needs_get_object_version():
    [request] = aws_fidelity.iam_requests("s3", "GetObject", {"Bucket": "b", "Key": "k", "VersionId": "v1"}, "ap-northeast-1")
    assert (request.action, request.resource) == ("s3:GetObjectVersion", "arn:aws:s3:::b/k")


# ---------------------------------------------------------------------------- the template, bound to the tests


def test_every_function_runs_as_itself(handlers, template):
    wrapped = {name: getattr(module.lambda_handler, "_aws_fidelity", None) for name, module in handlers.items()}
    assert wrapped == {"apply": "ApplyFunction", "issue": "IssueFunction", "publish": "PublishFunction", "verify": "VerifyFunction",
                       "desk": "DeskFunction", "mail": "MailFunction"}
    for logical_id in aws_fidelity._template().functions:
        assert aws_fidelity._template()._code_path(logical_id).is_file(), logical_id


def test_the_tests_use_the_names_the_template_gives(cloud):
    """The test account's names are the template's (Stage=test), so its ARNs are the policies' ARNs."""
    view = aws_fidelity.policies("ap-northeast-1")
    for logical_id in view.template.functions:
        for variable, value in view.template.environment(logical_id).items():
            resolved = view.resolver.resolve(value)
            if isinstance(value, dict) and variable in os.environ and not isinstance(resolved, aws_fidelity.Unresolved):
                if isinstance(value, dict) and value.get("Ref") in ("AuthKeyKey", "SigningKey", "AuthKeyPepper"):
                    continue  # the tests name these by alias / name; the template by id / ARN
                assert resolved == os.environ[variable], (logical_id, variable)
    kms = boto3.client("kms")
    assert view.resolver.get_att("AuthKeyKey", "Arn") == kms.describe_key(KeyId=settings().key_id)["KeyMetadata"]["Arn"]
    secret = boto3.client("secretsmanager").describe_secret(SecretId=settings().pepper_secret_id)["ARN"]
    assert view.resolver.ref("AuthKeyPepper") == secret


# ---------------------------------------------------------------------------- IAM as AWS answers it


def test_a_call_the_role_does_not_allow_is_refused_as_aws_refuses_it(cloud):
    aws_fidelity.tolerate_denials()
    with acting_as("VerifyFunction"), pytest.raises(ClientError) as refused:
        storage.create_pdf("certificates/31063-00001J/v001.pdf", b"%PDF-1.7")
    assert _code(refused.value) == (403, "AccessDenied")
    assert "s3:PutObject" in refused.value.response["Error"]["Message"]
    assert boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0  # nothing was stored
    assert aws_fidelity.take_problems() == []  # tolerated here; any other test fails on it


def test_pynamodb_calls_are_judged_too(cloud):
    aws_fidelity.tolerate_denials()
    with acting_as("UploadCheckFunction"), pytest.raises(PutError) as refused:  # it updates an upload, puts nothing
        ApplicationItem(
            "APP#x", "APPLICATION", application_id="x", company_id="c", status="submitted", request={},
            request_sha256="0" * 64, submitted_at=FROZEN_NOW,
        ).save()
    assert refused.value.cause_response_code == "AccessDeniedException"


def test_an_unexpected_refusal_fails_the_test(cloud):
    with acting_as("VerifyFunction"), pytest.raises(ClientError):
        storage.create_pdf("certificates/31063-00001J/v001.pdf", b"%PDF-1.7")
    problems = aws_fidelity.take_problems()
    assert len(problems) == 1 and "VerifyFunction" in problems[0] and "s3:PutObject" in problems[0]


@pytest.mark.parametrize("tags,allowed", [
    ({"esurety:issuer": "mirai-bank", "esurety:stage": "test"}, True),
    ({"esurety:stage": "test"}, False),  # no issuer tag
    ({"esurety:issuer": "mirai-bank", "esurety:stage": "prod"}, False),  # another stage's key
], ids=["tagged", "no-issuer-tag", "other-stage"])
def test_a_keys_tags_reach_the_policies_as_resource_tags(cloud, tags, allowed):
    """The functions may sign with keys tagged for an issuer of their stage (aws:ResourceTag/...)."""
    kms = boto3.client("kms")
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Tags=[{"TagKey": k, "TagValue": v} for k, v in tags.items()])
    key_id = key["KeyMetadata"]["KeyId"]
    aws_fidelity.tolerate_denials()
    with acting_as("PublishFunction"):
        try:
            kms.sign(KeyId=key_id, Message=b"signed attributes", MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")
            answer = "ok"
        except ClientError as refused:
            answer = _code(refused)
    assert answer == ("ok" if allowed else (400, "AccessDeniedException"))
    with acting_as("ApplyFunction"), pytest.raises(ClientError):  # a function that signs nothing: never
        kms.sign(KeyId=key_id, Message=b"signed attributes", MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")


def test_a_disabled_kms_key_refuses_to_be_used_as_aws_does(cloud, signing_key_id):
    kms = boto3.client("kms")
    kms.disable_key(KeyId=signing_key_id)
    with pytest.raises(ClientError) as refused:  # moto would sign
        kms.sign(KeyId=signing_key_id, Message=b"signed attributes", MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")
    assert _code(refused.value) == (400, "DisabledException")
    kms.enable_key(KeyId=signing_key_id)
    kms.schedule_key_deletion(KeyId=signing_key_id, PendingWindowInDays=7)
    with pytest.raises(ClientError) as refused:
        kms.sign(KeyId=signing_key_id, Message=b"signed attributes", MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")
    assert _code(refused.value) == (400, "KMSInvalidStateException")
    assert kms.describe_key(KeyId=signing_key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"  # described, not used


def test_a_presigned_url_is_judged_as_the_get_its_holder_makes(cloud):
    with acting_as("ApplyFunction"):
        storage.presigned_url("certificates/31063-00001J/v001.pdf", "ok.pdf")
        assert aws_fidelity.take_problems() == []
        url = storage.presigned_url("elsewhere/secret.pdf", "x.pdf")  # made, as S3 makes it
    assert url.startswith("https://")
    assert ["s3:GetObject" in p for p in aws_fidelity.take_problems()] == [True]


def test_an_sse_kms_put_needs_a_data_key_from_the_callers_role(cloud):
    key = settings().notice_kms_key_id
    aws_fidelity.tolerate_denials()
    with acting_as("IssueFunction"), pytest.raises(ClientError) as refused:  # may put certificates, has no data key
        storage.create_pdf("certificates/31063-00001J/v001.pdf", b"%PDF-1.7", kms_key_id=key)
    assert "kms:GenerateDataKey" in refused.value.response["Error"]["Message"]
    assert aws_fidelity.take_problems() == []
    with acting_as("PublishFunction"):  # its role and the key's policy allow it, through S3
        storage.create_pdf("notices/31063-00001J.pdf", b"%PDF-1.7", read_back=False, kms_key_id=key)
    assert aws_fidelity.take_problems() == []


def test_reading_an_sse_kms_object_needs_decrypt_on_its_key(cloud):
    storage.create_pdf("notices/31063-00001J.pdf", b"%PDF-1.7", read_back=False, kms_key_id=settings().notice_kms_key_id)
    with acting_as("ApplyFunction"):
        storage.presigned_url("notices/31063-00001J.pdf", "notice.pdf")  # its holder's GET decrypts as Apply
    assert aws_fidelity.take_problems() == []
    requests = aws_fidelity.iam_requests("s3", "GetObject", {"Bucket": BUCKET, "Key": "notices/31063-00001J.pdf"}, "ap-northeast-1")
    assert [r.action for r in requests] == ["s3:GetObject", "kms:Decrypt"]
    assert dict(requests[1].context)["kms:ViaService"] == "s3.ap-northeast-1.amazonaws.com"


def test_calls_outside_a_function_are_not_judged(cloud):
    storage.create_pdf("elsewhere/set-up.pdf", b"%PDF-1.7")  # test set-up is the account owner
    assert aws_fidelity.take_problems() == []


def test_a_key_policy_that_does_not_delegate_to_iam_refuses_the_role(cloud, monkeypatch):
    raw = aws_fidelity._load_raw_template()
    raw["Resources"]["AuthKeyKey"]["Properties"]["KeyPolicy"]["Statement"] = [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/admin"}, "Action": "kms:*", "Resource": "*"}
    ]
    monkeypatch.setattr(aws_fidelity, "_template", lambda: Template(raw))
    aws_fidelity._policies_cache.clear()
    view = aws_fidelity.policies("ap-northeast-1")
    key_arn = view.resolver.get_att("AuthKeyKey", "Arn")
    assert view.judge("IssueFunction", Request("kms:Encrypt", key_arn))[0] is False  # IAM allows; the key does not
    assert view.judge("IssueFunction", Request("kms:Sign", view.resolver.get_att("SigningKey", "Arn")))[0] is True


# ---------------------------------------------------------------------------- S3: 403 for a missing key


def _exists(key: str) -> bool:
    """HeadObject as a probe (the services no longer probe; they read what the table records)."""
    try:
        boto3.client("s3").head_object(Bucket=BUCKET, Key=key)
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def test_a_missing_object_answers_403_to_a_role_that_cannot_list_the_bucket(cloud):
    storage.create_pdf("certificates/31063-00001J/v001.pdf", b"%PDF-1.7")
    with acting_as("IssueFunction"):
        assert _exists("certificates/31063-00001J/v001.pdf")
        with pytest.raises(ClientError) as head:
            _exists("certificates/31063-00002G/v001.pdf")
        with pytest.raises(ClientError) as get:
            boto3.client("s3").get_object(Bucket=BUCKET, Key="certificates/31063-00002G/v001.pdf")
    assert _code(head.value) == (403, "403")
    assert _code(get.value) == (403, "AccessDenied")
    assert aws_fidelity.take_problems() == []  # that is S3's answer, not a missing permission


def test_a_missing_object_answers_404_to_a_role_that_may_list_the_bucket(cloud, monkeypatch):
    raw = aws_fidelity._load_raw_template()
    statements = raw["Resources"]["IssueFunction"]["Properties"]["Policies"][0]["Statement"]
    statements.append({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"})
    monkeypatch.setattr(aws_fidelity, "_template", lambda: Template(raw))
    aws_fidelity._policies_cache.clear()
    with acting_as("IssueFunction"):
        assert _exists("certificates/31063-00002G/v001.pdf") is False


# ---------------------------------------------------------------------------- DynamoDB key limits


def _key_problem(call) -> str:
    with pytest.raises(Exception) as raised:
        call()
    error = raised.value
    cause = getattr(error, "cause", error)
    assert isinstance(cause, ClientError), error
    assert cause.response["Error"]["Code"] == "ValidationException"
    return cause.response["Error"]["Message"]


def test_a_partition_key_over_2048_bytes_is_refused(cloud):
    client = boto3.client("dynamodb")
    table = settings().table_name
    long_pk = "APP#" + "x" * 2045  # 2,049 bytes
    message = _key_problem(lambda: client.get_item(TableName=table, Key={"pk": {"S": long_pk}, "sk": {"S": "A"}}))
    assert message == "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
    assert "Item" not in client.get_item(TableName=table, Key={"pk": {"S": long_pk[:-1]}, "sk": {"S": "A"}})  # 2,048: fine
    wide = "あ" * 683  # 2,049 bytes in UTF-8, 683 characters
    _key_problem(lambda: client.get_item(TableName=table, Key={"pk": {"S": wide}, "sk": {"S": "A"}}))
    with pytest.raises(GetError) as raised:
        ApplicationItem.get(long_pk, "APPLICATION")
    assert raised.value.cause_response_code == "ValidationException"


def test_a_sort_key_over_1024_bytes_is_refused(cloud):
    client = boto3.client("dynamodb")
    table = settings().table_name
    message = _key_problem(
        lambda: client.update_item(
            TableName=table, Key={"pk": {"S": "A"}, "sk": {"S": "s" * 1025}}, UpdateExpression="SET a = :a", ExpressionAttributeValues={":a": {"S": "1"}}
        )
    )
    assert message == "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
    _key_problem(
        lambda: client.transact_write_items(
            TransactItems=[{"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "A"}, "sk": {"S": "s" * 1025}}, "ConditionExpression": "attribute_exists(pk)"}}]
        )
    )


def test_query_and_index_keys_are_limited_too(cloud):
    client = boto3.client("dynamodb")
    table = settings().table_name
    _key_problem(
        lambda: client.query(
            TableName=table, KeyConditionExpression="#pk = :pk", ExpressionAttributeNames={"#pk": "pk"}, ExpressionAttributeValues={":pk": {"S": "p" * 2049}}
        )
    )
    _key_problem(
        lambda: client.query(
            TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :pk AND begins_with(gsi1sk, :s)",
            ExpressionAttributeValues={":pk": {"S": "QUEUE"}, ":s": {"S": "s" * 1025}},
        )
    )
    message = _key_problem(
        lambda: client.put_item(TableName=table, Item={"pk": {"S": "A"}, "sk": {"S": "B"}, "gsi1pk": {"S": "g" * 2049}, "gsi1sk": {"S": "x"}})
    )
    assert message.endswith("Actual Size: 2049 bytes Max Size: 2048 bytes IndexName: gsi1")


def test_the_flow_runs_as_each_function_and_within_its_role(api, handlers):
    """One issue as staff: the calls the harness saw are IssueFunction's, and all were allowed."""
    before = len(aws_fidelity.RECORDER.calls)
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    calls = aws_fidelity.RECORDER.calls[before:]
    issue_calls = [c for c in calls if c.function == "IssueFunction"]
    assert {r.action for c in issue_calls for r in c.requests} >= {"dynamodb:UpdateItem", "kms:Encrypt", "kms:Sign", "s3:PutObject"}
    assert all(c.allowed for c in calls if c.function)


# ---------------------------------------------------------------------------- a run over several processes


def test_a_run_split_over_workers_is_judged_as_one_run(api, handlers):
    """Under pytest-xdist each worker tallies only its own tests and the controller merges the
    tallies: the permissions left unused, the calls and the refusals are those of one process that
    saw every call, however the calls fall between the workers (one of which judged nothing)."""
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    whole = aws_fidelity.tally()
    used = whole["used"]
    first = {**whole, "used": used[::2], "denied": [], "forbidden": []}
    second = {**whole, "used": used[1::2], "called": {}}
    idle = {"calls": 0, "called": {}, "denied": [], "forbidden": [], "used": [], "checks": None}
    merged = aws_fidelity.merge([first, idle, second])
    assert aws_fidelity.tally_unused(merged) == aws_fidelity.unused_permissions()
    assert aws_fidelity.report(merged) == aws_fidelity.report(whole)
    assert "IssueFunction: " in "\n".join(aws_fidelity.report(merged))


def test_an_action_one_worker_used_on_one_resource_still_owes_its_other_resource():
    """An action used on its first resource by one worker, and not at all by another, leaves its
    second resource unused: the run reports that resource, not the action and not nothing."""
    statement = ("IssueFunction", "IssueFunctionRolePolicy0", 0, "s3:PutObject")
    checks = [[*statement, None, "the action"], [*statement, 0, "on the first"], [*statement, 1, "on the second"]]
    worker = {"calls": 1, "called": {"IssueFunction": ["s3:PutObject"]}, "denied": [], "forbidden": [], "checks": checks}
    used_first = {**worker, "used": [[*statement, 0]]}
    used_none = {**worker, "used": [], "calls": 0, "called": {}}
    used_second = {**worker, "used": [[*statement, 1]]}
    assert aws_fidelity.tally_unused(aws_fidelity.merge([used_first, used_none])) == ["on the second"]
    assert aws_fidelity.tally_unused(aws_fidelity.merge([used_none, used_none])) == ["the action"]
    assert aws_fidelity.tally_unused(aws_fidelity.merge([used_first, used_second])) == []
