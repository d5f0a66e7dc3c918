"""The contractor's screens: 保証契約一覧, 電子保証概要, 認証キー, 電子保証履歴一覧.

Also the reads the commands (services/commands/) and the views (services/views/) share: a contract's
versions and shown chain, a version's record, which notice a version records and its link, the
解約 statement's link. This module imports no command, so nothing imports in a circle."""
from __future__ import annotations

import urllib.parse
from datetime import date

from ..domain.guarantee import certificates, file_names, lifecycle
from ..domain.japanese import clock, text
from ..domain.identifiers import contract_number
from ..aws import bucket_keys, contracts_repository, keys, storage
from ..domain.guarantee.certificates import CHANGE_CANCELLATION, PUBLISHED
from ..domain.identifiers.contract_number import ContractNumberError
from ..domain.errors import Conflict, InputError, NotFound, Problem
from ..domain.identity import Caller
from ..aws.models import ContractItem, VersionItem, ViewItem, company_key
from ..domain.catalogue.products import label
from . import cursors, issuers


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


# ------------------------------------------------------------------------- 保証契約一覧

READ_BUDGET = 200  # contracts read per request, whatever the filters (as the desk: services/views/desk.py)
DEFAULT_LIMIT, MAX_LIMIT = 50, 100
STATUSES = (lifecycle.VALID, lifecycle.EXPIRED, lifecycle.TERMINATED, lifecycle.CLAIMED)
MAX_QUERY = 100
_CURSOR_INDEX = "company-contracts"  # what a cursor of this list names, so another list's is refused


def _encode_cursor(item: ContractItem) -> str:
    return cursors.encode(_CURSOR_INDEX, cursors.position(item, "gsi2"))


def _decode_cursor(cursor: str | None, partition: str) -> dict | None:
    """The start key of a cursor this list gave for this company; 422 `cursor` for any other
    (another company's, another list's, or none at all): a cursor never opens another partition."""
    return cursors.decode(cursor, _CURSOR_INDEX, "gsi2pk", partition)


