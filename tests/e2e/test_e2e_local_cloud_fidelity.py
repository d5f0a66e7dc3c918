"""The local cloud keeps what it acknowledged through a crash, and refuses and hides what AWS does
(tools/localcloud/serve.py), over HTTP against the deployed template."""
from __future__ import annotations

import base64
import io
import json
import time
import zipfile

import pytest
from botocore.exceptions import ClientError

from e2e_support import Http, application_body, local_cloud, wait_for  # noqa: F401 (fixtures)
from tools.localcloud import demo
from tools.localcloud.__main__ import start_and_deploy
from tools.localcloud.cloud import LocalCloud, free_port

pytestmark = pytest.mark.e2e


def _tokens(cloud, deployed) -> dict:
    return {role: demo.id_token(cloud, deployed["outputs"], role) for role in demo.USERS}


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_crash_loses_no_acknowledged_write(local_cloud):
    """Apply (201), issue and publish a 新規 and its 変更ー1, apply again (201, not yet issued);
    then SIGKILL the local cloud's process group and start it as `make run` does, on the same
    folder: everything acknowledged is there, and the orderer sees exactly what was issued."""
    cloud, deployed = local_cloud
    http, tokens = Http(deployed["api_url"]), _tokens(cloud, deployed)
    contractor, staff, orderer = tokens["contractor"], tokens["staff"], tokens["orderer"]

    status, created = http.call("POST", "/applications", contractor, application_body())
    assert status == 201, created
    status, issued = http.call("POST", f"/staff/applications/{created['application_id']}/issue", staff)
    assert status == 202, issued
    number = issued["contract_number"]
    key = wait_for(lambda: http.call("GET", f"/contracts/{number}", contractor)[1].get("auth_key"))
    change = {"guarantee": {"amount": 25_000_000}, "reason": "前払金の追加請求（増額）のため"}
    status, changed = http.call("POST", f"/contracts/{number}/changes", contractor, change)
    assert status == 201, changed
    status, issued_change = http.call("POST", f"/staff/applications/{changed['application_id']}/issue", staff)
    assert (status, issued_change.get("label")) == (202, "変更ー1"), issued_change

    def orderer_sees_change():
        status, seen = http.call("POST", "/verifications", orderer, {"contract_number": number, "auth_key": key})
        return seen if status == 200 and seen["certificate"]["label"] == "変更ー1" else None

    before = wait_for(orderer_sees_change)
    status, pending = http.call("POST", "/applications", contractor, application_body(), {"Idempotency-Key": "before-the-crash"})
    assert status == 201, pending

    cloud.kill()  # as a crash: no graceful stop, no save on the way out
    assert cloud.running_pid() is None
    deployed = start_and_deploy(cloud, log=lambda *_: None)  # what the next `make run` does
    http, tokens = Http(deployed["api_url"]), _tokens(cloud, deployed)

    status, after = http.call("POST", "/verifications", tokens["orderer"], {"contract_number": number, "auth_key": key})
    assert status == 200, after
    for field in ("certificate", "history", "current_version", "status", "chain_valid"):
        assert after[field] == before[field], field
    assert [h["label"] for h in after["history"]] == ["新規", "変更ー1"]
    status, detail = http.call("GET", f"/contracts/{number}", tokens["contractor"])
    assert status == 200 and detail["auth_key"] == key
    status, queue = http.call("GET", "/staff/applications?status=submitted", tokens["staff"])
    assert pending["application_id"] in [a["application_id"] for a in queue["applications"]]
    # The same retry answers the same application: its idempotency record was kept too.
    assert http.call("POST", "/applications", tokens["contractor"], application_body(), {"Idempotency-Key": "before-the-crash"}) == (201, pending)



def _table_as_seen(dynamodb) -> dict:
    items = dynamodb.scan(TableName="esurety-crash", ConsistentRead=True)["Items"]
    by_status = dynamodb.query(TableName="esurety-crash", IndexName="by-status", KeyConditionExpression="#s = :s",
                               ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "submitted"}})["Items"]
    return {
        "items": sorted((i["pk"]["S"], i["sk"]["S"], i.get("status", {}).get("S"), i.get("revision", {}).get("N")) for i in items),
        "submitted": sorted(i["pk"]["S"] for i in by_status),
        "count": dynamodb.describe_table(TableName="esurety-crash")["Table"]["ItemCount"],
    }


