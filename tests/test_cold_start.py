"""A function that renders documents refuses to start without its fonts (never a PDF of boxes)."""
from __future__ import annotations

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


@pytest.mark.parametrize("handler", ["functions/issue/app.py", "functions/issue/publish.py"])
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
