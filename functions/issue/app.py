"""Staff API: the application queue, issuing and rejecting; 訂正, 変更取消, 解約 / 履行請求, key rotation; staff views."""
from __future__ import annotations

from typing import Literal, Optional, Union

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from typing_extensions import Annotated

from esurety.api import http
from esurety.api.answers.applications import Application
from esurety.api.answers.approvals import Approval, Approvals
from esurety.api.answers.staff import (
    Cancelled,
    Corrected,
    Issued,
    KeyRotated,
    LockReleased,
    Queue,
    StaffApplication,
    StaffContract,
    StaffContracts,
    Termination,
)
from esurety.api.headers import IfMatch, idempotency_key
from esurety.aws import snapstart
from esurety.domain.identity import STAFF
from esurety.domain.application.schemas import CancellationRequest, CorrectionRequest, LockReleaseRequest, RejectRequest, TerminationRequest
from esurety.domain.approvals import ApprovalDecision
from esurety.aws import signing
from esurety.fonts import ensure_fonts
from esurety.services.commands import applications, approvals, lockout, staff_decisions
from esurety.services.views import staff_search, staff_views
from esurety.aws.observability import logger, metrics, tracer

# The fonts load at cold start: a layer without them fails here, not in a document.
ensure_fonts()
app = http.make_resolver(logger)
RetryKey = idempotency_key("A retry with the same key answers the rotation it made, and rotates nothing more.")


@app.get("/staff/applications")
def application_queue(
    status: Annotated[Literal["submitted", "issued", "rejected"], Query()] = "submitted",
    cursor: Annotated[Optional[str], Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=applications.QUEUE_PAGE)] = applications.QUEUE_PAGE,
    kind: Annotated[Optional[Literal["new", "change", "interim"]], Query()] = None,
) -> Queue:
    """One page of the caller's issuer's queue, oldest first; `next_cursor` (opaque) fetches the next page; `kind` filters."""
    caller = http.caller(app).require(STAFF)
    return staff_views.queue(caller, status, limit=limit, cursor=cursor, kind=kind)


@app.post("/staff/applications/<application_id>/issue", status_code=202,
          response_description="Issued; the certificate is published on its arrival. Under four eyes: the Approval (`approval_id`) "
                               "that waits for a second staff member.")
def issue_application(application_id: str) -> Union[Issued, Approval]:
    return staff_decisions.issue(application_id, http.caller(app).require(STAFF))


@app.post("/staff/applications/<application_id>/reject")
def reject_application(application_id: str, body: RejectRequest) -> Application:
    return staff_decisions.reject(application_id, body.reason, http.caller(app).require(STAFF))  # with its audit item and e-mail (once)


@app.get("/staff/applications/<application_id>")
def get_application(application_id: str) -> StaffApplication:
    """Everything the contractor sent, the rules as of today, for a change the content in force."""
    return staff_views.application(http.caller(app).require(STAFF), application_id)


@app.get("/staff/contracts/<number>")
def get_contract(number: str) -> StaffContract:
    """Every record (hidden ones too), the chain, status, receipts, views, audit, document links."""
    return staff_views.contract(http.caller(app).require(STAFF), number)


@app.post("/staff/contracts/<number>/versions/<version>/corrections", status_code=202,
          response_description="The correction is written (or was, for a retry); its certificate is published on its arrival. "
                               "Under four eyes: the Approval (`approval_id`) that waits for a second staff member.")
def correct_version(number: str, version: int, body: CorrectionRequest, if_match: IfMatch = None) -> Union[Corrected, Approval]:
    """訂正 of a shown version: the corrected certificate takes its place under the same label."""
    return staff_decisions.correct(number, version, body, http.caller(app).require(STAFF), if_match)


@app.post("/staff/contracts/<number>/versions/<version>/cancellation")
def cancel_change(number: str, version: int, body: CancellationRequest, if_match: IfMatch = None) -> Cancelled:
    """変更取消 of a shown change: the previous valid version is in force again."""
    return staff_decisions.cancel_change(number, version, body.reason, http.caller(app).require(STAFF), if_match)


@app.post("/staff/contracts/<number>/termination",
          responses={200: {"description": "The ending is recorded (or was, for a repeat).", "content": {"application/json": {"model": Termination}}},
                     202: {"description": "Four eyes: the Approval (`approval_id`) that waits for a second staff member.",
                           "content": {"application/json": {"model": Approval}}}})
