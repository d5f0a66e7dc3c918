"""保証証書の発行: number the contract, make the auth key, render version 1 into the bucket.

Every step may run twice (a retried request, two staff pressing the button): the number is
reserved on the application with a conditional write, the contract and version 1 are written
in one transaction that only succeeds once, and the PDF is rendered from what was stored.
"""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError, UpdateError

from .. import auth_key, clock, contract_number, fees, keys, metrics, products, signing, storage
from ..certificates import NEW, RENDERED, render_input
from ..documents.certificate import render_certificate
from ..documents.fee_statement import render_fee_statement
from ..errors import Conflict
from ..models import ApplicationItem, ContractItem, CounterItem, VersionItem, transact_write
from . import applications, registry
from .applications import ISSUED, REJECTED, SUBMITTED


def _next_serial(branch: str, fiscal_year: int, product: str) -> int:
    counter = CounterItem(*CounterItem.key(branch, fiscal_year, product))
    counter.update(actions=[CounterItem.value.add(1)])  # atomic: concurrent callers get distinct values
    return int(counter.value)


def _reserve_number(item: ApplicationItem) -> str:
    if item.contract_number:
        return item.contract_number
    request = item.request
    fiscal_year = clock.fiscal_year(clock.today())
    serial = _next_serial(request["branch_code"], fiscal_year, request["product"])
    number = contract_number.make(request["branch_code"], fiscal_year, request["product"], serial)
    try:
        item.update(
            actions=[ApplicationItem.contract_number.set(number)],
            condition=ApplicationItem.contract_number.does_not_exist() & (ApplicationItem.status == SUBMITTED),
        )
        return number
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
    # Another call reserved first (its serial wins; ours stays unused) or the application was rejected.
    item.refresh(consistent_read=True)
    if item.status == REJECTED:
        raise Conflict("the application was rejected")
    return item.contract_number


def _content(item: ApplicationItem, number: str) -> dict:
    request = item.request
    orderer = registry.orderer_for(request)  # the registry's entry, or the one typed for paper
    work, guarantee = request["work"], request["guarantee"]
    return {
        "contract_number": number,
        "product": request["product"],
        "product_label": products.label(request["product"]),
        "branch_code": request["branch_code"],
        "format": request["format"],
        "issue_date": clock.today().isoformat(),
        "contractor": {
            "name": request["contractor"]["name"],
            "address": request["contractor"]["address"],
            "jv_name": request["contractor"].get("jv_name"),
        },
        "beneficiary": orderer.beneficiary_name,
        "orderer_id": orderer.orderer_id,
        "orderer_name": orderer.name,
        "guarantee_amount": guarantee["amount"],
        "guarantee_deadline": guarantee["deadline"],
        "work_name": work["name"],
        "work_kind": work["kind"],
        "contract_price": work["contract_price"],
        "period_start": work["period_start"],
        "period_end": work["period_end"],
        "contract_date": work["contract_date"],
        "deposit_bank": request.get("deposit_bank"),
    }


def document_key(number: str, version: int, electronic: bool) -> str:
    # Only electronic certificates go under certificates/, whose arrival publishes them.
    if electronic:
        return storage.certificate_key(number, version)
    return f"paper/{number}/v{version:03d}.pdf"


def fee_key(number: str, version: int) -> str:
    return f"fees/{number}/v{version:03d}.pdf"


def render_certificate_pdf(document: dict) -> bytes:
    return signing.sign_pdf(render_certificate(document))


def render_fee_statement_pdf(document: dict) -> tuple[bytes, int]:
    """The signed 保証料計算書 of a version, and the fee it states."""
    quote = fees.quote_for(document)
    return signing.sign_pdf(render_fee_statement(document, quote)), quote.fee


def _write_contract(item: ApplicationItem, number: str) -> None:
    request = item.request
    electronic = request["format"] == "electronic"
    content = _content(item, number)
    now = clock.now()
    document = {**content, "version": 1, "change_number": None}
    pdf = render_certificate_pdf(document)
    statement, fee = render_fee_statement_pdf(document)
    key = auth_key.generate() if electronic else None
    contract_pk, contract_sk = ContractItem.key(number)
    contract = ContractItem(
        contract_pk,
        contract_sk,
        contract_number=number,
        application_id=item.application_id,
        company_id=item.company_id,
        orderer_id=content["orderer_id"],
        orderer_name=content["orderer_name"],
        product=request["product"],
        format=request["format"],
        branch_code=request["branch_code"],
        notify_email=request.get("notify_email"),
        content=content,
        key_digest=keys.digest(key) if key else None,
        key_ciphertext=keys.encrypt(key, number) if key else None,
        latest_version=1,
        created_at=now,
        gsi2pk=f"COMPANY#{item.company_id}",
        gsi2sk=f"CONTRACT#{number}",
    )
    version = VersionItem(
        *VersionItem.key(number, 1),
        contract_number=number,
        version=1,
        kind=NEW,
        change_number=None,
        state=RENDERED,
        content=content,
        s3_key=document_key(number, 1, electronic),
        sha256=storage.sha256(pdf),
        fee=fee,
        fee_s3_key=fee_key(number, 1),
        rendered_at=now,
    )
    try:
        with transact_write() as transaction:
            transaction.save(contract, condition=ContractItem.pk.does_not_exist())
            transaction.save(version, condition=VersionItem.pk.does_not_exist())
            # A reject that came between the reservation and here wins: no contract for it.
            transaction.condition_check(ApplicationItem, *ApplicationItem.key(item.application_id), condition=ApplicationItem.status == SUBMITTED)
    except TransactWriteError:
        item.refresh(consistent_read=True)
        if item.status == REJECTED:
            raise Conflict("the application was rejected") from None
        return  # a concurrent call wrote them first; _ensure_document puts what it stored
    storage.put_pdf(version.fee_s3_key, statement)
    storage.put_pdf(version.s3_key, pdf)  # last: its arrival publishes the version


def issue(application_id: str, decided_by: str | None = None) -> dict:
    item = applications.load(application_id)
    applications.check_issuable(item)  # the rules again, as of today: 409 with the reason
    number = _reserve_number(item)
    if item.status != ISSUED:
        try:
            ContractItem.get(*ContractItem.key(number), consistent_read=True)
        except ContractItem.DoesNotExist:
            _write_contract(item, number)
        _ensure_document(number)  # covers a call that stopped between the table and the bucket
        if applications.mark_issued(item, decided_by=decided_by):
            metrics.count(metrics.CERTIFICATES_ISSUED)
    version = VersionItem.get(*VersionItem.key(number, 1), consistent_read=True)
    return {"contract_number": number, "version": 1, "state": version.state}


def _ensure_document(number: str) -> None:
    version = VersionItem.get(*VersionItem.key(number, 1), consistent_read=True)
    document = render_input(version)
    if version.fee_s3_key and not storage.exists(version.fee_s3_key):
        storage.put_pdf(version.fee_s3_key, render_fee_statement_pdf(document)[0])
    if storage.exists(version.s3_key):
        return
    pdf = render_certificate_pdf(document)
    digest = storage.sha256(pdf)
    if digest != version.sha256:
        # A signature carries its signing time: record the bytes that are really stored.
        version.update(actions=[VersionItem.sha256.set(digest)], condition=VersionItem.state == RENDERED)
    storage.put_pdf(version.s3_key, pdf)
