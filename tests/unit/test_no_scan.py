"""Every read is a GetItem or a Query on a key shape from docs/data-model.md: no Scan anywhere."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("layers/common/esurety/**/*.py"), *ROOT.glob("functions/**/*.py"), *ROOT.glob("tools/**/*.py")]


def test_sources_exist():
    assert len(SOURCES) > 10


# Files that name Scan without calling it, and why.
NAMES_WITHOUT_CALLING = {
    "tools/localcloud/serve.py": "lists DynamoDB's read operations (after which the local cloud saves nothing)",
}


def test_no_scan_calls():
    offenders = []
    for path in SOURCES:
        if str(path.relative_to(ROOT)) in NAMES_WITHOUT_CALLING:
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if re.search(r"\.scan\(|\bScan\b|scan_index_forward=None", line) and "scan_index_forward" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_domain_modules_import_no_boto3():
    pure = ["products", "contract_number", "auth_key", "wareki", "money", "text", "rules", "orderers", "clock", "certificates", "schemas", "identity", "errors", "lifecycle", "changes", "fees"]
    for name in pure:
        (path,) = (ROOT / "layers/common/esurety/domain").rglob(f"{name}.py")  # each in its domain folder
        source = path.read_text("utf-8")
        assert not re.search(r"^\s*(import|from)\s+(boto3|botocore|pynamodb)", source, re.M), name
