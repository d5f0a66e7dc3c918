"""Tests that behave like AWS where moto does not.

moto answers every call as if the caller could do anything, and a few answers are kinder than AWS's.
This module sits on botocore's events (boto3's clients and PynamoDB's alike) and makes the unit
tests see what a deployed function would see:

- **IAM.** Each handler loaded through `conftest.load_handler` runs as its template function
  (`ApplyFunction`, `IssueFunction`, ...). Every AWS call it makes is turned into the IAM requests
  AWS authorises (action, resource ARN, condition keys) and judged against that function's role,
  as the SAM transform makes it from `infra/template.yaml` (plus the bucket and key policies). A call
  no statement allows is answered `AccessDenied`, as AWS answers it; the test then fails where
  production would. Presigned URLs are judged as the GET their holder will make.
- **S3's 403.** GetObject/HeadObject of a missing key answer 403, not 404, when the role may not
  `s3:ListBucket` the bucket.
- **SES's addresses.** SendEmail to an address SES cannot carry (a non-ASCII local part, a domain
  not in punycode: SES has no SMTPUTF8) answers `InvalidParameterValue`, as SES does; moto sends it.
- **DynamoDB's key limits.** Partition keys over 2,048 bytes and sort keys over 1,024 bytes (table
  and index keys) answer `ValidationException`, in every operation that carries a key.
- **S3's header overrides.** A presigned GetObject whose `response-*` override (ResponseContentDisposition,
  e.g. a Japanese file name) cannot be sent as ISO-8859-1 is what S3 answers `400 InvalidArgument` ("Header
  value cannot be represented using ISO-8859-1"); moto serves it. The link is made, as S3 makes it; the
  test fails, as its holder's GET would.
- **KMS key states and tags.** A disabled key (or one pending deletion) refuses to be used
  (`DisabledException`, `KMSInvalidStateException`), as AWS's does and moto's does not; a key's
  tags reach the policies as `aws:ResourceTag/<tag>` (attribute-based grants, e.g. the issuers' keys).
- **Nothing beyond.** Every call is recorded; at the end of a full run every action of every policy
  statement must have been used by some test, or carry its reason under the function's
  `Metadata: UntestedPermissions` in the template.

Calls made outside a function (test set-up, tests that call the services directly) are recorded but
not judged; `acting_as("IssueFunction")` judges them as that function.
"""
from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import importlib.util
import io
import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pytest
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "template.yaml"
ACCOUNT = "123456789012"  # moto's default account
STACK = "esurety-test"
# Template parameters the tests deploy with; the others are bound from the functions' environment.
PARAMETERS = {"Stage": "test"}
# Why a statement may stay unused: the function's Metadata key holding {action: reason}.
REASONS_KEY = "UntestedPermissions"
KEY_LIMITS = {"HASH": 2048, "RANGE": 1024}

_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("aws_fidelity_function", default=None)
_bypass: contextvars.ContextVar[bool] = contextvars.ContextVar("aws_fidelity_bypass", default=False)


class HarnessError(AssertionError):
    """The harness cannot judge a call (an operation or condition key it was not taught)."""


# ============================================================================ which function runs


_cold_start_hooks: list = []
_last_function = {"name": None}


def on_cold_start(*forget) -> None:
    """Caches a process keeps (a secret, a certificate): each function has its own in Lambda, so
    they are dropped whenever another function starts to run, and it reads what it needs itself."""
    _cold_start_hooks.extend(forget)


@contextlib.contextmanager
def acting_as(logical_id: str):
    """AWS calls inside the block are judged as `logical_id`'s (e.g. service calls in threads)."""
    if logical_id not in _template().functions:
        raise HarnessError(f"{logical_id} is not a function of {TEMPLATE.name}")
    if _last_function["name"] != logical_id and _function.get() is None:
        _last_function["name"] = logical_id
        for forget in _cold_start_hooks:
            forget()
    token = _function.set(logical_id)
    try:
        yield
    finally:
        _function.reset(token)


def load_module(spec, module, path: Path) -> None:
    """Execute a handler module as its function's cold start, and make its handler run as it."""
    logical_id = _template().function_for(Path(path))
    if logical_id is None:
        spec.loader.exec_module(module)
        return
    with acting_as(logical_id):
        spec.loader.exec_module(module)
    attribute = _template().handler_attribute(logical_id)
    handler = getattr(module, attribute, None)
    if callable(handler) and not getattr(handler, "_aws_fidelity", None):

        @functools.wraps(handler)
        def as_function(*args, **kwargs):
            with acting_as(logical_id):
                return handler(*args, **kwargs)

        as_function._aws_fidelity = logical_id
        setattr(module, attribute, as_function)


def current_function() -> str | None:
    return _function.get()


# ============================================================================ the template


def _load_raw_template() -> dict:
    from tools.localcloud.deploy import load_template

    return load_template(TEMPLATE)


def _managed_policy_map() -> dict:
    # cfn-lint ships the names of AWS's managed policies for an offline SAM transform; read the file
    # without importing cfn-lint (seconds).
    spec = importlib.util.find_spec("cfnlint")
    for location in spec.submodule_search_locations or []:
        path = Path(location) / "data" / "Serverless" / "ManagedPolicies.json"
        if path.is_file():
            return json.loads(path.read_text())
    return {}


class Template:
    """infra/template.yaml before and after the SAM transform (roles as CloudFormation gets them)."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.functions = {
            name: resource
            for name, resource in raw["Resources"].items()
            if resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
        }
        self._transformed: dict | None = None

    # ---- code -> function
    def _code_path(self, logical_id: str) -> Path | None:
        properties = self.functions[logical_id]["Properties"]
        code_uri, handler = properties.get("CodeUri"), properties.get("Handler")
        if not isinstance(code_uri, str) or not isinstance(handler, str):
            return None
        module = handler.rsplit(".", 1)[0].replace(".", "/")
        return (TEMPLATE.parent / code_uri / f"{module}.py").resolve()

    def function_for(self, path: Path) -> str | None:
        path = path.resolve()
        for logical_id in self.functions:
            if self._code_path(logical_id) == path:
                return logical_id
        return None

    def handler_attribute(self, logical_id: str) -> str:
        return self.functions[logical_id]["Properties"]["Handler"].rsplit(".", 1)[1]

    def environment(self, logical_id: str) -> dict:
        variables = dict(((self.raw.get("Globals") or {}).get("Function", {}).get("Environment") or {}).get("Variables") or {})
        variables.update(((self.functions[logical_id]["Properties"].get("Environment") or {}).get("Variables")) or {})
        return variables

    def reasons(self, logical_id: str) -> dict:
        return dict((self.functions[logical_id].get("Metadata") or {}).get(REASONS_KEY) or {})

    # ---- roles
    @property
    def transformed(self) -> dict:
        if self._transformed is None:
            if self.raw.get("Transform") is None:
                self._transformed = copy.deepcopy(self.raw)
            else:
                from samtranslator.parser import parser
                from samtranslator.translator.translator import Translator

                sam = copy.deepcopy(self.raw)
                for resource in sam["Resources"].values():
                    properties = resource.get("Properties") or {}
                    for uri in ("CodeUri", "ContentUri", "DefinitionUri"):
                        if uri in properties:
                            properties[uri] = "s3://bucket/value"
                os.environ.setdefault("AWS_DEFAULT_REGION", "ap-northeast-1")
                self._transformed = Translator(managed_policy_map=_managed_policy_map(), sam_parser=parser.Parser()).translate(
                    sam_template=sam, parameter_values={}
                )
        return self._transformed

    def statement(self, logical_id: str, policy: str, index: int) -> dict:
        """A statement of the function's role as written (intrinsics unresolved)."""
        for name, document in self.role_policies(self.role_of(logical_id)):
            if name == policy:
                return _as_list(document.get("Statement"))[index]
        return {}

    def role_of(self, logical_id: str) -> str | None:
        role = self.transformed["Resources"][logical_id]["Properties"].get("Role")
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            return role["Fn::GetAtt"][0]
        if isinstance(role, dict) and "Ref" in role:
            return role["Ref"]
        return None

    def role_policies(self, role: str) -> list[tuple[str, dict]]:
        """(policy name, policy document) of every identity policy attached to `role` in the stack."""
        resources = self.transformed["Resources"]
        found = []
        for policy in (resources[role].get("Properties") or {}).get("Policies") or []:
            found.append((policy["PolicyName"], policy["PolicyDocument"]))
        for name, resource in resources.items():
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                roles = (resource.get("Properties") or {}).get("Roles") or []
                if {"Ref": role} in roles:
                    found.append((name, resource["Properties"]["PolicyDocument"]))
        for arn in (resources[role].get("Properties") or {}).get("ManagedPolicyArns") or []:
            if isinstance(arn, dict) and "Ref" in arn and arn["Ref"] in resources:
                found.append((arn["Ref"], resources[arn["Ref"]]["Properties"]["PolicyDocument"]))
        return found

    def resource_policies(self) -> list[tuple[str, str, Any, dict]]:
        """(kind, policy logical id, target, document): bucket and key policies."""
        found = []
        for name, resource in self.transformed["Resources"].items():
            properties = resource.get("Properties") or {}
            if resource["Type"] == "AWS::S3::BucketPolicy":
                found.append(("s3", name, properties["Bucket"], properties["PolicyDocument"]))
            elif resource["Type"] == "AWS::KMS::Key" and "KeyPolicy" in properties:
                found.append(("kms", name, {"Fn::GetAtt": [name, "Arn"]}, properties["KeyPolicy"]))
        return found


