"""保証申込: the contractor's application, and the staff's decisions on it."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass

from pynamodb.exceptions import PutError, UpdateError

from ...domain.guarantee import changes, lifecycle
from ...domain.japanese import clock
from ...domain.identifiers import contract_number
from ... import metrics
from ...domain.catalogue import products
from ...domain.application import rules
from ...domain.guarantee.certificates import iso_jst
from ...domain.catalogue.products import Product
from ...domain.errors import Conflict, InputError, NotFound, Problem
from ...domain.identity import Caller
from ...aws import applications_repository, contracts_repository
from ...aws.models import ApplicationItem, ContractItem, UploadItem, condition_failed, transact
from ...domain.application.schemas import UNKNOWN, ApplicationRequest, ChangeRequest, Partial, known, partial
from ...domain.catalogue.issuer import Issuer
from .. import issuers, registry
from . import profiles

SUBMITTED, ISSUED, REJECTED = "submitted", "issued", "rejected"
NEW_KIND, CHANGE_KIND, INTERIM_KIND = "new", "change", "interim"  # 新規, 変更, 中間前払金
STATUSES = (SUBMITTED, ISSUED, REJECTED)
MAX_IDEMPOTENCY_KEY = 255
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]+")  # visible ASCII, as HTTP header values are
_APPLICATION_ID = re.compile(r"[0-9a-f]{24}")
QUEUE_PAGE = 100  # the most applications one queue page holds (and the default)


def check_id(application_id: str) -> str:
    """The shape every application id has (24 hex digits), checked before any lookup."""
    if not isinstance(application_id, str) or not _APPLICATION_ID.fullmatch(application_id):
        raise InputError(Problem("application_id", "not_application_id", "is not an application id (24 hexadecimal digits)"))
    return application_id


def _application_id(company_id: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return secrets.token_hex(12)
    # Keyed by company and client key: a retry lands on the same item, another company never does.
    return hashlib.sha256(f"{company_id}\n{idempotency_key}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Judged:
    """An application found acceptable (`judge`): what `submit` stores and `estimates` prices."""

    request: ApplicationRequest  # as stored (a 中間前払金保証's 前払金保証 number normalised)
    issuer: Issuer
    kind: str
    upload: UploadItem | None


def judge(caller: Caller, request: ApplicationRequest) -> Judged:
    """Every rule of a new application, as POST /applications judges it (InputError with every
    problem; the 中間前払金保証's 認定調書 and 前払金保証 checked); nothing is written."""
    orderer = registry.get_orderer(request.orderer_id) if request.orderer_id else None
    issuer, issuer_problems = _chosen_issuer(caller, request)
    problems = issuer_problems + rules.application_problems(request, orderer, clock.today(), issuer)
    if problems:
        raise InputError(problems)
    kind, upload = NEW_KIND, None
    if request.product == Product.INTERIM_ADVANCE_PAYMENT:
        kind = INTERIM_KIND
        request, upload = _check_interim(caller, request)
    return Judged(request, issuer, kind, upload)


def submit(caller: Caller, request: ApplicationRequest, idempotency_key: str | None) -> tuple[dict, bool]:
    """Returns (the application, whether this call created it). The orderer applied to becomes the
    company profile's `last_orderer_id` (the form's default next time)."""
    _check_idempotency_key(idempotency_key)
    judged = judge(caller, request)
    request, issuer, kind, upload = judged.request, judged.issuer, judged.kind, judged.upload

    item = _new_item(caller, idempotency_key, kind, request.model_dump(mode="json"), issuer_id=issuer.issuer_id)
    if upload is not None:  # the 認定調書 as checked: staff open this version, whatever the key holds later
        item.upload_version, item.upload_sha256 = upload.object_version, upload.sha256
    try:
        item.save(condition=ApplicationItem.pk.does_not_exist())
        metrics.count(metrics.APPLICATIONS_SUBMITTED)
        if request.orderer_id:
            profiles.remember_orderer(caller, request.orderer_id)
        return summary(item), True
    except PutError as error:
        if not condition_failed(error):
            raise
    return summary(_retried(item, applications_repository.get(item.application_id, consistent=False))), False


def problems_of_invalid(caller: Caller, body: dict) -> list[Problem]:
    """The cross-field problems of an application whose fields were refused, judged on the fields
    given rightly (rules.application_problems on a `Partial`): answered with the field errors in
    one 422, so a clerk fixes everything in one round. Nothing is stored."""
    request = partial(ApplicationRequest, body)
    orderer = registry.get_orderer(request.orderer_id) if known(request.orderer_id) and request.orderer_id else None
    issuer, problems = _chosen_issuer(caller, request)
    return problems + rules.application_problems(request, orderer, clock.today(), issuer)


def _chosen_issuer(caller: Caller, request: ApplicationRequest | Partial) -> tuple[Issuer | None, list[Problem]]:
    """The issuer an application goes to (None: the id named is not in the registry), and the
    problem of a 中間前払金保証 naming another issuer than its 前払金保証's.

    A 中間前払金保証 goes to the issuer of the 前払金保証 it follows (the same issuer pays out the
    advance and its interim part); its `issuer_id` may be left out, and one that differs is refused.
    Any other application names its issuer, or goes to the platform's first surety.
    """
    advance = _advance_contract(caller, request)
    if advance is not None:
        issuer = issuers.issuer_of(advance)
        if known(request.issuer_id) and request.issuer_id is not None and request.issuer_id != issuer.issuer_id:
            return issuer, [Problem("issuer_id", "not_contract_issuer",
                                    f"must be {issuer.issuer_id}, the issuer of the 前払金保証 {advance.contract_number} (or left out)")]
        return issuer, []
    if not known(request.issuer_id):
        return None, []  # its own error is answered; no issuer rule judges it
    return issuers.get_issuer(request.issuer_id), []


def _advance_contract(caller: Caller, request: ApplicationRequest | Partial) -> ContractItem | None:
    """The caller's contract a 中間前払金保証 names, when it can be found (else _check_interim says why)."""
    from .. import contracts  # noqa: PLC0415 - both read this module's constants

    if not known(request.product, request.advance_contract_number) or request.product != Product.INTERIM_ADVANCE_PAYMENT:
        return None
    if not request.advance_contract_number:
        return None
    try:
        return contracts.load_for_company(caller, contract_number.normalise(request.advance_contract_number))
    except (contract_number.ContractNumberError, NotFound):
        return None


def _new_item(
    caller: Caller, idempotency_key: str | None, kind: str, body: dict, issuer_id: str | None, contract_number: str | None = None
) -> ApplicationItem:
    """A submitted application as it is first stored (in its issuer's staff queue and the company's list)."""
    application_id = _application_id(caller.company_id, idempotency_key)
    submitted_at = clock.now()
    return ApplicationItem(
        *ApplicationItem.key(application_id),
        application_id=application_id,
        company_id=caller.company_id,
        issuer_id=issuer_id,
        kind=kind,
        status=SUBMITTED,
        request=body,
        request_sha256=_body_sha(body),
        submitted_at=submitted_at,
        contract_number=contract_number,
        **ApplicationItem.queue_entry(SUBMITTED, submitted_at, application_id, issuer_id),
        **ApplicationItem.company_entry(caller.company_id, submitted_at, application_id),
    )


def _retried(item: ApplicationItem, existing: ApplicationItem) -> ApplicationItem:
    """The stored application a retry with the same Idempotency-Key lands on; 422 for another body."""
    if existing.request_sha256 != item.request_sha256:
        raise InputError(Problem("Idempotency-Key", "idempotency_key_reused", "was already used for a different application"))
    return existing



def kind_of(item: ApplicationItem) -> str:
    return item.kind or NEW_KIND


def reference(application_id: str) -> str:
    """申込番号 as read over the phone: the id's first 8 hex digits, upper-case, in two groups
    (`3F9A-21C7`). A display form only: the id stays the key; among one company's applications
    two sharing the first 32 bits are as unlikely as a wrong digit read out."""
    head = application_id[:8].upper()
    return f"{head[:4]}-{head[4:]}"


def summary(item: ApplicationItem, seen: dict | None = None) -> dict:
    """The application's state; `seen` is issuers.ref_of's memo when many rows are answered."""
    return {
        "application_id": item.application_id,
        "reference": reference(item.application_id),
        "kind": kind_of(item),
        "status": item.status,
        "contract_number": item.contract_number,
        "reject_reason": item.reject_reason,
        "issuer": issuers.ref_of(item, seen),
    }


def _body_sha(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_idempotency_key(idempotency_key: str | None) -> None:
    if idempotency_key is not None and not (
        0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY and _IDEMPOTENCY_KEY.fullmatch(idempotency_key)
    ):
        raise InputError(Problem("Idempotency-Key", "invalid_idempotency_key", f"must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"))


def _check_interim(caller: Caller, request: ApplicationRequest) -> tuple[ApplicationRequest, UploadItem]:
    """中間前払金保証: the 認定調書 is this company's upload, checked to be a real PDF, and the
    前払金保証 it follows is this company's, for the same orderer, and has not ended."""
    from .. import contracts  # noqa: PLC0415 - both read this module's constants
    from . import uploads

    upload = uploads.require_checked(caller, request.upload_id)
    try:
        number = contract_number.normalise(request.advance_contract_number)
    except contract_number.ContractNumberError as error:
        raise InputError(Problem("advance_contract_number", "not_contract_number", f"is not a contract number: {error}")) from None
    try:
        advance = contracts.load_for_company(caller, number)
    except NotFound:
        raise InputError(Problem("advance_contract_number", "no_such_contract", "no such contract of your company")) from None
    if advance.product != Product.ADVANCE_PAYMENT.value:
        raise InputError(Problem("advance_contract_number", "not_advance_payment_contract", f"is not a {products.label(Product.ADVANCE_PAYMENT)} contract"))
    if advance.orderer_id != request.orderer_id:
        raise InputError(Problem("advance_contract_number", "other_orderer", "is a contract with another orderer"))
    if contracts.status_json(advance, contracts.shown_chain(advance))["status"] != lifecycle.VALID:
        raise InputError(Problem("advance_contract_number", "advance_not_in_force", "is a guarantee that has ended or is not issued yet"))
    return request.model_copy(update={"advance_contract_number": number}), upload


def _changeable(caller: Caller, number: str) -> tuple[ContractItem, dict]:
    """The caller's contract and the content of its version in force, or 404 / 409."""
    from .. import contracts  # noqa: PLC0415 - contracts reads applications' constants

    contract = contracts.load_for_company(caller, number)
    records = contracts_repository.versions(contract.contract_number)
    chain = lifecycle.valid_chain(records)
    if not chain:
        raise Conflict("no_certificate_yet", "the contract has no certificate yet")
    status = contracts.status_json(contract, contracts.shown_chain(contract, records))["status"] or lifecycle.VALID
    if contract.ending or status != lifecycle.VALID:
        raise Conflict("guarantee_ended", f"the guarantee has ended ({lifecycle.STATUS_LABELS.get(status, status)}): it cannot be changed")
    return contract, chain[-1].record.content


def change_problems_of_invalid(caller: Caller, number: str, body: dict) -> list[Problem]:
    """The rules of a 変更申込 whose fields were refused, judged on the fields given rightly.

    The contract is looked up as for a valid change: another company's is 404 whatever the body.
    """
    contract, in_force = _changeable(caller, number)
    request = partial(ChangeRequest, body)
    issuer_problems = _change_issuer_problems(request.issuer_id, issuers.issuer_of(contract)) if known(request.issuer_id) else []
    change, unknown = {}, set()
    for group in ("guarantee", "work"):
        values = vars(getattr(request, group)) if known(getattr(request, group)) else {}
        change[group] = {name: value for name, value in values.items() if value is not UNKNOWN}
        unknown.update(f"{group}.{name}" for name, value in values.items() if value is UNKNOWN)
    return issuer_problems + changes.change_problems(in_force, change, clock.today(), unknown=frozenset(unknown))


def _change_issuer_problems(issuer_id: str | None, issuer: Issuer) -> list[Problem]:
    if issuer_id is not None and issuer_id != issuer.issuer_id:
        return [Problem("issuer_id", "not_contract_issuer", f"must be {issuer.issuer_id}, the contract's issuer (or left out)")]
    return []


def submit_change(caller: Caller, number: str, request: ChangeRequest, idempotency_key: str | None) -> tuple[dict, bool]:
    """変更申込 of a contract of the caller's company: judged against the version in force.

    One pending change per contract: the application is put and the contract marked with it in
    one transaction (the mark must be absent), so two changes cannot both be waiting.
    """
    _check_idempotency_key(idempotency_key)
    contract, in_force = _changeable(caller, number)
    issuer = issuers.issuer_of(contract)  # a change goes to the contract's issuer
    body = {
        "contract_number": contract.contract_number,
        "change": request.model_dump(mode="json", exclude={"reason", "issuer_id"}),
        "reason": request.reason,
        "product": contract.product,
        "contractor_name": in_force["contractor"]["name"],
        "work_name": in_force["work_name"],
    }
    problems = _change_issuer_problems(request.issuer_id, issuer) + changes.change_problems(in_force, body["change"], clock.today())
    if problems:
        raise InputError(problems)
    # A change goes to the staff of the contract's issuer (its queue), whoever the default is.
    item = _new_item(caller, idempotency_key, CHANGE_KIND, body, issuer_id=issuer.issuer_id, contract_number=contract.contract_number)
    marked = (
        contract,
        [ContractItem.pending_change.set(item.application_id)],
        ContractItem.pending_change.does_not_exist() & ContractItem.ending.does_not_exist(),
    )
    if not transact(creates=[item], updates=[marked]):
        try:
            existing = applications_repository.get(item.application_id)
        except ApplicationItem.DoesNotExist:
            contract.refresh(consistent_read=True)
            if contract.ending:
                raise Conflict("guarantee_ended", "the guarantee has ended: it cannot be changed") from None
            raise Conflict("change_pending", f"a change of this contract is already waiting for staff (application {contract.pending_change})") from None
        return summary(_retried(item, existing)), False
    metrics.count(metrics.APPLICATIONS_SUBMITTED)
    return summary(item), True


def list_for_company(caller: Caller) -> list[dict]:
    """The company's applications, newest first (gsi2 `COMPANY#…`, sk `APPLICATION#{submitted_at}#{id}`)."""
    out, seen = [], {}
    for item in applications_repository.of_company(caller.company_id):
        row = summary(item, seen)
        row["submitted_at"] = iso_jst(item.submitted_at)
        request = item.request
        if kind_of(item) == CHANGE_KIND:
            row["reason"] = request.get("reason")
        else:
            row["product"] = request["product"]
            row["work_name"] = request["work"]["name"]
        out.append(row)
    return out


def load(application_id: str) -> ApplicationItem:
    try:
        return applications_repository.get(check_id(application_id), consistent=False)
    except ApplicationItem.DoesNotExist:
        raise NotFound("application") from None


def load_for_staff(caller: Caller, application_id: str) -> ApplicationItem:
    """The application if it is the staff caller's issuer's; another issuer's does not exist for
    them (404, as another company's for a contractor)."""
    item = load(application_id)
    if not caller.serves(item.issuer_id):
        raise NotFound("application")
    return item


def get_for_contractor(caller: Caller, application_id: str) -> dict:
    item = load(application_id)
    if item.company_id != caller.company_id:
        raise NotFound("application")  # another company's application does not exist for this caller
    # Everything sent, to be read again or to start a new application from (「前回の申込から作成」,
    # 「内容を確認して再申込」); the 認定調書's upload id is the company's own.
    return {**summary(item), "submitted_at": iso_jst(item.submitted_at), "request": item.request}


def _encode_cursor(key: dict | None) -> str | None:
    if not key:
        return None
    plain = {name: value["S"] for name, value in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()).decode().rstrip("=")


_CURSOR_SK = re.compile(r"[0-9T:.+-]{19,40}#[0-9a-f]{24}")


def _decode_cursor(cursor: str, status: str, issuer_id: str) -> dict:
    """The key a cursor stands for; 422 on `cursor` for anything this queue did not hand out."""
    bad = InputError(Problem("cursor", "invalid_cursor", "is not a cursor of this queue (use next_cursor as given)"))
    if not isinstance(cursor, str) or not 0 < len(cursor) <= 400 or not re.fullmatch(r"[A-Za-z0-9_-]+", cursor):
        raise bad
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    if not isinstance(plain, dict) or set(plain) != {"pk", "sk", "gsi1pk", "gsi1sk"}:
        raise bad
    if not all(isinstance(v, str) for v in plain.values()):
        raise bad
    sk = plain["gsi1sk"]
    if (
        plain["gsi1pk"] != ApplicationItem.queue_key(status, issuer_id)  # another issuer's cursor is none of this queue's
        or plain["sk"] != ApplicationItem.SK
        or not _CURSOR_SK.fullmatch(sk)
        or plain["pk"] != ApplicationItem.partition(sk.rsplit("#", 1)[1])
    ):
        raise bad
    return {name: {"S": value} for name, value in plain.items()}


KINDS = (NEW_KIND, CHANGE_KIND, INTERIM_KIND)


def queue(caller: Caller, status: str, limit: int = QUEUE_PAGE, cursor: str | None = None, kind: str | None = None) -> dict:
    """One page of the staff caller's issuer's queue, oldest first: `applications` and `next_cursor` (None at the end).

    `kind` filters the status's partition (a filter on the Query: DynamoDB reads past the others,
    PynamoDB pages on until `limit` applications are found or the queue ends)."""
    if status not in STATUSES:
        raise InputError(Problem("status", "invalid_choice", f"must be one of {', '.join(STATUSES)}"))
    if kind is not None and kind not in KINDS:
        raise InputError(Problem("kind", "invalid_choice", f"must be one of {', '.join(KINDS)}"))
    if not 1 <= limit <= QUEUE_PAGE:
        raise InputError(Problem("limit", "invalid_limit", f"must be 1 to {QUEUE_PAGE}"))
    issuer_id = caller.staff_issuer
    start = _decode_cursor(cursor, status, issuer_id) if cursor is not None else None
    condition = None
    if kind == NEW_KIND:  # items written before kinds existed have none: they are new
        condition = ApplicationItem.kind.does_not_exist() | (ApplicationItem.kind == NEW_KIND)
    elif kind is not None:
        condition = ApplicationItem.kind == kind
    items = applications_repository.queue(issuer_id, status, limit, start, condition)
    seen: dict = {}  # every row's issuer is the caller's: the queue is one issuer's (looked up once)
    page = [staff_view(item, seen) for item in items]
    more = items.last_evaluated_key if len(page) == limit else None
    return {"applications": page, "next_cursor": _encode_cursor(more)}


def staff_view(item: ApplicationItem, seen: dict | None = None) -> dict:
    request = item.request
    if kind_of(item) == CHANGE_KIND:
        return {
            **summary(item, seen),
            "company_id": item.company_id,
            "submitted_at": iso_jst(item.submitted_at),
            "change": request["change"],
            "reason": request["reason"],
            # what the row needs to be recognised, as of the application (its contract holds the rest)
            "product": request.get("product"),
            "contractor_name": request.get("contractor_name"),
            "work_name": request.get("work_name"),
            "decided_by": item.decided_by,
        }
    return {
        **summary(item, seen),
        "company_id": item.company_id,
        "submitted_at": iso_jst(item.submitted_at),
        "product": request["product"],
        "format": request["format"],
        "orderer_id": request["orderer_id"],
        "contractor_name": request["contractor"]["name"],
        "work_name": request["work"]["name"],
        "guarantee_amount": request["guarantee"]["amount"],
        "reject_reason": item.reject_reason,
        "decided_by": item.decided_by,
    }


def _contract_written(number: str | None) -> bool:
    if not number:
        return False
    try:
        contracts_repository.get(number)
        return True
    except ContractItem.DoesNotExist:
        return False


def check_issuable(item: ApplicationItem) -> None:
    """Conflict (409, with the reason) when the application cannot be issued today.

    Judged on every issue call, before a number is reserved: the rules of a new application are
    re-checked on the stored request (rules.issue_problems). Once the contract is written the
    decision is taken; a retry must then complete it whatever changed since (a deadline that
    passed between a crash and its retry must not strand a written contract).
    """
    if item.status == REJECTED:
        raise Conflict("application_rejected", "the application was rejected")
    if item.status != SUBMITTED or _contract_written(item.contract_number):
        return
    problems = rules.issue_problems(item.request, registry.orderer_for(item.request), clock.today(), issuers.issuer_of(item))
    if problems:
        raise Conflict("cannot_issue", "cannot be issued: " + "; ".join(f"{p.field} {p.reason}" for p in problems))


def reject(application_id: str, reason: str, decided_by: str | None = None) -> dict:
    """Reject any application that has no contract yet (a reserved number alone does not count).

    The write races a concurrent issue. Without a number reserved, the reject is conditional on
    none being reserved; with one, it is a transaction that also checks the contract does not
    exist, while issue's contract transaction checks the application is still `submitted`:
    DynamoDB serialises the two transactions, so exactly one of them succeeds.
    """
    for _ in range(3):
        item = load(application_id)
        if item.status == REJECTED:
            return summary(item)
        if kind_of(item) == CHANGE_KIND:
            if _reject_change(item, reason, decided_by):
                return summary(load(application_id))
            continue
        if item.status != SUBMITTED or _contract_written(item.contract_number):
            raise Conflict("application_issued", "the application is already issued: its contract is written")
        actions = rejection(item, reason, decided_by, clock.now())
        if not item.contract_number:
            try:
                item.update(
                    actions=actions,
                    condition=(ApplicationItem.status == SUBMITTED) & ApplicationItem.contract_number.does_not_exist(),
                )
                return summary(load(application_id))
            except UpdateError as error:
                if not condition_failed(error):
                    raise
        elif transact(
            updates=[(item, actions, (ApplicationItem.status == SUBMITTED) & (ApplicationItem.contract_number == item.contract_number))],
            checks=[(ContractItem, *ContractItem.key(item.contract_number), ContractItem.pk.does_not_exist())],
        ):
            return summary(load(application_id))
        # Something changed under us (a number reserved, a contract written, another reject): look again.
    raise Conflict("application_being_issued", "the application is being issued")


def rejection(item: ApplicationItem, reason: str, decided_by: str | None, when) -> list:
    """The update actions that record an application as rejected (by staff, or withdrawn by an
    ending), moving it to its issuer's queue of rejected ones."""
    return [
        ApplicationItem.status.set(REJECTED),
        ApplicationItem.reject_reason.set(reason),
        ApplicationItem.decided_at.set(when),
        ApplicationItem.gsi1pk.set(ApplicationItem.queue_key(REJECTED, item.issuer_id)),
        *([ApplicationItem.decided_by.set(decided_by)] if decided_by is not None else []),
    ]


def _reject_change(item: ApplicationItem, reason: str, decided_by: str | None) -> bool:
    """A change is rejected together with freeing its contract for the next change; the issue of
    the change takes the same mark in its own transaction, so exactly one of the two succeeds."""
    if item.status != SUBMITTED:
        raise Conflict("application_issued", "the change is already issued")
    actions = rejection(item, reason, decided_by, clock.now())
    contract = contracts_repository.get(item.contract_number)
    return transact(
        updates=[
            (item, actions, ApplicationItem.status == SUBMITTED),
            (contract, [ContractItem.pending_change.remove(), ContractItem.revision.add(1)], ContractItem.pending_change == item.application_id),
        ]
    )


def mark_issued(item: ApplicationItem, decided_by: str | None = None) -> bool:
    """Whether this call moved it to issued (False: a concurrent or earlier call did)."""
    actions = [
        ApplicationItem.status.set(ISSUED),
        ApplicationItem.decided_at.set(clock.now()),
        ApplicationItem.gsi1pk.set(ApplicationItem.queue_key(ISSUED, item.issuer_id)),
    ]
    if decided_by is not None:
        actions.append(ApplicationItem.decided_by.set(decided_by))
    try:
        item.update(actions=actions, condition=ApplicationItem.status == SUBMITTED)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
    return True
