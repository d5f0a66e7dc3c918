"""The SAM template and the code agree: lint, handlers, routes, table keys, policies."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


from conftest import ROOT, load_handler

TEMPLATE = ROOT / "infra" / "template.yaml"


def functions(template):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def test_cfn_lint_is_clean():
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_local_cloud_reads_the_template_as_cfn_lint_does(template):
    """tools/localcloud/deploy.py reads the YAML with its own loader (cfn-lint's costs seconds to
    import at every `make run`); it must give cfn-lint's structure: every short tag (!Ref, !Sub,
    !GetAtt A.B, !If, ...) in its long form, nothing else changed."""
    import json

    from cfnlint.decode import cfn_yaml

    assert json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE)))) == template


def test_runtime_is_312_or_newer(template):
    runtime = template["Globals"]["Function"]["Runtime"]
    assert runtime.startswith("python3.") and int(runtime.split(".")[1]) >= 12


def test_every_handler_imports(template):
    for name, resource in functions(template).items():
        code_uri = resource["Properties"]["CodeUri"]
        module, attribute = resource["Properties"]["Handler"].rsplit(".", 1)
        path = (TEMPLATE.parent / code_uri / f"{module}.py").resolve()
        assert path.is_file(), name
        loaded = load_handler(str(path.relative_to(ROOT)), f"esurety_fn_{name}")
        assert callable(getattr(loaded, attribute)), name


def _template_routes(resource) -> set[tuple[str, str]]:
    return {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }


def test_template_routes_are_the_resolvers_routes(template):
    for name, resource in functions(template).items():
        module, _ = resource["Properties"]["Handler"].rsplit(".", 1)
        path = (TEMPLATE.parent / resource["Properties"]["CodeUri"] / f"{module}.py").resolve()
        loaded = load_handler(str(path.relative_to(ROOT)), f"esurety_fn_{name}")
        app = getattr(loaded, "app", None)
        declared = _template_routes(resource)
        if app is None:
            assert declared == set(), name
            continue
        served = {(r.method, r.openapi_path) for r in app._static_routes + app._dynamic_routes}
        assert served == declared, name


def test_only_the_registry_is_public(template):
    public = []
    for resource in functions(template).values():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi" and event["Properties"].get("Auth", {}).get("Authorizer") == "NONE":
                public.append(event["Properties"]["Path"])
    assert public == ["/orderers", "/issuers"]
    assert template["Resources"]["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"] == "CognitoJwt"


def test_table_keys_match_the_models(template):
    from esurety.aws.models import ALL_MODELS, CompanyIndex, QueueIndex

    table = template["Resources"]["Table"]["Properties"]
    keys = {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]}
    for model in ALL_MODELS:
        assert model._hash_keyname == keys["HASH"] and model._range_keyname == keys["RANGE"]
    indexes = {i["IndexName"]: {k["KeyType"]: k["AttributeName"] for k in i["KeySchema"]} for i in table["GlobalSecondaryIndexes"]}
    for index in (QueueIndex, CompanyIndex):
        schema = index._get_schema()
        assert indexes[index.Meta.index_name] == {k["KeyType"]: k["AttributeName"] for k in schema["key_schema"]}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["DeletionProtectionEnabled"] is True


def test_bucket_is_private_versioned_encrypted_tls_only(template):
    bucket = template["Resources"]["DocumentsBucket"]["Properties"]
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    statement = template["Resources"]["DocumentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"]["Bool"]["aws:SecureTransport"] == "false"


def certificate_arrival(template) -> dict:
    """The bucket's notification of certificate arrivals (to the publication queue)."""
    (config,) = template["Resources"]["DocumentsBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    return config


def test_certificate_arrivals_reach_the_publisher_through_the_queue(template):
    resources = template["Resources"]
    arrival = certificate_arrival(template)
    assert arrival["Queue"] == {"Fn::GetAtt": ["PublicationQueue", "Arn"]}
    rules = {r["Name"]: r["Value"] for r in arrival["Filter"]["S3Key"]["Rules"]}
    assert rules["prefix"] == "certificates/"
    mapping = resources["PublicationArrivals"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["PublicationQueue", "Arn"]}
    assert mapping["FunctionName"] == {"Ref": "PublishFunction.Alias"}  # SnapStart: the alias, never $LATEST
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Spent retries land on the dead-letter queue, which alarms.
    queue = resources["PublicationQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["PublicationDeadLetterQueue", "Arn"]}
    assert queue["VisibilityTimeout"] >= 6 * template["Globals"]["Function"]["Timeout"]
    alarm = resources["PublicationFailuresAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["PublicationDeadLetterQueue", "QueueName"]}
    assert (alarm["MetricName"], alarm["Threshold"], alarm["ComparisonOperator"]) == ("ApproximateNumberOfMessagesVisible", 0, "GreaterThanThreshold")
    # Only the bucket may send arrivals; the reconciler runs on a schedule.
    statement = resources["PublicationQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"} and "aws:SourceArn" in statement["Condition"]["ArnEquals"]
    (schedule,) = resources["ReconcileFunction"]["Properties"]["Events"].values()
    assert schedule["Type"] == "Schedule"


def test_no_function_may_scan_or_delete(template):
    for name, resource in functions(template).items():
        for policy in resource["Properties"]["Policies"]:
            for statement in policy["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not [a for a in actions if a in ("dynamodb:Scan", "dynamodb:DeleteItem", "s3:DeleteObject", "dynamodb:*", "s3:*")], name


# ------------------------------------------------------------------ identity, keys, logs (issue 7)

def _sub_text(value) -> str:
    """The text of a !Sub (either form), or the value itself."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return value


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def test_tenant_attributes_are_immutable(template):
    """Set once by staff tooling (AdminCreateUser): nobody, the user included, rewrites a tenant."""
    schema = {a["Name"]: a for a in template["Resources"]["UserPool"]["Properties"]["Schema"]}
    for name in ("company_id", "orderer_id", "department_id"):
        assert schema[name]["Mutable"] is False, name
    # A staff member's issuer: set when the user is created, never moved to another issuer.
    staff_schema = {a["Name"]: a for a in template["Resources"]["StaffUserPool"]["Properties"]["Schema"]}
    assert staff_schema["issuer_id"]["Mutable"] is False


def test_staff_tokens_carry_their_issuer(template):
    """The ID token holds only the attributes its client may read: without it every staff member
    would be taken for the default issuer's."""
    client = template["Resources"]["StaffUserPoolClient"]["Properties"]
    assert "custom:issuer_id" in client["ReadAttributes"]


def test_id_tokens_carry_the_display_name(template):
    """The header says who is signed in and the audit and approvals name the staff member: the
    standard `name` attribute must be readable by both app clients, or Cognito leaves it out of the
    ID token (the local cloud puts every attribute in, so only this catches its absence)."""
    for client in ("UserPoolClient", "StaffUserPoolClient"):
        assert "name" in template["Resources"][client]["Properties"]["ReadAttributes"], client


def test_no_app_client_may_write_a_custom_attribute(template):
    """An app client without WriteAttributes may write every writable attribute: each one names its own."""
    clients = {n: r["Properties"] for n, r in template["Resources"].items() if r["Type"] == "AWS::Cognito::UserPoolClient"}
    assert clients
    for name, client in clients.items():
        assert "WriteAttributes" in client, name
        assert [a for a in client["WriteAttributes"] if a.startswith("custom:")] == [], name


def _route_authorizers(template) -> dict[str, str]:
    default = template["Resources"]["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"]
    routes = {}
    for resource in functions(template).values():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                routes[f"{props['Method'].upper()} {props['Path']}"] = props.get("Auth", {}).get("Authorizer", default)
    return routes


def test_staff_sign_in_needs_a_second_factor(template):
    resources = template["Resources"]
    staff_pool = resources["StaffUserPool"]["Properties"]
    assert staff_pool["MfaConfiguration"] == "ON" and staff_pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert resources["StaffGroup"]["Properties"]["UserPoolId"] == {"Ref": "StaffUserPool"}
    assert resources["StaffUserPoolClient"]["Properties"]["UserPoolId"] == {"Ref": "StaffUserPool"}
    # The other pool holds no staff: contractors and orderers only.
    groups_elsewhere = [r["Properties"]["GroupName"] for r in resources.values()
                        if r["Type"] == "AWS::Cognito::UserPoolGroup" and r["Properties"]["UserPoolId"] != {"Ref": "StaffUserPool"}]
    assert "staff" not in groups_elsewhere
    staff_jwt = resources["HttpApi"]["Properties"]["Auth"]["Authorizers"]["StaffJwt"]["JwtConfiguration"]
    assert _sub_text(staff_jwt["issuer"]).endswith("/${StaffUserPool}")
    assert staff_jwt["audience"] == [{"Ref": "StaffUserPoolClient"}]
    routes = _route_authorizers(template)
    staff_routes = {r for r in routes if r.split(" ", 1)[1].startswith("/staff/")}
    assert staff_routes
    for route, authorizer in routes.items():
        assert (authorizer == "StaffJwt") == (route in staff_routes), route


def _key_statements(template, key: str) -> list[dict]:
    return template["Resources"][key]["Properties"]["KeyPolicy"]["Statement"]


def _kms_keys(template) -> list[str]:
    return [n for n, r in template["Resources"].items() if r["Type"] == "AWS::KMS::Key"]


USE_ACTIONS = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
               "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair", "kms:Sign", "kms:Verify",
               "kms:GenerateMac", "kms:VerifyMac", "kms:CreateGrant"}


def test_key_administrators_manage_and_cannot_use(template):
    for key in _kms_keys(template):
        admin = [s for s in _key_statements(template, key) if s["Principal"]["AWS"] == {"Ref": "KeyAdministratorArn"}]
        assert len(admin) == 1, key
        actions = set(admin[0]["Action"])
        # CloudFormation's lock-out rule: the key's creator (deploying as this role) can still manage it.
        assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation", "kms:DescribeKey"} <= actions, key
        assert not [a for a in actions if "*" in a or a in USE_ACTIONS], key


def test_only_the_functions_roles_use_the_keys(template):
    """No kms:* for the account: every other Allow names one function's role, for that role's operations."""
    role_prefix = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-"
    granted = set()  # (key, function, action) the key policies allow
    for key in _kms_keys(template):
        for statement in _key_statements(template, key):
            assert statement["Effect"] == "Allow"
            actions = _listed(statement["Action"])
            assert not [a for a in actions if "*" in a], (key, statement["Sid"])
            if statement["Principal"]["AWS"] == {"Ref": "KeyAdministratorArn"}:
                continue
            assert _sub_text(statement["Principal"]["AWS"]) == "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
            pattern = _sub_text(statement["Condition"]["ArnLike"]["aws:PrincipalArn"])
            assert pattern.startswith(role_prefix) and pattern.endswith("Role-*"), (key, statement["Sid"])
            function = pattern[len(role_prefix):-len("Role-*")]
            assert function in functions(template), (key, statement["Sid"])
            assert set(actions) <= USE_ACTIONS - {"kms:CreateGrant"}, (key, statement["Sid"])
            granted |= {(key, function, a) for a in actions}
    needed = set()  # (key, function, action) the functions' own policies ask for
    for name, resource in functions(template).items():
        for policy in resource["Properties"]["Policies"]:
            for statement in policy["Statement"]:
                for action in _listed(statement["Action"]):
                    if action.startswith("kms:") and not _issuer_keys_grant(statement):
                        for target in _listed(statement["Resource"]):
                            needed.add((target["Fn::GetAtt"][0], name, action))
    assert granted == needed


ISSUER_KEY_ACTIONS = {"kms:Sign", "kms:DescribeKey", "kms:ListResourceTags"}


def _issuer_keys_grant(statement: dict) -> bool:
    """The attribute-based grant on the issuers' own keys (made outside the stack, one per issuer)."""
    return "aws:ResourceTag/esurety:issuer" in json.dumps(statement.get("Condition", {}))


def test_issuer_keys_are_granted_by_their_tags_to_the_functions_that_sign(template):
    """Onboarding an issuer edits no template: the functions that sign may use any key of this stage
    tagged for an issuer, for signing and the check that the key is the issuer's, and nothing else."""
    resources = template["Resources"]
    granted = {}
    for name, resource in functions(template).items():
        for policy in resource["Properties"]["Policies"]:
            for statement in policy["Statement"]:
                if not _issuer_keys_grant(statement):
                    continue
                assert set(_listed(statement["Action"])) == ISSUER_KEY_ACTIONS, name
                assert _sub_text(statement["Resource"]) == "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*", name
                assert statement["Condition"] == {
                    "StringLike": {"aws:ResourceTag/esurety:issuer": "*"},
                    "StringEquals": {"aws:ResourceTag/esurety:stage": {"Ref": "Stage"}},
                }, name
                granted[name] = statement
    # The issue (and staff actions) and the publisher's notices; the desk signs only the platform's 寄託記録.
    assert set(granted) == {"IssueFunction", "PublishFunction"}
    for name in granted:
        certificates = [
            _sub_text(s["Resource"]) for policy in resources[name]["Properties"]["Policies"] for s in policy["Statement"]
            if _listed(s["Action"]) == ["ssm:GetParameter"]
        ]
        assert "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/esurety/${Stage}/issuers/*" in certificates, name
    # The stack's key is the default issuer's, tagged as every issuer's is.
    tags = {t["Key"]: t["Value"] for t in resources["SigningKey"]["Properties"]["Tags"]}
    assert tags == {"esurety:issuer": "toto-hosho", "esurety:stage": {"Ref": "Stage"}}


def test_what_the_stack_cannot_recreate_is_retained(template):
    """Deleting the stack keeps the table; it must keep what makes the table readable too."""
    resources = template["Resources"]
    for name in ("Table", "DocumentsBucket", "AuthKeyPepper", "AuthKeyKey", "SigningKey", "DocumentsKey", "UserPool", "StaffUserPool"):
        assert resources[name].get("DeletionPolicy") == "Retain", name
        assert resources[name].get("UpdateReplacePolicy") == "Retain", name
    for pool in ("UserPool", "StaffUserPool"):
        assert resources[pool]["Properties"]["DeletionProtection"] == "ACTIVE", pool


def test_notices_are_encrypted_under_the_documents_key(template):
    resources = template["Resources"]
    env = resources["PublishFunction"]["Properties"]["Environment"]["Variables"]
    assert env["NOTICE_KMS_KEY_ARN"] == {"Fn::GetAtt": ["DocumentsKey", "Arn"]}
    deny = [s for s in resources["DocumentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny" and s["Action"] == "s3:PutObject"]
    assert len(deny) == 1 and _sub_text(deny[0]["Resource"]).endswith("/notices/*")
    assert deny[0]["Condition"]["StringNotEquals"]["s3:x-amz-server-side-encryption-aws-kms-key-id"] == {"Fn::GetAtt": ["DocumentsKey", "Arn"]}
    # Whoever reads (or presigns) a notice may decrypt it; whoever puts one may make its data key.
    for name, resource in functions(template).items():
        s3_actions, kms_actions = set(), set()
        for policy in resource["Properties"]["Policies"]:
            for statement in policy["Statement"]:
                targets = [_sub_text(r) if not isinstance(r, dict) or "Fn::Sub" in r else r for r in _listed(statement["Resource"])]
                for action in _listed(statement["Action"]):
                    if any(isinstance(t, str) and "/notices/" in t for t in targets):
                        s3_actions.add(action)
                    if {"Fn::GetAtt": ["DocumentsKey", "Arn"]} in targets:
                        kms_actions.add(action)
        assert ("s3:GetObject" in s3_actions) == ("kms:Decrypt" in kms_actions), name
        assert ("s3:PutObject" in s3_actions) == ("kms:GenerateDataKey" in kms_actions), name


def test_http_api_logs_access_without_secrets_and_is_throttled(template):
    import json

    api = template["Resources"]["HttpApi"]["Properties"]
    logs = api["AccessLogSettings"]
    assert logs["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]}
    fields = json.loads(logs["Format"])  # CloudWatch Logs Insights reads it as JSON
    assert {"requestId", "ip", "routeKey", "status"} <= set(fields)
    for forbidden in ("authorization", "header", "body", "querystring", "$context.path"):
        assert forbidden not in logs["Format"].lower(), forbidden
    assert template["Resources"]["HttpApiAccessLogs"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    default = api["DefaultRouteSettings"]
    verify = api["RouteSettings"]["POST /verifications"]
    assert 0 < verify["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    assert 0 < verify["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]


def test_every_function_logs_with_retention_and_alarms(template):
    resources = template["Resources"]
    retention = template["Parameters"]["LogRetentionDays"]
    assert min(retention["AllowedValues"]) >= 365 and retention["Default"] >= 365
    alarms = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    for name, resource in functions(template).items():
        group = resource["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Type"] == "AWS::Logs::LogGroup", name
        assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        for metric in ("Errors", "Throttles"):
            mine = [a for a in alarms if a.get("MetricName") == metric and a.get("Namespace") == "AWS/Lambda"
                    and a["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": name}}]]
            assert len(mine) == 1, (name, metric)
            assert mine[0]["AlarmActions"] == [{"Ref": "AlarmTopic"}], (name, metric)


def test_the_sites_csp_lets_the_browser_post_an_upload_to_the_bucket(template, cloud):
    """On AWS the 認定調書 form posts to the URL boto3 presigns in ApplyFunction (a client with the
    default endpoint, as esurety.aws makes it); the site's connect-src must name its origin."""
    import boto3

    csp = template["Resources"]["SiteHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
        "ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::If"][2]["Fn::Sub"]
    account, region, stage = "123456789012", "ap-northeast-1", "prod"
    resolved = csp.replace("${AWS::AccountId}", account).replace("${AWS::Region}", region).replace("${Stage}", stage)
    connect = next(part for part in resolved.split(";") if part.strip().startswith("connect-src")).split()[1:]
    s3 = boto3.session.Session().client("s3", region_name=region)
    url = s3.generate_presigned_post(f"esurety-{stage}-docs-{account}-{region}", "uploads/x.pdf")["url"]
    assert "/".join(url.split("/")[:3]) in connect, (url, connect)
