"""Programs the tests run, and the Debian package each comes from.

`make test` installs them (tools/bootstrap.sh); a test that finds one missing fails and says which
package to install. It never skips: a skipped check would leave a green run that checked less.
"""
from __future__ import annotations

import shutil

import pytest

PACKAGES = {
    "pdffonts": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "pdfsig": "poppler-utils",
    "pdftotext": "poppler-utils",
    "zbarimg": "zbar-tools",
}


def need(*tools: str) -> None:
    """Fail the calling test, naming the tool and its package, unless every tool is on PATH."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        packages = sorted({PACKAGES.get(tool, tool) for tool in missing})
        pytest.fail(
            f"{', '.join(missing)} not found on PATH: install the Debian package(s) {' '.join(packages)} "
            "(`make test` does so through tools/bootstrap.sh)",
            pytrace=False,
        )
