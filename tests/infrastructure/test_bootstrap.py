"""`make test` on a bare machine: nothing skips, missing tools fail by name, the local cloud's lock
and mail archive, the Makefile's token and clean targets."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from system_tools import need
from tools.localcloud import mailbox
from tools.localcloud.cloud import AlreadyRunning, LocalCloud

TESTS = ROOT / "tests"


# --- no skips ----------------------------------------------------------------------------------------


def test_every_kind_of_skip_fails_the_run(tmp_path):
    (tmp_path / "test_skips.py").write_text(
        "import pytest\n"
        "def test_skip():\n    pytest.skip('pdfsig missing')\n"
        "@pytest.mark.skipif(True, reason='zbarimg missing')\ndef test_skipif():\n    pass\n"
        "@pytest.mark.xfail(reason='known', strict=True)\ndef test_xfail():\n    assert False\n"
        "def test_passes():\n    pass\n"
    )
    (tmp_path / "test_module_skip.py").write_text("import pytest\npytest.importorskip('no_such_module_esurety')\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no_skips", "-p", "no:cacheprovider", "-q", "-rA", "--continue-on-collection-errors", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(TESTS)},
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 1, result.stdout
    assert "skipped" not in summary, summary
    assert re.search(r"\b1 failed\b", summary) and re.search(r"\b2 errors\b", summary), summary
    assert "1 passed" in summary and "1 xfailed" in summary, summary
    assert "skipped tests count as failures in esurety: pdfsig missing" in result.stdout
    assert "zbarimg missing" in result.stdout and "no_such_module_esurety" in result.stdout


def test_no_test_is_marked_to_skip():
    pattern = re.compile(r"pytest\.(skip\(|importorskip\()|mark\.skip")
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in TESTS.rglob("*.py")
        if path.name not in ("test_bootstrap.py", "no_skips.py")
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_a_missing_tool_fails_naming_its_debian_package(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.fail.Exception, match=r"pdfsig, zbarimg not found.*poppler-utils zbar-tools"):
        need("pdfsig", "zbarimg")


# --- the local cloud: one folder, one cloud ----------------------------------------------------------


def _run(folder: Path, port: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "ESURETY_LOCAL_DIR": str(folder)}
    return subprocess.run([sys.executable, "-m", "tools.localcloud", "run", "--port", str(port)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_a_second_cloud_on_the_same_folder_is_refused_and_the_first_left_alone(tmp_path):
    first = LocalCloud(tmp_path / "cloud", 4599)
    first.lock()
    try:
        first._record(ministack_pid=os.getpid())
        (tmp_path / "run.json").write_text(json.dumps({"port": 4599, "api_url": "http://127.0.0.1:4599/restapis/x"}))
        second = LocalCloud(tmp_path / "cloud", 4600)
        with pytest.raises(AlreadyRunning) as refused:
            second.lock()
        assert refused.value.holder["port"] == 4599
        second.stop()  # not its cloud: nothing happens
        assert first.holder()["ministack_pid"] == os.getpid()

        same_port = _run(tmp_path, 4599)
        assert same_port.returncode == 0, same_port.stderr
        assert "already running on port 4599, API: http://127.0.0.1:4599/restapis/x" in same_port.stdout
        other_port = _run(tmp_path, 4600)
        assert other_port.returncode == 1
        assert "refused" in other_port.stderr and "port 4599" in other_port.stderr
        assert "ESURETY_LOCAL_DIR" in other_port.stderr
        assert first.holder()["port"] == 4599 and not (tmp_path / "cloud" / "tmp").exists()
    finally:
        first.unlock()
    LocalCloud(tmp_path / "cloud", 4600).lock()  # free again once the first one let go


# --- make mail: kept across restarts, in JST -------------------------------------------------------


def _message(message_id: str, timestamp: float) -> dict:
    return {"MessageId": message_id, "Source": "no-reply@esurety.example", "To": ["keiri@example.jp"],
            "Subject": "電子保証（認証キー）発行完了のお知らせ", "BodyText": "本文", "Timestamp": timestamp}


def test_saved_mail_outlives_the_outbox_and_is_shown_in_jst(tmp_path):
    folder = tmp_path / "mail"
    before_restart = [_message("a@email.amazonses.com", 1711933200.0)]  # 2024-04-01 01:00 UTC
    assert mailbox.save(before_restart, folder) == 1
    assert mailbox.save(before_restart, folder) == 0  # saving again writes nothing
    after_restart = [_message("b@email.amazonses.com", 1711936800.5)]  # the outbox forgot "a"
    merged = mailbox.merge(mailbox.load(folder), after_restart)
    assert [m["MessageId"] for m in merged] == ["a@email.amazonses.com", "b@email.amazonses.com"]
    assert mailbox.render(merged[0]).startswith("--- 2024-04-01 10:00:00 JST\nFrom: no-reply@esurety.example")
    assert "Subject: 電子保証（認証キー）発行完了のお知らせ" in mailbox.render(merged[1])


def test_make_mail_reads_the_saved_mail_while_the_cloud_is_stopped(tmp_path):
    mailbox.save([_message("a@email.amazonses.com", 1711933200.0)], tmp_path / "cloud" / "mail")
    result = subprocess.run([sys.executable, "-m", "tools.localcloud", "mail"], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, "ESURETY_LOCAL_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "--- 2024-04-01 10:00:00 JST" in result.stdout and "To: keiri@example.jp" in result.stdout


# --- Makefile ----------------------------------------------------------------------------------------


def _make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize("args", [("token", "ROLE=Staff"), ("token", "ROLE=admin"), ("token", "USER=staff")])
def test_make_token_refuses_what_is_not_a_role(args):
    result = _make(*args)
    assert result.returncode != 0
    assert "contractor" in result.stderr and "staff" in result.stderr and "orderer" in result.stderr
    assert result.stdout == ""  # no token of another role


def test_make_clean_lists_what_it_deletes():
    result = _make("-n", "clean")
    assert "deleting:" in result.stdout and ".local" in result.stdout and ".venvs" in result.stdout


def test_ci_does_nothing_but_make_test():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[-1] == "exec make test"
    assert not any(re.search(r"apt-get|\bpip\b", line) for line in lines)
