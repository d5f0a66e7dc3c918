"""The orderer's desk at 100, 1,000 and 10,000 guarantees, over HTTP, against the local cloud.

    .venv/bin/python bench/desk.py [--sizes 100,1000,10000] [--requests 30] [--exports 3]

Starts a local cloud on a fresh folder (the real template deployed, `start_and_deploy`), makes a
few real guarantees through the API (applied, issued, published; one 提出 to each of 栃木県's two
departments, one presented by key, one 受領確認), then fills 栃木県's desk to each size straight
into the table: BatchWriteItem of a ContractItem, a VersionItem, a DeskItem and (two in three) a
ReceiptItem per guarantee, cloned from the real ones and with the row built by the service's own
`services.commands.desk.build_row`. Before seeding, the clone of each real guarantee is checked
against what the service stored for it (row, search text, index keys): seeded rows are real rows.

Measured with real Cognito tokens of the demo users, warm (a few requests first, not counted):

- the first page (`GET /desk/guarantees`, the whole desk, 50 rows), p95 of `--requests`;
- a filtered page (`view=attention&product=contract`), and the same sorted by 保証期限;
- a department user's first page (orderer-works);
- the export of every row (`GET /desk/export`, CP932 and UTF-8): the API call (read every row,
  write the CSV, put it, sign the link), then the download, `--exports` times each.

Targets (issue #15): a page's p95 ≤ 300 ms, the export of 10,000 rows ≤ 10 s. Prints one JSON line
per size and a table at the end. Sequential throughout (one request at a time), for a 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "layers" / "common"))
# The tools the deployment runs in their own processes (the registry's seeding) import this checkout's package too.
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])

from tools.localcloud import demo  # noqa: E402
from tools.localcloud.__main__ import start_and_deploy  # noqa: E402
from tools.localcloud.cloud import LocalCloud, ensure_venv, free_port  # noqa: E402

SIZES = (100, 1_000, 10_000)
WARM_UP = 3
SEED_SERIAL = 20_000  # seeded contract numbers' serials start here, far from the real ones'
PAGE_TARGET_MS = 300
EXPORT_TARGET_S = 10


# ----------------------------------------------------------------------------- HTTP


def call(base: str, method: str, path: str, token: str | None = None, body=None, headers: dict | None = None):
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"null")
        except ValueError:
            return error.code, raw.decode("utf-8", "replace")


def wait_for(predicate, timeout: float = 120, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"not true after {timeout} s")


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary_ms(times: list[float]) -> dict:
    return {"median": round(statistics.median(times) * 1000, 1), "p95": round(percentile(times, 0.95) * 1000, 1),
            "max": round(max(times) * 1000, 1), "n": len(times)}


# ----------------------------------------------------------------------------- real guarantees


def real_guarantees(base: str, tokens: dict) -> dict[str, str]:
    """Through the API: a 前払金保証 submitted to 県土整備部 (and confirmed), a 契約保証 submitted to
    会計局, a 前払金保証 presented by key. Returns {role: contract number}."""
    body = json.loads((ROOT / "events" / "bodies" / "application.json").read_text("utf-8"))

    def published(product: str) -> tuple[str, str]:
        application = json.loads(json.dumps(body))
        application["product"] = product
        if product == "contract":
            application["deposit_bank"] = None
        status, created = call(base, "POST", "/applications", tokens["contractor"], application)
        assert status == 201, created
        status, issued = call(base, "POST", f"/staff/applications/{created['application_id']}/issue", tokens["staff"])
        assert status == 202, issued
        number = issued["contract_number"]
        detail = wait_for(lambda: (lambda r: r[1] if r[1].get("auth_key") else None)(call(base, "GET", f"/contracts/{number}", tokens["contractor"])))
        return number, detail["auth_key"]

    advance, _ = published("advance_payment")
    contract, _ = published("contract")
    by_key, key = published("advance_payment")
    for number, department in ((advance, "works"), (contract, "contracts")):
        status, answer = call(base, "POST", f"/contracts/{number}/submissions", tokens["contractor"], {"department_id": department})
        assert status in (200, 201), (number, department, answer)
    status, answer = call(base, "POST", "/verifications", tokens["orderer"], {"contract_number": by_key, "auth_key": key})
    assert status == 200, answer
    status, answer = call(base, "POST", "/desk/receipts", tokens["orderer-works"], {"items": [{"contract_number": advance, "version": 1}]})
    assert status in (200, 201), answer
    return {"advance": advance, "contract": contract, "by_key": by_key}


# ----------------------------------------------------------------------------- seeding


class Seeder:
    """Clones of the real guarantees, written with BatchWriteItem; the desk row by the service's own code."""

    def __init__(self, real: dict[str, str]):
        # Imported here: the environment names the local cloud's table and endpoint by now.
        from esurety.aws import contracts_repository, desk_repository
        from esurety.aws.models import ContractItem, DeskItem, ReceiptItem, VersionItem
        from esurety.domain.identifiers import contract_number
        from esurety.services.commands import desk

        self.ContractItem, self.DeskItem, self.ReceiptItem, self.VersionItem = ContractItem, DeskItem, ReceiptItem, VersionItem
        self.contract_number, self.desk = contract_number, desk
        self.templates = {}
        for role, number in real.items():
            contract = contracts_repository.get(number)
            records = contracts_repository.versions(number)
            item = desk_repository.get(number)
            receipts = contracts_repository.receipts(number)
            self.templates[role] = (contract, records, item, receipts)
            self._check(item, contract, records, receipts)
        self.receipt = self.templates["advance"][3][0]
        self.client = None

    def desk_fields(self, item, contract, records, receipts) -> dict:
        """What `desk.refresh` writes on the row item, from the same inputs (its own build_row)."""
        desk = self.desk
        row, changed = desk.build_row(item, contract, records, receipts)
        number = contract.contract_number
        return {
            "row": row,
            "search": " ".join(desk.search_text(v) for v in (row["contract_number"], row["project_name"], row["contractor_name"])),
            "changed": changed,
            "gsi3pk": desk.scope_key(item.orderer_id),
            "gsi3sk": self.DeskItem.expiry_sort_key(row["expiry"], number),
            "gsi4pk": desk.scope_key(item.orderer_id),
            "gsi4sk": self.DeskItem.change_sort_key(desk.stamp(datetime.fromisoformat(row["changed_at"])), number),
        }

    def _check(self, item, contract, records, receipts) -> None:
        made = self.desk_fields(item, contract, records, receipts)
        stored = {name: getattr(item, name) for name in made}
        if made != stored:
            raise SystemExit(f"the seeded row would differ from the service's for {contract.contract_number}:\n{made}\n{stored}")

    def items(self, serial: int) -> list:
        """One seeded guarantee: its items, varied by serial (product and department, 保証期限, 受領確認, presentation)."""
        role = ("advance", "advance", "contract", "by_key", "advance")[serial % 5]
        contract0, records0, item0, _ = self.templates[role]
        number = self.contract_number.make(contract0.branch_code, 2026, contract0.product, SEED_SERIAL + serial)
        pk = f"CONTRACT#{number}"
        deadline = (date(2026, 9, 1) + timedelta(days=(serial * 7) % 900)).isoformat()  # some ended, some within 30 days
        name = f"{contract0.content['work_name']}（第{serial + 1}工区）"

        contract = self.ContractItem.from_raw_data(contract0.serialize())
        content = {**contract.content, "contract_number": number, "work_name": name, "guarantee_deadline": deadline}
        contract.pk, contract.contract_number, contract.content, contract.gsi2sk = pk, number, content, f"CONTRACT#{number}"
        records = []
        for record0 in records0:
            record = self.VersionItem.from_raw_data(record0.serialize())
            record.pk, record.contract_number = pk, number
            record.content = {**record.content, "contract_number": number, "work_name": name, "guarantee_deadline": deadline}
            records.append(record)
        presented_at = datetime(2026, 4, 1, tzinfo=timezone.utc) + timedelta(minutes=serial * 37)
        item = self.DeskItem.from_raw_data(item0.serialize())
        sort = f"{self.desk.stamp(presented_at)}#{number}"
        item.pk, item.contract_number, item.presented_at = pk, number, presented_at
        item.gsi1sk = item.gsi2sk = sort
        receipts = []
        if serial % 3:  # two in three confirmed: 要確認 is the rest
            receipt = self.ReceiptItem.from_raw_data(self.receipt.serialize())
            receipt.pk, receipt.contract_number = pk, number
            receipt.received_at = presented_at + timedelta(hours=3)
            receipts.append(receipt)
        for name_, value in self.desk_fields(item, contract, records, receipts).items():
            setattr(item, name_, value)
        return [contract, *records, item, *receipts]

    def seed(self, cloud: LocalCloud, table: str, start: int, stop: int) -> float:
        """Guarantees start..stop-1, 25 items a BatchWriteItem; returns the seconds taken."""
        dynamodb = cloud.client("dynamodb")
        began = time.perf_counter()
        pending: list[dict] = []

        def flush(requests: list[dict]) -> None:
            while requests:
                answer = dynamodb.batch_write_item(RequestItems={table: requests})
                requests = answer.get("UnprocessedItems", {}).get(table, [])

        for serial in range(start, stop):
            for model in self.items(serial):
                pending.append({"PutRequest": {"Item": model.serialize()}})
                if len(pending) == 25:
                    flush(pending)
                    pending = []
        flush(pending)
        return time.perf_counter() - began


