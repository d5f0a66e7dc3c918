"""SnapStart: every function is published with a snapshot, and its restore hooks renew what a
snapshot would otherwise share between execution environments (clients, cached secrets and
certificates, the `random` module's state).

The hooks are run here as Lambda's runtime (and the local cloud) runs them: through the registry
of `snapshot_restore_py` (the real package, from PyPI), before-snapshot hooks in reverse order of
registration, then after-restore hooks in order.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import pytest
from snapshot_restore_py import get_after_restore, get_before_snapshot

from conftest import ROOT
from esurety import aws
from esurety.aws import keys, signing, snapstart
from esurety.config import settings
from esurety.aws.models import ContractItem

FUNCTIONS = ("ApplyFunction", "IssueFunction", "PublishFunction", "VerifyFunction")


def _functions(template):
    return {n: r for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def snapshot():
    for func, args, kwargs in reversed(get_before_snapshot()):
        func(*args, **kwargs)


def restore():
    for func, args, kwargs in get_after_restore():
        func(*args, **kwargs)


def test_every_function_is_published_with_a_snapshot(template):
    functions = {name: r for name, r in _functions(template).items() if name in FUNCTIONS}
    assert set(functions) == set(FUNCTIONS)
    runtime = template["Globals"]["Function"]["Runtime"]
    assert runtime.startswith("python3.") and int(runtime.split(".")[1]) >= 12  # SnapStart needs 3.12+
    for name, resource in functions.items():
        props = resource["Properties"]
        assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}, name
        # SnapStart applies to published versions only: without an alias, events would reach $LATEST.
        assert props["AutoPublishAlias"] == "live", name
        assert props["AutoPublishAliasAllProperties"] is True, name
        assert int(props.get("EphemeralStorage", {}).get("Size", 512)) <= 512, name  # SnapStart's limit
    # A new layer (the esurety package) must publish new versions, or the alias keeps the old code.
    assert template["Resources"]["CommonLayer"]["Properties"]["PublishLambdaVersion"] is True


def _transformed(template) -> dict:
    """The template as the SAM transform turns it into CloudFormation (the translator cfn-lint uses)."""
    import copy

    from samtranslator.translator.transform import transform

    class _NoManagedPolicies:
        def load(self):
            return {}

    raw = copy.deepcopy(template)
    for resource in raw["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts/code.zip"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    return transform(raw, {"Stage": "dev"}, _NoManagedPolicies())


def test_events_reach_the_published_alias_not_latest(template):
    resources = _transformed(template)["Resources"]
    aliases = {r["Properties"]["FunctionName"]["Ref"]: name for name, r in resources.items() if r["Type"] == "AWS::Lambda::Alias"}
    assert set(aliases) >= set(FUNCTIONS)
    # The S3 arrival of a certificate reaches the publisher's alias through the publication queue,
    # and no bucket notification invokes a SnapStart function's $LATEST.
    mappings = {r["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]: r["Properties"] for r in resources.values()
                if r["Type"] == "AWS::Lambda::EventSourceMapping"}
    assert mappings["PublicationQueue"]["FunctionName"] == {"Ref": aliases["PublishFunction"]}
    # The mail sender has no SnapStart (nothing heavy to load): the mail queue reaches it directly.
    assert mappings["MailQueue"]["FunctionName"] == {"Ref": "MailFunction"} and set(mappings) == {"PublicationQueue", "MailQueue"}
    notifications = resources["DocumentsBucket"]["Properties"]["NotificationConfiguration"].get("LambdaConfigurations", [])
    assert not [n for n in notifications for f in FUNCTIONS if n["Function"] == {"Fn::GetAtt": [f, "Arn"]}], notifications
    # Every HTTP route integrates the alias of its function.
    body = resources["HttpApi"]["Properties"]["Body"]
    uris = [op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"] for ops in body["paths"].values() for op in ops.values()]
    assert not [uri for uri in uris for f in FUNCTIONS if "${" + f + ".Arn}" in uri], uris
    assert {f for f in FUNCTIONS for uri in uris if "${" + aliases[f] + "}" in uri} == {"ApplyFunction", "IssueFunction", "VerifyFunction"}
    # ... and may invoke it: every permission of these functions names the alias, not $LATEST.
    permissions = [r["Properties"]["FunctionName"] for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert {"Ref": aliases["VerifyFunction"]} in permissions  # (the publisher is polled by its queue mapping)
    assert not [p for p in permissions if p in [{"Ref": f} for f in FUNCTIONS]], permissions


_REGISTERED = """
import importlib.util, json, sys
sys.path.insert(0, sys.argv[2])
spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
from snapshot_restore_py import get_after_restore, get_before_snapshot
print(json.dumps({"before": [f.__qualname__ for f, _, _ in get_before_snapshot()],
                  "after": [f.__qualname__ for f, _, _ in get_after_restore()]}))
