"""Business metrics, as CloudWatch embedded metric format (EMF) lines in the function's log.

The services record what happened where it happens (`metrics.add_metric(...)`); each handler is
decorated with `@metrics.log_metrics` (the instance in esurety/aws/observability.py), which writes
the invocation's metrics as one JSON line at its end (CloudWatch turns it into metrics; no API
call, nothing for a request to wait for). Powertools' Metrics instances share one metric set per
process, so the services and the handler add to the same one; the `service` dimension is the
function's POWERTOOLS_SERVICE_NAME (esurety-apply, -issue, -publish, -verify, ...), which the
dashboard and the alarms name.

Only counts and latencies: never a contract number, a caller or a key as a dimension (a
dimension value is a new metric each, and the log already says who).
"""
from __future__ import annotations

import warnings
from datetime import datetime

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "esurety"

APPLICATIONS_SUBMITTED = "ApplicationsSubmitted"  # a new application (a replayed one is not counted again)
CERTIFICATES_ISSUED = "CertificatesIssued"  # an application issued: number, key and certificate stored
CERTIFICATES_PUBLISHED = "CertificatesPublished"  # a version moved rendered -> published (once per version)
PUBLICATION_LATENCY = "PublicationLatency"  # ms from the version's rendered_at to its publication
VERIFICATIONS = {  # 保証確認 by outcome
    "ok": "VerificationsOk",
    "not_found": "VerificationsNotFound",  # unknown number, wrong key, another orderer's, paper, unpublished
    "locked": "VerificationsLocked",  # refused by the lockout before the key was judged (429)
    "invalid": "VerificationsInvalid",  # the contract number's check letter fails (422)
}
UNFINISHED_VERSIONS = "UnfinishedVersions"  # each reconciler run: versions unpublished (or unmailed) after 5 minutes
PUBLICATIONS_REPUBLISHED = "PublicationsRepublished"  # each reconciler run: republish requests it queued
# An object at a record's key that belongs to another record (the table lost writes the bucket
# kept): refused, never published (esurety/aws/storage.py).
FOREIGN_OBJECTS = "ForeignObjects"
# A document refused because its issuer's key or certificate cannot sign for it (esurety/aws/signing.py).
ISSUER_SIGNING_UNAVAILABLE = "IssuerSigningUnavailable"
LOCKOUTS = "Lockouts"  # a failed attempt took a budget's last one: a number or a caller is now locked

metrics = Metrics(namespace=NAMESPACE)


def count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def gauge(name: str, value: int) -> None:
    """A count written even when it is 0, so an alarm on it has data every run."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def verification(outcome: str) -> None:
    count(VERIFICATIONS[outcome])


def publication_latency(rendered_at: datetime, published_at: datetime) -> None:
    milliseconds = max(0.0, (published_at - rendered_at).total_seconds() * 1000)
    metrics.add_metric(name=PUBLICATION_LATENCY, unit=MetricUnit.Milliseconds, value=round(milliseconds, 1))


# A GET or an ignored event records nothing, and that is normal: no warning in every such log.
warnings.filterwarnings("ignore", message="No application metrics to publish")
