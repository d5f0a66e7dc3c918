"""Orderer API: the desk (発注者デスク) - every guarantee presented to this orderer, without a key:
the list, one guarantee, the event log, 受領確認 in bulk, the CSV export and the evidence ZIP
(its 寄託記録 is rendered and signed here, so the fonts load at cold start)."""
from __future__ import annotations

from typing import Literal, Optional

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from typing_extensions import Annotated

from esurety.api import http
from esurety.api.answers.desk import DeskEvents, DeskEvidence, DeskExport, DeskGuarantee, DeskReceiptsRecorded, DeskRows
from esurety.aws import snapstart
from esurety.domain.application.schemas import DeskReceiptsRequest
from esurety.domain.identity import ORDERER
from esurety.services import contracts
from esurety.fonts import GOTHIC, ensure_fonts
from esurety.services.views import desk, desk_outputs
from esurety.aws.observability import logger, metrics, tracer

# The font loads at cold start (the 寄託記録 of the evidence ZIP is Gothic only): a layer without it fails here.
ensure_fonts(GOTHIC)
app = http.make_resolver(logger)

Cursor = Annotated[Optional[str], Query(max_length=1000, description="Opaque: the next_cursor of the previous page.")]
Limit = Annotated[Optional[int], Query(ge=1, le=desk.MAX_LIMIT)]
IssuerFilter = Annotated[Optional[str], Query(max_length=40, description="Only the guarantees of this issuer (GET /issuers).")]


@app.get("/desk/guarantees")
def list_guarantees(
    department: Annotated[Optional[str], Query(max_length=64)] = None,
    product: Annotated[Optional[Literal["advance_payment", "contract", "interim_advance_payment"]], Query()] = None,
    status: Annotated[Optional[Literal["valid", "expired", "terminated", "claimed"]], Query()] = None,
    view: Annotated[Optional[Literal["attention", "changed", "expiring", "all"]], Query()] = None,
    q: Annotated[Optional[str], Query(max_length=desk.MAX_QUERY, description="工事名, 受注者 or 保証契約番号; full-width input accepted.")] = None,
    sort: Annotated[Optional[Literal["presented", "expiry", "changed"]], Query()] = None,
    cursor: Cursor = None,
    limit: Limit = None,
    issuer_id: IssuerFilter = None,
) -> DeskRows:
    """The desk: guarantees presented to this orderer (a department user: its department's)."""
    caller = http.caller(app).require(ORDERER)
    return desk.list_rows(caller, department=department, product=product, status=status, view=view, q=q, sort=sort, cursor=cursor,
                          limit=limit, issuer_id=issuer_id)


@app.get("/desk/guarantees/<number>")
def get_guarantee(number: str, version: Annotated[Optional[int], Query(ge=1, le=contracts.MAX_VERSION)] = None) -> DeskGuarantee:
    """One guarantee on the desk: what 保証確認 answers, without the key, with its desk row, events and receipts."""
    return desk.one(http.caller(app).require(ORDERER), number, version)


@app.get("/desk/events")
def list_events(cursor: Cursor = None, limit: Limit = None) -> DeskEvents:
    """Everything that happened on the desk, oldest first, resumable from a cursor."""
    return desk.events(http.caller(app).require(ORDERER), cursor, limit)


@app.post("/desk/receipts", status_code=201, response_description="The receipts are recorded (an already confirmed version answers its first record).")
def record_receipts(body: DeskReceiptsRequest) -> DeskReceiptsRecorded:
    """受領確認 in bulk: every ticked row's version, in one step."""
    caller = http.caller(app).require(ORDERER)
    return desk.receive(caller, [(item.contract_number, item.version) for item in body.items])


@app.get("/desk/export")
def export_desk(
    encoding: Annotated[str, Query(max_length=32, description="utf-8 (with a byte order mark, for Excel) or cp932 (Shift_JIS as Windows writes it).")],
    format: Annotated[Literal["csv"], Query()] = "csv",
    department: Annotated[Optional[str], Query(max_length=64)] = None,
    product: Annotated[Optional[Literal["advance_payment", "contract", "interim_advance_payment"]], Query()] = None,
    status: Annotated[Optional[Literal["valid", "expired", "terminated", "claimed"]], Query()] = None,
    view: Annotated[Optional[Literal["attention", "changed", "expiring", "all"]], Query()] = None,
    q: Annotated[Optional[str], Query(max_length=desk.MAX_QUERY)] = None,
    sort: Annotated[Optional[Literal["presented", "expiry", "changed"]], Query()] = None,
    issuer_id: IssuerFilter = None,
) -> DeskExport:
    """CSV 出力: every row the list shows with the same filters (all pages), as a file to download."""
    caller = http.caller(app).require(ORDERER)
    return desk_outputs.export(caller, format=format, encoding=encoding, department=department, product=product,
                               status=status, view=view, q=q, sort=sort, issuer_id=issuer_id)


@app.get("/desk/guarantees/<number>/evidence")
def guarantee_evidence(number: str) -> DeskEvidence:
    """証拠一式: a ZIP of every shown version's certificate PDF and the signed 寄託記録."""
    return desk_outputs.evidence(http.caller(app).require(ORDERER), number)


_resolve = http.guarded(app, ORDERER)
snapstart.install()  # SnapStart: renew clients, caches and randomness in each restored environment


@logger.inject_lambda_context(clear_state=True, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)  # answers hold presigned links
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return _resolve(event, context)
