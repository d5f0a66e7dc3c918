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
    # Every permission the functions are granted is still there, and nothing was added.
    assert _actions(adapted) == _actions(original)
    # The functions' configuration is untouched (the pepper is still found by its Ref).
    for logical, resource in original["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert adapted["Resources"][logical]["Properties"].get("Environment") == resource["Properties"].get("Environment")
    assert adapted["Globals"] == original["Globals"]
