"""A function that renders documents refuses to start without its fonts (never a PDF of boxes)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

PROBE = """
import importlib.util, sys
from pathlib import Path
import esurety.fonts as fonts
fonts.PACKAGE_DIR = Path("/nonexistent")
fonts.SYSTEM_DIRS = ()
spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print("started")
"""


@pytest.mark.parametrize("handler", ["functions/issue/app.py", "functions/issue/publish.py", "functions/desk/app.py"])
def test_cold_start_fails_clearly_without_fonts(handler, tmp_path):
    env = {**os.environ, "ESURETY_FONT_DIR": str(tmp_path), "AWS_DEFAULT_REGION": "ap-northeast-1"}
    result = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / handler)], capture_output=True, text=True, env=env)
    assert result.returncode != 0 and "started" not in result.stdout
    assert "FontMissingError" in result.stderr and "fonts-ipaexfont" in result.stderr


def test_cold_start_with_fonts(tmp_path):
    env = {**os.environ, "AWS_DEFAULT_REGION": "ap-northeast-1"}
    probe = PROBE.replace('fonts.PACKAGE_DIR = Path("/nonexistent")\nfonts.SYSTEM_DIRS = ()\n', "")
    result = subprocess.run([sys.executable, "-c", probe, str(ROOT / "functions/issue/publish.py")], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


_LOADED_AT_INIT = """
import importlib.util, json, sys
sys.path.insert(0, sys.argv[2])
spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
from esurety import fonts
print(json.dumps({"faces": sorted(fonts._faces), "pyhanko": "pyhanko.sign" in sys.modules}))
"""


@pytest.mark.parametrize(
    "handler, faces",
    [
        ("functions/issue/app.py", ["IPAexGothic", "IPAexMincho"]),  # certificate (Mincho), fee statement (Gothic)
        ("functions/issue/publish.py", ["IPAexGothic"]),  # the notice only
        ("functions/desk/app.py", ["IPAexGothic"]),  # the evidence ZIP's 寄託記録
        ("functions/verify/app.py", []),
        ("functions/apply/app.py", []),
    ],
)
def test_a_cold_start_loads_only_what_its_function_uses(handler, faces):
    # An on-demand cold start: no snapshot, so pyHanko is not loaded until a document is signed.
    env = {**os.environ, "AWS_DEFAULT_REGION": "ap-northeast-1"}
    result = subprocess.run(
        [sys.executable, "-c", _LOADED_AT_INIT, str(ROOT / handler), str(ROOT / "layers" / "common")],
        capture_output=True, text=True, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"faces": faces, "pyhanko": False}


def test_a_notice_renders_with_the_publishers_one_face():
    probe = """
import sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
from esurety import fonts
fonts.ensure_fonts(fonts.GOTHIC)
from support.documents import AUTH_KEY, make_certificate
from esurety.documents.notice import render_notice
pdf = render_notice(make_certificate("advance_payment", None), AUTH_KEY)
assert fonts._faces == {fonts.GOTHIC}, fonts._faces
print(len(pdf))
"""
    env = {**os.environ, "AWS_DEFAULT_REGION": "ap-northeast-1"}
    result = subprocess.run([sys.executable, "-c", probe, str(ROOT / "layers" / "common"), str(ROOT / "tests")], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 10_000
