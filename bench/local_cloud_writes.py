"""What keeping each acknowledged write costs the local cloud: the median seconds of a DynamoDB
PutItem and GetItem on plain ministack (state saved at a graceful stop only) and on ministack under
tools/localcloud/serve.py (the touched services' state written before each write's answer), with
an empty table and with one of a few thousand items (the whole table is written on each write).

    .venv/bin/python bench/local_cloud_writes.py [--requests 100] [--items 3000]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.localcloud import cloud as localcloud  # noqa: E402

PLAIN = "from ministack.app import main\nmain()\n"


def median_ms(action, requests: int) -> float:
    times = []
    for i in range(requests):
        started = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


def measure(serve: Path, folder: Path, requests: int, items: int) -> dict:
    localcloud.SERVE = serve
    cloud = localcloud.LocalCloud(folder, localcloud.free_port())
    cloud.start()
    try:
        dynamodb = cloud.client("dynamodb")
        dynamodb.create_table(
            TableName="bench", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        row = {"content": {"S": "栃木県知事 " * 40}}
        result = {}
        for label, size in (("empty table", 0), (f"{items} items", items)):
            for start in range(0, size, 25):
                dynamodb.batch_write_item(RequestItems={"bench": [
                    {"PutRequest": {"Item": {"pk": {"S": f"fill-{n}"}, **row}}} for n in range(start, min(size, start + 25))
                ]})
            result[label] = {
                "PutItem ms": median_ms(lambda i: dynamodb.put_item(TableName="bench", Item={"pk": {"S": f"{label}-{i}"}, **row}), requests),
                "GetItem ms": median_ms(lambda i: dynamodb.get_item(TableName="bench", Key={"pk": {"S": f"{label}-{i}"}}), requests),
            }
        return result
    finally:
        cloud.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--items", type=int, default=3000)
    args = parser.parse_args()
    localcloud.ensure_venv()
    kept = localcloud.SERVE
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "plain.py"
        plain.write_text(PLAIN)
        for name, serve in (("plain ministack", plain), ("serve.py (kept on each write)", kept)):
            print(name, measure(serve, Path(folder) / name.split()[0], args.requests, args.items), flush=True)


if __name__ == "__main__":
    main()
