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
from datetime import date

from pynamodb.exceptions import TransactWriteError, UpdateError

from ...domain.identifiers import auth_key, contract_number
from ...domain.guarantee import certificates, changes, lifecycle
from ...domain.japanese import clock
from ...domain.catalogue import fees, products
from ... import metrics
from ...aws import bucket_keys, keys, signing, storage
from ...domain.guarantee.certificates import CHANGE, NEW, RENDERED, render_input
from ...documents.certificate import render_certificate
from ...documents.fee_difference import render_fee_difference
from ...documents.fee_statement import render_fee_statement
from ...domain.catalogue.issuer import DEFAULT_ISSUER_ID, Issuer
from ...domain.errors import Conflict
from ...aws import contracts_repository
from ...aws.models import ApplicationItem, ContractItem, CounterItem, VersionItem, condition_failed, transact
from . import applications, publication
from .. import issuers, registry
from .applications import CHANGE_KIND, ISSUED, REJECTED, SUBMITTED


def _next_serial(branch: str, fiscal_year: int, product: str, issuer: Issuer) -> int:
    # Each issuer counts its own numbers; the first surety's counters keep the key they always had.
    counted_for = issuer.issuer_id if issuer.issuer_id != DEFAULT_ISSUER_ID else None
    counter = CounterItem(*CounterItem.key(branch, fiscal_year, product, counted_for))
    counter.update(actions=[CounterItem.value.add(1)])  # atomic: concurrent callers get distinct values
    return int(counter.value)


def _reserve_number(item: ApplicationItem, issuer: Issuer) -> str:
    if item.contract_number:
        return item.contract_number
    request = item.request
    fiscal_year = clock.fiscal_year(clock.today())
    serial = _next_serial(request["branch_code"], fiscal_year, request["product"], issuer)
    number = contract_number.make(request["branch_code"], fiscal_year, request["product"], serial, issuer.number_code)
    try:
        item.update(
            actions=[ApplicationItem.contract_number.set(number)],
            condition=ApplicationItem.contract_number.does_not_exist() & (ApplicationItem.status == SUBMITTED),
        )
        return number
    except UpdateError as error:
        if not condition_failed(error):
            raise
    # Another call reserved first (its serial wins; ours stays unused) or the application was rejected.
    item.refresh(consistent_read=True)
    if item.status == REJECTED:
        raise Conflict("application_rejected", "the application was rejected")
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
        # 中間前払金保証: the 前払金保証 it follows (the 認定調書 stays with the application)
        "advance_contract_number": request.get("advance_contract_number"),
    }


# Every document is signed with the key of the contract's issuer (services/issuers.issuer_of), never another's.
def render_certificate_pdf(document: dict, issuer: Issuer) -> bytes:
    return signing.sign_pdf(render_certificate(document, issuer), issuer=issuer)


def render_fee_statement_pdf(document: dict, issuer: Issuer) -> tuple[bytes, int]:
    """The signed 保証料計算書 of a version, and the fee it states (by the issuer's fee table)."""
    quote = fees.quote_for(document, fees.table_of(issuer))
    return signing.sign_pdf(render_fee_statement(document, quote, issuer), issuer=issuer), quote.fee


@dataclass(frozen=True)
class _Rendered:
    """The PDFs one call rendered, and the document they were rendered from."""

    document: dict
    certificate: bytes
    statement: bytes


def render_fee_difference_pdf(document: dict, before: dict, issuer: Issuer) -> tuple[bytes, changes.FeeDifference]:
    """The signed statement of a change: the additional fee (追加保証料) or the refund (保証料返還)."""
    difference = changes.change_fee(before, document, date.fromisoformat(document["issue_date"]), fees.table_of(issuer))
    return signing.sign_pdf(render_fee_difference(document, difference, occasion="change", issuer=issuer), issuer=issuer), difference


def _render(document: dict, issuer: Issuer, before: dict | None = None) -> _Rendered:
    if before is not None:
        statement = render_fee_difference_pdf(document, before, issuer)[0]
    else:
        statement = render_fee_statement_pdf(document, issuer)[0]
    return _Rendered(document, render_certificate_pdf(document, issuer), statement)


