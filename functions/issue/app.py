"""Staff API: the application queue, issuing and rejecting."""
from __future__ import annotations

from typing import Literal, Optional

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from typing_extensions import Annotated

from esurety import http, snapstart
from esurety.identity import STAFF
from esurety.schemas import RejectRequest
from esurety import signing
from esurety.fonts import ensure_fonts
from esurety.services import applications, issuance
from esurety.metrics import handler_metrics
from esurety.tracing import TRACED_MODULES

logger = Logger(service="esurety-issue")
tracer = Tracer(service="esurety-issue", patch_modules=TRACED_MODULES)
metrics = handler_metrics("esurety-issue")  # what the services record is written at the end of each event
# The fonts load at cold start: a layer without them fails here, not in a document.
ensure_fonts()
app = http.make_resolver(logger)


@app.get("/staff/applications")
def application_queue(
    status: Annotated[Literal["submitted", "issued", "rejected"], Query()] = "submitted",
    cursor: Annotated[Optional[str], Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=applications.QUEUE_PAGE)] = applications.QUEUE_PAGE,
):
    """One page of the queue, oldest first; `next_cursor` (opaque) fetches the next page."""
    http.caller(app).require(STAFF)
    return applications.queue(status, limit=limit, cursor=cursor)


def _audit(action: str, application_id: str, contract_number: str | None, staff: str) -> None:
    """One line per staff decision: what was decided, on what, by whom (the caller's `sub`)."""
    logger.info(
        "staff decision",
        extra={"audit": True, "action": action, "application_id": application_id, "contract_number": contract_number, "staff_subject": staff},
    )


@app.post("/staff/applications/<application_id>/issue")
def issue_application(application_id: str):
    staff = http.caller(app).require(STAFF).subject
    issued = issuance.issue(application_id, staff)
    _audit("issue", application_id, issued["contract_number"], staff)
    return Response(202, content_types.APPLICATION_JSON, issued)


@app.post("/staff/applications/<application_id>/reject")
def reject_application(application_id: str, body: RejectRequest):
    staff = http.caller(app).require(STAFF).subject
    rejected = applications.reject(application_id, body.reason, staff)
    _audit("reject", application_id, rejected["contract_number"], staff)
    return rejected


_resolve = http.guarded(app, STAFF)
# SnapStart: pyHanko is loaded into the snapshot (an on-demand cold start loads it at the first
# signature instead); clients, caches and randomness are renewed in each restored environment.
snapstart.install(signing.preload)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # answers hold links and keys' notices
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return _resolve(event, context)
