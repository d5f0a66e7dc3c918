"""HTTP glue shared by the API functions: one resolver setup, one error shape.

Every error body is `{"message": ..., "errors": [{"field", "code", "reason"}]}` for 422, and
`{"message": ..., "code": ...}` otherwise. Messages are Japanese (shown to people); field paths are
the API's own (`work.contract_price`); codes stable snake_case (esurety/domain/error_codes.py, which the
screens turn into Japanese); reasons English (read by the developers of client systems).
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from typing import Callable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError, ResponseValidationError
from aws_lambda_powertools.shared.json_encoder import Encoder

from ..domain import error_codes, identity
from ..domain.japanese.text import ascii_hyphens
from . import json_body
from ..domain.errors import (
    Conflict, Forbidden, InputError, IssuerSigningUnavailable, KeyRenewed, NotFound, PreconditionRequired, Problem, TooManyAttempts,
)

INVALID = "入力内容に誤りがあります。"
FORBIDDEN = "この操作を行う権限がありません。"
NOT_FOUND = "該当する情報が見つかりません。保証契約番号と認証キーをご確認ください。"
KEY_RENEWED = error_codes.MESSAGES["key_renewed"]
JSON_EXPECTED = "リクエストの本文を読み取れません。本文は JSON のオブジェクト（{ }）で送ってください。"
PRECONDITION_REQUIRED = "操作の対象とした保証契約の版（If-Match）が指定されていません。最新の状態を表示してから、もう一度操作してください。"
ANSWER_FAILED = "システムエラーが発生しました。時間をおいて再度お試しください。"
UNSUPPORTED_MEDIA_TYPE = "Content-Type が application/json ではありません。本文は JSON のオブジェクトで送ってください。"


# The refusals at a function's door (guarded) are logged here; the resolver's own with its logger.
_door_logger = Logger(child=True)

_SERIALIZER = functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False, cls=Encoder)


def _json(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def _problem(error: dict) -> Problem:
    code, reason = error_codes.from_pydantic(error)
    return Problem(_field(error.get("loc", ())), code, reason)


def problem_json(problem: Problem) -> dict:
    return {"field": problem.field, "code": problem.code, "reason": problem.reason}


def problems_response(problems: list[Problem]) -> Response:
    return _json(422, {"message": INVALID, "errors": [problem_json(p) for p in problems]})


def body_problem_response(field: str, code: str, reason: str) -> Response:
    """422 for a body that is not one readable JSON object: one problem, the message says JSON."""
    return _json(422, {"message": JSON_EXPECTED, "errors": [problem_json(Problem(field, code, reason))]})


def _body_missing(errors: list) -> bool:
    return any(e.get("type") == "missing" and tuple(e.get("loc", ())) == ("body",) for e in errors)


def make_resolver(logger: Logger) -> APIGatewayHttpResolver:
    # UTF-8 JSON: Japanese stays readable in every client and log, not \uXXXX escapes.
    # debug=False whatever POWERTOOLS_DEV / POWERTOOLS_EVENT_HANDLER_DEBUG say: debug mode prints
    # every event and answer (auth keys in both) and puts tracebacks in 500 answers.
    # Bodies are parsed strictly (json_body): a hostile body is a 422, never a server error.
    # Each answer is checked against its route's model (esurety/api/answers); one that does not match is
    # our bug: a 500, logged with where it differs (never the values: answers hold keys and links).
    app = APIGatewayHttpResolver(
        enable_validation=True, serializer=_SERIALIZER, debug=False, json_body_deserializer=json_body.parse,
        response_validation_error_http_code=500,
    )

    @app.exception_handler(ResponseValidationError)
    def _unanswerable(error: ResponseValidationError):
        logger.error("answer does not match its model", extra={"errors": [{"loc": e.get("loc"), "type": e.get("type")} for e in error.errors()]})
        return _json(500, {"message": ANSWER_FAILED})

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError):
        cause = error.__cause__
        if isinstance(cause, json_body.BodyError):
            return body_problem_response(cause.field, cause.code, cause.reason)
        if _body_missing(error.errors()):
            return body_problem_response("body", "empty_body", "is empty; a JSON object is expected")
        problems = [_problem(e) for e in error.errors()]
        try:
            problems += _rules_of_invalid(app)
        except InputError as more:
            problems += more.problems
        except NotFound as refusal:
            return _not_found(refusal)
        except Forbidden as refusal:
            return _forbidden(refusal)
        except Conflict as refusal:
            return _conflict(refusal)
        return problems_response(problems)

    @app.exception_handler(InputError)
    def _input(error: InputError):
        return problems_response(error.problems)

    @app.exception_handler(NotFound)
    def _not_found(_: NotFound):
        return _json(404, {"message": NOT_FOUND, "code": "not_found"})

    @app.exception_handler(KeyRenewed)
    def _key_renewed(_: KeyRenewed):
        return _json(404, {"message": KEY_RENEWED, "code": "key_renewed"})

    @app.not_found
    def _no_route(_):
        # A path that matches no route (e.g. a parameter the route's pattern cannot hold): the same
        # 404 body as any other miss, not the resolver's own `{"statusCode": 404, ...}`.
        return _json(404, {"message": NOT_FOUND, "code": "not_found"})

    @app.exception_handler(Forbidden)
    def _forbidden(error: Forbidden):
        logger.info("forbidden", extra={"reason": str(error), "code": error.code})
        message = FORBIDDEN if error.code == "forbidden" else error_codes.MESSAGES[error.code]
        return _json(403, {"message": message, "code": error.code})

    @app.exception_handler(Conflict)
    def _conflict(error: Conflict):
        body = {"message": error.message or "現在の状態ではこの操作はできません。", "code": error.code, "reason": str(error)}
        if error.current is not None:
            body["current"] = error.current
        return _json(409, body)

    @app.exception_handler(PreconditionRequired)
    def _precondition_required(error: PreconditionRequired):
        logger.info("precondition required", extra={"header": error.header, "reason": str(error)})
        return _json(428, {"message": PRECONDITION_REQUIRED, "code": "if_match_required", "reason": str(error)})

    @app.exception_handler(IssuerSigningUnavailable)
    def _signing_unavailable(error: IssuerSigningUnavailable):
        # Not the caller's fault and not a bug: the issuer's key or certificate cannot sign now (the
        # operator is alarmed, esurety/aws/signing.py). Nothing was stored; the same request succeeds later.
        return _json(503, {"message": error_codes.MESSAGES["issuer_signing_unavailable"], "code": "issuer_signing_unavailable"})

    @app.exception_handler(TooManyAttempts)
    def _too_many(error: TooManyAttempts):
        body = {"message": "認証に続けて失敗したため、しばらく照会できません。時間をおいて再度お試しください。", "code": "too_many_attempts"}
        if error.contact is not None:
            body["contact"] = error.contact
        return _json(429, body, headers={"Retry-After": str(error.retry_after_seconds)})

    return app


RuleJudge = Callable[[dict, dict], list[Problem]]


def judge_invalid(app: APIGatewayHttpResolver, method: str, path: str) -> Callable[[RuleJudge], RuleJudge]:
    """Registers `judge(body, path_parameters)` for the route `method path` (`/contracts/<number>/changes`):
    when the body's fields fail validation, its cross-field rules still run on the fields given
    rightly, and their problems follow the field errors in the one 422 (a clerk fixes all in one
    round). The judge may raise NotFound, Forbidden or Conflict, answered as from a route."""
    pattern = re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", path) + "$")

    def register(judge: RuleJudge) -> RuleJudge:
        _judges(app).append((method.upper(), pattern, judge))
        return judge

    return register


def _judges(app: APIGatewayHttpResolver) -> list:
    if not hasattr(app, "_esurety_rule_judges"):
        app._esurety_rule_judges = []
    return app._esurety_rule_judges


def _rules_of_invalid(app: APIGatewayHttpResolver) -> list[Problem]:
    event = app.current_event
    for method, pattern, judge in _judges(app):
        match = pattern.match(event.path or "")
        if method == event.http_method and match:
            body = event.json_body
            return judge(body if isinstance(body, dict) else {}, match.groupdict())
    return []


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


def _raw(status: int, body: dict) -> dict:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(body, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def _is_json_media_type(value: str | None) -> bool:
    """`application/json`, optionally with `charset=utf-8` (any other charset is not what we read)."""
    if not value:
        return False
    media_type, *params = [part.strip().lower() for part in value.split(";")]
    if media_type != "application/json":
        return False
    charsets = [p.split("=", 1)[1].strip().strip('"') for p in params if p.startswith("charset=")]
    return all(c in ("utf-8", "utf8") for c in charsets)


def body_refusal(event: dict) -> dict | None:
    """415 for a body that is not declared JSON, 422 for one that is not text; None when acceptable.

    Only a request that carries a body is judged (GET and POST …/issue have none); whether the JSON
    is one object is judged by the resolver's deserializer (`json_body.parse`).
    """
    body = event.get("body")
    if body is None or body == "":
        return None
    headers = event.get("headers") or {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if not _is_json_media_type(content_type):
        return _raw(415, {"message": UNSUPPORTED_MEDIA_TYPE, "code": "unsupported_media_type", "reason": "Content-Type must be application/json"})
    # Media types are case-insensitive; Powertools compares them as written: tell it what was checked.
    for name in [k for k in headers if k.lower() == "content-type"]:
        headers[name] = "application/json"
    if event.get("isBase64Encoded"):
        try:
            base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return _raw(422, {"message": JSON_EXPECTED, "errors": [problem_json(Problem("body", "not_utf8", "is not UTF-8 text; a JSON object is expected"))]})
    return None


def _typed_path(event: dict) -> None:
    """A number typed into a path with a full-width or other hyphen-like character (３１０７３－００００１Ｍ:
    the HTTP API hands the path on decoded) reaches its route: the resolver's path patterns hold
    letters, digits (full-width ones too) and ASCII punctuation only, and would answer 404 before
    the route's own reading of the number (contracts.path_number) could accept it."""
    for holder, name in ((event, "rawPath"), ((event.get("requestContext") or {}).get("http") or {}, "path")):
        if isinstance(holder.get(name), str):
            holder[name] = ascii_hyphens(holder[name])


def guarded(app: APIGatewayHttpResolver, group: str, public: frozenset[str] = frozenset()) -> Callable:
    """The function's handler: callers outside `group` get 403 before their body is even validated.

    Each API function serves one group (contractor, staff or orderer), so the check belongs at its
    door; the routes still call `Caller.require`, which also checks the tenant claim. A body that is
    not declared JSON is refused next (415), before the resolver reads it.
    """

    def handler(event: dict, context) -> dict:
        if event.get("routeKey") not in public:  # e.g. "GET /orderers", as the route is declared
            caller = identity.from_event(event)
            try:
                caller.require(group)
            except Forbidden as error:
                # Logged as the resolver's 403s are: who knocked at which door, never the token.
                _door_logger.info(
                    "forbidden",
                    extra={"reason": str(error), "route": event.get("routeKey"), "caller": caller.subject, "groups": sorted(caller.groups)},
                )
                return _no_store(_raw(403, {"message": FORBIDDEN, "code": "forbidden"}))
        refusal = body_refusal(event)
        if refusal is not None:
            return _no_store(refusal)
        _typed_path(event)
        return _no_store(app.resolve(event, context))

    return handler
