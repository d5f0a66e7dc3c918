"""A pytest plugin that turns every skip into a failure (tests/conftest.py loads its hooks).

A skipped test is a check that did not run while the run still looks green. In esurety a missing
tool is installed by `make test` (tools/bootstrap.sh) or fails by name (system_tools.need), so a
skip, however it arises (skip, skipif, importorskip, a module-level skip), fails with its reason.
Expected failures (xfail) are reported as they are.
"""
from __future__ import annotations

import pytest


def _reason(report) -> str:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return reason.removeprefix("Skipped: ")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = _reason(report)
        report.outcome = "failed"
        report.longrepr = f"skipped tests count as failures in esurety: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if report.skipped:
        reason = _reason(report)
        report.outcome = "failed"
        report.longrepr = f"skipped modules count as failures in esurety: {reason}"
