"""Seconds from `make run` to its `API:` line (first run and warm), and from the staff issue call
to the certificate being verifiable, against the local cloud.

    .venv/bin/python bench/local_cloud.py [--port 4599]

The first run uses a fresh state folder (stack created, layer built unless cached, users
seeded); the warm run starts again on the state the first one left. The local cloud's own
virtualenv is made once beforehand and is not part of either number.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.localcloud.cloud import ensure_venv  # noqa: E402


def start(port: int, state: Path) -> tuple[subprocess.Popen, float, str]:
    env = {**os.environ, "ESURETY_LOCAL_DIR": str(state)}
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "tools.localcloud", "run", "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("API: "):
            return process, time.monotonic() - started, line.split(" ", 1)[1].strip()
    raise SystemExit("make run ended before its API line")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)


def call(url: str, method: str = "GET", token: str | None = None, body=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def token(state: Path, role: str) -> str:
    env = {**os.environ, "ESURETY_LOCAL_DIR": str(state)}
    return subprocess.run([sys.executable, "-m", "tools.localcloud", "token", "--user", role], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()


def issue_to_verifiable(api: str, state: Path) -> float:
    tokens = {role: token(state, role) for role in ("contractor", "staff", "orderer")}
    body = json.loads((ROOT / "events" / "bodies" / "application.json").read_text("utf-8"))
    _, created = call(f"{api}/applications", "POST", tokens["contractor"], body)
    started = time.monotonic()
    _, issued = call(f"{api}/staff/applications/{created['application_id']}/issue", "POST", tokens["staff"])
    number = issued["contract_number"]
    while time.monotonic() - started < 120:
        _, detail = call(f"{api}/contracts/{number}", token=tokens["contractor"])
        if detail and detail.get("auth_key"):
            status, _ = call(f"{api}/verifications", "POST", tokens["orderer"], {"contract_number": number, "auth_key": detail["auth_key"]})
            if status == 200:
                return time.monotonic() - started
        time.sleep(0.05)
    raise SystemExit("not verifiable after 120 s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=4599)
    args = parser.parse_args()
    ensure_venv()
    state = Path(tempfile.mkdtemp(prefix="esurety-bench-"))
    try:
        process, first, api = start(args.port, state)
        cold_latency = issue_to_verifiable(api, state)
        warm_latency = issue_to_verifiable(api, state)
        stop(process)
        process, warm, api = start(args.port, state)
        stop(process)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    result = {
        "make_run_to_api_line_first_s": round(first, 2),
        "make_run_to_api_line_warm_s": round(warm, 2),
        "issue_to_verifiable_cold_functions_s": round(cold_latency, 2),
        "issue_to_verifiable_warm_functions_s": round(warm_latency, 2),
    }
    for name, value in result.items():
        print(f"{name:<40} {value:6.2f}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
