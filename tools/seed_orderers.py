"""Write the packaged orderer registry (esurety/data/orderers.json) into the deployed table.

    TABLE_NAME=<stack output TableName> python tools/seed_orderers.py

Idempotent: entries are keyed by orderer_id, so running it again updates them in place.
"""
from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=os.environ.get("TABLE_NAME"), help="table name (default: $TABLE_NAME)")
    args = parser.parse_args()
    if not args.table:
        parser.error("give --table or set TABLE_NAME")
    os.environ["TABLE_NAME"] = args.table
    from esurety.services import registry  # after TABLE_NAME: the models read it at import

    print(f"seeded {registry.seed()} orderers into {args.table}")


if __name__ == "__main__":
    main()
