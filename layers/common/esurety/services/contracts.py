"""The contractor's screens: 保証契約一覧, 電子保証概要, 認証キー, 電子保証履歴一覧.

Also the reads the commands (services/commands/) and the views (services/views/) share: a contract's
versions and shown chain, a version's record, which notice a version records and its link, the
解約 statement's link. This module imports no command, so nothing imports in a circle."""
from __future__ import annotations

import urllib.parse
from datetime import date

from ..domain.guarantee import certificates, lifecycle
from ..domain.japanese import clock
from ..domain.identifiers import contract_number
from ..aws import bucket_keys, contracts_repository, keys, storage
from ..domain.guarantee.certificates import CHANGE_CANCELLATION, PUBLISHED
from ..domain.identifiers.contract_number import ContractNumberError
from ..domain.errors import Conflict, InputError, NotFound, Problem
from ..domain.identity import Caller
from ..aws.models import ContractItem, VersionItem, ViewItem
from ..domain.catalogue.products import label
from . import issuers


MAX_VERSION = 999  # version sort keys are VERSION#{version:03d}

# The 409 of a notice link when the version has no notice printing the key in force.
NOT_RENEWED = "notice_not_renewed"


def path_number(number: str) -> str:
    """A contract number from a path, in its canonical form; 422 on `number` before any lookup.
    A path still percent-encoded (a proxy that does not decode it as the HTTP API does) is read
    decoded: a number has no `%`."""
    if isinstance(number, str) and "%" in number:
        number = urllib.parse.unquote(number)
    try:
        return contract_number.normalise(number)
    except ContractNumberError as error:
        raise InputError(Problem("number", "not_contract_number", f"is not a contract number: {error}")) from None


def path_version(version: int) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise InputError(Problem("version", "invalid_version", f"must be a version number 1 to {MAX_VERSION}"))
    return version


def load_for_company(caller: Caller, number: str) -> ContractItem:
    number = path_number(number)
    try:
        contract = contracts_repository.get(number, consistent=False)
    except ContractItem.DoesNotExist:
        raise NotFound("contract") from None
    if contract.company_id != caller.company_id:
        raise NotFound("contract")  # another company's contract does not exist for this caller
    return contract


def in_effect(records: list[VersionItem], electronic: bool) -> list[VersionItem]:
    """The records that have taken effect: an electronic certificate once it arrived on the
    platform (published), a paper one once rendered, a 変更取消 when staff recorded it."""
    return [r for r in records if r.kind == CHANGE_CANCELLATION or not electronic or r.state == PUBLISHED]


def shown_chain(contract: ContractItem, records: list[VersionItem] | None = None) -> list[lifecycle.Shown]:
    """The valid chain as the contractor and the orderer see it: 新規, 変更ー1 … (訂正 in place)."""
    if records is None:
        records = contracts_repository.versions(contract.contract_number)
    return lifecycle.valid_chain(in_effect(records, contract.format == "electronic"))


def visible_versions(contract: ContractItem) -> list[VersionItem]:
    return [shown.record for shown in shown_chain(contract)]


def ending_of(contract: ContractItem) -> lifecycle.Ending | None:
    if not contract.ending:
        return None
    return lifecycle.Ending(contract.ending["kind"], date.fromisoformat(contract.ending["date"]))


def status_json(contract: ContractItem, chain: list[lifecycle.Shown]) -> dict:
    """valid | expired (期限満了, computed from the deadline in force) | terminated (解約) | claimed."""
    if not chain:
        return {"status": None, "status_label": None, "ending": None}
    deadline = date.fromisoformat(chain[-1].record.content["guarantee_deadline"])
    status = lifecycle.status(deadline, clock.today(), ending_of(contract))
    ending = None
    if contract.ending:
        ending = {k: contract.ending.get(k) for k in ("kind", "date", "reason")}
    return {"status": status, "status_label": lifecycle.STATUS_LABELS[status], "ending": ending}


