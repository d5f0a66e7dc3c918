"""The package's folders say what talks to AWS: esurety/aws/ (adapters) and esurety/services/ (use
cases through them). Every other module (esurety/domain/, esurety/api/, esurety/documents/) is pure
domain, HTTP glue or a renderer and imports neither boto3, botocore nor PynamoDB, nor the adapters,
so it can be read and tested without AWS.

The layering as a whole is import-linter's contracts in pyproject.toml ([tool.importlinter]), which
`lint-imports` checks here; the tests below say the same of AWS file by file."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "layers" / "common" / "esurety"
AWS_LIBRARIES = ("boto3", "botocore", "pynamodb", "s3transfer")


def _imports(path) -> set[str]:
    """Every module a file imports (absolute names; relative ones resolved against esurety)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = ".".join(("esurety",) + path.relative_to(PACKAGE).parent.parts)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_adapters_and_the_services_talk_to_aws():
    pure = [p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in ("aws", "services")]
    assert len(pure) > 20
    offenders = {}
    for path in pure:
        bad = sorted(
            name for name in _imports(path)
            if name.split(".")[0] in AWS_LIBRARIES or name == "esurety.aws" or name.startswith("esurety.aws.")
        )
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = bad
    assert offenders == {}


def test_the_adapters_are_where_the_aws_calls_are():
    adapters = {p.stem for p in (PACKAGE / "aws").glob("*.py")}
    assert {"models", "storage", "keys", "signing", "mailer"} <= adapters
    assert any(name.split(".")[0] == "boto3" for name in _imports(PACKAGE / "aws" / "__init__.py"))


def test_import_contracts_hold():
    """services over aws/api/documents over domain; the domain imports no adapter, use case or HTTP glue;
    only the adapters and the use cases import boto3/botocore/PynamoDB; no import circles."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)])}
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_verify_and_apply_functions_load_no_renderer_or_signer():
    """The desk renders and signs (its evidence ZIP); the functions that answer without a document
    must not pay for reportlab and pyHanko at cold start by importing what the desk does."""
    probe = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('fn', sys.argv[1])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('esurety.documents', 'esurety.aws.signing', 'reportlab', 'pyhanko'))))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)]),
           "TABLE_NAME": "t", "BUCKET_NAME": "b", "AWS_DEFAULT_REGION": "ap-northeast-1"}
    for function in ("verify", "apply"):
        result = subprocess.run([sys.executable, "-c", probe, str(ROOT / "functions" / function / "app.py")],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "[]", (function, result.stdout)
