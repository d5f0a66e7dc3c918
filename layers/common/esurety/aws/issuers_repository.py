"""The issuer registry in the table: one partition, read whole or by issuer id."""
from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import PutError

from .models import IssuerItem, condition_failed


def all_data() -> list[dict]:
    """Every entry's data (Issuer.to_json()), by issuer id."""
    return [item.data for item in IssuerItem.query(IssuerItem.PK)]


def data(issuer_id: str) -> dict | None:
    """One entry's data; None if the registry has no such issuer."""
    try:
        return IssuerItem.get(*IssuerItem.key(issuer_id)).data
    except IssuerItem.DoesNotExist:
        return None


def save(issuer_id: str, entry: dict) -> None:
    """Write one entry; keyed by its id, so writing it again replaces it."""
    IssuerItem(*IssuerItem.key(issuer_id), issuer_id=issuer_id, data=entry).save()


def save_if_absent(issuer_id: str, entry: dict) -> bool:
    """Write an entry no one has written yet; False if the registry already has it (kept as it is)."""
    try:
        IssuerItem(*IssuerItem.key(issuer_id), issuer_id=issuer_id, data=entry).save(condition=IssuerItem.pk.does_not_exist())
        return True
    except PutError as error:
        if condition_failed(error):
            return False
        raise


def save_all(entries: Iterable[tuple[str, dict]]) -> None:
    with IssuerItem.batch_write() as batch:
        for issuer_id, entry in entries:
            batch.save(IssuerItem(*IssuerItem.key(issuer_id), issuer_id=issuer_id, data=entry))
