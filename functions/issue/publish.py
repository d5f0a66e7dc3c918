"""The publication queue (S3 arrivals under certificates/, republish requests): publish each one.

A message whose publication fails is reported back, so the queue delivers it again after its
visibility timeout and, when its receives are spent, moves it to the dead-letter queue.
"""
from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from esurety.aws import signing, snapstart
from esurety.fonts import GOTHIC, ensure_fonts
from esurety.aws.observability import logger, metrics, tracer
from esurety.services.commands.publication import arrivals, publish

# The notice's font loads at cold start: a layer without it fails here, not in a document.
ensure_fonts(GOTHIC)
# SnapStart: pyHanko is loaded into the snapshot (an on-demand cold start loads it at the first
# signature instead); clients, caches and randomness are renewed in each restored environment.
snapstart.install(signing.preload)
processor = BatchProcessor(event_type=EventType.SQS)


def _publish_message(record: SQSRecord) -> list[str]:
    outcomes = []
    for arrival in arrivals(record.json_body):
        outcome = publish(arrival)
        logger.info("certificate arrival", extra={"s3_key": arrival.s3_key, "outcome": outcome})
        outcomes.append(outcome)
    return outcomes


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # answers hold links and keys' notices
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=_publish_message, processor=processor, context=context)
