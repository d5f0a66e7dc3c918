"""The contractor's screens: 保証契約一覧, 電子保証概要, 認証キー, 電子保証履歴一覧."""
from __future__ import annotations

from .. import certificates, contract_number, keys, storage
from ..contract_number import ContractNumberError
from ..errors import InputError, NotFound, Problem
from ..identity import Caller
from ..models import ContractItem, VersionItem, ViewItem
from ..products import label


MAX_VERSION = 999  # version sort keys are VERSION#{version:03d}


def path_number(number: str) -> str:
    """A contract number from a path, in its canonical form; 422 on `number` before any lookup."""
    try:
        return contract_number.normalise(number)
    except ContractNumberError as error:
        raise InputError(Problem("number", f"is not a contract number: {error}")) from None


def path_version(version: int) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise InputError(Problem("version", f"must be a version number 1 to {MAX_VERSION}"))
    return version


def load_for_company(caller: Caller, number: str) -> ContractItem:
    number = path_number(number)
    try:
        contract = ContractItem.get(*ContractItem.key(number))
    except ContractItem.DoesNotExist:
        raise NotFound("contract") from None
    if contract.company_id != caller.company_id:
        raise NotFound("contract")  # another company's contract does not exist for this caller
    return contract


def versions(number: str) -> list[VersionItem]:
    pk = ContractItem.key(number)[0]
    return list(VersionItem.query(pk, VersionItem.sk.startswith(VersionItem.PREFIX), consistent_read=True))


def visible_versions(contract: ContractItem) -> list[VersionItem]:
    return certificates.visible(versions(contract.contract_number), contract.format == "electronic")


def list_for_company(caller: Caller) -> list[dict]:
    items = ContractItem.by_company.query(f"COMPANY#{caller.company_id}", ContractItem.gsi2sk.startswith("CONTRACT#"))
    return [
        {
            "contract_number": c.contract_number,
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
    pk = ContractItem.key(number)[0]
    return next(iter(ViewItem.query(pk, ViewItem.sk.startswith(ViewItem.PREFIX), scan_index_forward=False, limit=1)), None)


def detail(caller: Caller, number: str) -> dict:
    number = path_number(number)
    contract = load_for_company(caller, number)
    shown = visible_versions(contract)
    view = last_view(number)
    key = None
    if contract.key_ciphertext and shown:
        key = keys.decrypt(contract.key_ciphertext, number)  # shown once issuance is complete
    return {
        "contract_number": number,
        "format": contract.format,
        "certificate": certificates.certificate_json(shown[-1]) if shown else None,
        "auth_key": key,
        "history": certificates.history_json(shown),
        "fee_statements": [{"version": int(v.version), "fee": int(v.fee)} for v in shown if v.fee is not None],
        "viewed_by_orderer_at": certificates.iso_jst(view.viewed_at) if view else None,
    }


def notice_url(caller: Caller, number: str) -> dict:
    number = path_number(number)
    contract = load_for_company(caller, number)
    key = storage.notice_key(number)
    if contract.format != "electronic" or not visible_versions(contract) or not storage.exists(key):
        raise NotFound("notice")
    return storage.download_link(key, f"notice-{number}.pdf")


def certificate_url(caller: Caller, number: str, version: int) -> dict:
    number, version = path_number(number), path_version(version)
    contract = load_for_company(caller, number)
    for shown in visible_versions(contract):
        if int(shown.version) == version:
            return storage.download_link(shown.s3_key, f"certificate-{number}-v{version:03d}.pdf")
    raise NotFound("certificate")


def fee_statement_url(caller: Caller, number: str, version: int) -> dict:
    number, version = path_number(number), path_version(version)
    contract = load_for_company(caller, number)
    for shown in visible_versions(contract):
        if int(shown.version) == version and shown.fee_s3_key:
            return storage.download_link(shown.fee_s3_key, f"fee-statement-{number}-v{version:03d}.pdf")
    raise NotFound("fee statement")
