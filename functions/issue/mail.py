"""The mail queue: hand each e-mail to SES, once (esurety/services/commands/outbox.py).

A message whose sending fails in a way that may pass is reported back, so the queue delivers it
again after its visibility timeout and, when its receives are spent, moves it to the dead-letter
queue (recorded on the contract as undelivered first). An address SES refuses is recorded at once
and not retried.
"""
from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from esurety.aws.observability import logger, metrics, tracer
from esurety.services.commands.outbox import deliver

# A batch whose every message failed (SES throttling, down) is answered with its failures, not
# raised: the queue retries them either way, and the dead-letter queue's alarm is the one that
# says a mail stayed undelivered.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _send(record: SQSRecord) -> str:
    message = record.json_body
    receives = int(record.attributes.approximate_receive_count or 1)
    outcome = deliver(message, receives)
    logger.info("mail", extra={"mail_id": message.get("mail_id"), "outcome": outcome, "receives": receives})
    return outcome


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=_send, processor=processor, context=context)