def chain_valid(contract: ContractItem, records: list[VersionItem]) -> bool:
    """Whether the hash chain of the shown records holds (lifecycle.chain_holds)."""
    return lifecycle.chain_holds(contract.contract_number, in_effect(records, contract.format == "electronic"))


def list_for_company(caller: Caller) -> list[dict]:
    items = contracts_repository.of_company(caller.company_id)
    seen: dict = {}
    return [
        {
            "contract_number": c.contract_number,
            "issuer": issuers.ref_of(c, seen),
            "contractor_name": c.content["contractor"]["name"],
            "jv_name": c.content["contractor"].get("jv_name"),
            "work_name": c.content["work_name"],
            "orderer_name": c.orderer_name,
            "contract_price": c.content["contract_price"],
            "guarantee_amount": c.content["guarantee_amount"],
            "product": c.product,
            "product_label": label(c.product),
            "deposit_bank": c.content.get("deposit_bank"),
            "format": c.format,
        }
        for c in items
    ]


def last_view(number: str) -> ViewItem | None:
    return next(iter(contracts_repository.views(number, latest_only=True)), None)


def detail(caller: Caller, number: str) -> dict:
    number = path_number(number)
    contract = load_for_company(caller, number)
    records = contracts_repository.versions(number)
    chain = shown_chain(contract, records)
    shown = [s.record for s in chain]
    view = last_view(number)
    key = None
    if contract.key_ciphertext and shown:
        key = keys.decrypt(contract.key_ciphertext, number)  # shown once issuance is complete
    return {
        "contract_number": number,
        "format": contract.format,
        "issuer": issuers.ref_of(contract),
        **status_json(contract, chain),
        "certificate": certificates.certificate_json(chain[-1].record, chain[-1].change_number) if chain else None,
        "auth_key": key,
        "history": certificates.history_json(chain),
        "fee_statements": [entry for entry, _ in fee_statements(contract, records)],
        "pending_change": contract.pending_change,
        # what a change applied for now would be shown as (the form says it; the front never builds a label)
        "next_change_label": lifecycle.label(chain[-1].change_number + 1) if chain else None,
        "receipts": receipts_json(number),
        "viewed_by_orderer_at": certificates.iso_jst(view.viewed_at) if view else None,
    }


def receipts_json(number: str) -> list[dict]:
    """受領確認: which orderer recorded receiving which version, and when."""
    return [
        {"version": int(r.version), "orderer_id": r.orderer_id, "orderer_name": r.orderer_name, "received_at": certificates.iso_jst(r.received_at)}
        for r in contracts_repository.receipts(number)
    ]


def notice_url(caller: Caller, number: str, version: int | None = None) -> dict:
    """The notice of a shown version (default: the one in force) printing the key in force, as its
    version records it; 409 `notice_not_renewed` when it records none for the key in force. The
    bucket is not asked: to a role that may not list it, a missing object answers 403, not 404."""
    number = path_number(number)
    version = path_version(version) if version is not None else None
    contract = load_for_company(caller, number)
    shown = visible_versions(contract) if contract.format == "electronic" else []
    if version is not None:
        shown = [v for v in shown if int(v.version) == version]
    if not shown:
        raise NotFound("notice")
    record = shown[-1]
    return storage.download_link(current_notice(contract, record), f"notice-{number}-v{int(record.version):03d}.pdf")


def certificate_url(caller: Caller, number: str, version: int) -> dict:
    number, version = path_number(number), path_version(version)
    contract = load_for_company(caller, number)
    for shown in visible_versions(contract):
        if int(shown.version) == version:
            return storage.download_link(shown.s3_key, f"certificate-{number}-v{version:03d}.pdf")
    raise NotFound("certificate")