def _write_contract(item: ApplicationItem, number: str, issuer: Issuer) -> tuple[VersionItem, _Rendered | None]:
    """The stored version 1 (written by this call or a concurrent one), and what this call rendered for it."""
    request = item.request
    electronic = request["format"] == "electronic"
    content = _content(item, number)
    now = clock.now()
    document = certificates.document(content, 1, None)
    pdf = render_certificate_pdf(document, issuer)
    statement, fee = render_fee_statement_pdf(document, issuer)
    key = auth_key.generate() if electronic else None
    contract = ContractItem(
        *ContractItem.key(number),
        contract_number=number,
        application_id=item.application_id,
        company_id=item.company_id,
        issuer_id=issuer.issuer_id,  # the application's issuer: whose key signs every later document
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
        **ContractItem.company_entry(item.company_id, number),
        **ContractItem.index_entry(issuer.issuer_id, now, number, content["guarantee_deadline"], lifecycle.label(None)),
    )
    version = VersionItem(
        *VersionItem.key(number, 1),
        contract_number=number,
        version=1,
        kind=NEW,
        change_number=None,
        application_id=item.application_id,
        state=RENDERED,
        record_id=VersionItem.new_record_id(),
        content=content,
        s3_key=bucket_keys.document(number, 1, electronic),
        fee=fee,
        fee_s3_key=bucket_keys.fee_statement(number, 1),
        rendered_at=now,
        # sha256 stays absent until the object is in the bucket (see _store_documents).
        **(VersionItem.pending_entry(number, 1, now) if electronic else {}),
    )
    rendered = _Rendered(document, pdf, statement)
    try:
        transact(
            creates=[contract, version],
            # A reject that came between the reservation and here wins: no contract for it.
            checks=[(ApplicationItem, *ApplicationItem.key(item.application_id), ApplicationItem.status == SUBMITTED)],
            lost_raises=True,  # every failure is judged below, on what is stored
        )
    except TransactWriteError as error:
        item.refresh(consistent_read=True)
        if item.status == REJECTED:
            raise Conflict("application_rejected", "the application was rejected") from None
        try:  # a concurrent call wrote them first: go on with what it stored
            version = contracts_repository.version(number, 1)
        except VersionItem.DoesNotExist:
            raise error from None  # not a lost race: the transaction itself failed
    return version, rendered


def _store_documents(version: VersionItem, rendered: _Rendered | None, issuer: Issuer) -> bool:
    """Put the fee statement and then the certificate unless known stored; True if this call created the certificate."""
    if version.sha256:
        return False  # recorded: both are in the bucket (the fee statement is put first), nothing is rendered again
    document = render_input(version)
    if rendered is None or rendered.document != document:
        # Not known to be stored: render what the stored version says. If an earlier call did put it
        # after all, the conditional put keeps that object and tells us its digest.
        rendered = _render(document, issuer, version.content_before)
    owner = version.record_id
    if version.fee_s3_key:
        # Read back when there already: one owned by another record is refused, this one goes beside
        # it, and its key is recorded before the certificate's arrival can finish the record.
        fee = storage.create_pdf(version.fee_s3_key, rendered.statement, read_back=owner is not None, owner=owner)[0]
        if fee is not None and fee.key != version.fee_s3_key:
            version.update(actions=[VersionItem.fee_s3_key.set(fee.key)])
    stored, created = storage.create_pdf(version.s3_key, rendered.certificate, owner=owner)  # last: its arrival publishes
    publication.record_stored(version, stored)
    return created


