"""Scheduled: republish every certificate version whose publication is unfinished after a few minutes."""
from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from esurety.services.reconciliation import reconcile

logger = Logger(service="esurety-reconcile")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return reconcile()
