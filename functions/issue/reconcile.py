"""Scheduled: republish every certificate version whose publication is unfinished after a few minutes."""
from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from esurety.metrics import handler_metrics
from esurety.services.reconciliation import reconcile
from esurety.aws.tracing import TRACED_MODULES

logger = Logger(service="esurety-reconcile")
tracer = Tracer(service="esurety-reconcile", patch_modules=TRACED_MODULES)
metrics = handler_metrics("esurety-reconcile")  # what the services record is written at the end of each event


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # answers hold links and keys' notices
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return reconcile()
