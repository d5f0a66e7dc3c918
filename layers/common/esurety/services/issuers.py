"""The issuer registry, read from the table: who issues, what, under which document and key.

Read on every use (one GetItem), not cached: a suspended issuer stops taking applications at
once, and a newly registered one takes them at once, in every running function.
"""
from __future__ import annotations

from ..aws import issuers_repository
from ..domain.catalogue import issuer as issuer_catalogue
from ..domain.catalogue.issuer import DEFAULT_ISSUER_ID, Issuer, issuer_from_json, with_stack_urls


def _from_entry(entry: dict) -> Issuer:
    return issuer_from_json(with_stack_urls(entry))


def list_issuers() -> list[Issuer]:
    """Every issuer of the registry (retired ones too: what they issued is still shown), by id."""
    found = {entry["issuer_id"]: _from_entry(entry) for entry in issuers_repository.all_data()}
    if DEFAULT_ISSUER_ID not in found:  # a stack seeded before the registry existed
        found[DEFAULT_ISSUER_ID] = issuer_catalogue.load_issuer()
    return [found[key] for key in sorted(found)]


def get_issuer(issuer_id: str | None) -> Issuer | None:
    """The registry's issuer; None when there is no such issuer. No id: the default issuer."""
    issuer_id = issuer_id or DEFAULT_ISSUER_ID
    entry = issuers_repository.data(issuer_id)
    if entry is not None:
        return _from_entry(entry)
    return issuer_catalogue.load_issuer() if issuer_id == DEFAULT_ISSUER_ID else None


def issuer_of(record) -> Issuer:
    """The issuer of a stored application or contract (absent: the default issuer's)."""
    issuer_id = getattr(record, "issuer_id", None) if not isinstance(record, dict) else record.get("issuer_id")
    found = get_issuer(issuer_id)
    if found is None:  # a record's issuer is never deleted from the registry (retired, not removed)
        raise LookupError(f"issuer {issuer_id} of a stored record is not in the registry")
    return found


def ref(issuer: Issuer) -> dict:
    """The `issuer` of an answer (api/answers/issuers.IssuerRef): who issued, or is applied to."""
    return {"issuer_id": issuer.issuer_id, "name": issuer.name, "kind": issuer.kind.value, "kind_label": issuer.kind_label}


def register(issuer: Issuer) -> None:
    """Write (or replace) one registry entry."""
    issuers_repository.save(issuer.issuer_id, issuer.to_json())


def seed() -> int:
    """Write the packaged seed's entries the registry does not have yet (an entry once written,
    e.g. given its signing key by tools/issuers.py, is the registry's and is kept as it is)."""
    written = 0
    for entry in issuer_catalogue.seed_entries():
        issuer = issuer_from_json(entry)  # checked before anything is written
        written += issuers_repository.save_if_absent(issuer.issuer_id, issuer.to_json())
    return written
