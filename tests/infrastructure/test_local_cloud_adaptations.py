"""The local cloud enforces IAM (ministack AUTH=true), and the template is deployed into it as it is,
but for three things ministack cannot take as AWS does (tools/localcloud/deploy.for_the_local_cloud).
This checks that exactly those change, and nothing else."""
from __future__ import annotations

import copy
import json

from tools.localcloud.deploy import for_the_local_cloud


def _statements(node):
    if isinstance(node, dict):
        if "Effect" in node and "Action" in node:
            yield node
        for value in node.values():
            yield from _statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _statements(value)


def _actions(template) -> list:
    return sorted(json.dumps(s["Action"], sort_keys=True) for s in _statements(template["Resources"]) if s["Effect"] == "Allow")


def test_only_what_ministack_cannot_take_is_adapted(template):
    original = copy.deepcopy(template)
    adapted = for_the_local_cloud(copy.deepcopy(template))
    text = json.dumps(adapted)
    secrets = [k for k, r in original["Resources"].items() if r["Type"] == "AWS::SecretsManager::Secret"]
    assert secrets
    for statement in _statements(adapted["Resources"]):
        resources = statement.get("Resource")
        for resource in resources if isinstance(resources, list) else [resources]:
            assert not (isinstance(resource, dict) and resource.get("Ref") in secrets), statement
    # (The site bucket's TLS-only statement is the template's own Fn::If on OnLocalCloud.)
    assert "aws:SecureTransport" not in json.dumps(adapted["Resources"].get("DocumentsBucketPolicy", {}))
    assert "ses:FromAddress" not in text
    # Only alarms on metric math are left out (ministack refuses them), and nothing refers to them.
    math_alarms = {k for k, r in original["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm" and "Metrics" in r["Properties"]}
    left_out = set(original["Resources"]) - set(adapted["Resources"])
    assert math_alarms and math_alarms <= left_out and not any(name in text for name in math_alarms)
    assert all(original["Resources"][k]["Type"] == "AWS::S3::BucketPolicy" for k in left_out - math_alarms)  # TLS-only, above
    # Every permission the functions are granted is still there, and nothing was added.
    assert _actions(adapted) == _actions(original)
    # The functions' configuration is untouched (the pepper is still found by its Ref).
    for logical, resource in original["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert adapted["Resources"][logical]["Properties"].get("Environment") == resource["Properties"].get("Environment")
    assert adapted["Globals"] == original["Globals"]


# What tools/localcloud/serve.py changes in ministack, checked in ministack's own interpreter (the
# local cloud's virtualenv), in-process: each script prints one JSON line, the last one.
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tools.localcloud.cloud import ROOT, SERVE, VENV


def _in_ministack(script: str, tmp_path: Path, **env) -> dict:
    prelude = f"""
import asyncio, json, os, runpy
serve = runpy.run_path({str(SERVE)!r})
durability, ministack_app = serve["install"]()
from ministack.services import cognito, lambda_svc
"""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "TMPDIR": str(tmp_path),
        "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "MINISTACK_REGION": "ap-northeast-1", **env,
    }
    done = subprocess.run(
        [str(VENV / "bin" / "python"), "-P", "-c", prelude + textwrap.dedent(script)],
        capture_output=True, text=True, env=environment, cwd=ROOT, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_immutable_attribute_cannot_be_changed(tmp_path):
    """custom:company_id is Mutable: false in the template: AdminUpdateUserAttributes must refuse a
    change as Cognito does (else a contractor becomes another company), and change nothing."""
    seen = _in_ministack("""
        status, _, body = cognito._create_user_pool({"PoolName": "contractors", "Schema": [
            {"Name": "company_id", "AttributeDataType": "String", "Mutable": False},
            {"Name": "note", "AttributeDataType": "String", "Mutable": True}]})
        pool_id = json.loads(body)["UserPool"]["Id"]
        cognito._admin_create_user({"UserPoolId": pool_id, "Username": "u",
                                    "UserAttributes": [{"Name": "custom:company_id", "Value": "company-a"}]})
        def update(name):
            status, headers, body = cognito._admin_update_user_attributes(
                {"UserPoolId": pool_id, "Username": "u", "UserAttributes": [{"Name": name, "Value": "company-b"}]})
            return [status, json.loads(body)]
        refused, allowed = update("custom:company_id"), update("custom:note")
        user, _ = cognito._resolve_user(cognito._resolve_pool(pool_id)[0], "u")
        print(json.dumps({"refused": refused, "allowed": allowed,
                          "attributes": {a["Name"]: a["Value"] for a in user["Attributes"]}}))
    """, tmp_path)
    assert seen["refused"] == [400, {"__type": "InvalidParameterException", "message": "user.custom:company_id: Attribute cannot be updated."}]
    assert seen["allowed"] == [200, {}]  # a mutable one still changes
    assert seen["attributes"]["custom:company_id"] == "company-a"
    assert seen["attributes"]["custom:note"] == "company-b"


def test_a_failing_function_answers_502_without_its_error(tmp_path):
    """API Gateway answers an unhandled Lambda error with 502 and a bare message, never the
    function's errorMessage, errorType or stack trace (ministack passed them through)."""
    seen = _in_ministack("""
        failed = {"error": True, "function_error": "Unhandled", "log": "",
                  "body": {"errorMessage": "'TABLE' secret-ish detail", "errorType": "KeyError", "stackTrace": ["  File app.py"]}}
        answer, _ = lambda_svc.lambda_execute_result_to_api_proxy_response(failed)
        ok, _ = lambda_svc.lambda_execute_result_to_api_proxy_response({"body": {"statusCode": 201, "body": "{}"}})
        print(json.dumps({"failed": answer, "ok": ok}))
    """, tmp_path)
    assert seen["failed"]["statusCode"] == 502
    assert json.loads(seen["failed"]["body"]) == {"message": "Internal Server Error"}
    assert "errorMessage" not in json.dumps(seen["failed"]) and "KeyError" not in json.dumps(seen["failed"])
    assert seen["ok"]["statusCode"] == 201  # a function's own answer is untouched


def test_an_acknowledged_write_is_on_disk_before_its_answer_leaves(tmp_path):
    """serve.py writes what a writing request changed before the answer's first byte is sent: at
    http.response.start the table is in dynamodb.json and the item in the journal beside it; the
    PutItem does not rewrite dynamodb.json (its cost must not grow with the table)."""
    state = tmp_path / "state"
    seen = _in_ministack(f"""
        def on_disk():
            return {{name: open(os.path.join({str(state)!r}, name), encoding="utf-8").read()
                    for name in ("dynamodb.json", "dynamodb.journal") if os.path.exists(os.path.join({str(state)!r}, name))}}
        def request(target, payload):
            sent, kept = [], []
            async def receive():
                return {{"type": "http.request", "body": json.dumps(payload).encode(), "more_body": False}}
            async def send(message):
                if message["type"] == "http.response.start":
                    sent.append(message["status"])
                    kept.append(on_disk())
            scope = {{"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": [
                (b"host", b"localhost"), (b"content-type", b"application/x-amz-json-1.0"),
                (b"x-amz-target", ("DynamoDB_20120810." + target).encode()),
                (b"authorization", b"AWS4-HMAC-SHA256 Credential=test/20260101/ap-northeast-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")]}}
            asyncio.run(ministack_app.app(scope, receive, send))
            return sent[0], kept[0]
        _, created = request("CreateTable", {{"TableName": "esurety", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{{"AttributeName": "pk", "AttributeType": "S"}}],
            "KeySchema": [{{"AttributeName": "pk", "KeyType": "HASH"}}]}})
        status, put = request("PutItem", {{"TableName": "esurety", "Item": {{"pk": {{"S": "application-0001"}}}}}})
        read_status, _ = request("GetItem", {{"TableName": "esurety", "Key": {{"pk": {{"S": "application-0001"}}}}}})
        print(json.dumps({{"status": status, "read": read_status, "created": created, "put": put,
                          "files": sorted(p for p in os.listdir({str(state)!r}) if not p.endswith(".pem"))}}))
    """, tmp_path, PERSIST_STATE="1", STATE_DIR=str(state), AUTH="false")
    assert seen["status"] == 200 and seen["read"] == 200
    assert '"esurety"' in seen["created"]["dynamodb.json"], "the table was not on disk when CreateTable answered"
    assert "application-0001" in seen["put"].get("dynamodb.journal", ""), "the answer left before the write was on disk"
    assert seen["put"]["dynamodb.json"] == seen["created"]["dynamodb.json"]  # the item alone was written
    assert not [f for f in seen["files"] if f.endswith(".tmp")]  # written whole, then renamed


def test_an_expression_is_parsed_once_and_judged_as_before(tmp_path):
    """A Query's key condition is evaluated on each item of the partition: its text is tokenised and
    grammar-checked once, and every item is still judged by it; a bad text is refused every time."""
    seen = _in_ministack("""
        from ministack.services import dynamodb
        values = {":0": {"S": "DESK#tochigi-pref"}}
        judged = [dynamodb._evaluate_condition("#0 = :0", {"gsi1pk": {"S": pk}}, values, {"#0": "gsi1pk"}, slot="KeyConditionExpression")
                  for pk in ("DESK#tochigi-pref", "DESK#ashikaga-city", "DESK#tochigi-pref")]
        tokens = dynamodb._tokenize("a = :b")
        tokens.append(("IDENT", "spoiled"))
        refused = []
        for _ in range(2):
            try:
                dynamodb._evaluate_condition("a = = :b", {"a": {"S": "x"}}, {":b": {"S": "x"}}, {})
            except ValueError as error:
                refused.append(str(error))
        print(json.dumps({"judged": judged, "fresh": dynamodb._tokenize("a = :b") == [t for t in tokens[:-1]],
                          "refused": refused, "cached": dynamodb._condition_syntax_error.cache_info().hits > 0}))
    """, tmp_path)
    assert seen["judged"] == [True, False, True]
    assert seen["fresh"]  # a caller's list is its own
    assert len(seen["refused"]) == 2 and seen["refused"][0] == seen["refused"][1]
    assert seen["cached"]


def test_a_key_named_by_its_alias_is_judged_as_the_key(tmp_path):
    """The functions may sign only with keys tagged for esurety (aws:ResourceTag): a kms:Sign naming
    the key by its alias is judged against the key's ARN and tags, as AWS does; ministack judged the
    alias's ARN, which carries no tags, and refused it."""
    seen = _in_ministack("""
        from ministack.core import iam_actions
        from ministack.core.responses import get_account_id
        from ministack.services import kms, tagging
        _, _, body = kms._create_key({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY",
                                      "Tags": [{"TagKey": "esurety:issuer", "TagValue": "mihon-sonpo"}]})
        key = json.loads(body)["KeyMetadata"]
        kms._create_alias({"AliasName": "alias/esurety-local-issuer-mihon-sonpo", "TargetKeyId": key["KeyId"]})
        def judged(key_id):
            return iam_actions.extract_resource_arn("kms", "POST", "/", {"x-amz-target": "TrentService.Sign"},
                                                    json.dumps({"KeyId": key_id}).encode(), {}, "ap-northeast-1", get_account_id())
        by_alias, by_arn, unknown = judged("alias/esurety-local-issuer-mihon-sonpo"), judged(key["Arn"]), judged("alias/none")
        print(json.dumps({"key": key["Arn"], "by_alias": by_alias, "by_arn": by_arn, "unknown": unknown,
                          "tags": tagging.resource_tags(by_alias)}))
    """, tmp_path)
    assert seen["by_alias"] == seen["by_arn"] == seen["key"]
    assert seen["tags"] == {"esurety:issuer": "mihon-sonpo"}  # what aws:ResourceTag/esurety:issuer reads
    assert seen["unknown"].endswith(":alias/none")  # an alias of no key is left as it was


def test_a_header_override_s3_cannot_send_is_refused_as_s3_refuses_it(tmp_path):
    """S3 answers 400 InvalidArgument to a GetObject whose response-content-disposition is not
    ISO-8859-1 (a raw Japanese file name); ministack passed it on. RFC 5987's percent-encoded
    `filename*` is ASCII and is served as asked."""
    seen = _in_ministack("""
        from ministack.services import s3
        s3._create_bucket("docs", b"", {})
        s3._put_object("docs", "a.pdf", b"%PDF-1.7", {"content-type": "application/pdf"})
        signed = {"X-Amz-Signature": ["x"], "X-Amz-Algorithm": ["AWS4-HMAC-SHA256"]}
        def get(disposition):
            status, headers, body = s3._get_object("docs", "a.pdf", {}, {**signed, "response-content-disposition": [disposition]})
            return [status, {k.lower(): v for k, v in headers.items()}.get("content-disposition"), body.decode("utf-8", "replace")]
        raw = get('inline; filename="保証証書.pdf"')
        encoded = get("inline; filename=\\"certificate.pdf\\"; filename*=UTF-8''%E4%BF%9D%E8%A8%BC%E8%A8%BC%E6%9B%B8.pdf")
        print(json.dumps({"raw": raw, "encoded": encoded}))
    """, tmp_path)
    status, header, body = seen["raw"]
    assert status == 400 and "<Code>InvalidArgument</Code>" in body and "ISO-8859-1" in body and header is None
    status, header, _ = seen["encoded"]
    assert status == 200 and header == "inline; filename=\"certificate.pdf\"; filename*=UTF-8''%E4%BF%9D%E8%A8%BC%E8%A8%BC%E6%9B%B8.pdf"


def test_the_managed_login_asks_for_the_totp_code_in_japanese(tmp_path):
    """A user of a pool with MFA ON gets no authorization code for the password alone: first the
    authenticator app's code (set up at the first sign-in, asked for ever after), refused when wrong;
    a pool without MFA signs in in one step; every page is Japanese."""
    seen = _in_ministack("""
        import re
        from urllib.parse import urlencode

        def pool(mfa):
            _, _, body = cognito._create_user_pool({"PoolName": mfa, "MfaConfiguration": mfa})
            pool_id = json.loads(body)["UserPool"]["Id"]
            if mfa == "ON":
                cognito._set_user_pool_mfa_config({"UserPoolId": pool_id, "MfaConfiguration": "ON",
                                                   "SoftwareTokenMfaConfiguration": {"Enabled": True}})
            _, _, body = cognito._create_user_pool_client({"UserPoolId": pool_id, "ClientName": "site", "AllowedOAuthFlows": ["code"],
                "AllowedOAuthFlowsUserPoolClient": True, "CallbackURLs": ["http://site/cb"], "AllowedOAuthScopes": ["openid"]})
            cognito._admin_create_user({"UserPoolId": pool_id, "Username": "u", "MessageAction": "SUPPRESS", "TemporaryPassword": "Pass-word-1"})
            cognito._admin_set_user_password({"UserPoolId": pool_id, "Username": "u", "Password": "Pass-word-1", "Permanent": True})
            return json.loads(body)["UserPoolClient"]["ClientId"]

        def login(form):
            status, headers, body = cognito.handle_login_submit("POST", "/login", {}, urlencode(form).encode(), {})
            page = body.decode()
            return {"status": status, "location": headers.get("Location", ""), "lang": re.findall(r'<html lang="(\\w+)"', page),
                    "h1": re.findall(r"<h1>(.*?)</h1>", page), "alert": re.findall(r'role="alert"[^>]*>([^<]*)<', page),
                    "token": (re.findall(r'name="mfa_token" value="([^"]+)"', page) or [""])[0],
                    "key": "".join(re.findall(r'id="totp_secret"[^>]*>([^<]*)<', page)).replace(" ", ""),
                    "latin": re.findall(r"[A-Za-z]+", re.sub(r"<style>.*?</style>|<[^>]*>", " ", page, flags=re.S))}

        staff, contractor = pool("ON"), pool("OFF")
        request = lambda client: {"response_type": "code", "client_id": client, "redirect_uri": "http://site/cb", "scope": "openid", "state": "s"}
        _, _, first = cognito.handle_oauth2_authorize("GET", "/oauth2/authorize", {}, request(staff))
        wrong_password = login({**request(staff), "username": "u", "password": "wrong"})
        enrol = login({**request(staff), "username": "u", "password": "Pass-word-1"})
        enrol_wrong = login({"mfa_token": enrol["token"], "totp_code": "000000" if cognito._totp_code(enrol["key"]) != "000000" else "111111"})
        enrolled = login({"mfa_token": enrol["token"], "totp_code": cognito._totp_code(enrol["key"])})
        again = login({**request(staff), "username": "u", "password": "Pass-word-1"})
        spent = login({"mfa_token": enrol["token"], "totp_code": cognito._totp_code(enrol["key"])})
        no_code = login({"mfa_token": again["token"], "totp_code": ""})
        signed_in = login({"mfa_token": again["token"], "totp_code": cognito._totp_code(enrol["key"])})
        one_step = login({**request(contractor), "username": "u", "password": "Pass-word-1"})
        _, _, refused = cognito.handle_oauth2_authorize("GET", "/oauth2/authorize", {}, {**request(staff), "redirect_uri": "http://elsewhere/"})
        print(json.dumps({"first": first.decode(), "wrong_password": wrong_password, "enrol": enrol, "enrol_wrong": enrol_wrong,
                          "enrolled": enrolled, "again": again, "spent": spent, "no_code": no_code, "signed_in": signed_in,
                          "one_step": one_step, "refused": refused.decode()}))
    """, tmp_path)
    assert '<html lang="ja">' in seen["first"] and "ユーザー名" in seen["first"] and "Sign in" not in seen["first"]
    assert seen["wrong_password"]["alert"] == ["ユーザー名またはパスワードが正しくありません。"]
    # The first sign-in sets TOTP up: no code for the site until the app's code is right.
    assert seen["enrol"]["h1"] == ["認証アプリの登録"] and seen["enrol"]["location"] == "" and len(seen["enrol"]["key"]) == 32
    assert seen["enrol_wrong"]["status"] == 200 and seen["enrol_wrong"]["location"] == ""
    assert seen["enrol_wrong"]["alert"][0].startswith("コードが正しくありません。")
    assert seen["enrolled"]["status"] == 302 and seen["enrolled"]["location"].startswith("http://site/cb?code=")
    # Ever after: the password, then the code page (a wrong or empty code refused, with another try).
    assert seen["again"]["h1"] == ["多要素認証"] and seen["again"]["location"] == ""
    assert seen["no_code"]["location"] == "" and seen["no_code"]["alert"][0].startswith("コードが正しくありません。")
    assert seen["signed_in"]["status"] == 302 and "code=" in seen["signed_in"]["location"]
    assert seen["spent"]["status"] == 400 and seen["spent"]["location"] == ""  # a step signs in once
    assert seen["one_step"]["status"] == 302 and "code=" in seen["one_step"]["location"]  # no MFA: one step
    for name in ("wrong_password", "enrol", "enrol_wrong", "again", "no_code", "spent"):
        assert seen[name]["lang"] == ["ja"], name
        assert [w for w in seen[name]["latin"] if w not in seen[name]["key"]] == [], (name, seen[name]["latin"])
    assert '<html lang="ja">' in seen["refused"] and "サインインの要求が正しくありません" in seen["refused"]
