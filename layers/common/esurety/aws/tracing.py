"""X-Ray tracing (Powertools Tracer; the template keeps `Tracing: Active` on every function).

Each handler creates `Tracer(service=..., patch_modules=TRACED_MODULES)` and decorates itself with
`@tracer.capture_lambda_handler(capture_response=False)`: every AWS call (DynamoDB through
PynamoDB, S3, KMS, SES, Secrets Manager, SSM: all botocore) becomes a subsegment of the
invocation. Only botocore is patched, not everything aws-xray-sdk knows (`patch_all` also
imports and wraps requests, httpx, sqlite3, ... at cold start, for calls these functions never
make); see docs/performance.md for what the Tracer costs at import.

No response is captured: answers carry presigned links and the API's bodies, which a trace's
metadata would keep where whoever reads traces can read them. Outside Lambda (tests, the bench
by default) Powertools disables the Tracer by itself.
"""
from __future__ import annotations

TRACED_MODULES = ("botocore",)
