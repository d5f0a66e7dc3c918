"""Cold import time of each Lambda handler module, next to a bare `import boto3`.

Each sample is a fresh interpreter (what a cold start pays before the first event), so the
numbers include the esurety package, Powertools, PynamoDB, pydantic and boto3 itself.

    .venv/bin/python bench/cold_import.py [--runs 7]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "import boto3": "import boto3",
    "functions/apply/app.py": "apply",
    "functions/issue/app.py": "issue",
    "functions/issue/publish.py": "publish",
    "functions/verify/app.py": "verify",
}
PROBE = r"""
import importlib.util, sys, time
target = sys.argv[1]
start = time.perf_counter()
if target == "import boto3":
    import boto3
else:
    spec = importlib.util.spec_from_file_location("handler", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
print(time.perf_counter() - start)
"""


def sample(target: str) -> float:
    env = {**os.environ, "AWS_DEFAULT_REGION": "ap-northeast-1", "TABLE_NAME": "bench", "PYTHONDONTWRITEBYTECODE": "0"}
    path = target if target == "import boto3" else str(ROOT / target)
    out = subprocess.run([sys.executable, "-c", PROBE, path], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for target in TARGETS:
        sample(target)  # warm the page cache and the .pyc files; Lambda's are warm on disk too
    rows = {}
    for target in TARGETS:
        times = [sample(target) for _ in range(args.runs)]
        rows[target] = {"median_ms": round(statistics.median(times) * 1000, 1), "min_ms": round(min(times) * 1000, 1)}
    width = max(map(len, rows))
    print(f"python {sys.version.split()[0]}, {args.runs} fresh interpreters each")
    for target, row in rows.items():
        print(f"{target:<{width}}  median {row['median_ms']:7.1f} ms   min {row['min_ms']:7.1f} ms")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
