"""Contractor API: the orderer and issuer registries, applications, and the contractor's contracts."""
from __future__ import annotations

from typing import Literal, Optional

from aws_lambda_powertools.event_handler.openapi.params import Query
from typing_extensions import Annotated
from aws_lambda_powertools.utilities.typing import LambdaContext

from esurety.api import http
from esurety.api.answers.applications import (
    ApplicationDetail,
    Applications,
    ChangeReceived,
    Orderers,
    Received,
    UploadVerdict,
)
from esurety.api.answers.contracts import CertificateVersion, ContractDetail, Contracts
from esurety.api.answers.desk import Submission
from esurety.api.answers.documents import DownloadLink, UploadForm
from esurety.api.answers.issuers import Issuers
from esurety.api.answers.profiles import Estimate, Profile
from esurety.api.headers import idempotency_key
from esurety.aws import snapstart
from esurety.domain.identity import CONTRACTOR
from esurety.domain.application.schemas import ApplicationRequest, ChangeRequest, ProfileRequest, SubmissionRequest
from esurety.services.commands import applications, desk, profiles, uploads
from esurety.services.views import estimates
from esurety.services import contracts, issuers, registry
from esurety.aws.observability import logger, metrics, tracer

app = http.make_resolver(logger)
RetryKey = idempotency_key("A retry with the same key and body answers the same application.")


@app.get("/orderers")
def list_orderers() -> Orderers:
    return {"orderers": [entry.to_json() for entry in registry.list_orderers()]}


@app.get("/issuers")
def list_issuers() -> Issuers:
    """The issuers a contractor chooses from, and those retired or suspended (marked by status)."""
    return {"issuers": [issuer.public_json() for issuer in issuers.list_issuers()]}


@app.post("/applications", status_code=201, response_description="The application is stored (or was, for a retried Idempotency-Key).")
def submit_application(
    body: ApplicationRequest,
    key: RetryKey = None,
) -> Received:
    caller = http.caller(app).require(CONTRACTOR)
    application, created = applications.submit(caller, body, key)
    logger.info("application received", extra={"application_id": application["application_id"], "new": created})
    return {k: application[k] for k in ("application_id", "reference", "status")}


@http.judge_invalid(app, "POST", "/applications")
def _application_rules(body: dict, _: dict) -> list:
    return applications.problems_of_invalid(http.caller(app).require(CONTRACTOR), body)


@app.get("/applications")
def list_applications() -> Applications:
    """申込一覧: the company's applications (new and change), newest first, with any reject reason."""
    return {"applications": applications.list_for_company(http.caller(app).require(CONTRACTOR))}


@app.post("/contracts/<number>/changes", status_code=201, response_description="The change application is stored (or was, for a retried Idempotency-Key).")
def submit_change(
    number: str,
    body: ChangeRequest,
    key: RetryKey = None,
) -> ChangeReceived:
    """変更申込: what changes (guarantee amount or deadline, works period, with them the price) and why."""
    caller = http.caller(app).require(CONTRACTOR)
    application, created = applications.submit_change(caller, number, body, key)
    logger.info("change application received", extra={"application_id": application["application_id"], "new": created})
    return {k: application[k] for k in ("application_id", "reference", "kind", "status")}


@http.judge_invalid(app, "POST", "/contracts/<number>/changes")
def _change_rules(body: dict, path: dict) -> list:
    return applications.change_problems_of_invalid(http.caller(app).require(CONTRACTOR), path["number"], body)


@app.post("/applications/uploads", status_code=201, response_description="A presigned POST for the file.")
def create_upload() -> UploadForm:
    """A presigned POST for one 認定調書 PDF (中間前払金保証): the file goes straight to the bucket."""
    return uploads.create(http.caller(app).require(CONTRACTOR))


@app.get("/applications/uploads/<upload_id>")
def get_upload(upload_id: str) -> UploadVerdict:
    """The check's verdict on an uploaded 認定調書: awaiting, checked, or refused with the reason."""
    return uploads.verdict(http.caller(app).require(CONTRACTOR), upload_id)


@app.get("/applications/<application_id>")
def get_application(application_id: str) -> ApplicationDetail:
    """The application as sent (`request`), its state and any reject reason: read again on the Net Desk."""
    return applications.get_for_contractor(http.caller(app).require(CONTRACTOR), application_id)


