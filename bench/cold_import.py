"""Cold import time of each Lambda handler module, next to a bare `import boto3`, in one run.

Each sample is a fresh interpreter (what a cold start pays before the first event), so the
numbers include the esurety package, Powertools, PynamoDB, pydantic and boto3 itself. The
targets are sampled in turn (boto3, apply, verify, ..., boto3, apply, ...), so a machine that gets
busier half-way through slows the baseline as much as the handlers; each ratio is a median over
the baseline's median, both from this run.

Targets (docs/performance.md, "Cold import"): the cold import of apply and verify at most 1.5x the
baseline, of issue and publish at most 2.5x; twice that for a function on SnapStart (read from
infra/template.yaml), since a restored environment does not import at all.

For a function on SnapStart two more figures are printed, not targets:
- snapshot init: the import plus the before-snapshot hooks (what publishing a version runs once,
  e.g. loading pyHanko into the snapshot; no request waits for it);
- after-restore hooks: what a restored environment runs before its first event.

The handlers are imported as on Lambda: LAMBDA_TASK_ROOT set and tracing not disabled, so each
handler's Powertools Tracer is enabled (it imports aws-xray-sdk and patches botocore, as there).
One more row, not a target: verify with its Tracer disabled, to show what tracing costs.

    .venv/bin/python bench/cold_import.py [--runs 9] [--markdown]

The esurety package is imported from this tree's layers/common (as Lambda puts the layer's
python/ folder on sys.path), whatever the interpreter's own site-packages hold.
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
BASELINE = "import boto3"
HANDLERS = {
    "functions/apply/app.py": ("ApplyFunction", 1.5),
    "functions/verify/app.py": ("VerifyFunction", 1.5),
    "functions/issue/app.py": ("IssueFunction", 2.5),
    "functions/issue/publish.py": ("PublishFunction", 2.5),
}
SNAPSTART_FACTOR = 2
# As on Lambda: Powertools enables the Tracer only where LAMBDA_TASK_ROOT is set.
ON_LAMBDA = {"LAMBDA_TASK_ROOT": "/var/task"}
EXTRAS = {  # name -> (handler, environment on top of ENV)
    "functions/verify/app.py (Tracer disabled)": ("functions/verify/app.py", {"POWERTOOLS_TRACE_DISABLED": "true"}),
}
PROBE = r"""
import importlib.util, json, sys, time
layer, target, extra, mode = sys.argv[1:5]
start = time.perf_counter()
sys.path.insert(0, layer)
if target == "import boto3":
    import boto3
else:
    spec = importlib.util.spec_from_file_location("handler", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    exec(extra)
restore = 0.0
if mode == "snapshot":  # as Lambda publishing a SnapStart version, then one restored environment
    from snapshot_restore_py import get_after_restore, get_before_snapshot

    for func, args, kwargs in reversed(get_before_snapshot()):
        func(*args, **kwargs)
    restored = time.perf_counter()
    for func, args, kwargs in get_after_restore():
        func(*args, **kwargs)
    restore = time.perf_counter() - restored
    start += restore
print(json.dumps({"init": time.perf_counter() - start, "restore": restore}))
"""
ENV = {
    "AWS_DEFAULT_REGION": "ap-northeast-1",
    "AWS_REGION": "ap-northeast-1",
    "TABLE_NAME": "bench",
    "POWERTOOLS_SERVICE_NAME": "bench",
    # No X-Ray daemon listens here: the segments an enabled Tracer would send go nowhere (UDP).
}


def snapstart_functions() -> set[str]:
    sys.path.insert(0, str(ROOT))
    from tools.localcloud.deploy import load_template

    resources = load_template()["Resources"]
    return {
        name for name, resource in resources.items()
        if ((resource.get("Properties") or {}).get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions"
    }


def sample(target: str, extra: str = "", mode: str = "import", env_extra: dict | None = None) -> dict[str, float]:
    env = {**os.environ, **ENV}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm-up writes the .pyc files, as the layer ships them
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    if target != BASELINE:
        env.update(ON_LAMBDA)
    env.update(env_extra or {})
    path = target if target == BASELINE else str(ROOT / target)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "layers" / "common"), path, extra, mode],
        capture_output=True, text=True, env=env, check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    args = parser.parse_args()

    snapstart = snapstart_functions()
    # name -> (target, extra code, mode)
    targets = {BASELINE: (BASELINE, "", "import")}
    targets.update({name: (name, "", "import") for name in HANDLERS})
    targets.update({
        f"{name} (snapshot init)": (name, "", "snapshot")
        for name, (logical, _) in HANDLERS.items() if logical in snapstart
    })
    targets.update({name: (target, "", "import", env) for name, (target, env) in EXTRAS.items()})
    for spec in targets.values():
        sample(*spec)  # warm the page cache and the .pyc files; Lambda's are warm on disk too
    times: dict[str, list[float]] = {name: [] for name in targets}
    restores: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(args.runs):
        for name, spec in targets.items():
            measured = sample(*spec)
            times[name].append(measured["init"])
            restores[name].append(measured["restore"])

    base = statistics.median(times[BASELINE])
    rows = []
    for name, samples in times.items():
        median = statistics.median(samples)
        row = {"target": name, "median_ms": round(median * 1000, 1), "min_ms": round(min(samples) * 1000, 1),
               "ratio": round(median / base, 2)}
        if name in HANDLERS:
            logical, limit = HANDLERS[name]
            on_snapstart = logical in snapstart
            row.update(snapstart=on_snapstart, limit=limit * (SNAPSTART_FACTOR if on_snapstart else 1))
            row["meets"] = row["ratio"] <= row["limit"]
        if targets[name][2] == "snapshot":
            row["after_restore_hooks_ms"] = round(statistics.median(restores[name]) * 1000, 2)
        rows.append(row)

    print(f"python {sys.version.split()[0]}, {args.runs} fresh interpreters per target, sampled in turn")
    width = max(len(r["target"]) for r in rows)
    for r in rows:
        notes = ""
        if "limit" in r:
            notes = f"  target <= {r['limit']:.1f}x{' (SnapStart)' if r['snapstart'] else ''}: {'ok' if r['meets'] else 'MISSED'}"
        if "after_restore_hooks_ms" in r:
            notes = f"  after-restore hooks {r['after_restore_hooks_ms']:.2f} ms"
        print(f"{r['target']:<{width}}  median {r['median_ms']:7.1f} ms  min {r['min_ms']:7.1f} ms  {r['ratio']:5.2f}x{notes}")
    if args.markdown:
        print()
        print("| Target | Median | Min | × boto3 | Target |")
        print("|---|---|---|---|---|")
        for r in rows:
            limit = f"≤ {r['limit']:.1f}×{' (SnapStart)' if r['snapstart'] else ''}" if "limit" in r else ""
            if "after_restore_hooks_ms" in r:
                limit = f"after-restore hooks {r['after_restore_hooks_ms']:.2f} ms"
            print(f"| `{r['target']}` | {r['median_ms']:.0f} ms | {r['min_ms']:.0f} ms | {r['ratio']:.2f} | {limit} |")
    print(json.dumps(rows, ensure_ascii=False))


if __name__ == "__main__":
    main()
