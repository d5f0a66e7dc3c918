"""Request bodies as the API accepts them: one JSON object, parsed strictly.

`json.loads` alone turns hostile bodies into server errors: 5,000 nested arrays raise
RecursionError, an integer of more than 4,300 digits raises ValueError (Python's int limit), and
`"\\ud800"` decodes to a lone surrogate that no UTF-8 encoder (hashing, DynamoDB, the answer's own
serializer) will take. Here every one of them is a `BodyError`, which the API answers with 422.
`BodyError` is a `json.JSONDecodeError`, so Powertools' validation treats it as invalid JSON.
"""
from __future__ import annotations

import json
from typing import Any

from ..domain.japanese.text import has_surrogate

MAX_DEPTH = 8  # the deepest request is 2 levels (application → work → name)
MAX_INTEGER_DIGITS = 20  # amounts are at most 14 digits (MAX_YEN = 10**13)


class BodyError(json.JSONDecodeError):
    """The body is not one JSON object the API can read; `field` is "body" or the path of a value,
    `code` one of esurety/domain/error_codes.py."""

    def __init__(self, code: str, reason: str, doc: str = "", pos: int = 0, field: str = "body"):
        super().__init__(reason, doc, pos)
        self.code = code
        self.reason = reason
        self.field = field


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise BodyError("integer_too_long", f"has an integer of more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _constant(name: str) -> Any:
    raise BodyError("invalid_json", f"has {name}, which is not JSON")


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise BodyError("duplicate_field", f"gives the field {key!r} twice" if not has_surrogate(key) else "gives a field twice")
        seen[key] = value
    return seen


def _path(parts: tuple) -> str:
    return ".".join(str(p) for p in parts) or "body"


def _check(value: Any) -> None:
    """Depth and lone surrogates, walked without recursion (the value may be deep)."""
    stack: list[tuple[tuple, Any, int]] = [((), value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BodyError("too_deep", f"is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, str):
            if has_surrogate(item):
                raise BodyError("lone_surrogate", "contains a lone surrogate (\\ud800-\\udfff), which is not a character", field=_path(path))
        elif isinstance(item, dict):
            for key, child in item.items():
                if has_surrogate(key):
                    raise BodyError("lone_surrogate", "has a field name with a lone surrogate, which is not a character", field=_path(path))
                stack.append((path + (key,), child, depth + 1))
        elif isinstance(item, list):
            stack.extend((path + (i,), child, depth + 1) for i, child in enumerate(item))


def parse(text: str | bytes | None) -> dict:
    """The body as a dict, or BodyError saying why it is not one JSON object."""
    if text is None or (isinstance(text, (str, bytes)) and not text.strip()):
        raise BodyError("empty_body", "is empty; a JSON object is expected")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyError("not_utf8", "is not UTF-8 text; a JSON object is expected") from None
    try:
        value = json.loads(text, parse_int=_integer, parse_constant=_constant, object_pairs_hook=_pairs)
    except BodyError:
        raise
    except RecursionError:
        raise BodyError("too_deep", f"is nested more than {MAX_DEPTH} levels deep") from None
    except json.JSONDecodeError as error:
        raise BodyError("invalid_json", f"is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); a JSON object is expected", text, error.pos) from None
    except ValueError as error:  # e.g. a float or int the parser refuses
        raise BodyError("invalid_json", f"is not valid JSON ({error}); a JSON object is expected") from None
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
        raise BodyError("not_an_object", f"is {kind}; a JSON object is expected")
    _check(value)
    return value
