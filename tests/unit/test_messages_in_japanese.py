"""Every documented error code's message reads in Japanese: the screens show these (errorJa), so an
English word in one is English on a screen. The only Latin letters allowed are the abbreviations
people read (support/japanese.py) and, in the messages a screen never causes, the protocol names an
API client needs to mend its request."""
from __future__ import annotations

import re

import pytest

from esurety.api import http
from esurety.domain.error_codes import MESSAGES
from support.japanese import latin_words

# Refusals of what only an API client can send wrong: the screens always send JSON in UTF-8 with its
# Content-Type, a well-formed Idempotency-Key and the If-Match of the page shown, and offer the
# export's encodings as a choice. Their messages name the header or format to mend.
PROTOCOL = {
    "invalid_json": {"JSON"},
    "not_an_object": {"JSON"},
    "not_utf8": {"UTF"},
    "unsupported_media_type": {"Content-Type", "application", "json", "JSON"},
    "invalid_idempotency_key": {"Idempotency-Key"},
    "idempotency_key_reused": {"Idempotency-Key"},
    "invalid_if_match": {"If-Match"},
    "if_match_required": {"If-Match"},
    "unknown_encoding": {"utf", "BOM", "cp", "JIS"},
}
# 「R8.12.1」: the era's letter, as people write a 令和 date.
ERA_DATE = re.compile(r"\b[RHS]\d{1,2}\.\d{1,2}\.\d{1,2}")


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_the_message_of_each_code_is_japanese(code):
    words = latin_words(ERA_DATE.sub(" ", MESSAGES[code]))
    assert set(words) <= PROTOCOL.get(code, set()), (code, words, MESSAGES[code])
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", MESSAGES[code]), (code, "no Japanese in it")


def test_the_protocol_exceptions_are_codes_that_exist():
    assert set(PROTOCOL) <= set(MESSAGES)


@pytest.mark.parametrize("name", ["INVALID", "FORBIDDEN", "NOT_FOUND", "JSON_EXPECTED", "PRECONDITION_REQUIRED", "ANSWER_FAILED"])
def test_the_http_layers_own_messages_are_japanese(name):
    """The messages the HTTP layer answers with (a 404 of a route, 403, 500) are Japanese too."""
    words = set(latin_words(getattr(http, name)))
    assert words <= {"JSON", "If-Match"}, (name, words)