@functools.lru_cache(maxsize=1)
def _template() -> Template:
    return Template(_load_raw_template())


# ============================================================================ intrinsics -> test names


class Unresolved(str):
    """A name the tests did not bind: matches no ARN, so what it grants is granted to nothing."""


class Resolver:
    """Resolves the template's intrinsics to the names this test account uses.

    Resources are bound through the functions' environment (`TABLE_NAME: !Ref Table` and the test's
    TABLE_NAME say what `Table` is here), then normalised as CloudFormation would return them
    (a KMS key's id and ARN, a secret's ARN) by asking the (moto) account itself.
    """

    def __init__(self, template: Template, region: str):
        self.template = template
        self.region = region
        self.refs: dict[str, str] = {}
        self._cache: dict[tuple, Any] = {}
        for logical_id in template.functions:
            for variable, value in template.environment(logical_id).items():
                if isinstance(value, dict) and set(value) == {"Ref"} and variable in os.environ:
                    self.refs.setdefault(value["Ref"], os.environ[variable])
                elif isinstance(value, dict) and set(value) == {"Fn::GetAtt"} and variable in os.environ:
                    target = value["Fn::GetAtt"]
                    target = target.split(".", 1) if isinstance(target, str) else target
                    if target[1] == "Arn" and template.raw["Resources"].get(target[0], {}).get("Type") == "AWS::KMS::Key":
                        self.refs.setdefault(target[0], os.environ[variable])  # a key is found by its ARN too
        self.parameters = {}
        for name, parameter in (template.raw.get("Parameters") or {}).items():
            self.parameters[name] = self.refs.get(name, PARAMETERS.get(name, parameter.get("Default")))

    # ---- pseudo parameters and parameters
    def pseudo(self, name: str):
        return {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": STACK,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:stack/{STACK}/00000000",
            "AWS::NoValue": None,
        }.get(name)

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            target = target.split(".", 1) if isinstance(target, str) else target
            return self.get_att(target[0], target[1])
        if set(value) == {"Fn::Sub"}:
            return self.sub(value["Fn::Sub"])
        if set(value) == {"Fn::Join"}:
            delimiter, parts = value["Fn::Join"]
            return delimiter.join(str(p) for p in self.resolve(parts))
        if set(value) == {"Fn::Select"}:
            index, items = value["Fn::Select"]
            return self.resolve(items)[int(self.resolve(index))]
        if set(value) == {"Fn::Split"}:
            delimiter, text = value["Fn::Split"]
            return str(self.resolve(text)).split(delimiter)
        if set(value) == {"Fn::If"}:
            condition, yes, no = value["Fn::If"]
            return self.resolve(yes if self.condition(condition) else no)
        return {k: self.resolve(v) for k, v in value.items()}

    def condition(self, name: str) -> bool:
        return bool(self._condition((self.template.raw.get("Conditions") or {})[name]))

    def _condition(self, expression):
        if isinstance(expression, dict) and len(expression) == 1:
            (op, args), = expression.items()
            if op == "Fn::Equals":
                return self.resolve(args[0]) == self.resolve(args[1])
            if op == "Fn::Not":
                return not self._condition(args[0])
            if op == "Fn::And":
                return all(self._condition(a) for a in args)
            if op == "Fn::Or":
                return any(self._condition(a) for a in args)
            if op == "Condition":
                return self.condition(args)
        return self.resolve(expression)

    def sub(self, spec):
        text, variables = (spec, {}) if isinstance(spec, str) else (spec[0], spec[1])

        def replace(match):
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return str(self.get_att(logical, attribute))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    # ---- resources
    def _resource(self, logical_id: str) -> dict | None:
        return self.template.transformed["Resources"].get(logical_id)

    def ref(self, name: str):
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        return self._cached(("ref", name), lambda: self._ref(name))

    def get_att(self, logical_id: str, attribute: str):
        return self._cached(("att", logical_id, attribute), lambda: self._get_att(logical_id, attribute))

    def _cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _property(self, logical_id: str, name: str):
        resource = self._resource(logical_id) or {}
        value = (resource.get("Properties") or {}).get(name)
        return None if value is None else self.resolve(value)

    def _ref(self, logical_id: str):
        resource = self._resource(logical_id)
        if resource is None:
            return Unresolved(f"unresolved:{logical_id}")
        kind, bound = resource["Type"], self.refs.get(logical_id)
        if kind == "AWS::DynamoDB::Table":
            return bound or self._property(logical_id, "TableName") or Unresolved(f"unresolved:{logical_id}")
        if kind == "AWS::S3::Bucket":
            return bound or self._property(logical_id, "BucketName") or Unresolved(f"unresolved:{logical_id}")
        if kind == "AWS::KMS::Key":
            metadata = self._kms_key(bound)
            return metadata["KeyId"] if metadata else Unresolved(f"unresolved:{logical_id}")
        if kind == "AWS::KMS::Alias":
            return self._property(logical_id, "AliasName")
        if kind == "AWS::SecretsManager::Secret":
            arn = _quietly(lambda: _plain_client("secretsmanager", self.region).describe_secret(SecretId=bound)["ARN"]) if bound else None
            return arn or Unresolved(f"unresolved:{logical_id}")
        if kind == "AWS::SQS::Queue":
            name = bound or self._property(logical_id, "QueueName")
            if name and not name.startswith("http"):
                name = _quietly(lambda: _plain_client("sqs", self.region).get_queue_url(QueueName=name)["QueueUrl"])
            return name or Unresolved(f"unresolved:{logical_id}")
        if kind in ("AWS::SNS::Topic",):
            return bound or Unresolved(f"unresolved:{logical_id}")
        if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            return bound or self._property(logical_id, "FunctionName") or f"{STACK}-{logical_id}"
        if kind == "AWS::IAM::Role":
            # CloudFormation names an unnamed role `{stack}-{logical id}-{random suffix}`.
            return self._property(logical_id, "RoleName") or f"{STACK}-{logical_id}-AWSFIDELITY01"
        if kind == "AWS::SSM::Parameter":
            return bound or self._property(logical_id, "Name") or Unresolved(f"unresolved:{logical_id}")
        return bound or Unresolved(f"unresolved:{logical_id}")

    def _get_att(self, logical_id: str, attribute: str):
        resource = self._resource(logical_id)
        if resource is None:
            return Unresolved(f"unresolved:{logical_id}.{attribute}")
        kind, ref = resource["Type"], self.ref(logical_id)
        if isinstance(ref, Unresolved):
            return Unresolved(f"unresolved:{logical_id}.{attribute}")
        region = self.region
        if attribute == "Arn":
            if kind == "AWS::DynamoDB::Table":
                return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{ref}"
            if kind == "AWS::S3::Bucket":
                return f"arn:aws:s3:::{ref}"
            if kind == "AWS::KMS::Key":
                return self._kms_key(self.refs.get(logical_id))["Arn"]
            if kind == "AWS::SQS::Queue":
                return queue_arn(ref)
            if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
                return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{ref}"
            if kind == "AWS::IAM::Role":
                return f"arn:aws:iam::{ACCOUNT}:role/{ref}"
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return ref.rsplit("/", 1)[-1]
        return Unresolved(f"unresolved:{logical_id}.{attribute}")

    def _kms_key(self, bound: str | None) -> dict | None:
        if not bound:
            return None
        return _quietly(lambda: _plain_client("kms", self.region).describe_key(KeyId=bound)["KeyMetadata"])

    # ---- what the stack's names are for a function
    def principal(self, logical_id: str) -> dict:
        role = self.template.role_of(logical_id)
        role_arn = self.get_att(role, "Arn") if role else f"arn:aws:iam::{ACCOUNT}:role/{STACK}-{logical_id}Role"
        role_name = role_arn.rsplit("/", 1)[-1]
        return {
            "role": role,
            "role_arn": role_arn,
            "session_arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{self.ref(logical_id)}",
        }