"""


@pytest.mark.parametrize(
    "handler, warm_ups",
    [
        ("functions/apply/app.py", []),
        ("functions/verify/app.py", []),
        # The two that sign load pyHanko into the snapshot, not into an on-demand cold start.
        ("functions/issue/app.py", ["preload"]),
        ("functions/issue/publish.py", ["preload"]),
    ],
)
def test_each_function_registers_its_hooks_at_init(handler, warm_ups):
    # A fresh interpreter per function, as Lambda initialises each: hooks a handler module does not
    # register (directly or through what it imports) are not run.
    result = subprocess.run(
        [sys.executable, "-c", _REGISTERED, str(ROOT / handler), str(ROOT / "layers" / "common")],
        capture_output=True, text=True, env={**os.environ, "AWS_DEFAULT_REGION": "ap-northeast-1"},
    )
    assert result.returncode == 0, result.stderr
    # Before-snapshot hooks run in reverse: the warm-ups first, then everything is forgotten.
    assert json.loads(result.stdout) == {"before": ["forget_process_state", *warm_ups], "after": ["renew_after_restore"]}


def test_restore_renews_clients_connections_and_cached_secrets(cloud, handlers):
    s3_before = aws.client("s3")
    pepper_before = keys.pepper()
    certificate_before = signing.certificate_chain()[0]
    ContractItem.count()  # PynamoDB opens its connection
    assert ContractItem._connection is not None

    snapshot()
    # The snapshot holds no secret and no connection: nothing was read at publish time that a
    # restored environment would reuse.
    assert keys.pepper.cache_info().currsize == 0
    assert ContractItem._connection is None

    # Between publishing and a restore, the pepper is rotated and a new certificate stored.
    boto3.client("secretsmanager").put_secret_value(SecretId=settings().pepper_secret_id, SecretString="rotated-pepper-9876543210")
    from tools.signing_certificate import store_demo_certificate

    store_demo_certificate(boto3.client("kms"), boto3.client("ssm"), os.environ["SIGNING_KEY_ID"], os.environ["SIGNING_CERTIFICATE_PARAMETER"])
    aws.client("s3")  # something made a client again before the restore
    restore()

    assert aws.client("s3") is not s3_before
    assert keys.pepper() == b"rotated-pepper-9876543210" != pepper_before
    assert signing.certificate_chain()[0].serial_number != certificate_before.serial_number
    ContractItem.count()
    assert ContractItem._connection is not None


@pytest.mark.parametrize("renew", [False, True])
def test_restored_environments_do_not_share_random_state(renew):
    # A snapshot copies the interpreter's memory, the `random` module's state with it: every
    # environment resumed from it starts from that same state. (A fork is no stand-in: Python
    # reseeds `random` in a forked child by itself; a restored snapshot gets no such call.)
    import random

    snapstart.install()  # as each handler module does
    random.random()  # the init used `random` (as libraries do) before the snapshot
    snapshot_state = random.getstate()
    drawn = []
    for _ in range(2):  # two environments restored from the one snapshot
        random.setstate(snapshot_state)
        if renew:
            restore()
        drawn.append(random.getrandbits(64))
    assert (drawn[0] != drawn[1]) is renew


def test_auth_keys_come_from_the_os_not_from_random():
    # `secrets` reads os.urandom, which stays unique after a restore; the `random` module's state
    # would not. An auth key must not depend on it.
    import random

    from esurety.domain.identifiers import auth_key

    random.seed(1)
    first = auth_key.generate()
    random.seed(1)
    assert auth_key.generate() != first


_WITHOUT_RUNTIME_MODULE = """
import sys
sys.modules["snapshot_restore_py"] = None  # as in an interpreter without it: importing it fails
sys.path.insert(0, sys.argv[1])
from esurety.aws import snapstart
assert snapstart.register_after_restore(len) is len and snapstart.register_before_snapshot(len, 1) is len
snapstart.install()
snapstart.renew_after_restore()
print("ok")
"""


def test_without_the_runtime_module_registering_does_nothing():
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_RUNTIME_MODULE, str(ROOT / "layers" / "common")],
        capture_output=True, text=True, env={**os.environ, "AWS_DEFAULT_REGION": "ap-northeast-1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_install_registers_once():
    snapstart.install()
    snapstart.install()
    assert [f for f, _, _ in get_after_restore()].count(snapstart.renew_after_restore) == 1
    assert [f for f, _, _ in get_before_snapshot()].count(snapstart.forget_process_state) == 1
