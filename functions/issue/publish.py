"""S3 ObjectCreated on certificates/: the certificate arrived on the platform, publish it."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from esurety import signing, snapstart
from esurety.fonts import GOTHIC, ensure_fonts
from esurety.services.publication import Arrival, publish
from esurety.metrics import handler_metrics
from esurety.tracing import TRACED_MODULES

logger = Logger(service="esurety-publish")
tracer = Tracer(service="esurety-publish", patch_modules=TRACED_MODULES)
metrics = handler_metrics("esurety-publish")  # what the services record is written at the end of each event
# The notice's font loads at cold start: a layer without it fails here, not in a document.
ensure_fonts(GOTHIC)
# SnapStart: pyHanko is loaded into the snapshot (an on-demand cold start loads it at the first
# signature instead); clients, caches and randomness are renewed in each restored environment.
snapstart.install(signing.preload)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # answers hold links and keys' notices
@metrics.log_metrics
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict:
    outcomes = []
    for record in event.records:
        arrival = Arrival(s3_key=unquote_plus(record.s3.get_object.key), event_time=_event_time(record.event_time))
        outcome = publish(arrival)
        logger.info("certificate arrival", extra={"s3_key": arrival.s3_key, "outcome": outcome})
        outcomes.append(outcome)
    return {"outcomes": outcomes}


def _event_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