def fee_statements(contract: ContractItem, records: list[VersionItem]) -> list[tuple[dict, str]]:
    """The contractor's fee statements, each (its entry, its key), in version order.

    Those of the shown versions, under their labels; and for each 変更取消, the withdrawn change's
    statement (what it charged or returned, labelled 「（取消）」) beside the cancellation's own,
    which reverses it (services/commands/corrections.py; listed once stored, i.e. its e-mail claimed).
    """
    out = []
    for shown in shown_chain(contract, records):
        record = shown.record
        if record.fee is not None:
            out.append((int(record.version), shown.label, False, record))
    by_version = {int(r.version): r for r in records}
    for cancellation in records:
        if cancellation.kind != CHANGE_CANCELLATION or cancellation.notified_at is None:
            continue
        withdrawn = by_version.get(int(cancellation.target_version or 0))
        while withdrawn is not None and withdrawn.kind == certificates.CORRECTION:
            withdrawn = by_version.get(int(withdrawn.target_version or 0))
        name = lifecycle.label(cancellation.change_number)
        if withdrawn is not None and withdrawn.fee is not None and withdrawn.fee_s3_key:
            out.append((int(withdrawn.version), f"{name}（取消）", True, withdrawn))
        if cancellation.fee is not None and cancellation.fee_s3_key:
            out.append((int(cancellation.version), f"{name} 変更取消", True, cancellation))
    return [
        (
            {"version": version, "label": label_, "fee": int(r.fee), "kind": r.fee_kind or "fee", "withdrawn": withdrawn},
            r.fee_s3_key,
        )
        for version, label_, withdrawn, r in sorted(out, key=lambda item: item[0])
        if r.fee_s3_key or not withdrawn
    ]


def fee_statement_url(caller: Caller, number: str, version: int) -> dict:
    number, version = path_number(number), path_version(version)
    contract = load_for_company(caller, number)
    for entry, key in fee_statements(contract, contracts_repository.versions(number)):
        if entry["version"] == version and key:
            return storage.download_link(key, f"fee-statement-{number}-v{version:03d}.pdf")
    raise NotFound("fee statement")


def termination_statement_url(caller: Caller, number: str) -> dict:
    """The 保証料返還計算書 of a recorded 解約, once stored (services/commands/endings.py)."""
    contract = load_for_company(caller, path_number(number))
    link = statement_link(contract)
    if link is None:
        raise NotFound("termination statement")
    return link


def record_of(records: list[VersionItem], version: int) -> VersionItem:
    """`version`'s record among `records`; 404 for a version that was never written."""
    for record in records:
        if int(record.version) == version:
            return record
    raise NotFound("version")


def notice_generation_of(version: VersionItem) -> int | None:
    """The key generation the version's recorded notice prints; None when it records none."""
    if version.notice_generation is not None:
        return int(version.notice_generation)
    if version.notice_s3_key:  # recorded before generations were: the key names it
        return bucket_keys.notice_generation(version.notice_s3_key)
    return None


def current_notice(contract: ContractItem, version: VersionItem) -> str:
    """The S3 key of `version`'s notice printing the live key; 409 (NOT_RENEWED) when it has none."""
    if notice_generation_of(version) == int(contract.key_generation or 1):
        return version.notice_s3_key
    raise Conflict(
        NOT_RENEWED,
        "this version has no notice with the auth key in force yet; ask for the key to be issued again",
        message="この版の「認証キーのお知らせ」は、現在の認証キーではまだ作成されていません。",
    )


def statement_link(contract: ContractItem) -> dict | None:
    """The 保証料返還計算書 of a 解約, once stored (its e-mail is claimed only after the put)."""
    if not contract.ending or not contract.ending.get("statement_s3_key") or contract.ending_notified_at is None:
        return None
    number = contract.contract_number
    owner = record_of(contracts_repository.versions(number), int(contract.ending["version"])).record_id
    key = storage.owned(contract.ending["statement_s3_key"], owner)  # this contract's, not a lost life's
    if key is None:
        return None
    return storage.download_link(key, f"termination-{number}.pdf")
