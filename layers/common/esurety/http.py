"""HTTP glue shared by the API functions: one resolver setup, one error shape.

Every error body is `{"message": ..., "errors": [{"field", "reason"}]}` for 422, and
`{"message": ...}` otherwise. Messages are Japanese (shown to people); field paths are the
API's own (`work.contract_price`), reasons English (read by the developers of client systems).
"""
from __future__ import annotations

import functools
import json
from typing import Callable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.shared.json_encoder import Encoder

from . import identity
from .errors import Conflict, Forbidden, InputError, NotFound, Problem, TooManyAttempts

INVALID = "入力内容に誤りがあります。"
FORBIDDEN = "この操作を行う権限がありません。"
NOT_FOUND = "該当する情報が見つかりません。保証契約番号と認証キーをご確認ください。"


_SERIALIZER = functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False, cls=Encoder)


def _json(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def _reason(error: dict) -> str:
    if error.get("type") == "missing":
        return "is required"
    if error.get("type") == "extra_forbidden":
        return "is not a field of this request"
    if error.get("type") == "json_invalid":
        return "is not valid JSON"
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ")


def problems_response(problems: list[Problem]) -> Response:
    return _json(422, {"message": INVALID, "errors": [{"field": p.field, "reason": p.reason} for p in problems]})


def make_resolver(logger: Logger) -> APIGatewayHttpResolver:
    # UTF-8 JSON: Japanese stays readable in every client and log, not \uXXXX escapes.
    # debug=False whatever POWERTOOLS_DEV / POWERTOOLS_EVENT_HANDLER_DEBUG say: debug mode prints
    # every event and answer (auth keys in both) and puts tracebacks in 500 answers.
    app = APIGatewayHttpResolver(enable_validation=True, serializer=_SERIALIZER, debug=False)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError):
        return problems_response([Problem(_field(e.get("loc", ())), _reason(e)) for e in error.errors()])

    @app.exception_handler(InputError)
    def _input(error: InputError):
        return problems_response(error.problems)

    @app.exception_handler(NotFound)
    def _not_found(_: NotFound):
        return _json(404, {"message": NOT_FOUND})

    @app.exception_handler(Forbidden)
    def _forbidden(error: Forbidden):
        logger.info("forbidden", extra={"reason": str(error)})
        return _json(403, {"message": FORBIDDEN})

    @app.exception_handler(Conflict)
    def _conflict(error: Conflict):
        return _json(409, {"message": "現在の状態ではこの操作はできません。", "reason": str(error)})

    @app.exception_handler(TooManyAttempts)
    def _too_many(error: TooManyAttempts):
        return _json(
            429,
            {"message": "認証に続けて失敗したため、しばらく照会できません。時間をおいて再度お試しください。"},
            headers={"Retry-After": str(error.retry_after_seconds)},
        )

    return app


# On every answer of the API: some carry the auth key or a document link, none is worth a cache.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _no_store(response: dict) -> dict:
    response["headers"] = {**(response.get("headers") or {}), **NO_STORE}
    return response


def caller(app: APIGatewayHttpResolver) -> identity.Caller:
    return identity.from_event(app.current_event.raw_event)


def header(app: APIGatewayHttpResolver, name: str) -> str | None:
    headers = app.current_event.headers or {}
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def guarded(app: APIGatewayHttpResolver, group: str, public: frozenset[str] = frozenset()) -> Callable:
    """The function's handler: callers outside `group` get 403 before their body is even validated.

    Each API function serves one group (contractor, staff or orderer), so the check belongs at its
    door; the routes still call `Caller.require`, which also checks the tenant claim.
    """

    def handler(event: dict, context) -> dict:
        if event.get("routeKey") not in public:  # e.g. "GET /orderers", as the route is declared
            try:
                identity.from_event(event).require(group)
            except Forbidden:
                return _no_store({
                    "statusCode": 403,
                    "headers": {"Content-Type": content_types.APPLICATION_JSON},
                    "body": json.dumps({"message": FORBIDDEN}, ensure_ascii=False),
                    "isBase64Encoded": False,
                })
        return _no_store(app.resolve(event, context))

    return handler
