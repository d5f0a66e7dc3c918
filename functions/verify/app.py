"""Orderer API: verify a certificate by contract number and auth key."""
from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from esurety.api import http
from esurety.api.answers.verification import ReceiptRecorded, Verification
from esurety.aws import snapstart
from esurety.domain.identity import ORDERER
from esurety.domain.application.schemas import ReceiptRequest, VerificationRequest
from esurety.services.views import verification
from esurety.aws.observability import logger, metrics, tracer

app = http.make_resolver(logger)


@app.post("/verifications")
def verify_certificate(body: VerificationRequest) -> Verification:
    caller = http.caller(app).require(ORDERER)
    return verification.verify(caller, body.contract_number, body.auth_key, body.version)


@app.post("/verifications/receipts", status_code=201, response_description="The receipt is recorded (or was: the first record stands).")
def record_receipt(body: ReceiptRequest) -> ReceiptRecorded:
    """受領確認: the orderer records that it received (deposited) a shown version."""
    caller = http.caller(app).require(ORDERER)
    receipt, _ = verification.record_receipt(caller, body.contract_number, body.auth_key, body.version)
    return receipt


_resolve = http.guarded(app, ORDERER)
snapstart.install()  # SnapStart: renew clients, caches and randomness in each restored environment


# The event's body carries the typed auth key: never log it, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
@logger.inject_lambda_context(clear_state=True, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)  # answers hold links and keys' notices
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return _resolve(event, context)
