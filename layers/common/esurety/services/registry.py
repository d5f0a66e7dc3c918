"""The orderer registry, read from the table."""
from __future__ import annotations

from ..domain.catalogue import orderers
from ..aws import orderers_repository
from ..domain.catalogue.orderers import Orderer


def list_orderers() -> list[Orderer]:
    return [orderers.from_json(entry) for entry in orderers_repository.all_data()]


def get_orderer(orderer_id: str) -> Orderer | None:
    entry = orderers_repository.data(orderer_id)
    return orderers.from_json(entry) if entry is not None else None


def orderer_for(request: dict) -> Orderer | None:
    """The orderer a stored application names: the registry's entry, or the one typed for paper.

    None when the application names an orderer_id that is (no longer) in the registry.
    """
    typed = request.get("orderer")
    if typed:
        return orderers.outside_registry(typed["name"], typed["beneficiary_name"])
    return get_orderer(request["orderer_id"]) if request.get("orderer_id") else None


def save(entries: list[Orderer]) -> int:
    orderers_repository.save_all((entry.orderer_id, entry.to_json()) for entry in entries)
    return len(entries)


def seed() -> int:
    """Write the packaged registry (idempotent: entries are keyed by orderer_id)."""
    return save(orderers.seed())
