"""保証証書の発行: number the contract, make the auth key, render version 1 into the bucket.

Every step may run twice (a retried request, two staff pressing the button): the number is
reserved on the application with a conditional write, the contract and version 1 are written
in one transaction that only succeeds once, and each PDF is put only where no object is yet
(`If-None-Match`), so a certificate has exactly one object version. The version records the
digest of the bytes that really were stored, once; until then nothing is known to be stored,
and only then may a retry render again.
"""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError, UpdateError

from .. import auth_key, clock, contract_number, fees, keys, metrics, products, signing, storage
from ..certificates import NEW, RENDERED, render_input
from ..documents.certificate import render_certificate
from ..documents.fee_statement import render_fee_statement
from ..errors import Conflict
from ..models import ApplicationItem, ContractItem, CounterItem, VersionItem, transact_write
from . import applications, publication, registry
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


@dataclass(frozen=True)
class _Rendered:
    """The PDFs one call rendered, and the document they were rendered from."""

    document: dict
    certificate: bytes
    statement: bytes


def _render(document: dict) -> _Rendered:
    return _Rendered(document, render_certificate_pdf(document), render_fee_statement_pdf(document)[0])


def _write_contract(item: ApplicationItem, number: str) -> tuple[VersionItem, _Rendered | None]:
    """The stored version 1 (written by this call or a concurrent one), and what this call rendered for it."""
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
        fee=fee,
        fee_s3_key=fee_key(number, 1),
        rendered_at=now,
        # sha256 stays absent until the object is in the bucket (see _store_documents).
        **(publication.pending_entry(number, 1, now) if electronic else {}),
    )
    rendered = _Rendered(document, pdf, statement)
    try:
        with transact_write() as transaction:
            transaction.save(contract, condition=ContractItem.pk.does_not_exist())
            transaction.save(version, condition=VersionItem.pk.does_not_exist())
            # A reject that came between the reservation and here wins: no contract for it.
            transaction.condition_check(ApplicationItem, *ApplicationItem.key(item.application_id), condition=ApplicationItem.status == SUBMITTED)
    except TransactWriteError as error:
        item.refresh(consistent_read=True)
        if item.status == REJECTED:
            raise Conflict("the application was rejected") from None
        try:  # a concurrent call wrote them first: go on with what it stored
            version = VersionItem.get(*VersionItem.key(number, 1), consistent_read=True)
        except VersionItem.DoesNotExist:
            raise error from None  # not a lost race: the transaction itself failed
    return version, rendered


def _store_documents(version: VersionItem, rendered: _Rendered | None) -> bool:
    """Put the fee statement and then the certificate unless known stored; True if this call created the certificate."""
    if version.sha256:
        return False  # recorded: both are in the bucket (the fee statement is put first), nothing is rendered again
    document = render_input(version)
    if rendered is None or rendered.document != document:
        # Not known to be stored: render what the stored version says. If an earlier call did put it
        # after all, the conditional put keeps that object and tells us its digest.
        rendered = _render(document)
    if version.fee_s3_key:
        storage.create_pdf(version.fee_s3_key, rendered.statement, read_back=False)
    stored, created = storage.create_pdf(version.s3_key, rendered.certificate)  # last: its arrival publishes
    publication.record_stored(version, stored)
    return created


def issue(application_id: str, decided_by: str | None = None) -> dict:
    item = applications.load(application_id)
    applications.check_issuable(item)  # the rules again, as of today: 409 with the reason
    number = _reserve_number(item)
    created = False
    if item.status != ISSUED:
        try:
            version, rendered = VersionItem.get(*VersionItem.key(number, 1), consistent_read=True), None
        except VersionItem.DoesNotExist:
            version, rendered = _write_contract(item, number)
        created = _store_documents(version, rendered)  # also completes a call that stopped before the bucket
        if applications.mark_issued(item, decided_by=decided_by):
            metrics.count(metrics.CERTIFICATES_ISSUED)
    version = VersionItem.get(*VersionItem.key(number, 1), consistent_read=True)
    if not created and publication.awaits_publication(version):
        # A retried issue of a stored, unpublished certificate: its arrival may have been lost; ask again.
        publication.request(number, 1)
    return {"contract_number": number, "version": 1, "state": version.state}
