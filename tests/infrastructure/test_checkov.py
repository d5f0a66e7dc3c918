"""checkov finds nothing in the template: 0 failed checks, and every skip says why in the template.

checkov lives in its own virtualenv (tools/checkov_venv.sh makes .venvs/checkov): its pins clash
with the project's.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from conftest import ROOT

pytestmark = pytest.mark.e2e  # like test_sam.py: a tool of its own, installed on first use

TEMPLATE = ROOT / "infra" / "template.yaml"


@pytest.fixture(scope="module")
def checkov() -> str:
    result = subprocess.run(["bash", str(ROOT / "tools" / "checkov_venv.sh")], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def report(checkov) -> dict:
    result = subprocess.run(
        [checkov, "-f", str(TEMPLATE), "--framework", "cloudformation", "--output", "json", "--compact",
         "--skip-download"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    data = json.loads(result.stdout)
    reports = data if isinstance(data, list) else [data]
    assert len(reports) == 1 and reports[0]["check_type"] == "cloudformation", [r.get("check_type") for r in reports]
    return reports[0]


def test_checkov_finds_no_failed_check(report):
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"]["failed_checks"]]
    print(f"\ncheckov: {summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped")
    assert summary["failed"] == 0, "\n".join(failed)
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0


def test_every_skip_carries_its_reason(report):
    skipped = report["results"]["skipped_checks"]
    assert skipped, "the template declares skips; checkov should report them"
    for check in skipped:
        reason = (check.get("check_result") or {}).get("suppress_comment") or ""
        assert len(reason.strip()) >= 20, f"{check['check_id']} {check['resource']}: {reason!r}"