def _quietly(call):
    try:
        with _bypassed():
            return call()
    except Exception:  # noqa: BLE001 - a resource the test did not create resolves to nothing
        return None


def queue_arn(url: str) -> str:
    parts = url.rstrip("/").split("/")
    host = parts[2] if len(parts) > 2 else ""
    region = host.split(".")[1] if host.startswith("sqs.") else os.environ.get("AWS_REGION", "ap-northeast-1")
    return f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}"


@contextlib.contextmanager
def _bypassed():
    token = _bypass.set(True)
    try:
        yield
    finally:
        _bypass.reset(token)


_clients_lock = threading.Lock()
_clients: dict[tuple, Any] = {}


def _plain_client(service: str, region: str):
    """The harness's own client: its calls are neither judged nor recorded (see _bypassed)."""
    import boto3

    with _clients_lock:
        key = (service, region)
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(service, region_name=region)
        return _clients[key]


# ============================================================================ policies and judging


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM's `*` and `?` (no other globbing: `[` is a literal)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


@dataclass(frozen=True)
class Request:
    """One IAM authorisation AWS makes for a call: action, resource and the request's condition keys."""

    action: str
    resource: str
    context: tuple = ()  # ((key, value or tuple of values), ...)

    def keys(self) -> dict:
        return dict(self.context)


@dataclass
class Statement:
    function: str | None
    policy: str
    index: int
    document: dict
    explicit: bool  # written in the function's Policies (not added by SAM for a feature)

    @property
    def effect(self) -> str:
        return self.document.get("Effect", "Allow")

    @property
    def actions(self) -> list[str]:
        return _as_list(self.document.get("Action"))

    def resource_index(self, resource: str) -> int | None:
        """Which of the statement's resources names `resource` (the first), or None."""
        for index, pattern in enumerate(_as_list(self.document.get("Resource"))):
            if _wildcard(str(pattern), resource):
                return index
        return None

    def matches(self, request: Request, principal_arns: Iterable[str] = ()) -> bool:
        doc = self.document
        if "Action" in doc and not any(_wildcard(a, request.action, ignore_case=True) for a in _as_list(doc["Action"])):
            return False
        if "NotAction" in doc and any(_wildcard(a, request.action, ignore_case=True) for a in _as_list(doc["NotAction"])):
            return False
        if "Resource" in doc and self.resource_index(request.resource) is None:
            return False
        if "NotResource" in doc and any(_wildcard(str(r), request.resource) for r in _as_list(doc["NotResource"])):
            return False
        if "Principal" in doc and not _principal_matches(doc["Principal"], principal_arns):
            return False
        if "NotPrincipal" in doc and _principal_matches(doc["NotPrincipal"], principal_arns):
            return False
        return conditions_hold(doc.get("Condition") or {}, request.keys())


def _principal_matches(principal, arns: Iterable[str]) -> bool:
    if principal == "*":
        return True
    candidates = []
    for kind, values in (principal or {}).items():
        if kind == "AWS":
            candidates += _as_list(values)
    arns = list(arns)
    for candidate in candidates:
        candidate = str(candidate)
        if candidate == "*" or candidate in arns:
            return True
        if re.fullmatch(r"\d{12}", candidate) and f"arn:aws:iam::{candidate}:root" in arns:
            return True
    return False


_STRING_OPS = {
    "StringEquals": lambda p, v: p == v,
    "StringNotEquals": lambda p, v: p != v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringNotEqualsIgnoreCase": lambda p, v: p.lower() != v.lower(),
    "StringLike": lambda p, v: _wildcard(p, v),
    "StringNotLike": lambda p, v: not _wildcard(p, v),
    "ArnEquals": lambda p, v: p == v,
    "ArnLike": lambda p, v: _wildcard(p, v),
    "ArnNotEquals": lambda p, v: p != v,
    "ArnNotLike": lambda p, v: not _wildcard(p, v),
    "Bool": lambda p, v: str(p).lower() == str(v).lower(),
    "NumericEquals": lambda p, v: float(v) == float(p),
    "NumericLessThan": lambda p, v: float(v) < float(p),
    "NumericLessThanEquals": lambda p, v: float(v) <= float(p),
    "NumericGreaterThan": lambda p, v: float(v) > float(p),
    "NumericGreaterThanEquals": lambda p, v: float(v) >= float(p),
}
_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}


def conditions_hold(conditions: dict, keys: dict) -> bool:
    """IAM's condition block: every operator, every key, any of the policy's values (AND of ORs)."""
    for operator, entries in conditions.items():
        qualifier, _, op = operator.rpartition(":")
        if_exists = op.endswith("IfExists")
        op = op[: -len("IfExists")] if if_exists else op
        for key, wanted in entries.items():
            wanted = [str(w) if not isinstance(w, bool) else str(w).lower() for w in _as_list(wanted)]
            known = key in keys or key.lower() in {k.lower() for k in keys}
            if not known and not _known_absent(key):
                raise HarnessError(f"aws_fidelity cannot judge condition key {key!r}: teach it what the request carries")
            present = next((v for k, v in keys.items() if k.lower() == key.lower()), None)
            if op == "Null":
                if (present is None) != (wanted[0] == "true"):
                    return False
                continue
            if op not in _STRING_OPS:
                raise HarnessError(f"aws_fidelity cannot judge condition operator {operator!r}")
            if present is None:
                if if_exists or (op in _NEGATED and not qualifier):
                    continue
                if qualifier == "ForAllValues":
                    continue  # an empty set satisfies ForAllValues
                return False
            values = list(present) if isinstance(present, (tuple, list)) else [present]
            test = _STRING_OPS[op]
            if op in _NEGATED:
                hits = [all(test(w, str(v)) for w in wanted) for v in values]
            else:
                hits = [any(test(w, str(v)) for w in wanted) for v in values]
            if qualifier == "ForAllValues":
                ok = all(hits)
            elif qualifier == "ForAnyValue":
                ok = any(hits)
            else:
                ok = all(hits) if values else False
            if not ok:
                return False
    return True


# Condition keys a request may simply not carry (AWS then treats them as absent).
_ABSENT_OK = re.compile(
    r"^(aws:(SourceArn|SourceAccount|SourceVpce|SourceVpc|CalledVia.*|ViaAWSService|ResourceTag/.*|RequestTag/.*|TagKeys)"
    r"|kms:(ViaService|GrantIsForAWSResource|EncryptionContext:.*|EncryptionContextKeys|RequestAlias|SigningAlgorithm|MessageType|EncryptionAlgorithm)"
    r"|s3:(x-amz-server-side-encryption.*|prefix|VersionId|if-none-match|if-match|ExistingObjectTag/.*|RequestObjectTag.*)"
    r"|ses:(FromAddress|FromDisplayName|Recipients|FeedbackAddress)"
    r"|dynamodb:(LeadingKeys|Attributes|ReturnValues|Select|ReturnConsumedCapacity)"
    r"|secretsmanager:(SecretId|VersionId|VersionStage)"
    r"|cloudwatch:namespace|sqs:.*)$",
    re.IGNORECASE,
)


