"""Request headers the routes declare (so docs/openapi.json lists them where they are read).

The resolver only reads them: the services judge them, with their own answers (a malformed
Idempotency-Key or If-Match is a 422 naming the header, a missing If-Match a 428), so the
constraints below are documented (json_schema_extra) rather than enforced by Powertools. Each is
declared with the default None: absent, the route gets None (If-Match's absence is the service's 428).
"""
from __future__ import annotations

from aws_lambda_powertools.event_handler.openapi.params import Header
from typing_extensions import Annotated


def idempotency_key(description: str):
    """`Idempotency-Key`: a retry with the same key is answered with what the first request did."""
    return Annotated[
        str,
        Header(alias="Idempotency-Key", description=description, json_schema_extra={"minLength": 1, "maxLength": 255}),
    ]


IfMatch = Annotated[
    str,
    Header(
        alias="If-Match",
        description="Required: the contract's revision the caller acted on (GET /staff/contracts/{number}); another "
        "answers 409 with `current`, none 428.",
        json_schema_extra={"pattern": '^(W/)?"?[0-9]{1,9}"?$'},
    ),
]
