"""The SAM template and the code agree: lint, handlers, routes, table keys, policies."""
from __future__ import annotations

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
    assert public == ["/orderers"]
    assert template["Resources"]["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"] == "CognitoJwt"


def test_table_keys_match_the_models(template):
    from esurety.models import ALL_MODELS, CompanyIndex, QueueIndex

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
    assert mapping["FunctionName"] == {"Ref": "PublishFunction"}
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