def _known_absent(key: str) -> bool:
    return _ABSENT_OK.match(key) is not None


class Policies:
    """One test account's view of the template's policies (resolved), for every function."""

    def __init__(self, template: Template, region: str):
        self.template = template
        self.resolver = Resolver(template, region)
        self.region = region
        self.statements: dict[str, list[Statement]] = {}
        for logical_id in template.functions:
            role = template.role_of(logical_id)
            statements = []
            for name, document in template.role_policies(role) if role else []:
                explicit = re.fullmatch(rf"{re.escape(logical_id)}RolePolicy\d+", name) is not None or not name.startswith(logical_id)
                for index, raw in enumerate(_as_list(document.get("Statement"))):
                    statements.append(Statement(logical_id, name, index, self.resolver.resolve(raw), explicit))
            self.statements[logical_id] = statements
        self.resource_statements: list[tuple[str, Any, Statement]] = []
        for kind, name, target, document in template.resource_policies():
            resolved_target = self.resolver.resolve(target)
            for index, raw in enumerate(_as_list(document.get("Statement"))):
                self.resource_statements.append((kind, resolved_target, Statement(None, name, index, self.resolver.resolve(raw), False)))

    def judge(self, logical_id: str, request: Request) -> tuple[bool, list[Statement]]:
        """(allowed, the identity statements that allow it): IAM's same-account evaluation."""
        principal = self.resolver.principal(logical_id)
        principals = (principal["role_arn"], principal["session_arn"])
        # Keys every request carries: Lambda calls AWS over TLS, as its role, in its region.
        request = Request(request.action, request.resource, request.context + (
            ("aws:SecureTransport", "true"),
            ("aws:PrincipalArn", principal["role_arn"]),
            ("aws:PrincipalAccount", ACCOUNT),
            ("aws:RequestedRegion", self.region),
        ))
        identity = [s for s in self.statements[logical_id] if s.matches(request)]
        if any(s.effect == "Deny" for s in identity):
            return False, []
        allows = [s for s in identity if s.effect == "Allow"]
        service = request.action.split(":", 1)[0]
        resource_side = self._resource_statements(service, request.resource)
        if any(s.effect == "Deny" and s.matches(request, principals) for s in resource_side):
            return False, ["explicit deny in a resource-based policy"]
        direct = any(s.effect == "Allow" and s.matches(request, principals) for s in resource_side)
        if service == "kms" and resource_side:
            # A key policy must allow the role itself, or delegate to IAM by allowing the account.
            delegated = any(
                s.effect == "Allow" and s.matches(request, (f"arn:aws:iam::{ACCOUNT}:root",)) for s in resource_side
            )
            return direct or (delegated and bool(allows)), allows
        return direct or bool(allows), allows

    def _resource_statements(self, service: str, resource: str) -> list[Statement]:
        found = []
        for kind, target, statement in self.resource_statements:
            if kind != service:
                continue
            if kind == "s3":
                bucket = resource.split(":::", 1)[-1].split("/", 1)[0]
                if target == bucket:
                    found.append(statement)
            elif kind == "kms" and target == resource:
                found.append(statement)
        return found

    def lists_bucket(self, logical_id: str, bucket: str, key: str) -> bool:
        return self.judge(logical_id, Request("s3:ListBucket", f"arn:aws:s3:::{bucket}", (("s3:prefix", key),)))[0]


# ============================================================================ calls -> IAM requests


def _ddb_table_arn(region: str, table: str) -> str:
    if table.startswith("arn:"):
        return table
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}"


def _ddb_leading_keys(region: str, table: str, key: dict | None) -> tuple:
    if not key:
        return ()
    schema = _table_schema(region, table)
    if not schema:
        return ()
    value = (key.get(schema["HASH"]) or {})
    text = next(iter(value.values()), None) if isinstance(value, dict) else None
    return ((text,),) if text is not None else ()


def _dynamodb(operation: str, params: dict, region: str) -> list[Request]:
    def one(action, table, index=None, key=None, extra=()):
        resource = _ddb_table_arn(region, table) + (f"/index/{index}" if index else "")
        context = list(extra)
        leading = _ddb_leading_keys(region, table, key)
        if leading:
            context.append(("dynamodb:LeadingKeys", leading[0]))
        if params.get("ReturnValues"):
            context.append(("dynamodb:ReturnValues", params["ReturnValues"]))
        return Request(action, resource, tuple(context))

    simple = {"GetItem": "Key", "PutItem": "Item", "UpdateItem": "Key", "DeleteItem": "Key"}
    if operation in simple:
        return [one(f"dynamodb:{operation}", params["TableName"], key=params.get(simple[operation]))]
    if operation in ("Query", "Scan"):
        return [one(f"dynamodb:{operation}", params["TableName"], params.get("IndexName"))]
    if operation in ("DescribeTable", "CreateTable", "DeleteTable", "UpdateTable", "DescribeTimeToLive", "UpdateTimeToLive", "DescribeContinuousBackups"):
        return [one(f"dynamodb:{operation}", params["TableName"])]
    if operation == "TransactWriteItems":
        kinds = {"Put": ("PutItem", "Item"), "Update": ("UpdateItem", "Key"), "Delete": ("DeleteItem", "Key"), "ConditionCheck": ("ConditionCheckItem", "Key")}
        requests = []
        for item in params.get("TransactItems", []):
            (kind, body), = item.items()
            action, key_field = kinds[kind]
            requests.append(one(f"dynamodb:{action}", body["TableName"], key=body.get(key_field)))
        return requests
    if operation == "TransactGetItems":
        return [one("dynamodb:GetItem", i["Get"]["TableName"], key=i["Get"].get("Key")) for i in params.get("TransactItems", [])]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [one(f"dynamodb:{operation}", table) for table in params.get("RequestItems", {})]
    if operation in ("ListTables",):
        return [Request("dynamodb:ListTables", "*")]
    return []


def _s3(operation: str, params: dict, region: str) -> list[Request]:
    bucket, key = params.get("Bucket"), params.get("Key")
    obj = f"arn:aws:s3:::{bucket}/{key}"
    bucket_arn = f"arn:aws:s3:::{bucket}"
    versioned = bool(params.get("VersionId"))
    context = []
    if params.get("ServerSideEncryption"):
        context.append(("s3:x-amz-server-side-encryption", params["ServerSideEncryption"]))
    if params.get("SSEKMSKeyId"):
        context.append(("s3:x-amz-server-side-encryption-aws-kms-key-id", params["SSEKMSKeyId"]))
    if params.get("IfNoneMatch"):
        context.append(("s3:if-none-match", params["IfNoneMatch"]))
    if versioned:
        context.append(("s3:VersionId", params["VersionId"]))
    context = tuple(context)
    if operation in ("GetObject", "HeadObject"):
        requests = [Request("s3:GetObjectVersion" if versioned else "s3:GetObject", obj, context)]
        if operation == "GetObject":  # S3 asks KMS to decrypt an SSE-KMS object as the caller
            stored_under = _quietly(lambda: _plain_client("s3", region).head_object(
                **{k: params[k] for k in ("Bucket", "Key", "VersionId") if params.get(k)}))
            if stored_under and stored_under.get("ServerSideEncryption") == "aws:kms":
                requests.append(_kms_via_s3("kms:Decrypt", stored_under.get("SSEKMSKeyId"), obj, region))
        return requests
    if operation == "PutObject":
        requests = [Request("s3:PutObject", obj, context)]
        if params.get("ServerSideEncryption") == "aws:kms":  # S3 asks KMS for a data key as the caller
            requests.append(_kms_via_s3("kms:GenerateDataKey", params.get("SSEKMSKeyId"), obj, region))
        if params.get("Tagging"):
            requests.append(Request("s3:PutObjectTagging", obj, context))
        if params.get("ACL"):
            requests.append(Request("s3:PutObjectAcl", obj, context))
        return requests
    if operation == "CopyObject":
        source = params["CopySource"]
        if isinstance(source, dict):
            source_arn = f"arn:aws:s3:::{source['Bucket']}/{source['Key']}"
            source_versioned = bool(source.get("VersionId"))
        else:
            path, _, query = str(source).partition("?versionId=")
            source_arn, source_versioned = f"arn:aws:s3:::{path.lstrip('/')}", bool(query)
        return [Request("s3:PutObject", obj, context), Request("s3:GetObjectVersion" if source_versioned else "s3:GetObject", source_arn)]
    if operation == "DeleteObject":
        return [Request("s3:DeleteObjectVersion" if versioned else "s3:DeleteObject", obj, context)]
    if operation in ("ListObjectsV2", "ListObjects"):
        return [Request("s3:ListBucket", bucket_arn, (("s3:prefix", params.get("Prefix", "")),))]
    if operation == "ListObjectVersions":
        return [Request("s3:ListBucketVersions", bucket_arn, (("s3:prefix", params.get("Prefix", "")),))]
    if operation in ("GetObjectTagging", "PutObjectTagging"):
        action = operation + ("Version" if versioned and operation == "GetObjectTagging" else "")
        return [Request(f"s3:{action}", obj, context)]
    bucket_actions = {
        "HeadBucket": "s3:ListBucket",
        "GetBucketEncryption": "s3:GetEncryptionConfiguration",
        "GetBucketVersioning": "s3:GetBucketVersioning",
        "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
        "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
        "CreateBucket": "s3:CreateBucket",
        "GetBucketLocation": "s3:GetBucketLocation",
    }
    if operation in bucket_actions:
        return [Request(bucket_actions[operation], bucket_arn)]
    return []


