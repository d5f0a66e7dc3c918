"""Scheduled (daily, 09:00 JST): remind each department of the guarantees on its desk whose 保証期限 is 30 or 7 days away."""
from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from esurety.aws.observability import logger, metrics, tracer
from esurety.services.commands.desk import remind


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    queued = remind()
    logger.info("desk reminders queued", extra={"mails": queued})
    return {"queued": queued}