# ----------------------------------------------------------------------------- measures


def timed_pages(base: str, token: str, path: str, requests: int, expected: int | None = None) -> dict:
    for _ in range(WARM_UP):
        status, page = call(base, "GET", path, token)
        assert status == 200, page
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        status, page = call(base, "GET", path, token)
        times.append(time.perf_counter() - began)
        assert status == 200, page
    return {**summary_ms(times), "rows": len(page["items"]), "more": bool(page["next_cursor"])}


def timed_exports(base: str, token: str, encoding: str, runs: int, expected_rows: int) -> dict:
    calls, downloads, size = [], [], 0
    for _ in range(runs):
        began = time.perf_counter()
        status, answer = call(base, "GET", f"/desk/export?format=csv&encoding={encoding}", token)
        calls.append(time.perf_counter() - began)
        assert status == 200, answer
        assert answer["rows"] == expected_rows, (answer["rows"], expected_rows)
        began = time.perf_counter()
        with urllib.request.urlopen(answer["url"], timeout=120) as response:
            size = len(response.read())
        downloads.append(time.perf_counter() - began)
    return {"call_s": round(statistics.median(calls), 2), "call_max_s": round(max(calls), 2),
            "download_s": round(statistics.median(downloads), 2), "kB": round(size / 1024), "rows": expected_rows, "n": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--exports", type=int, default=3)
    parser.add_argument("--keep", help="a folder for the local cloud (default: a temporary one, removed)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ensure_venv(log=lambda *_: None)
    scratch = tempfile.TemporaryDirectory() if not args.keep else None
    folder = Path(args.keep or scratch.name) / "cloud"
    cloud = LocalCloud(folder, free_port())
    results = []
    try:
        began = time.perf_counter()
        deployed = start_and_deploy(cloud, log=lambda *_: None)
        outputs, base = deployed["outputs"], deployed["api_url"]
        print(json.dumps({"deployed_s": round(time.perf_counter() - began, 1)}), flush=True)
        os.environ.update({
            "AWS_ENDPOINT_URL": cloud.endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "ap-northeast-1", "AWS_REGION": "ap-northeast-1",
            "TABLE_NAME": outputs["TableName"], "BUCKET_NAME": outputs["BucketName"],
        })
        os.environ.pop("AWS_PROFILE", None)
        tokens = {role: demo.id_token(cloud, outputs, role) for role in ("contractor", "staff", "orderer", "orderer-works")}
        real = real_guarantees(base, tokens)
        seeder = Seeder(real)
        have = 0
        for size in sizes:
            seeded_s = seeder.seed(cloud, outputs["TableName"], have, size - len(real))
            have = size - len(real)
            load = os.getloadavg()[0]
            status, page = call(base, "GET", "/desk/guarantees?limit=1", tokens["orderer"])
            result = {
                "size": size,
                "seeded_s": round(seeded_s, 1),
                "first page": timed_pages(base, tokens["orderer"], "/desk/guarantees", args.requests),
                "attention+contract": timed_pages(base, tokens["orderer"], "/desk/guarantees?view=attention&product=contract", args.requests),
                "attention+contract by expiry": timed_pages(
                    base, tokens["orderer"], "/desk/guarantees?view=attention&product=contract&sort=expiry", args.requests),
                "department (works)": timed_pages(base, tokens["orderer-works"], "/desk/guarantees", args.requests),
                "export cp932": timed_exports(base, tokens["orderer"], "cp932", args.exports, size),
                "export utf-8": timed_exports(base, tokens["orderer"], "utf-8", args.exports, size),
                "load average (1 min) before / after": [round(load, 1), round(os.getloadavg()[0], 1)],
            }
            results.append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        cloud.stop(timeout=600)
        if scratch is not None:
            scratch.cleanup()
    print()
    print("| Guarantees | first page p95 | attention+contract p95 | same, by 保証期限 p95 | department p95 | export CP932 | export UTF-8 |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['size']:,} | {r['first page']['p95']} ms | {r['attention+contract']['p95']} ms | "
              f"{r['attention+contract by expiry']['p95']} ms | {r['department (works)']['p95']} ms | "
              f"{r['export cp932']['call_s']} s | {r['export utf-8']['call_s']} s |")
    missed = [r["size"] for r in results if max(r[k]["p95"] for k in ("first page", "attention+contract", "department (works)")) > PAGE_TARGET_MS]
    slow = [r["size"] for r in results if r["size"] >= 10_000 and r["export cp932"]["call_s"] > EXPORT_TARGET_S]
    print(json.dumps({"page target missed at": missed, "export target missed at": slow}))


if __name__ == "__main__":
    main()