def test_a_crash_keeps_every_item_write_dynamodb_answered(tmp_path):
    """DynamoDB's items are kept one write at a time (a journal beside dynamodb.json): each kind of
    write a function makes (PutItem, conditional UpdateItem, DeleteItem, BatchWriteItem,
    TransactWriteItems, a refused transaction) is answered, then the local cloud is SIGKILLed, with
    a last journal line cut short as a crash mid-write leaves it; the next start finds the table
    exactly as answered, its index too, and a graceful stop and start keep it again."""
    cloud = LocalCloud(tmp_path / "cloud", free_port())
    cloud.start()
    try:
        dynamodb = cloud.client("dynamodb")
        dynamodb.create_table(
            TableName="esurety-crash", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "status")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{"IndexName": "by-status", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}],
        )

        def item(pk, status="submitted"):
            return {"pk": {"S": pk}, "sk": {"S": "application"}, "status": {"S": status}, "revision": {"N": "1"},
                    "note": {"S": "栃木県 県土整備部"}}

        key = lambda pk: {"pk": {"S": pk}, "sk": {"S": "application"}}  # noqa: E731
        dynamodb.batch_write_item(RequestItems={"esurety-crash": [{"PutRequest": {"Item": item(f"app-{n:02}")}} for n in range(25)]})
        dynamodb.put_item(TableName="esurety-crash", Item=item("app-put"), ConditionExpression="attribute_not_exists(pk)")
        dynamodb.update_item(TableName="esurety-crash", Key=key("app-00"), UpdateExpression="SET #s = :s, revision = :r",
                             ConditionExpression="revision = :one", ExpressionAttributeNames={"#s": "status"},
                             ExpressionAttributeValues={":s": {"S": "issued"}, ":r": {"N": "2"}, ":one": {"N": "1"}})
        dynamodb.delete_item(TableName="esurety-crash", Key=key("app-01"))
        dynamodb.batch_write_item(RequestItems={"esurety-crash": [{"DeleteRequest": {"Key": key("app-02")}}]})
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "esurety-crash", "Item": item("app-transaction")}},
            {"Delete": {"TableName": "esurety-crash", "Key": key("app-03")}},
        ])
        with pytest.raises(ClientError):  # refused whole: neither its put nor its delete is kept
            dynamodb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "esurety-crash", "Item": item("app-refused")}},
                {"Delete": {"TableName": "esurety-crash", "Key": key("app-04"), "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
        answered = _table_as_seen(dynamodb)
        assert answered["count"] == 24 and ("app-00", "application", "issued", "2") in answered["items"]

        cloud.kill()  # as a crash: no graceful stop, no compaction on the way out
        journal = cloud.data_dir / "state" / "dynamodb.journal"
        assert journal.stat().st_size > 0  # the items were kept there, not by rewriting the table
        with journal.open("ab") as file:  # a write the crash cut short: never answered, so never kept
            file.write(b'{"table": ["000000000000", "ap-northeast-1", "esurety-crash"], "key": ["app-05", "appl')
        cloud.start()
        dynamodb = cloud.client("dynamodb")
        assert _table_as_seen(dynamodb) == answered
        assert journal.stat().st_size == 0  # replayed into dynamodb.json at start

        dynamodb.put_item(TableName="esurety-crash", Item=item("app-after-the-crash"))
        cloud.stop()
        assert journal.stat().st_size == 0  # compacted at a graceful stop
        cloud.start()
        after = _table_as_seen(cloud.client("dynamodb"))
        assert after["count"] == 25 and "app-after-the-crash" in after["submitted"]
    finally:
        cloud.stop()


def test_a_contractor_cannot_become_another_company(local_cloud):
    """custom:company_id is immutable (Mutable: false) and not in the app client's WriteAttributes:
    neither the user's own UpdateUserAttributes nor an admin's update changes it, as on AWS."""
    cloud, deployed = local_cloud
    outputs, user = deployed["outputs"], demo.USERS["contractor"]
    cognito = cloud.client("cognito-idp")
    signed_in = demo.sign_in(cloud, outputs, "contractor")
    company = _claims(signed_in["IdToken"])["custom:company_id"]
    other = [{"Name": "custom:company_id", "Value": "another-company"}]

    with pytest.raises(ClientError) as own:
        cognito.update_user_attributes(AccessToken=signed_in["AccessToken"], UserAttributes=other)
    assert own.value.response["Error"]["Code"] == "NotAuthorizedException"
    with pytest.raises(ClientError) as admin:
        cognito.admin_update_user_attributes(UserPoolId=outputs[user.pool], Username=user.username, UserAttributes=other)
    assert admin.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "cannot be updated" in admin.value.response["Error"]["Message"]
    assert _claims(demo.id_token(cloud, outputs, "contractor"))["custom:company_id"] == company


def _failing_function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    raise KeyError('TABLE_NAME of esurety-local')\n")
    return buffer.getvalue()


def test_a_failing_function_answers_502_without_its_error(local_cloud):
    """A function that raises behind an HTTP API: the client gets 502 {"message": "Internal Server
    Error"}, never the function's errorMessage, errorType or stack trace."""
    cloud, _ = local_cloud
    iam, lambdas, gateway = cloud.client("iam"), cloud.client("lambda"), cloud.client("apigatewayv2")
    role = iam.create_role(RoleName="e2e-failing-function", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))["Role"]["Arn"]
    function = lambdas.create_function(
        FunctionName="e2e-failing-function", Runtime="python3.12", Role=role, Handler="app.handler",
        Code={"ZipFile": _failing_function_zip()}, Timeout=10,
    )["FunctionArn"]
    wait_for(lambda: lambdas.get_function(FunctionName=function)["Configuration"]["State"] == "Active")
    api = gateway.create_api(Name="e2e-failing", ProtocolType="HTTP")["ApiId"]
    integration = gateway.create_integration(
        ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=function, PayloadFormatVersion="2.0",
    )["IntegrationId"]
    gateway.create_route(ApiId=api, RouteKey="GET /boom", Target=f"integrations/{integration}")
    gateway.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    lambdas.add_permission(FunctionName=function, StatementId="api", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
    started = time.monotonic()
    status, body = Http(f"{cloud.endpoint}/_aws/execute-api/{api}").call("GET", "/boom")
    assert (status, body) == (502, {"message": "Internal Server Error"}), (status, body, time.monotonic() - started)
    assert "TABLE_NAME" not in json.dumps(body)
