"""Scheduled: republish every certificate version whose publication is unfinished after a few minutes."""
from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from esurety.aws.observability import logger, metrics, tracer
from esurety.services.commands.reconciliation import reconcile


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # answers hold links and keys' notices
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return reconcile()