def _kms_via_s3(action: str, key_id: str | None, object_arn: str, region: str) -> Request:
    """The KMS authorisation S3 makes with the caller's credentials for an SSE-KMS object: the key
    must allow the caller (identity and key policy), through S3, for this object's context."""
    arn = _quietly(lambda: _plain_client("kms", region).describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]) if key_id else None
    context = (
        ("kms:CallerAccount", ACCOUNT),
        ("kms:ViaService", f"s3.{region}.amazonaws.com"),
        ("kms:EncryptionContext:aws:s3:arn", object_arn),
        ("kms:EncryptionContextKeys", ("aws:s3:arn",)),
    )
    return Request(action, arn or f"arn:aws:kms:{region}:{ACCOUNT}:alias/aws/s3", context)


def _kms_tags(arn: str | None, region: str) -> list[tuple[str, str]]:
    """The key's tags as AWS puts them in the request for ABAC: `aws:ResourceTag/<key>` = value."""
    if not arn:
        return []
    tags = _quietly(lambda: _plain_client("kms", region).list_resource_tags(KeyId=arn)["Tags"]) or []
    return [(f"aws:ResourceTag/{tag['TagKey']}", tag["TagValue"]) for tag in tags]


def _kms(operation: str, params: dict, region: str) -> list[Request]:
    key_id = params.get("KeyId")
    if operation == "Decrypt" and not key_id:
        key_id = _quietly(lambda: _plain_client("kms", region).decrypt(**{k: v for k, v in params.items() if k in ("CiphertextBlob", "EncryptionContext")})["KeyId"])
    arn = None
    if key_id:
        arn = _quietly(lambda: _plain_client("kms", region).describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])
    resource = arn or f"arn:aws:kms:{region}:{ACCOUNT}:key/unknown"
    context = [("kms:CallerAccount", ACCOUNT), *_kms_tags(arn, region)]
    encryption_context = params.get("EncryptionContext") or {}
    for k, v in encryption_context.items():
        context.append((f"kms:EncryptionContext:{k}", v))
    if encryption_context:
        context.append(("kms:EncryptionContextKeys", tuple(encryption_context)))
    if params.get("SigningAlgorithm"):
        context.append(("kms:SigningAlgorithm", params["SigningAlgorithm"]))
    if params.get("MessageType"):
        context.append(("kms:MessageType", params["MessageType"]))
    if operation in ("Encrypt", "Decrypt", "Sign", "Verify", "GetPublicKey", "DescribeKey", "GenerateDataKey",
                     "GenerateDataKeyWithoutPlaintext", "GenerateMac", "VerifyMac", "ReEncrypt", "ListResourceTags"):
        return [Request(f"kms:{operation}", resource, tuple(context))]
    return []


def _secretsmanager(operation: str, params: dict, region: str) -> list[Request]:
    secret = params.get("SecretId")
    if not secret:
        return []
    arn = _quietly(lambda: _plain_client("secretsmanager", region).describe_secret(SecretId=secret)["ARN"])
    arn = arn or f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{secret}"
    context = (("secretsmanager:SecretId", arn),)
    if operation in ("GetSecretValue", "DescribeSecret", "PutSecretValue", "UpdateSecret"):
        return [Request(f"secretsmanager:{operation}", arn, context)]
    return []


def _ssm_arn(region: str, name: str) -> str:
    return f"arn:aws:ssm:{region}:{ACCOUNT}:parameter{name if name.startswith('/') else '/' + name}"


def _ssm(operation: str, params: dict, region: str) -> list[Request]:
    if operation in ("GetParameter", "PutParameter", "DeleteParameter"):
        return [Request(f"ssm:{operation}", _ssm_arn(region, params["Name"]))]
    if operation == "GetParameters":
        return [Request("ssm:GetParameters", _ssm_arn(region, name)) for name in params.get("Names", [])]
    if operation == "GetParametersByPath":
        return [Request("ssm:GetParametersByPath", _ssm_arn(region, params["Path"]))]
    return []


def _ses(operation: str, params: dict, region: str) -> list[Request]:
    if operation in ("SendEmail", "SendRawEmail", "SendTemplatedEmail"):
        source = params.get("Source") or params.get("FromEmailAddress") or ""
        address = source.rsplit("<", 1)[-1].rstrip(">")
        destination = params.get("Destination") or {}
        recipients = tuple(destination.get("ToAddresses", []) + destination.get("CcAddresses", []) + destination.get("BccAddresses", []))
        context = (("ses:FromAddress", address), ("ses:Recipients", recipients), ("ses:ApiVersion", "1"))
        return [Request(f"ses:{operation}", f"arn:aws:ses:{region}:{ACCOUNT}:identity/{address}", context)]
    if operation in ("VerifyEmailIdentity", "GetSendQuota"):
        return [Request(f"ses:{operation}", "*")]
    return []


def _sqs(operation: str, params: dict, region: str) -> list[Request]:
    url = params.get("QueueUrl")
    if operation == "GetQueueUrl":
        return [Request("sqs:GetQueueUrl", f"arn:aws:sqs:{region}:{ACCOUNT}:{params['QueueName']}")]
    if not url:
        return []
    action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage", "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}.get(operation, operation)
    return [Request(f"sqs:{action}", queue_arn(url))]


def _sns(operation: str, params: dict, region: str) -> list[Request]:
    return [Request(f"sns:{operation}", params.get("TopicArn") or params.get("TargetArn") or "*")]


def _cloudwatch(operation: str, params: dict, region: str) -> list[Request]:
    context = (("cloudwatch:namespace", params["Namespace"]),) if params.get("Namespace") else ()
    return [Request(f"cloudwatch:{operation}", "*", context)]


def _lambda(operation: str, params: dict, region: str) -> list[Request]:
    name = params.get("FunctionName", "")
    arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"
    action = {"Invoke": "InvokeFunction"}.get(operation, operation)
    return [Request(f"lambda:{action}", arn)]


def _events(operation: str, params: dict, region: str) -> list[Request]:
    if operation == "PutEvents":
        buses = {e.get("EventBusName") or "default" for e in params.get("Entries", [])}
        return [Request("events:PutEvents", b if b.startswith("arn:") else f"arn:aws:events:{region}:{ACCOUNT}:event-bus/{b}") for b in sorted(buses)]
    return []


def _cognito(operation: str, params: dict, region: str) -> list[Request]:
    pool = params.get("UserPoolId")
    resource = f"arn:aws:cognito-idp:{region}:{ACCOUNT}:userpool/{pool}" if pool else "*"
    return [Request(f"cognito-idp:{operation}", resource)]


_SERVICES = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "kms": _kms,
    "secretsmanager": _secretsmanager,
    "ssm": _ssm,
    "ses": _ses,
    "sesv2": _ses,
    "sqs": _sqs,
    "sns": _sns,
    "cloudwatch": _cloudwatch,
    "lambda": _lambda,
    "events": _events,
    "cognito-idp": _cognito,
}
_NO_AUTHORISATION = {("sts", "GetCallerIdentity")}