def _list_status(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in STATUSES:
        raise InputError(Problem("status", "invalid_choice", f"must be one of {', '.join(STATUSES)}"))
    return value


def _list_limit(value: int | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not 1 <= value <= MAX_LIMIT:
        raise InputError(Problem("limit", "too_large" if value > MAX_LIMIT else "too_small", f"must be 1 to {MAX_LIMIT}"))
    return value


def search_text(value: str) -> str:
    """What the q search compares: NFKC (full-width letters and digits as typed), hyphen-likes as
    '-', no spaces, lower case; the typed words and the stored 工事名 and number alike."""
    return text.compact_code(value).lower()


def list_status(contract: ContractItem, today: date) -> str:
    """The row's 状態 as of today, from the contract's latest content (its 保証期限) and a recorded
    解約 / 履行請求: one read per row, no version records (the overview reads those)."""
    deadline = date.fromisoformat(contract.content["guarantee_deadline"])
    return lifecycle.status(deadline, today, ending_of(contract))


def contract_row(contract: ContractItem, today: date, seen: dict | None = None) -> dict:
    status = list_status(contract, today)
    content = contract.content
    return {
        "contract_number": contract.contract_number,
        "issuer": issuers.ref_of(contract, seen),
        "contractor_name": content["contractor"]["name"],
        "jv_name": content["contractor"].get("jv_name"),
        "work_name": content["work_name"],
        "orderer_name": contract.orderer_name,
        "contract_price": content["contract_price"],
        "guarantee_amount": content["guarantee_amount"],
        "guarantee_deadline": content["guarantee_deadline"],
        "product": contract.product,
        "product_label": label(contract.product),
        "deposit_bank": content.get("deposit_bank"),
        "format": contract.format,
        "status": status,
        "status_label": lifecycle.STATUS_LABELS[status],
        "pending_change": contract.pending_change is not None,
    }


def list_for_company(
    caller: Caller, *, status: str | None = None, q: str | None = None, cursor: str | None = None, limit: int | None = None,
) -> dict:
    """保証契約一覧: the company's contracts by number, with 状態, filtered by 状態 and by a search of the
    工事名 or the number (a part of either, typed full-width or lower-case as well).

    A Query on the company index (gsi2), at most READ_BUDGET items per request: the filters are
    applied to what was read, and the page ends with a cursor where the page filled or the budget
    ran out, so a page costs the same for a company with 10 contracts as for one with 10,000. A
    whole number typed as q is one GetItem (this company's, else nothing)."""
    status = _list_status(status)
    limit = _list_limit(limit)
    if q is not None and len(q) > MAX_QUERY:
        raise InputError(Problem("q", "too_long", f"must be at most {MAX_QUERY} characters"))
    partition = company_key(caller.company_id)
    start = _decode_cursor(cursor, partition)
    wanted = search_text(q) if q else ""
    today, seen = clock.today(), {}

    def keep(contract: ContractItem) -> bool:
        if status and list_status(contract, today) != status:
            return False
        return not wanted or wanted in search_text(contract.content["work_name"]) or wanted in search_text(contract.contract_number)

    exact = _typed_number(q)
    if exact is not None:
        if start is not None:
            return {"contracts": [], "next_cursor": None}  # the one row was the first page
        try:
            contract = contracts_repository.get(exact, consistent=False)
        except ContractItem.DoesNotExist:
            return {"contracts": [], "next_cursor": None}
        mine = contract.company_id == caller.company_id and (not status or list_status(contract, today) == status)
        return {"contracts": [contract_row(contract, today, seen)] if mine else [], "next_cursor": None}

    rows, read, last = [], 0, None
    for contract in contracts_repository.company_page(caller.company_id, start, READ_BUDGET):
        read += 1
        last = contract
        if not keep(contract):
            continue
        rows.append(contract_row(contract, today, seen))
        if len(rows) == limit:
            break
    # A full page stops at the last row it took, a spent budget at the last item it read: both may
    # have more after them. A query read to its end has none.
    more = last is not None and (len(rows) == limit or read == READ_BUDGET)
    return {"contracts": rows, "next_cursor": _encode_cursor(last) if more else None}


def _typed_number(q: str | None) -> str | None:
    """The canonical number when q is a whole contract number (full-width, lower-case, without
    hyphens: contract_number.parse reads it as typed), else None."""
    if not q:
        return None
    try:
        return contract_number.normalise(q)
    except ContractNumberError:
        return None


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
    shown = shown_chain(contract) if contract.format == "electronic" else []
    if version is not None:
        shown = [s for s in shown if s.version == version]
    if not shown:
        raise NotFound("notice")
    record = shown[-1]
    return storage.download_link(current_notice(contract, record.record), file_names.notice(number, record.label))


def document_of(contract: ContractItem) -> str | None:
    """The kind of document the contract's issuer issues for its product (保証証書 / 保証証券 / 保証書),
    which a certificate's download name says; None (named 保証証書) when the registry has none."""
    try:
        found = issuers.issuer_of(contract).document_for(contract.product)
    except (LookupError, ValueError):
        return None
    return found.value if found is not None else None


def certificate_file(contract: ContractItem, shown: lifecycle.Shown) -> file_names.FileName:
    """The name a shown version's certificate is saved under: `保証証書_{number}_{label}.pdf`."""
    return file_names.certificate(contract.contract_number, shown.label, document_of(contract))


def record_files(number: str, record: VersionItem, shown: bool) -> tuple[file_names.FileName, file_names.FileName]:
    """(certificate, fee statement) names of a stored record as staff open it: under its label (a
    変更取消's statement as 「変更ー k 変更取消」, as the contractor's list names it), and said so when
    the record is no longer shown (replaced by a 訂正, or withdrawn): two records never share a name."""
    label_ = lifecycle.label(record.change_number)
    hidden = not shown
    if record.kind == CHANGE_CANCELLATION:
        label_, hidden = f"{label_} 変更取消", False
    refund = record.fee_kind == "refund"
    return (
        file_names.certificate(number, label_, superseded=hidden),
        file_names.fee_statement(number, label_, refund, superseded=hidden),
    )


def shown_version(caller: Caller, number: str, version: int) -> tuple[ContractItem, lifecycle.Shown]:
    """A version the contractor is shown (新規, 変更ー n: the chain's), else 404."""
    number, version = path_number(number), path_version(version)
    contract = load_for_company(caller, number)
    for shown in shown_chain(contract):
        if shown.version == version:
            return contract, shown
    raise NotFound("certificate")


def certificate_url(caller: Caller, number: str, version: int) -> dict:
    """The link to a shown version's certificate PDF, and the certificate as that version states it
    (the window of an earlier version shows its whole content, as the one in force does)."""
    contract, shown = shown_version(caller, number, version)
    number = contract.contract_number
    return {
        **storage.download_link(shown.record.s3_key, certificate_file(contract, shown)),
        "label": shown.label,
        "certificate": certificates.certificate_json(shown.record, shown.change_number),
    }


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
            return storage.download_link(key, file_names.fee_statement(number, entry["label"], entry["kind"] == "refund"))
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
    return storage.download_link(key, file_names.termination_statement(number))
