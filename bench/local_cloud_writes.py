"""What keeping each acknowledged write costs the local cloud, by the size of the table.

A table is filled to each size (1,000 / 10,000 / 50,000 items of about 700 bytes, with
BatchWriteItem, 25 a request) under the current tools/localcloud/serve.py and stopped gracefully;
then the local cloud is started on that folder under each serve.py measured, which times single
PutItems (and GetItems, unchanged by either) and is stopped again:

- "now": tools/localcloud/serve.py as it is (DynamoDB items journalled, fsync'd);
- "before": serve.py at a git revision (`--before`, default 55d552b, where each write rewrote
  dynamodb.json whole);
- "plain": ministack without serve.py (kept at a graceful stop only; a crash loses writes).

The BatchWriteItem figure is the median of the fill's requests (now). Prints one JSON line per
(size, variant): median and p95 milliseconds.

    .venv/bin/python bench/local_cloud_writes.py [--sizes 1000,10000,50000] [--requests 50]
        [--before-requests 20] [--variants now,before,plain]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.localcloud import cloud as localcloud  # noqa: E402

PLAIN = "from ministack.app import main\nmain()\n"
TABLE = "bench"
ROW = {"content": {"S": "栃木県知事 " * 40}}


def summary_ms(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median": round(statistics.median(ordered) * 1000, 2),
        "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 2),
        "n": len(ordered),
    }


def timed(action, count: int) -> list[float]:
    times = []
    for i in range(count):
        started = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - started)
    return times


def started(serve: Path, folder: Path) -> localcloud.LocalCloud:
    localcloud.SERVE = serve
    cloud = localcloud.LocalCloud(folder, localcloud.free_port())
    cloud.start(timeout=300)
    return cloud


def fill(serve: Path, folder: Path, have: int, size: int) -> dict:
    """Add items have..size-1 under `serve`; returns the BatchWriteItem timings."""
    cloud = started(serve, folder)
    try:
        dynamodb = cloud.client("dynamodb")
        if have == 0:
            dynamodb.create_table(
                TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            )
        times = []
        for start in range(have, size, 25):
            began = time.perf_counter()
            dynamodb.batch_write_item(RequestItems={TABLE: [
                {"PutRequest": {"Item": {"pk": {"S": f"fill-{n}"}, **ROW}}} for n in range(start, min(size, start + 25))
            ]})
            times.append(time.perf_counter() - began)
        return summary_ms(times) if times else {}
    finally:
        cloud.stop(timeout=300)


def measure(serve: Path, folder: Path, label: str, requests: int) -> dict:
    began = time.perf_counter()
    cloud = started(serve, folder)
    start_seconds = round(time.perf_counter() - began, 1)
    try:
        dynamodb = cloud.client("dynamodb")
        count = dynamodb.describe_table(TableName=TABLE)["Table"]["ItemCount"]
        puts = timed(lambda i: dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"{label}-{i}"}, **ROW}), requests)
        gets = timed(lambda i: dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": f"fill-{i}"}}), requests)
    finally:
        began = time.perf_counter()
        cloud.stop(timeout=600)
        stop_seconds = round(time.perf_counter() - began, 1)
    return {"items": count, "PutItem ms": summary_ms(puts), "GetItem ms": summary_ms(gets),
            "start s": start_seconds, "stop s": stop_seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--before-requests", type=int, default=20, help="the old serve.py takes seconds a write on big tables")
    parser.add_argument("--before", default="55d552b", help="git revision of the serve.py to compare with")
    parser.add_argument("--variants", default="now,before,plain")
    args = parser.parse_args()
    localcloud.ensure_venv()
    now = localcloud.SERVE
    variants = args.variants.split(",")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        before = scratch / "serve_before.py"
        before.write_text(subprocess.run(["git", "show", f"{args.before}:tools/localcloud/serve.py"],
                                         cwd=ROOT, check=True, capture_output=True, text=True).stdout)
        plain = scratch / "plain.py"
        plain.write_text(PLAIN)
        serves = {"now": now, "before": before, "plain": plain}
        folder, have = scratch / "cloud", 0
        for size in (int(s) for s in args.sizes.split(",")):
            batch = fill(now, folder, have, size)
            have = size
            print(json.dumps({"size": size, "variant": "now", "BatchWriteItem (25 items) ms": batch}), flush=True)
            for variant in variants:
                requests = args.before_requests if variant == "before" else args.requests
                result = measure(serves[variant], folder, variant, requests)
                print(json.dumps({"size": size, "variant": variant, **result}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
