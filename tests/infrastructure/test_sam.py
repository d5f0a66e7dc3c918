"""The real SAM CLI accepts the template and builds it: `sam validate --lint` and `sam build`.

The SAM CLI lives in its own virtualenv (tools/sam_venv.sh makes .venvs/sam). The build runs once
per module, without Docker, and the tests read what it left: the layer must carry the esurety
package, the IPAex fonts and arm64 wheels, and not the boto3 the Lambda runtime provides.
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.e2e

TEMPLATE = ROOT / "infra" / "template.yaml"
SAM_VENV_SCRIPT = ROOT / "tools" / "sam_venv.sh"
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
EM_AARCH64 = 183  # ELF e_machine of arm64


def _pyenv_version() -> str | None:
    """With pyenv, make its Python 3.11-3.13 visible side by side (python3.12 for the build)."""
    if not shutil.which("pyenv"):
        return None
    listed = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split()
    wanted = [v for v in listed if v.split(".")[:2] in (["3", "11"], ["3", "12"], ["3", "13"])]
    return ":".join(wanted) or None


def sam_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_ENDPOINT_URL", None)
    env.update(
        {
            "SAM_CLI_TELEMETRY": "0",
            "AWS_DEFAULT_REGION": "ap-northeast-1",
            "AWS_REGION": "ap-northeast-1",
            # Neither command calls AWS; dummy credentials keep anything from looking for real ones.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
        }
    )
    # The project's .venv must not leak into the SAM CLI's or the layer build's Python.
    env.pop("VIRTUAL_ENV", None)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    if "PYENV_VERSION" not in env:
        version = _pyenv_version()
        if version:
            env["PYENV_VERSION"] = version
    return env


def _run(args: list[str], timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=sam_env(), capture_output=True, text=True, timeout=timeout)


def _output(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


@pytest.fixture(scope="module")
def sam() -> str:
    result = _run(["bash", str(SAM_VENV_SCRIPT)], timeout=900)
    assert result.returncode == 0, "tools/sam_venv.sh failed\n" + _output(result)
    path = result.stdout.strip().splitlines()[-1]
    assert Path(path).is_file(), _output(result)
    return path


@pytest.fixture(scope="module")
def build(sam, tmp_path_factory) -> Path:
    build_dir = tmp_path_factory.mktemp("sam-build") / "build"
    started = time.monotonic()
    result = _run([sam, "build", "-t", str(TEMPLATE), "--build-dir", str(build_dir)], timeout=900)
    seconds = time.monotonic() - started
    assert result.returncode == 0, "sam build failed\n" + _output(result)
    print(f"\nsam build took {seconds:.1f} s")
    return build_dir


@pytest.fixture(scope="module")
def layer(build) -> Path:
    return build / "CommonLayer" / "python"


def _load(path: Path) -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load(path.read_text("utf-8"), Loader=Loader)


def test_sam_validate_lint(sam):
    result = _run([sam, "validate", "--lint", "-t", str(TEMPLATE)], timeout=300)
    assert result.returncode == 0, _output(result)
    assert "is a valid SAM Template" in result.stdout + result.stderr, _output(result)


def test_layer_is_built_by_its_makefile():
    metadata = _load(TEMPLATE)["Resources"]["CommonLayer"]["Metadata"]
    assert metadata == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert "build-CommonLayer:" in (ROOT / "layers" / "common" / "Makefile").read_text("utf-8")


def test_layer_carries_the_esurety_package(layer):
    assert (layer / "esurety" / "__init__.py").is_file()
    source = ROOT / "layers" / "common" / "esurety"
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file() and p.suffix in (".py", ".json")}
    built = {p.relative_to(layer / "esurety") for p in (layer / "esurety").rglob("*") if p.is_file()}
    assert wanted <= built, sorted(map(str, wanted - built))


def test_layer_carries_the_ipaex_fonts(layer):
    for name in ("ipaexg.ttf", "ipaexm.ttf"):
        font = layer / "esurety" / "fonts" / name
        assert font.is_file(), name
        assert font.read_bytes()[:4] == b"\x00\x01\x00\x00", f"{name} is not a TrueType font"
    # Whoever redistributes the fonts must attach the licence (IPA Font License v1.0, Article 3.2 (3)).
    licence = (layer / "esurety" / "fonts" / "IPA_Font_License_Agreement_v1.0.txt").read_text("utf-8")
    assert "IPA Font License Agreement v1.0" in licence and "IPAフォントライセンスv1.0" in licence


def test_layer_leaves_the_sdk_to_the_runtime(layer):
    left = sorted(p.name for p in layer.iterdir() if p.name.split("-")[0] in RUNTIME_PROVIDED)
    assert left == []
    assert (layer / "pynamodb").is_dir() and (layer / "aws_lambda_powertools").is_dir()


def test_layer_has_no_bytecode_of_the_build_host(layer):
    """Only python3.12 bytecode (if any): the copied package brings no __pycache__ of its own."""
    foreign = [str(p.relative_to(layer)) for p in layer.rglob("*.pyc") if ".cpython-312" not in p.name]
    assert foreign == []


def test_native_code_is_for_arm64(layer):
    so_files = list((layer / "pydantic_core").glob("_pydantic_core*.so"))
    assert len(so_files) == 1 and "aarch64" in so_files[0].name, so_files
    for library in layer.rglob("*.so*"):
        if not library.is_file():
            continue
        header = library.read_bytes()[:20]
        if header[:4] != b"\x7fELF":
            continue
        (machine,) = struct.unpack_from("<H", header, 18)
        assert machine == EM_AARCH64, f"{library.relative_to(layer)} is not arm64 (e_machine {machine})"


def test_each_function_has_its_handler(build):
    source = _load(TEMPLATE)["Resources"]
    built = _load(build / "template.yaml")["Resources"]
    functions = [name for name, r in source.items() if r["Type"] == "AWS::Serverless::Function"]
    assert functions
    for name in functions:
        properties = built[name]["Properties"]
        module = properties["Handler"].rsplit(".", 1)[0]
        code = build / properties["CodeUri"]
        assert code.is_dir() and code.parent == build, name
        assert (code / f"{module.replace('.', '/')}.py").is_file(), f"{name}: no {module}.py in {code}"
        assert not list(code.rglob("__pycache__")), name
