"""Give the contracts written before the staff's search index their index entries (once, after deploying it).

    python -m tools.contract_index [--local | --stack NAME | --table T] [--endpoint URL] backfill

Contracts issued since the index existed have their entries from the start; the ones written
before it are not listed by GET /staff/contracts (a number typed whole still finds them) until
this ran. It reads each issuer's queues of applications (Queries, no scan) and writes each
contract's entries on the condition that no staff action changed it meanwhile; running it again
writes the same values (docs/operations.md, "The staff's search index").
"""
from __future__ import annotations

import argparse
import sys

from tools.issuers import ROOT, Refused, resolve_target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.contract_index", description=__doc__.splitlines()[0])
    where = parser.add_argument_group("the stack")
    where.add_argument("--local", action="store_true", help="the local cloud `make run` runs")
    where.add_argument("--stack", help="a deployed stack's name (its table is read from it)")
    where.add_argument("--table", help="the table (default: the stack's, else $TABLE_NAME)")
    where.add_argument("--endpoint", help="an AWS endpoint URL (a local cloud: its test credentials are used)")
    parser.add_argument("command", choices=["backfill"])
    args = parser.parse_args(argv)
    args.stage = "-"  # no key or parameter is named here: the stage does not matter
    sys.path.insert(0, str(ROOT / "layers" / "common"))
    try:
        target = resolve_target(args)
    except Refused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 2
    from esurety.services.commands import contract_index  # after TABLE_NAME: the models read it at import

    for issuer_id, count in contract_index.backfill().items():
        print(f"{target.table} {issuer_id}: {count} contracts indexed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
