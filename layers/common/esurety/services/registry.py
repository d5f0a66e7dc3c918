"""The orderer registry, read from the table."""
from __future__ import annotations

from ..domain.catalogue import orderers
from ..aws.models import OrdererItem
from ..domain.catalogue.orderers import Orderer


def list_orderers() -> list[Orderer]:
    return [orderers.from_json(item.data) for item in OrdererItem.query(OrdererItem.PK)]


def get_orderer(orderer_id: str) -> Orderer | None:
    pk, sk = OrdererItem.key(orderer_id)
    try:
        return orderers.from_json(OrdererItem.get(pk, sk).data)
    except OrdererItem.DoesNotExist:
        return None


def orderer_for(request: dict) -> Orderer | None:
    """The orderer a stored application names: the registry's entry, or the one typed for paper.

    None when the application names an orderer_id that is (no longer) in the registry.
    """
    typed = request.get("orderer")
    if typed:
        return orderers.outside_registry(typed["name"], typed["beneficiary_name"])
    return get_orderer(request["orderer_id"]) if request.get("orderer_id") else None


def save(entries: list[Orderer]) -> int:
    with OrdererItem.batch_write() as batch:
        for entry in entries:
            pk, sk = OrdererItem.key(entry.orderer_id)
            batch.save(OrdererItem(pk, sk, orderer_id=entry.orderer_id, data=entry.to_json()))
    return len(entries)


def seed() -> int:
    """Write the packaged registry (idempotent: entries are keyed by orderer_id)."""
    return save(orderers.seed())
