"""S3 ObjectCreated on uploads/: a contractor's 認定調書 arrived; judge it before staff see it."""
from __future__ import annotations

from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from esurety.services.commands import uploads
from esurety.aws.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # answers hold links and keys' notices
@metrics.log_metrics
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict:
    outcomes = []
    for record in event.records:
        key = unquote_plus(record.s3.get_object.key)
        outcome = uploads.check(key, record.s3.get_object.version_id)
        logger.info("upload arrival", extra={"s3_key": key, "outcome": outcome})
        outcomes.append(outcome)
    return {"outcomes": outcomes}
