"""Time of the desk's CSV export (`esurety.domain.desk_export.csv_export`) over 100, 1,000 and 10,000 rows.

    PYTHONPATH=layers/common .venv/bin/python bench/desk_export.py [--runs 5]

Only the file is measured (rows in memory → CSV bytes), in both encodings, for plain rows and for
rows that each hold a character CP932 cannot (𠮷) and one Windows writes differently from Python
(髙): those take the per-cell path. The issue's budget is 10 s for an export of 10,000 rows in all
(reading the desk and the upload come on top); this part must stay a small, linear share of it.
Prints a table (median of `--runs` runs, ms) and one JSON line.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "common"))

from esurety.domain.desk_export import csv_export  # noqa: E402

SIZES = (100, 1_000, 10_000)


def rows(count: int, hard: bool) -> list[dict]:
    return [
        {
            "contract_number": f"31073-{i:05d}M",
            "issuer_name": "見本保証株式会社",
            "product_name": "前払金保証",
            "project_name": ("𠮷野川" if hard else "県道宇都宮見本線") + f"道路改良工事（その{i % 9 + 1}）",
            "contractor_name": ("髙﨑建設株式会社" if hard else "見本建設株式会社"),
            "amount": 50_000_000 + i,
            "expiry": "2027-03-31",
            "label": "変更ー1",
            "status_label": "有効",
            "department_name": "県土整備部 技術管理課",
            "via": "submission" if i % 2 else "key",
            "presented_at": "2026-12-06T10:00:00+09:00",
            "receipt": {"label": "変更ー1", "received_at": "2026-12-07T09:30:00+09:00", "current": True} if i % 3 else None,
            "needs_attention": not i % 3,
        }
        for i in range(count)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    results = []
    print(f"{'rows':>7} {'encoding':>8} {'rows with 𠮷/髙':>15} {'median ms':>10} {'kB':>8} {'substituted':>12}")
    for size in SIZES:
        for hard in (False, True):
            data = rows(size, hard)
            for encoding in ("utf-8", "cp932"):
                times = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    body, substituted = csv_export(data, encoding)
                    times.append((time.perf_counter() - start) * 1000)
                median = statistics.median(times)
                results.append({"rows": size, "encoding": encoding, "hard": hard, "ms": round(median, 1),
                                "bytes": len(body), "substituted": len(substituted)})
                print(f"{size:>7} {encoding:>8} {'yes' if hard else 'no':>15} {median:>10.1f} {len(body) / 1000:>8.0f} {len(substituted):>12}")
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
