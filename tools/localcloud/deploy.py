"""Deploy infra/template.yaml, unchanged, into the local cloud.

What `sam build` + `sam deploy` do, without Docker:
1. build: the layer through its own Makefile (BuildMethod: makefile), for the interpreter that
   runs the functions locally; function folders go as they are;
2. package: each CodeUri/ContentUri zipped deterministically into an artifact bucket (the SAM
   transform accepts only s3:// locations);
3. deploy: a change set (CREATE or UPDATE) with the SAM transform, waited on;
4. wire the HTTP API: the local cloud ignores the OpenAPI body SAM generates, so the JWT
   authorizer, integrations and routes are created from the processed template.
5. wait for the functions' aliases: a version published with SnapStart is Pending until its
   snapshot is taken (CloudFormation waits for it on AWS).
"""
from __future__ import annotations

import hashlib
import io
import copy
import json
import os
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import yaml
from botocore.exceptions import ClientError

from .cloud import ROOT, LocalCloud

TEMPLATE = ROOT / "infra" / "template.yaml"
ARTIFACT_BUCKET = "esurety-local-artifacts"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags, turned into their long JSON forms.

    cfn-lint has such a reader (`cfnlint.decode.cfn_yaml.load`) and gives the same structure
    (tests/infrastructure/test_template.py compares them), but importing it costs 2-3 s, a third of a warm
    `make run`; these lines cost nothing."""


def _intrinsic(name: str):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if name in ("Ref", "Condition"):
            return {name: value}
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{name}": value}

    return construct


for _name in ("Ref", "GetAtt", "Sub", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or", "FindInMap",
              "ImportValue", "Base64", "Cidr", "GetAZs", "Transform", "Condition", "ToJsonString", "Length"):
    _CfnLoader.add_constructor(f"!{_name}", _intrinsic(_name))


def load_template(path: Path = TEMPLATE) -> dict:
    return yaml.load(path.read_text("utf-8"), Loader=_CfnLoader)


# ----------------------------------------------------------------------------------- build


def _tree_digest(path: Path, extra: str) -> str:
    digest = hashlib.sha256(extra.encode())
    for file in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def build(template: dict, build_dir: Path, python: str, log=print) -> dict:
    """Build the layers for `python` (the local functions' interpreter); rewrite their ContentUri."""
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::LayerVersion":
            continue
        source = (TEMPLATE.parent / resource["Properties"]["ContentUri"]).resolve()
        method = (resource.get("Metadata") or {}).get("BuildMethod", "")
        if method != "makefile":
            raise SystemExit(f"{logical}: only BuildMethod makefile is built locally (found {method!r})")
        out = build_dir / f"{logical}-{_tree_digest(source, python)}"
        for stale in build_dir.glob(f"{logical}-*"):  # earlier builds of this layer
            if stale.name not in (out.name, f"{out.name}.zip"):
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
        if not out.exists():
            log(f"building {logical} for {python}")
            staging = out.with_suffix(".tmp")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            subprocess.run(
                ["make", "-s", "-C", str(source), f"build-{logical}", f"ARTIFACTS_DIR={staging}", f"PYTHON={python}", f"PYC_PYTHON={python}", "PIP_TARGET_FLAGS="],
                check=True,
            )
            staging.rename(out)
        resource["Properties"]["ContentUri"] = str(out)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            code = resource["Properties"]["CodeUri"]
            resource["Properties"]["CodeUri"] = str((TEMPLATE.parent / code).resolve())
    return template


# ----------------------------------------------------------------------------------- package


def _zip_dir(path: Path) -> bytes:
    """Deterministic zip (fixed times, sorted): unchanged code keeps its key, so a redeploy is a no-op."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", ".pytest_cache"))
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                full = Path(root) / name
                info = zipfile.ZipInfo(str(full.relative_to(path)), date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (full.stat().st_mode & 0o777) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, full.read_bytes())
    return buffer.getvalue()


def _exists(s3, key: str) -> bool:
    try:
        s3.head_object(Bucket=ARTIFACT_BUCKET, Key=key)
        return True
    except ClientError:
        return False


def package(template: dict, s3) -> dict:
    uploaded: dict[str, str] = {}

    def upload(local: str) -> str:
        if local not in uploaded:
            cached = Path(f"{local}.zip")  # a built layer's folder name carries its digest: zip it once
            if cached.exists():
                data = cached.read_bytes()
            else:
                data = _zip_dir(Path(local))
                if Path(local).parent.name == "build":
                    cached.write_bytes(data)
            key = f"artifacts/{hashlib.sha256(data).hexdigest()}.zip"
            if not _exists(s3, key):
                s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=data)
            uploaded[local] = f"s3://{ARTIFACT_BUCKET}/{key}"
        return uploaded[local]

    for resource in template["Resources"].values():
        props = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = upload(props["CodeUri"])
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = upload(props["ContentUri"])
    return template


# ----------------------------------------------------------------------------------- deploy


def _stack_status(cfn, stack: str) -> str | None:
    try:
        return cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
    except ClientError:
        return None


# CloudFormation takes at most 51,200 bytes of template in the request; `sam deploy` puts a larger
# one in S3 and passes its URL, and so does this (the dashboard's body alone is ~8 kB).
TEMPLATE_BODY_MAX_BYTES = 51_200


def _template_source(body: str, s3) -> dict[str, str]:
    data = body.encode()
    if len(data) <= TEMPLATE_BODY_MAX_BYTES or s3 is None:
        return {"TemplateBody": body}
    key = f"templates/{hashlib.sha256(data).hexdigest()}.json"
    s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=data)
    return {"TemplateURL": f"https://s3.amazonaws.com/{ARTIFACT_BUCKET}/{key}"}


def deploy_stack(cfn, stack: str, body: str, parameters: dict[str, str], s3=None) -> str:
    """Returns created | updated | unchanged."""
    status = _stack_status(cfn, stack)
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED"):
        cfn.delete_stack(StackName=stack)
        for _ in range(300):
            if _stack_status(cfn, stack) in (None, "DELETE_COMPLETE"):
                break
            time.sleep(0.2)
        status = None
    change_type = "UPDATE" if status else "CREATE"
    name = f"deploy-{int(time.time() * 1000)}"
    cfn.create_change_set(
        StackName=stack, ChangeSetName=name, ChangeSetType=change_type, **_template_source(body, s3),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=CAPABILITIES,
    )
    while True:
        change_set = cfn.describe_change_set(StackName=stack, ChangeSetName=name)
        if change_set["Status"] in ("CREATE_COMPLETE", "FAILED"):
            break
        time.sleep(0.2)
    if change_set["Status"] == "FAILED":
        reason = change_set.get("StatusReason", "")
        if "didn't contain changes" in reason or "No updates" in reason:
            cfn.delete_change_set(StackName=stack, ChangeSetName=name)
            return "unchanged"
        raise SystemExit(f"change set failed: {reason}")
    cfn.execute_change_set(StackName=stack, ChangeSetName=name)
    while True:
        status = _stack_status(cfn, stack)
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            return "created" if change_type == "CREATE" else "updated"
        if status.endswith("FAILED") or "ROLLBACK" in status:
            events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
            failed = [f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}" for e in events if "FAILED" in e["ResourceStatus"]]
            raise SystemExit(f"stack {status}\n" + "\n".join(failed[:20]))
        time.sleep(0.2)


# ----------------------------------------------------------------------------------- HTTP API


class Resolver:
    """Resolves the intrinsics SAM leaves in an HttpApi body: Ref, Fn::Sub, Fn::GetAtt, Fn::Join."""

    def __init__(self, cfn, stack: str, region: str):
        described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        self.account = described["StackId"].split(":")[4]
        self.stack = stack
        self.region = region
        self.parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}
        self.resources = {
            r["LogicalResourceId"]: (r["ResourceType"], r.get("PhysicalResourceId", ""))
            for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
        }

    def ref(self, name: str):
        pseudo = {"AWS::Region": self.region, "AWS::AccountId": self.account, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": self.stack}
        if name in pseudo:
            return pseudo[name]
        return self.parameters[name] if name in self.parameters else self.resources[name][1]

    def get_att(self, logical: str, attribute: str):
        kind, physical = self.resources[logical]
        if kind == "AWS::Lambda::Function" and attribute == "Arn":
            return f"arn:aws:lambda:{self.region}:{self.account}:function:{physical}"
        if kind == "AWS::Cognito::UserPool" and attribute == "ProviderURL":
            return f"cognito-idp.{self.region}.amazonaws.com/{physical}"
        if kind == "AWS::Cognito::UserPool" and attribute == "Arn":
            return f"arn:aws:cognito-idp:{self.region}:{self.account}:userpool/{physical}"
        raise SystemExit(f"unsupported Fn::GetAtt {logical}.{attribute} ({kind})")

    def __call__(self, value):
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                parts = argument.split(".", 1) if isinstance(argument, str) else argument
                return self.get_att(*parts)
            if key == "Fn::Join":
                return argument[0].join(str(self(v)) for v in argument[1])
            if key == "Fn::Sub":
                text, names = (argument, {}) if isinstance(argument, str) else (argument[0], {k: self(v) for k, v in argument[1].items()})

                def substitute(match):
                    name = match.group(1)
                    if name in names:
                        return str(names[name])
                    if "." in name and not name.startswith("AWS::"):
                        return str(self.get_att(*name.split(".", 1)))
                    return str(self.ref(name))

                return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        return {k: self(v) for k, v in value.items()}


_VERBS = {"get", "put", "post", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method"}


def wire_http_apis(cfn, apigw, stack: str, region: str) -> dict[str, dict]:
    processed = cfn.get_template(StackName=stack, TemplateStage="Processed")["TemplateBody"]
    processed = json.loads(processed) if isinstance(processed, str) else processed
    resolve = Resolver(cfn, stack, region)
    wired = {}
    for logical, resource in processed["Resources"].items():
        if resource["Type"] != "AWS::ApiGatewayV2::Api" or "Body" not in resource.get("Properties", {}):
            continue
        api_id = resolve.ref(logical)
        # CORS is applied after the stack's outputs are known (apply_cors): its origin names the site.
        body = resolve({k: v for k, v in resource["Properties"]["Body"].items() if k != "x-amazon-apigateway-cors"})
        for route in apigw.get_routes(ApiId=api_id).get("Items", []):
            apigw.delete_route(ApiId=api_id, RouteId=route["RouteId"])
        for integration in apigw.get_integrations(ApiId=api_id).get("Items", []):
            apigw.delete_integration(ApiId=api_id, IntegrationId=integration["IntegrationId"])
        for authorizer in apigw.get_authorizers(ApiId=api_id).get("Items", []):
            apigw.delete_authorizer(ApiId=api_id, AuthorizerId=authorizer["AuthorizerId"])

        authorizers = {}
        for name, scheme in ((body.get("components") or {}).get("securitySchemes") or {}).items():
            config = scheme.get("x-amazon-apigateway-authorizer") or {}
            if config.get("type") != "jwt":
                continue
            source = config.get("identitySource", "$request.header.Authorization")
            authorizers[name] = apigw.create_authorizer(
                ApiId=api_id, Name=name, AuthorizerType="JWT",
                IdentitySource=[source] if isinstance(source, str) else source,
                JwtConfiguration={"Issuer": config["jwtConfiguration"]["issuer"], "Audience": config["jwtConfiguration"].get("audience", [])},
            )["AuthorizerId"]

        integrations: dict[str, str] = {}
        routes = []
        for path, operations in (body.get("paths") or {}).items():
            for verb, operation in operations.items():
                if verb not in _VERBS:
                    continue
                integration = operation.get("x-amazon-apigateway-integration") or {}
                uri = integration["uri"]
                if uri not in integrations:
                    integrations[uri] = apigw.create_integration(
                        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationMethod="POST", IntegrationUri=uri,
                        PayloadFormatVersion=integration.get("payloadFormatVersion", "2.0"),
                    )["IntegrationId"]
                method = "ANY" if verb == "x-amazon-apigateway-any-method" else verb.upper()
                arguments = {"ApiId": api_id, "RouteKey": f"{method} {path}", "Target": f"integrations/{integrations[uri]}"}
                for requirement in operation.get("security", body.get("security")) or []:
                    for scheme in requirement:
                        if scheme in authorizers:
                            arguments.update(AuthorizationType="JWT", AuthorizerId=authorizers[scheme])
                apigw.create_route(**arguments)
                routes.append(arguments["RouteKey"])
        wired[logical] = {"api_id": api_id, "routes": sorted(routes)}
    return wired


# ----------------------------------------------------------------------------------- SnapStart


def wait_for_aliases(lam, cfn, stack: str, timeout_s: float = 600) -> dict[str, str]:
    """Wait until every alias's version is Active; returns alias ARN -> version.

    A version published with SnapStart stays Pending while Lambda initialises it and takes the
    snapshot, and invoking it meanwhile answers ResourceConflictException (ministack does the
    same). CloudFormation on AWS waits for that; the local cloud's deploy waits here, and fails
    with the reason if the init failed (e.g. a before-snapshot hook raised).
    """
    aliases = [
        r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
        if r["ResourceType"] == "AWS::Lambda::Alias"
    ]
    deadline = time.monotonic() + timeout_s
    versions = {}
    for alias in aliases:
        while True:
            config = lam.get_function_configuration(FunctionName=alias)
            if config.get("State") == "Active":
                versions[alias] = config["Version"]
                break
            if config.get("State") == "Failed":
                raise SystemExit(f"{alias}: version {config.get('Version')} failed to initialise: {config.get('StateReason', '')}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{alias}: version {config.get('Version')} still {config.get('State')} after {timeout_s:.0f} s")
            time.sleep(0.5)
    return versions


def apply_cors(cfn, apigw, stack: str, api_id: str, site_url: str) -> None:
    """The HttpApi's CorsConfiguration, as written in the template, with the origin the stack resolved.

    SAM puts it into the OpenAPI body, which the local cloud ignores (see wire_http_apis)."""
    cors = load_template()["Resources"]["HttpApi"]["Properties"].get("CorsConfiguration")
    if not cors:
        return
    apigw.update_api(ApiId=api_id, CorsConfiguration={**{k: v for k, v in cors.items() if k != "AllowOrigins"}, "AllowOrigins": [site_url]})


# ----------------------------------------------------------------------------------- all of it


def secret_refs_as_arn_patterns(template: dict) -> dict:
    """The local cloud answers `Ref` of an AWS::SecretsManager::Secret with its name, where AWS gives
    its ARN; a policy statement naming `Resource: !Ref <secret>` would then match nothing once the local
    cloud enforces IAM. Such a Resource becomes the ARN pattern of that name (the template is unchanged)."""
    secrets = {k for k, r in template["Resources"].items() if r["Type"] == "AWS::SecretsManager::Secret"}

    def arn(value):
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in secrets:
            return {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${%s}*" % value["Ref"]}
        return value

    def walk(node):
        if isinstance(node, dict):
            if "Effect" in node and "Resource" in node:
                resource = node["Resource"]
                node["Resource"] = [arn(r) for r in resource] if isinstance(resource, list) else arn(resource)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(template["Resources"])
    return template


def without_tls_only_statements(template: dict) -> dict:
    """The local cloud speaks plain HTTP on 127.0.0.1, so with IAM enforced a bucket policy's
    `Deny` on `aws:SecureTransport: false` would refuse every request, the functions' own included.
    Those statements are left out locally; everything else in the bucket policies stays in force.
    So is a `Deny` on `s3:x-amz-server-side-encryption-aws-kms-key-id` (notices only under the
    documents key): ministack does not set that key, so it would refuse every notice; the
    publisher still puts them with SSE-KMS under that key (an e2e test reads the stored object)."""
    emptied = []
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::S3::BucketPolicy":
            continue
        document = resource["Properties"]["PolicyDocument"]
        document["Statement"] = [
            statement for statement in document["Statement"]
            if not any(key in json.dumps(statement.get("Condition", {}))
                       for key in ("aws:SecureTransport", "s3:x-amz-server-side-encryption-aws-kms-key-id"))
        ]
        if not document["Statement"]:  # a policy must hold a statement: leave the empty one out
            emptied.append(logical)
    for logical in emptied:
        del template["Resources"][logical]
    for resource in template["Resources"].values():
        depends = resource.get("DependsOn")
        if isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d not in emptied]
        elif depends in emptied:
            del resource["DependsOn"]
    return template


def without_unknown_condition_keys(template: dict) -> dict:
    """The local cloud's IAM knows no `ses:FromAddress` (it never sets that key, so a condition on it
    denies every SendEmail). Such conditions are dropped locally; the statement itself stays."""
    unknown = ("ses:FromAddress",)

    def walk(node):
        if isinstance(node, dict):
            condition = node.get("Condition")
            if "Effect" in node and isinstance(condition, dict):
                for operator in list(condition):
                    tests = condition[operator]
                    for key in [k for k in tests if k in unknown]:
                        del tests[key]
                    if not tests:
                        del condition[operator]
                if not condition:
                    del node["Condition"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(template["Resources"])
    return template


def assumed_role_principals(template: dict) -> dict:
    """Key policies name the functions' roles by `aws:PrincipalArn` (`…:role/<stack>-<Function>Role-*`).

    AWS gives a role session's `aws:PrincipalArn` as the role's ARN; ministack gives the session's
    `…:assumed-role/<role>/<session>` ARN. Each such condition also accepts that form of the same
    role name here, so the key policies still admit exactly the functions they name.
    """
    template = copy.deepcopy(template)
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") != "AWS::KMS::Key":
            continue
        for statement in resource.get("Properties", {}).get("KeyPolicy", {}).get("Statement", []):
            like = statement.get("Condition", {}).get("ArnLike", {})
            value = like.get("aws:PrincipalArn")
            if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str) and ":role/" in value["Fn::Sub"]:
                session = value["Fn::Sub"].replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/*"
                like["aws:PrincipalArn"] = [value, {"Fn::Sub": session}]
    return template


def without_metric_math_alarms(template: dict) -> dict:
    """ministack's CloudWatch refuses an alarm on metric math (`Metrics`: "metric math is not
    supported"), which fails the whole stack. Such an alarm (ForeignObjectsAlarm sums one metric
    over three functions) is left out locally: nothing in the local cloud acts on alarms, and no
    other resource refers to it (tests/infrastructure/test_local_cloud_adaptations.py checks both)."""
    for logical in [k for k, r in template["Resources"].items()
                    if r["Type"] == "AWS::CloudWatch::Alarm" and "Metrics" in r.get("Properties", {})]:
        del template["Resources"][logical]
    return template


def for_the_local_cloud(template: dict) -> dict:
    """What the local cloud (ministack, with IAM enforced) cannot take as AWS does; each step says why."""
    return assumed_role_principals(
        without_unknown_condition_keys(without_tls_only_statements(secret_refs_as_arn_patterns(without_metric_math_alarms(template))))
    )


def deploy(cloud: LocalCloud, stack: str, build_dir: Path, parameters: dict[str, str], log=print) -> dict:
    """Build, package, deploy and wire; returns the stack outputs and the local API base URL."""
    s3 = cloud.client("s3")
    cfn = cloud.client("cloudformation")
    timings = {}
    started = time.monotonic()
    try:
        s3.head_bucket(Bucket=ARTIFACT_BUCKET)
    except ClientError:
        s3.create_bucket(Bucket=ARTIFACT_BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    template = build(load_template(), build_dir, cloud.python, log)
    timings["build"] = time.monotonic() - started
    template = package(template, s3)
    template = for_the_local_cloud(template)
    timings["package"] = time.monotonic() - started - timings["build"]
    result = deploy_stack(cfn, stack, json.dumps(template), parameters, s3)
    wired = wire_http_apis(cfn, cloud.client("apigatewayv2"), stack, "ap-northeast-1")
    wait_for_aliases(cloud.client("lambda"), cfn, stack)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])}
    api = wired["HttpApi"]
    apply_cors(cfn, cloud.client("apigatewayv2"), stack, api["api_id"], outputs["SiteUrl"])
    timings["total"] = time.monotonic() - started
    return {
        "stack": stack,
        "result": result,
        "outputs": outputs,
        "api_url": f"{cloud.endpoint}/_aws/execute-api/{api['api_id']}",
        "site_url": outputs["SiteUrl"],
        "routes": api["routes"],
        "functions": {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
            if r["ResourceType"] == "AWS::Lambda::Function"
        },
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
    }