def iam_requests(service: str, operation: str, params: dict, region: str) -> list[Request]:
    """The IAM authorisations AWS makes for one API call (a transaction: one per item)."""
    if (service, operation) in _NO_AUTHORISATION:
        return []
    mapper = _SERVICES.get(service)
    requests = mapper(operation, params, region) if mapper else []
    if not requests:
        raise HarnessError(f"aws_fidelity does not know the IAM action of {service}:{operation}: add it to tests/aws_fidelity.py")
    return requests


# ============================================================================ DynamoDB key limits


_schema_cache: dict[tuple, dict | None] = {}


def _table_schema(region: str, table: str) -> dict | None:
    """{"HASH": name, "RANGE": name, "indexes": {index: {"HASH": .., "RANGE": ..}}} from the table."""
    key = (_generation, region, table)
    if key not in _schema_cache:
        description = _quietly(lambda: _plain_client("dynamodb", region).describe_table(TableName=table)["Table"])
        if not description:
            _schema_cache[key] = None
        else:
            schema = {k["KeyType"]: k["AttributeName"] for k in description["KeySchema"]}
            schema["indexes"] = {
                index["IndexName"]: {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
                for index in description.get("GlobalSecondaryIndexes", []) + description.get("LocalSecondaryIndexes", [])
            }
            _schema_cache[key] = schema
    return _schema_cache[key]


def _attribute_size(value: dict) -> int:
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind == "B":
        return len(data if isinstance(data, (bytes, bytearray)) else str(data).encode())
    if kind == "N":
        digits = str(data).lstrip("-").replace(".", "").lstrip("0")
        return (len(digits) + 1) // 2 + 1
    return 0


_HASH_TOO_LONG = "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
_RANGE_TOO_LONG = "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"


def _check_key(schema: dict, key: dict | None) -> str | None:
    if not key:
        return None
    for kind, message in (("HASH", _HASH_TOO_LONG), ("RANGE", _RANGE_TOO_LONG)):
        name = schema.get(kind)
        if name and isinstance(key.get(name), dict) and _attribute_size(key[name]) > KEY_LIMITS[kind]:
            return message
    return None


def _check_index_keys(schema: dict, item: dict) -> str | None:
    for index, keys in schema["indexes"].items():
        for kind, name in keys.items():
            value = item.get(name)
            if isinstance(value, dict) and (size := _attribute_size(value)) > KEY_LIMITS[kind]:
                return (
                    f"One or more parameter values were invalid: Size limit exceeded for Index Key {name} "
                    f"Actual Size: {size} bytes Max Size: {KEY_LIMITS[kind]} bytes IndexName: {index}"
                )
    return None


def _expression_values(expression: str | None, params: dict, schema_keys: dict) -> dict:
    """{attribute: value} for `name = :v`/`begins_with(name, :v)`/`BETWEEN` on key attributes."""
    if not expression:
        return {}
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    found = {}
    pattern = r"(#?[\w.]+)\s*(?:=|<=|>=|<|>|BETWEEN)\s*(:\w+)(?:\s+AND\s+(:\w+))?|begins_with\s*\(\s*(#?[\w.]+)\s*,\s*(:\w+)\s*\)"
    for match in re.finditer(pattern, expression, re.IGNORECASE):
        name = match.group(1) or match.group(4)
        placeholders = [p for p in (match.group(2), match.group(3), match.group(5)) if p]
        attribute = names.get(name, name)
        if attribute in schema_keys.values():
            for placeholder in placeholders:
                if placeholder in values:
                    found.setdefault(attribute, values[placeholder])
    return found


def _update_sets(params: dict, schema: dict) -> dict:
    """Index key attributes an UpdateItem SETs, with their values (`SET #a = :v, ...`)."""
    expression = params.get("UpdateExpression") or ""
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    found = {}
    for match in re.finditer(r"(#?\w+)\s*=\s*(:\w+)", expression):
        attribute, placeholder = names.get(match.group(1), match.group(1)), match.group(2)
        if placeholder in values:
            found[attribute] = values[placeholder]
    return found


def key_limit_violation(operation: str, params: dict, region: str) -> str | None:
    """DynamoDB's ValidationException message for a key over its size limit, or None."""

    def table_schema(name):
        return _table_schema(region, name)

    if operation in ("GetItem", "DeleteItem", "UpdateItem", "PutItem"):
        schema = table_schema(params["TableName"])
        if not schema:
            return None
        key = params.get("Item") if operation == "PutItem" else params.get("Key")
        problem = _check_key(schema, key)
        if problem:
            return problem
        if operation == "PutItem":
            return _check_index_keys(schema, params.get("Item") or {})
        if operation == "UpdateItem":
            return _check_index_keys(schema, _update_sets(params, schema))
        return None
    if operation == "Query":
        schema = table_schema(params["TableName"])
        if not schema:
            return None
        keys = schema["indexes"].get(params.get("IndexName"), schema) if params.get("IndexName") else schema
        keys = {k: v for k, v in keys.items() if k in ("HASH", "RANGE")}
        bound = _expression_values(params.get("KeyConditionExpression"), params, keys)
        return _check_key(keys, bound)
    if operation == "TransactWriteItems":
        for item in params.get("TransactItems", []):
            (kind, body), = item.items()
            problem = key_limit_violation({"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "GetItem"}[kind], body, region)
            if problem:
                return problem
        return None
    if operation == "TransactGetItems":
        for item in params.get("TransactItems", []):
            problem = key_limit_violation("GetItem", item["Get"], region)
            if problem:
                return problem
        return None
    if operation == "BatchGetItem":
        for table, request in (params.get("RequestItems") or {}).items():
            for key in request.get("Keys", []):
                problem = key_limit_violation("GetItem", {"TableName": table, "Key": key}, region)
                if problem:
                    return problem
        return None
    if operation == "BatchWriteItem":
        for table, writes in (params.get("RequestItems") or {}).items():
            for write in writes:
                if "PutRequest" in write:
                    problem = key_limit_violation("PutItem", {"TableName": table, "Item": write["PutRequest"]["Item"]}, region)
                else:
                    problem = key_limit_violation("DeleteItem", {"TableName": table, "Key": write["DeleteRequest"]["Key"]}, region)
                if problem:
                    return problem
    return None


# ============================================================================ recording


@dataclass
class Call:
    test: str
    function: str | None
    service: str
    operation: str
    requests: list[Request]
    allowed: bool | None  # None: not judged (outside a function)
    answer: str  # "ok" | "AccessDenied" | "403-missing-key" | "ValidationException" | "presigned"
    statements: list[tuple[str, str, int]] = field(default_factory=list)


class Recorder:
    def __init__(self):
        self.calls: list[Call] = []
        self.problems: list[str] = []  # fail the test that made them (teardown)
        self.tolerated = False
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)


RECORDER = Recorder()
_generation = 0
_policies_cache: dict[tuple, Policies] = {}


def new_account() -> None:
    """The test account was reset (moto): names resolve anew; problems start empty."""
    global _generation
    _generation += 1
    _last_function["name"] = None
    _policies_cache.clear()
    _schema_cache.clear()
    RECORDER.problems.clear()
    RECORDER.tolerated = False


def tolerate_denials() -> None:
    """This test expects AccessDenied answers (it tests the harness or a refused path)."""
    RECORDER.tolerated = True


def take_problems() -> list[str]:
    """What the test just run did that production would refuse, for its teardown to fail on."""
    problems = [] if RECORDER.tolerated else list(RECORDER.problems)
    RECORDER.problems.clear()
    RECORDER.tolerated = False
    return problems


def policies(region: str) -> Policies:
    key = (_generation, region)
    if key not in _policies_cache:
        _policies_cache[key] = Policies(_template(), region)
    return _policies_cache[key]


def _test_name() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]


# ============================================================================ botocore hooks


_DENIED_STATUS = {"s3": 403, "ses": 403, "sqs": 403, "sns": 403, "cloudwatch": 403, "lambda": 403}
_DENIED_CODE = {"s3": "AccessDenied", "ses": "AccessDenied", "sqs": "AccessDenied", "sns": "AuthorizationError", "cloudwatch": "AccessDenied"}


class _Body(io.BytesIO):
    def stream(self, **_):
        yield self.getvalue()


def _answer(status: int, code: str, message: str, operation: str):
    response = AWSResponse("https://aws-fidelity.invalid/", status, {"x-amzn-requestid": "aws-fidelity"}, _Body(b""))
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": "aws-fidelity", "HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return response, parsed


def _service_of(model) -> str:
    metadata = model.service_model.metadata
    return metadata.get("signingName") or metadata.get("endpointPrefix") or model.service_model.service_name


def _on_parameters(params, model, context, **_):
    """before-parameter-build: decide how AWS would answer; `before-call` gives that answer."""
    if _bypass.get() or params is None:
        return
    service, operation = model.service_model.service_name, model.name
    region = context.get("client_region") or os.environ.get("AWS_REGION", "ap-northeast-1")
    presigned = bool(context.get("is_presign_request"))
    try:
        decision = _decide(service, operation, params, region, presigned)
    except HarnessError as error:
        RECORDER.problem(str(error))
        raise
    if decision:
        context["aws_fidelity_answer"] = decision


# KMS operations that use the key (moto lets a disabled key or one pending deletion do them all).
_KMS_KEY_USES = {"Encrypt", "Decrypt", "Sign", "Verify", "GetPublicKey", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                 "GenerateMac", "VerifyMac", "ReEncrypt"}


def kms_key_state_refusal(operation: str, params: dict, region: str) -> tuple[str, str] | None:
    """AWS's answer to a use of a KMS key that is not enabled: (code, message), or None."""
    if operation not in _KMS_KEY_USES or not params.get("KeyId"):
        return None
    metadata = _quietly(lambda: _plain_client("kms", region).describe_key(KeyId=params["KeyId"])["KeyMetadata"])
    state = (metadata or {}).get("KeyState", "Enabled")
    if state == "Disabled":
        return "DisabledException", f"{metadata['Arn']} is disabled."
    if state != "Enabled":
        return "KMSInvalidStateException", f"{metadata['Arn']} is pending deletion." if state == "PendingDeletion" else f"{metadata['Arn']} is {state}."
    return None


_RESPONSE_OVERRIDES = ("ResponseCacheControl", "ResponseContentDisposition", "ResponseContentEncoding",
                       "ResponseContentLanguage", "ResponseContentType", "ResponseExpires")


def s3_header_override_refusal(operation: str, params: dict) -> str | None:
    """S3's answer to a GetObject whose response header override is not ISO-8859-1, or None."""
    if operation != "GetObject":
        return None
    for name in _RESPONSE_OVERRIDES:
        value = params.get(name)
        if isinstance(value, str):
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                return f"InvalidArgument: Header value cannot be represented using ISO-8859-1 ({name})"
    return None


def _decide(service: str, operation: str, params: dict, region: str, presigned: bool):
    function = current_function()
    if service == "s3":
        refused = s3_header_override_refusal(operation, params)
        if refused and presigned:
            RECORDER.problem(f"{function or 'test'} s3:{operation} presigned: {refused}")  # the URL is made; its GET is refused
        elif refused:
            RECORDER.add(Call(_test_name(), function, service, operation, [], None, "InvalidArgument"))
            return (400, "InvalidArgument", "Header value cannot be represented using ISO-8859-1.")
    if service == "dynamodb" and not presigned:
        problem = key_limit_violation(operation, params, region)
        if problem:
            RECORDER.add(Call(_test_name(), function, service, operation, [], None, "ValidationException"))
            return (400, "ValidationException", problem)
    if service == "kms":
        refused = kms_key_state_refusal(operation, params, region)
        if refused:
            RECORDER.add(Call(_test_name(), function, service, operation, [], None, refused[0]))
            return (400, *refused)
    if function is None or (presigned and service == "s3" and operation == "CreateBucket"):
        # A presigned POST is built on CreateBucket and carries its key in the policy, out of sight
        # here: it is recorded, not judged (give its s3:PutObject a reason in the template).
        RECORDER.add(Call(_test_name(), function, service, operation, [], None, "presigned" if presigned else "ok"))
        return None
    requests = iam_requests(service, operation, params, region)
    view = policies(region)
    principal = view.resolver.principal(function)
    used: list[tuple[str, str, int]] = []
    for request in requests:
        allowed, statements = view.judge(function, request)
        if not allowed:
            why = (
                "with an explicit deny in a resource-based policy" if statements
                else f"because no identity-based policy allows the {request.action} action"
            )
            message = (
                f"User: {principal['session_arn']} is not authorized to perform: {request.action} on resource: "
                f"{request.resource} {why}"
            )
            RECORDER.add(Call(_test_name(), function, service, operation, requests, False, "presigned" if presigned else "AccessDenied"))
            RECORDER.problem(f"{function} {service}:{operation}: {message}")
            if presigned:
                return None  # the URL is made; its holder gets 403 (the teardown reports it)
            status = _DENIED_STATUS.get(service, 400)
            code = _DENIED_CODE.get(service, "AccessDeniedException")
            if service == "s3" and operation == "HeadObject":
                code, message = "403", "Forbidden"
            return (status, code, message)
        used += [(s.function, s.policy, s.index, request.action, s.resource_index(request.resource)) for s in statements]
    refused = _ses_refusal(operation, params) if service == "ses" else None
    if refused:
        RECORDER.add(Call(_test_name(), function, service, operation, requests, True, "InvalidParameterValue", used))
        return (400, "InvalidParameterValue", refused)
    if service == "s3" and operation in ("GetObject", "HeadObject") and not presigned:
        missing = _missing_object(params, region)
        if missing and not view.lists_bucket(function, params["Bucket"], params["Key"]):
            RECORDER.add(Call(_test_name(), function, service, operation, requests, True, "403-missing-key", used))
            if operation == "HeadObject":
                return (403, "403", "Forbidden")
            return (403, "AccessDenied", "Access Denied")
    RECORDER.add(Call(_test_name(), function, service, operation, requests, True, "presigned" if presigned else "ok", used))
    return None


def _ses_refusal(operation: str, params: dict) -> str | None:
    """SES's answer to a destination it cannot carry (its own messages), or None."""
    if operation != "SendEmail":
        return None
    destination = params.get("Destination") or {}
    for address in destination.get("ToAddresses", []) + destination.get("CcAddresses", []) + destination.get("BccAddresses", []):
        local, _, domain = address.rpartition("@")
        if not local.isascii():
            return "Local address contains control or whitespace"
        if not domain.isascii():
            return "Domain contains illegal character"
    return None


def _missing_object(params: dict, region: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        with _bypassed():
            arguments = {k: params[k] for k in ("Bucket", "Key", "VersionId") if params.get(k)}
            _plain_client("s3", region).head_object(**arguments)
        return False
    except ClientError as error:
        return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "NoSuchVersion")


def _on_call(model, context, **_):
    """before-call: a decided answer short-circuits the request, as AWS's answer would."""
    answer = context.pop("aws_fidelity_answer", None) if context else None
    if answer:
        status, code, message = answer
        return _answer(status, code, message, model.name)
    return None


_INSTALLED = False


def install() -> None:
    """Hook every botocore session made from now on (boto3's, Powertools', PynamoDB's)."""
    global _INSTALLED
    if _INSTALLED:
        return
    # Before moto's own handlers, so an AWS-style refusal answers before the mock does.
    BUILTIN_HANDLERS.insert(0, ("before-parameter-build", _on_parameters))
    BUILTIN_HANDLERS.insert(0, ("before-call", _on_call))
    _INSTALLED = True


# ============================================================================ nothing beyond


def used_statements() -> set[tuple]:
    """(function, policy, statement index, action, resource index) of every statement a judged call used."""
    return {used for call in RECORDER.calls for used in call.statements}


def permission_checks() -> list[tuple]:
    """What a whole run must use, in this process's view of the resolved policies: for each action
    of an explicit Allow statement that no reason in the function's `Metadata: UntestedPermissions`
    covers, (function, policy, statement index, action, None, line); and for each of its resources,
    the same with the resource's index. The line is what the report says when it goes unused."""
    template = _template()
    region = os.environ.get("AWS_REGION", "ap-northeast-1")
    view = next(iter(_policies_cache.values())) if _policies_cache else Policies(template, region)
    checks = []
    for logical_id, statements in view.statements.items():
        reasons = template.reasons(logical_id)
        for statement in statements:
            if not statement.explicit or statement.effect != "Allow":
                continue
            where = f"statement {statement.index} of {statement.policy}"
            written = _as_list(template.statement(logical_id, statement.policy, statement.index).get("Resource"))
            for action in statement.actions:
                if action in reasons:
                    continue
                checks.append((logical_id, statement.policy, statement.index, action, None, f"{logical_id}: {action} ({where})"))
                for index, resource in enumerate(_as_list(statement.document.get("Resource"))):
                    name = _describe(written[index]) if index < len(written) else str(resource)
                    if f"{action} {name}" in reasons or str(resource).startswith("unresolved:"):
                        continue
                    checks.append((logical_id, statement.policy, statement.index, action, index, f"{logical_id}: {action} on {name} ({where})"))
    return checks


def unused_of(checks: Iterable[tuple], used: Iterable[tuple]) -> list[str]:
    """The lines of the checks no used statement satisfies: an action no call used at all, or, of an
    action that was used, each resource no call reached."""
    seen: dict[tuple, set[tuple]] = {}
    for function, policy, index, action, resource in used:
        seen.setdefault((function, policy, index), set()).add((action, resource))
    unused, unused_actions = [], set()
    for function, policy, index, action, resource, line in checks:
        reached = {i for a, i in seen.get((function, policy, index), ()) if _wildcard(action, a, ignore_case=True)}
        if resource is None:
            if not reached:
                unused.append(line)
                unused_actions.add((function, policy, index, action))
        elif (function, policy, index, action) not in unused_actions and resource not in reached:
            unused.append(line)
    return unused


def unused_permissions() -> list[str]:
    """Each action, and each resource, of an explicit statement that no judged call used and no
    reason in the function's `Metadata: UntestedPermissions` covers."""
    return unused_of(permission_checks(), used_statements())


def _describe(value) -> str:
    """A resource as the template writes it (`!GetAtt Table.Arn`, `!Sub ...`), for reports and reasons."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return "!GetAtt " + (target if isinstance(target, str) else ".".join(target))
    if isinstance(value, dict) and "Fn::Sub" in value:
        return "!Sub " + (value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0])
    if isinstance(value, dict) and "Ref" in value:
        return "!Ref " + value["Ref"]
    return str(value)


def tally() -> dict:
    """What this process's tests did, in plain lists and dicts: a pytest-xdist worker sends it to the
    controller (config.workeroutput), which merges the workers' tallies and judges the whole run."""
    called: dict[str, set[str]] = {}
    for call in RECORDER.calls:
        if call.function:
            called.setdefault(call.function, set()).update(r.action for r in call.requests)
    return {
        "calls": len(RECORDER.calls),
        "called": {function: sorted(actions) for function, actions in called.items()},
        "denied": sorted({(c.function, r.action, c.operation) for c in RECORDER.calls if c.allowed is False for r in c.requests}),
        "forbidden": sorted({(c.function, c.operation) for c in RECORDER.calls if c.answer == "403-missing-key"}),
        "used": [list(used) for used in used_statements()],
        # Checks need a view of the policies, which only a process that judged calls has built.
        "checks": [list(check) for check in permission_checks()] if _policies_cache else None,
    }


def merge(tallies: list[dict]) -> dict:
    """The tallies of several processes as one run's: what any of them used counts as used. A check
    stands where every process that judged calls has it (a resource one of them could not resolve
    grants nothing there, and is left out, as in a single process)."""
    called: dict[str, set[str]] = {}
    for part in tallies:
        for function, actions in part["called"].items():
            called.setdefault(function, set()).update(actions)
    views = [part["checks"] for part in tallies if part["checks"] is not None]
    checks = None
    if views:
        keep = set.intersection(*({tuple(check) for check in view} for view in views))
        checks = [check for check in views[0] if tuple(check) in keep]
    return {
        "calls": sum(part["calls"] for part in tallies),
        "called": {function: sorted(actions) for function, actions in called.items()},
        "denied": sorted({tuple(d) for part in tallies for d in part["denied"]}),
        "forbidden": sorted({tuple(f) for part in tallies for f in part["forbidden"]}),
        "used": [used for part in tallies for used in part["used"]],
        "checks": checks,
    }


def tally_unused(run: dict) -> list[str]:
    """unused_permissions() of a (merged) tally."""
    checks = run["checks"] if run["checks"] is not None else permission_checks()
    return unused_of((tuple(check) for check in checks), (tuple(used) for used in run["used"]))


def report(run: dict | None = None) -> list[str]:
    """Lines for the end of the run: what each function called, what was refused."""
    run = run if run is not None else tally()
    lines = [f"{function}: {', '.join(run['called'][function])}" for function in sorted(run["called"])]
    for function, action, operation in run["denied"]:
        lines.append(f"DENIED {function} {operation} ({action})")
    for function, operation in run["forbidden"]:
        lines.append(f"403 for a missing key: {function} {operation} (no s3:ListBucket)")
    return lines


install()


# ============================================================================ pytest hooks (imported by conftest)

# The run must have exercised the flows for "nothing beyond" to mean anything: only a whole run
# (every test file collected, no -k) judges it; a partial run prints the report alone.


def whole_run(args: list[str], keyword: str = "", deselect=None) -> bool:
    """Whether pytest's arguments take every test file under tests/ (in whichever folder: unit/,
    integration/, e2e/, infrastructure/), with nothing left out by -k or --deselect. `-m "not e2e"`
    (make unit) counts as whole: the local-cloud tests do not run on the in-process AWS judged here."""
    paths = [Path(a.split("::", 1)[0]).resolve() for a in args]
    if any("::" in a for a in args) or keyword or deselect:
        return False
    tests_dir = ROOT / "tests"
    test_files = [f for f in tests_dir.rglob("test_*.py") if "support" not in f.relative_to(tests_dir).parts]
    return bool(paths) and all(any(a == f or a in f.parents for a in paths) for f in test_files)


# Under pytest-xdist (make test runs `-n 2`) each worker records only the tests it ran: the workers
# send their tallies (pytest_sessionfinish below), the controller gathers them here and judges the
# whole run once. A worker lost on the way leaves the tally partial, so nothing is judged then.
_GATHERED: dict = {"tallies": [], "lost": False}


def _is_worker(config) -> bool:
    return hasattr(config, "workeroutput")


def _is_controller(config) -> bool:
    return config.pluginmanager.getplugin("dsession") is not None


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    part = getattr(node, "workeroutput", {}).get("aws_fidelity")
    if part is None:
        _GATHERED["lost"] = True
    else:
        _GATHERED["tallies"].append(part)


def _run_tally(config) -> dict:
    return merge(_GATHERED["tallies"]) if _is_controller(config) else tally()


def _whole(config) -> bool:
    if _is_controller(config) and _GATHERED["lost"]:
        return False
    return whole_run(config.args, config.getoption("keyword", ""), config.getoption("deselect", None))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _is_worker(config):
        return
    run = _run_tally(config)
    lines = report(run)
    if not lines:
        return
    terminalreporter.section("AWS calls by function (judged against infra/template.yaml)")
    for line in lines:
        terminalreporter.write_line(line)
    unused = tally_unused(run)
    if unused and not _whole(config):
        terminalreporter.write_line(f"{len(unused)} permissions unused by this partial run (a whole run lists and fails on them)")
    elif unused:
        terminalreporter.write_line(
            "the template grants what no test uses (use it in a test, remove it, or give its reason under "
            "the function's Metadata: UntestedPermissions); the run fails:"
        )
        for line in unused:
            terminalreporter.write_line(f"  UNUSED {line}")


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if _is_worker(config):
        config.workeroutput["aws_fidelity"] = tally()  # judged by the controller, with the others'
        return
    if _whole(config) and exitstatus == 0 and tally_unused(_run_tally(config)):
        session.exitstatus = 1  # nothing beyond: the template grants what no flow uses
