"""Logs, traces and metrics: the one Logger, Tracer and Metrics of the function this process runs.

A Lambda process runs one function, so they are made once, here, and every handler imports them:

    from esurety.aws.observability import logger, metrics, tracer

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event, context): ...

All three are named by the function's POWERTOOLS_SERVICE_NAME (infra/template.yaml sets it on
each function: esurety-apply, -issue, -publish, -verify, -mail, -reconcile, -upload-check): the
log's `service` key, the trace's annotation and the metrics' `service` dimension, which the
dashboard and the alarms name. (The tests load each handler with its function's name from the
template and a fresh copy of this module, as each function's own process would.)

Logs: Powertools' structured JSON logger; the services log through `Logger(child=True)`.

Traces (X-Ray; the template keeps `Tracing: Active` on every function): every AWS call
(DynamoDB through PynamoDB, S3, KMS, SES, Secrets Manager, SSM: all botocore) becomes a
subsegment of the invocation. Only botocore is patched, not everything aws-xray-sdk knows
(`patch_all` also imports and wraps requests, httpx, sqlite3, ... at cold start, for calls these
functions never make); see docs/performance.md for what the Tracer costs at import. No response is
captured (`capture_response=False`, and POWERTOOLS_TRACER_CAPTURE_RESPONSE in the template):
answers carry presigned links and the API's bodies, which a trace's metadata would keep where
whoever reads traces can read them. Outside Lambda (tests, the bench by default) Powertools
disables the Tracer by itself.

Metrics: what the services record (esurety/metrics.py) is written by `@metrics.log_metrics` at
the end of each event; Powertools' Metrics instances share one metric set per process.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from esurety.metrics import NAMESPACE

TRACED_MODULES = ("botocore",)

logger = Logger()
tracer = Tracer(patch_modules=TRACED_MODULES)
metrics = Metrics(namespace=NAMESPACE)