@app.get("/contracts")
def list_contracts(
    status: Annotated[Optional[Literal["valid", "expired", "terminated", "claimed"]], Query(description="状態: 有効 | 期限満了 | 解約 | 履行請求")] = None,
    q: Annotated[Optional[str], Query(max_length=contracts.MAX_QUERY, description="A part of the 工事名 or of the contract number; full-width input accepted.")] = None,
    cursor: Annotated[Optional[str], Query(max_length=1000, description="Opaque: the next_cursor of the previous page.")] = None,
    limit: Annotated[Optional[int], Query(ge=1, le=contracts.MAX_LIMIT, description="Rows per page (default 50).")] = None,
) -> Contracts:
    """保証契約一覧: the company's contracts by number, with 状態; filtered by 状態, searched by 工事名 or number, paged."""
    caller = http.caller(app).require(CONTRACTOR)
    return contracts.list_for_company(caller, status=status, q=q, cursor=cursor, limit=limit)


@app.get("/contracts/<number>")
def get_contract(number: str) -> ContractDetail:
    return contracts.detail(http.caller(app).require(CONTRACTOR), number)


@app.get("/contracts/<number>/notice")
def get_notice(number: str, version: Annotated[Optional[int], Query(ge=1, le=contracts.MAX_VERSION)] = None) -> DownloadLink:
    """The link to a shown version's notice (default: the version in force)."""
    return contracts.notice_url(http.caller(app).require(CONTRACTOR), number, version)


@app.get("/contracts/<number>/certificates/<version>")
def get_certificate(number: str, version: int) -> CertificateVersion:
    """A shown version: its certificate's whole content and the link to its PDF."""
    return contracts.certificate_url(http.caller(app).require(CONTRACTOR), number, version)


@app.post("/contracts/<number>/submissions", status_code=201, response_description="Presented to the department (or was: a repeat answers the first presentation).")
def submit_guarantee(number: str, body: SubmissionRequest) -> Submission:
    """提出: the guarantee goes to the orderer's department's desk at once, no PDF e-mailed."""
    presentation, created = desk.submit(http.caller(app).require(CONTRACTOR), number, body.department_id)
    logger.info("guarantee submitted", extra={"contract_number": presentation["contract_number"], "new": created})
    return presentation


_resolve = http.guarded(app, CONTRACTOR, public=frozenset({"GET /orderers", "GET /issuers"}))


@app.get("/contracts/<number>/fee-statements/<version>")
def get_fee_statement(number: str, version: int) -> DownloadLink:
    return contracts.fee_statement_url(http.caller(app).require(CONTRACTOR), number, version)


@app.get("/contracts/<number>/termination-statement")
def get_termination_statement(number: str) -> DownloadLink:
    """The 保証料返還計算書 of a recorded 解約 (404 before one is recorded and stored)."""
    return contracts.termination_statement_url(http.caller(app).require(CONTRACTOR), number)


# ---------------------------------------------------------------- the company profile and the fee estimate


@app.get("/profile")
def get_profile() -> Profile:
    """The company profile that prefills a new application (every field null before the first save)."""
    return profiles.get(http.caller(app).require(CONTRACTOR))


@app.put("/profile")
def put_profile(body: ProfileRequest) -> Profile:
    """Saves the company profile (an overwrite: a repeat changes nothing); validated as an application's same fields."""
    caller = http.caller(app).require(CONTRACTOR)
    logger.info("profile saved", extra={"company_id": caller.company_id})
    return profiles.save(caller, body)


@app.post("/applications/estimate")
def estimate_application(body: ApplicationRequest) -> Estimate:
    """保証料（見込み）: the application judged as POST /applications judges it (the same 422), nothing
    stored; the fee it would be charged if issued today, computed as its 保証料計算書 is."""
    return estimates.estimate(http.caller(app).require(CONTRACTOR), body)


@http.judge_invalid(app, "POST", "/applications/estimate")
def _estimate_rules(body: dict, _: dict) -> list:
    return applications.problems_of_invalid(http.caller(app).require(CONTRACTOR), body)


snapstart.install()  # SnapStart: renew clients, caches and randomness in each restored environment


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # answers hold links and keys' notices
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return _resolve(event, context)