def _write_change(
    item: ApplicationItem, records: list[VersionItem], decided_by: str | None, issuer: Issuer
) -> tuple[VersionItem, _Rendered]:
    """The next record, a 変更 restating the whole certificate, written with the contract's new state.

    The contract's revision and its pending-change mark are the conditions: a staff action that
    came between the read and the write, or a reject of this change, makes this call lose (409).
    """
    number = item.contract_number
    contract = contracts_repository.get(number)
    if contract.ending:
        raise Conflict("guarantee_ended", "the guarantee has ended: the change cannot be issued")
    chain = lifecycle.valid_chain(records)  # rendered changes count: their publication follows
    before = chain[-1].record.content
    today = clock.today()
    problems = changes.change_problems(before, item.request["change"], today)
    if problems:
        raise Conflict("cannot_issue", "cannot be issued: " + "; ".join(f"{p.field} {p.reason}" for p in problems))
    after = changes.apply_change(before, item.request["change"], today)
    version_no = max([int(contract.latest_version)] + [int(r.version) for r in records]) + 1
    change_number = lifecycle.next_change_number(records)
    electronic = contract.format == "electronic"
    document = certificates.document(after, version_no, change_number)
    pdf = render_certificate_pdf(document, issuer)
    statement, difference = render_fee_difference_pdf(document, before, issuer)
    now = clock.now()
    version = VersionItem(
        *VersionItem.key(number, version_no),
        contract_number=number,
        version=version_no,
        kind=CHANGE,
        change_number=change_number,
        application_id=item.application_id,
        reason=item.request.get("reason"),
        decided_by=decided_by,
        state=RENDERED,
        record_id=VersionItem.new_record_id(),
        content=after,
        content_before=before,
        s3_key=bucket_keys.document(number, version_no, electronic),
        fee=difference.amount,
        fee_kind=difference.kind,
        fee_s3_key=bucket_keys.fee_statement(number, version_no),
        rendered_at=now,
        **(VersionItem.pending_entry(number, version_no, now) if electronic else {}),
    )
    won = contracts_repository.write_revision(
        contract,
        [
            ContractItem.latest_version.set(version_no), ContractItem.content.set(after), ContractItem.pending_change.remove(),
            *contracts_repository.index_actions(contract, after, lifecycle.label(change_number)),
        ],
        # nothing changes after 解約 / 履行請求
        (ContractItem.pending_change == item.application_id) & ContractItem.ending.does_not_exist(),
        creates=[version],
        checks=[(ApplicationItem, *ApplicationItem.key(item.application_id), ApplicationItem.status == SUBMITTED)],
    )
    if not won:
        written = _record_of(item)
        if written is not None:
            return written, None  # a concurrent press of 発行 wrote it: go on with what it stored
        item.refresh(consistent_read=True)
        if item.status == REJECTED:
            raise Conflict("application_rejected", f"the application was rejected ({item.reject_reason})")
        raise Conflict("contract_changed", "the contract changed meanwhile: look at it again and retry")
    return version, _Rendered(document, pdf, statement)


def _record_of(item: ApplicationItem, records: list[VersionItem] | None = None) -> VersionItem | None:
    """The record issued from this application, if written (among `records`, else read)."""
    records = contracts_repository.versions(item.contract_number) if records is None else records
    return next((r for r in records if r.application_id == item.application_id), None)


def _issue_change(item: ApplicationItem, decided_by: str | None) -> dict:
    if item.status == REJECTED:
        # also a change withdrawn by the contract's end (endings.WITHDRAWN_REASON)
        raise Conflict("application_rejected", f"the application was rejected ({item.reject_reason})")
    number = item.contract_number
    issuer = issuers.issuer_of(contracts_repository.get(number))  # a change is the contract's issuer's
    records = contracts_repository.versions(number)
    version = _record_of(item, records)
    rendered = None
    created = False
    if version is None:
        signing.check(issuer)  # 503 before anything is written
        version, rendered = _write_change(item, records, decided_by, issuer)
    if item.status != ISSUED or not version.sha256:
        created = _store_documents(version, rendered, issuer)
        if applications.mark_issued(item, decided_by=decided_by):
            metrics.count(metrics.CERTIFICATES_ISSUED)
    version = contracts_repository.version(number, version.version)
    if not created and publication.awaits_publication(version):
        publication.request(number, int(version.version))
    return {
        "contract_number": number,
        "version": int(version.version),
        "change_number": int(version.change_number),
        "label": lifecycle.label(version.change_number),
        "state": version.state,
    }


def issue(application_id: str, decided_by: str | None = None) -> dict:
    item = applications.load(application_id)
    if applications.kind_of(item) == CHANGE_KIND:
        return _issue_change(item, decided_by)
    applications.check_issuable(item)  # the rules again, as of today: 409 with the reason
    issuer = issuers.issuer_of(item)  # the issuer applied to: its numbers, counters, fee table, documents
    if item.status != ISSUED:
        # 503 before a number is reserved when the issuer's key is known not to sign for it (no key,
        # another issuer's, disabled): nothing is written for an issue that cannot be signed.
        signing.check(issuer)
    number = _reserve_number(item, issuer)
    created = False
    if item.status != ISSUED:
        try:
            version, rendered = contracts_repository.version(number, 1), None
        except VersionItem.DoesNotExist:
            version, rendered = _write_contract(item, number, issuer)
        created = _store_documents(version, rendered, issuer)  # also completes a call that stopped before the bucket
        if applications.mark_issued(item, decided_by=decided_by):
            metrics.count(metrics.CERTIFICATES_ISSUED)
    version = contracts_repository.version(number, 1)
    if not created and publication.awaits_publication(version):
        # A retried issue of a stored, unpublished certificate: its arrival may have been lost; ask again.
        publication.request(number, 1)
    return {"contract_number": number, "version": 1, "change_number": None, "label": NEW, "state": version.state}