def terminate_contract(number: str, body: TerminationRequest, if_match: IfMatch = None) -> Response[Union[Termination, Approval]]:
    """解約 (kind cancelled, with its 保証料返還計算書) or 保証債務履行請求 (kind claimed), from `date` on."""
    answer = staff_decisions.terminate(number, body, http.caller(app).require(STAFF), if_match)
    return Response(202 if "approval_id" in answer else 200, content_types.APPLICATION_JSON, answer)


@app.post("/staff/contracts/<number>/key-rotation")
def rotate_key(number: str, if_match: IfMatch = None, key: RetryKey = None) -> KeyRotated:
    """A new auth key; the old one stops working at once. The answer never carries the key."""
    return staff_decisions.rotate_key(number, http.caller(app).require(STAFF), key, if_match)


@app.get("/staff/approvals")
def approval_list(
    status: Annotated[Literal["pending", "approved", "returned"], Query()] = "pending",
    cursor: Annotated[Optional[str], Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=approvals.PAGE)] = approvals.PAGE,
) -> Approvals:
    """Four eyes: the caller's issuer's decisions of `status`, oldest first (承認待ち: pending); `next_cursor` pages on."""
    return approvals.listing(http.caller(app).require(STAFF), status, limit=limit, cursor=cursor)


@app.get("/staff/approvals/<approval_id>")
def get_approval(approval_id: str) -> Approval:
    """One decision under four eyes: what was decided, by whom, and (once approved) its result."""
    return approvals.get(http.caller(app).require(STAFF), approval_id)


@app.post("/staff/approvals/<approval_id>")
def decide_approval(approval_id: str, body: ApprovalDecision) -> Approval:
    """A different staff member approves (the action runs, as the maker's) or returns it with `reason`.
    The maker: 403 own_decision_not_approvable; no longer pending: 409 approval_not_pending (the same
    decision again by the same person answers the first result)."""
    return staff_decisions.decide(approval_id, body, http.caller(app).require(STAFF))


# ----------------------------------------------------------------------------- find anything, the lock


@app.get("/staff/contracts")
def search_contracts(
    q: Annotated[Optional[str], Query(max_length=400)] = None,
    orderer_id: Annotated[Optional[str], Query(max_length=64)] = None,
    branch_code: Annotated[Optional[str], Query(max_length=16)] = None,
    status: Annotated[Optional[str], Query(max_length=32)] = None,
    issued_from: Annotated[Optional[str], Query(max_length=64)] = None,
    issued_to: Annotated[Optional[str], Query(max_length=64)] = None,
    worklist: Annotated[Optional[str], Query(max_length=32)] = None,
    cursor: Annotated[Optional[str], Query(max_length=1000)] = None,
    limit: Annotated[Optional[int], Query()] = None,
) -> StaffContracts:
    """The caller's issuer's contracts: `q` a contract number as typed (full-width, lower case, without
    hyphens: that contract) or a part of the 受注者名 or 工事名; filters orderer_id, branch_code, status
    (valid | expired | terminated | claimed), issued_from / issued_to (dates as people write them);
    `worklist` expiring (期限間近: valid, 保証期限 within 30 days) or changes (変更申込あり). Newest first
    (expiring: soonest first); `next_cursor` (opaque) pages on."""
    return staff_search.search(
        http.caller(app).require(STAFF), q=q, orderer_id=orderer_id, branch_code=branch_code, status=status,
        issued_from=issued_from, issued_to=issued_to, worklist=worklist, cursor=cursor, limit=limit,
    )


@app.post("/staff/contracts/<number>/lock-release")
def release_lock(number: str, body: LockReleaseRequest) -> LockReleased:
    """Lift the verification lock on the contract's number, with the reason in its audit (`lock-release`).
    Nothing to lift: the same answer, nothing recorded."""
    return lockout.lift(http.caller(app).require(STAFF), number, body.reason)


_resolve = http.guarded(app, STAFF)
# SnapStart: pyHanko is loaded into the snapshot (an on-demand cold start loads it at the first
# signature instead); clients, caches and randomness are renewed in each restored environment.
snapstart.install(signing.preload)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # answers hold links and keys' notices
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return _resolve(event, context)
