"""The orderer registry in the table: one partition, read whole or by orderer id."""
from __future__ import annotations

from collections.abc import Iterable

from .models import OrdererItem


def all_data() -> list[dict]:
    """Every entry's data (Orderer.to_json()), by orderer id."""
    return [item.data for item in OrdererItem.query(OrdererItem.PK)]


def data(orderer_id: str) -> dict | None:
    """One entry's data; None if the registry has no such orderer."""
    try:
        return OrdererItem.get(*OrdererItem.key(orderer_id)).data
    except OrdererItem.DoesNotExist:
        return None


def save_all(entries: Iterable[tuple[str, dict]]) -> None:
    """Write (orderer id, data) entries; each is keyed by its id, so writing one again replaces it."""
    with OrdererItem.batch_write() as batch:
        for orderer_id, entry in entries:
            batch.save(OrdererItem(*OrdererItem.key(orderer_id), orderer_id=orderer_id, data=entry))
