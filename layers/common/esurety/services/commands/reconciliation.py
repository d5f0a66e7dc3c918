"""The reconciler: every few minutes, ask the publisher again for each version whose publication
is unfinished (not published, or published without its e-mail claimed) since longer than that.

It finds them with one Query of gsi1's sparse `VERSIONS#pending` entries, oldest first,
and puts republish requests on the publication queue, where they get the publisher's retries and
its dead-letter queue. Republishing is idempotent, so asking twice costs a little work, nothing more.
"""
from __future__ import annotations

import os
from datetime import timedelta

from aws_lambda_powertools import Logger

from ...domain.japanese import clock
from ... import metrics
from ...aws import contracts_repository
from ...aws.models import VersionItem
from . import publication

logger = Logger(child=True)
# The publisher normally finishes within seconds; S3 events and the queue's retries get this long first.
DEFAULT_AFTER_SECONDS = 300


def after_seconds() -> int:
    return int(os.environ.get("RECONCILE_AFTER_SECONDS", DEFAULT_AFTER_SECONDS))


def reconcile() -> dict:
    cutoff = VersionItem.pending_sort_key(clock.now() - timedelta(seconds=after_seconds()))
    requested, not_stored = [], []
    for version in contracts_repository.pending_versions(cutoff):
        name = f"{version.contract_number}/v{int(version.version):03d}"
        if not version.sha256:
            # Its issue call stopped before the bucket: the application is still submitted, and
            # issuing it again stores the certificate (nothing is known to be in the bucket).
            not_stored.append(name)
            continue
        publication.request(version.contract_number, int(version.version))
        requested.append(name)
    metrics.gauge(metrics.UNFINISHED_VERSIONS, len(requested) + len(not_stored))
    metrics.gauge(metrics.PUBLICATIONS_REPUBLISHED, len(requested))
    if requested or not_stored:
        logger.warning("unfinished publications", extra={"requested": requested, "not_stored": not_stored})
    return {"requested": requested, "not_stored": not_stored}
