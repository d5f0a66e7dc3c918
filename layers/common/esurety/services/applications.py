"""保証申込: the contractor's application, and the staff's decisions on it."""
from __future__ import annotations

import hashlib
import json
import secrets

from pynamodb.exceptions import PutError, UpdateError

from .. import clock, metrics, rules
from ..errors import Conflict, InputError, NotFound, Problem
from ..identity import Caller
from ..models import ApplicationItem
from ..schemas import ApplicationRequest
from . import registry

SUBMITTED, ISSUED, REJECTED = "submitted", "issued", "rejected"
MAX_IDEMPOTENCY_KEY = 255


def queue_key(status: str) -> str:
    return f"APPLICATIONS#{status}"


def _application_id(company_id: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return secrets.token_hex(12)
    # Keyed by company and client key: a retry lands on the same item, another company never does.
    return hashlib.sha256(f"{company_id}\n{idempotency_key}".encode()).hexdigest()[:24]


def _is_conditional_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def submit(caller: Caller, request: ApplicationRequest, idempotency_key: str | None) -> tuple[dict, bool]:
    """Returns (the application, whether this call created it)."""
    if idempotency_key is not None and not (0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY):
        raise InputError(Problem("Idempotency-Key", f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters"))
    problems = rules.application_problems(request, registry.get_orderer(request.orderer_id), clock.today())
    if problems:
        raise InputError(problems)

    body = request.model_dump(mode="json")
    body_sha = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    application_id = _application_id(caller.company_id, idempotency_key)
    submitted_at = clock.now()
    pk, sk = ApplicationItem.key(application_id)
    item = ApplicationItem(
        pk,
        sk,
        application_id=application_id,
        company_id=caller.company_id,
        status=SUBMITTED,
        request=body,
        request_sha256=body_sha,
        submitted_at=submitted_at,
        gsi1pk=queue_key(SUBMITTED),
        gsi1sk=f"{submitted_at.isoformat()}#{application_id}",
    )
    try:
        item.save(condition=ApplicationItem.pk.does_not_exist())
        metrics.count(metrics.APPLICATIONS_SUBMITTED)
        return summary(item), True
    except PutError as error:
        if not _is_conditional_failure(error):
            raise
    existing = ApplicationItem.get(pk, sk)
    if existing.request_sha256 != body_sha:
        raise InputError(Problem("Idempotency-Key", "was already used for a different application"))
    return summary(existing), False


def summary(item: ApplicationItem) -> dict:
    return {"application_id": item.application_id, "status": item.status, "contract_number": item.contract_number}


def load(application_id: str) -> ApplicationItem:
    try:
        return ApplicationItem.get(*ApplicationItem.key(application_id))
    except ApplicationItem.DoesNotExist:
        raise NotFound("application") from None


def get_for_contractor(caller: Caller, application_id: str) -> dict:
    item = load(application_id)
    if item.company_id != caller.company_id:
        raise NotFound("application")  # another company's application does not exist for this caller
    return summary(item)


def queue(status: str, limit: int = 100) -> list[dict]:
    items = ApplicationItem.queue.query(queue_key(status), limit=limit)
    return [staff_view(item) for item in items]


def staff_view(item: ApplicationItem) -> dict:
    request = item.request
    return {
        **summary(item),
        "company_id": item.company_id,
        "submitted_at": item.submitted_at.astimezone(clock.JST).isoformat(timespec="seconds"),
        "product": request["product"],
        "format": request["format"],
        "orderer_id": request["orderer_id"],
        "contractor_name": request["contractor"]["name"],
        "work_name": request["work"]["name"],
        "guarantee_amount": request["guarantee"]["amount"],
        "reject_reason": item.reject_reason,
    }


def reject(application_id: str, reason: str) -> dict:
    item = load(application_id)
    if item.status == REJECTED:
        return summary(item)
    try:
        item.update(
            actions=[
                ApplicationItem.status.set(REJECTED),
                ApplicationItem.reject_reason.set(reason),
                ApplicationItem.decided_at.set(clock.now()),
                ApplicationItem.gsi1pk.set(queue_key(REJECTED)),
            ],
            # Once a number is reserved the issue is under way: it can no longer be rejected.
            condition=(ApplicationItem.status == SUBMITTED) & ApplicationItem.contract_number.does_not_exist(),
        )
    except UpdateError as error:
        if not _is_conditional_failure(error):
            raise
        raise Conflict("the application is already being issued") from None
    return summary(item)


def mark_issued(item: ApplicationItem) -> bool:
    """Whether this call moved it to issued (False: a concurrent or earlier call did)."""
    try:
        item.update(
            actions=[
                ApplicationItem.status.set(ISSUED),
                ApplicationItem.decided_at.set(clock.now()),
                ApplicationItem.gsi1pk.set(queue_key(ISSUED)),
            ],
            condition=ApplicationItem.status == SUBMITTED,
        )
    except UpdateError as error:
        if not _is_conditional_failure(error):
            raise
        return False
    return True
