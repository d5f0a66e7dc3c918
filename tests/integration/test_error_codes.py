"""Every error the API answers carries a stable `code` of one registry (esurety/domain/error_codes.py); every
code of the registry is in the spec's enum and has the Japanese a screen shows for it, in the one
table the screens import (web/src/error_messages.ts, generated). An English reason is never what a
screen has to show."""
from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

import pytest

from conftest import CONTRACTOR_A, ORDERER_TOCHIGI, ROOT, STAFF, application_body, http_event, LambdaContext
from esurety.domain import error_codes
from tools import error_messages, openapi

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
SOURCES = ROOT / "layers" / "common" / "esurety"


def test_every_code_is_snake_case_and_has_a_japanese_message():
    for code, text in error_codes.MESSAGES.items():
        assert CODE.fullmatch(code), code
        assert JAPANESE.search(text), f"{code} has no Japanese message: {text!r}"
    assert JAPANESE.search(error_codes.GENERIC)


def test_the_spec_lists_exactly_the_registrys_codes():
    schemas = json.loads((ROOT / "docs" / "openapi.json").read_text("utf-8"))["components"]["schemas"]
    assert schemas["ErrorCode"]["enum"] == sorted(error_codes.MESSAGES)
    item = schemas["InvalidRequest"]["properties"]["errors"]["items"]
    assert item["required"] == ["field", "code", "reason"]
    assert item["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    assert schemas["Error"]["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}


def test_the_screens_table_is_the_registry():
    committed = (ROOT / "web" / "src" / "error_messages.ts").read_text("utf-8")
    assert committed == error_messages.render(), "web/src/error_messages.ts is stale: run `python -m tools.error_messages`"
    assert error_messages.main(["--check"]) == 0
    table = dict(re.findall(r"^  ([a-z0-9_]+): (\".*\"),$", committed, re.M))
    assert {code: json.loads(text) for code, text in table.items()} == error_codes.MESSAGES


def test_every_pydantic_mapping_lands_on_a_registered_code():
    assert set(error_codes.PYDANTIC.values()) <= set(error_codes.MESSAGES)
    assert error_codes.from_pydantic({"type": "no_such_pydantic_type", "msg": "odd"}) == ("invalid", "odd")


# The constructors that take a code, and which argument it is.
_CODE_ARGUMENT = {"Problem": 1, "Conflict": 0, "BodyError": 0, "_refuse": 0, "LifecycleError": 1}


def _literal_codes() -> list[tuple[str, int, str]]:
    """Every code written as a literal where an error is built, anywhere in the package."""
    found = []
    for path in SOURCES.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                index = _CODE_ARGUMENT.get(name)
                if index is not None and len(node.args) > index:
                    argument = node.args[index]
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        found.append((str(path.relative_to(ROOT)), node.lineno, argument.value))
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        found.append((str(path.relative_to(ROOT)), node.lineno, keyword.value.value))
            if isinstance(node, ast.Dict):  # {"message": ..., "code": "not_found"}
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant):
                        found.append((str(path.relative_to(ROOT)), node.lineno, value.value))
    return found


def test_every_code_the_package_writes_is_registered():
    found = _literal_codes()
    assert len(found) > 60, "the walk found too few error constructions: has the way errors are built changed?"
    unknown = [(path, line, code) for path, line, code in found if code not in error_codes.MESSAGES]
    assert unknown == []


def test_every_problem_and_conflict_is_built_with_a_code():
    """A Problem without a code cannot be built (the dataclass needs three fields), nor a Conflict."""
    from esurety.domain.errors import Conflict, Problem

    with pytest.raises(TypeError):
        Problem("work.name", "is required")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Conflict()  # type: ignore[call-arg]


def _with(body: dict, path: str, value) -> dict:
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = body
    for part in parents:
        target = target[part]
    if value is _DROP:
        del target[last]
    else:
        target[last] = value
    return body


_DROP = object()

# Bad applications, each with the code its error must carry at the field.
BAD_APPLICATIONS = [
    ("contractor.name", "", "empty"),
    ("contractor.name", "   ", "empty"),
    ("contractor.name", "丸" * 21, "too_long"),
    ("contractor.name", "丸山\u200b建設", "unprintable_character"),
    ("contractor.name", 12, "wrong_type"),
    ("work.name", _DROP, "required"),
    ("work.kind", "road", "invalid_choice"),
    ("work.contract_price", "五千万", "not_yen_amount"),
    ("work.contract_price", 0, "too_small"),
    ("work.contract_price", 10**14, "too_large"),
    ("work.contract_date", "2024/13/01", "not_a_calendar_date"),
    ("work.contract_date", "yesterday", "not_a_date"),
    ("work.contract_date", "1988-01-01", "before_heisei"),
    ("work.period_end", "2024-04-01", "period_end_before_start"),
    ("guarantee.amount", 60_000_000, "amount_over_price"),
    ("work.contract_date", "2024-04-05", "contract_date_in_future"),
    ("work.contract_date", "令和9年4月1日", "contract_date_in_future"),
    ("work.contract_date", "令和6年2月30日", "not_a_calendar_date"),
    ("work.contract_date", "令和元年4月1日", "not_in_era"),
    ("work.low_bid_investigation", "yes", "wrong_type"),
    ("guarantee.deadline", "2024-01-01", "deadline_in_past"),
    ("guarantee.deadline", "2025-01-01", "deadline_before_period_end"),
    ("deposit_bank", None, "deposit_bank_required"),
    ("deposit_bank", "", "empty"),
    ("notify_email", "keiri", "not_email"),
    ("notify_email", "経理@example.jp", "email_local_not_ascii"),
    ("branch_code", "3", "not_branch_code"),
    ("branch_code", "99", "unknown_branch"),
    ("orderer_id", "nowhere-town", "unknown_orderer"),
    ("upload_id", "0" * 24, "only_for_interim"),
    ("product", "bond", "invalid_choice"),
    ("surplus", 1, "unknown_field"),
    ("contractor", "丸山建設", "wrong_type"),
]


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("path,value,code", BAD_APPLICATIONS, ids=[f"{p}-{c}" for p, _, c in BAD_APPLICATIONS])
def test_a_bad_application_names_the_field_with_its_code(api, path, value, code):
    status, answer = api.post("/applications", CONTRACTOR_A, _with(application_body(), path, value))
    assert status == 422, answer
    assert {"field": path, "code": code} in [{"field": e["field"], "code": e["code"]} for e in answer["errors"]], answer
    for error in answer["errors"]:
        assert error["code"] in error_codes.MESSAGES, error


def test_an_empty_contractor_name_and_a_missing_deposit_bank_read_in_japanese(api):
    """The two the screens used to show in English: 「Value should have at least 1 item…」 and
    「is required for 前払金保証」. Both come in one answer, each with a code whose registered
    message is Japanese."""
    body = _with(_with(application_body(), "contractor.name", ""), "deposit_bank", None)
    status, answer = api.post("/applications", CONTRACTOR_A, body)
    assert status == 422
    codes = {e["field"]: e["code"] for e in answer["errors"]}
    assert codes == {"contractor.name": "empty", "deposit_bank": "deposit_bank_required"}
    assert error_codes.MESSAGES["empty"] == "入力してください。"
    assert error_codes.MESSAGES["deposit_bank_required"] == "前払金保証・中間前払金保証では預託金融機関（前払金を預け入れる金融機関）を入力してください。"


def _raw(api, method: str, path: str, claims: dict | None, body, headers: dict | None = None) -> tuple[int, dict]:
    event = http_event(method, path, claims, body, headers)
    response = api._function(path).lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


BAD_REQUESTS = [
    # (method, path, claims, body or raw text, headers, status, code)
    ("POST", "/applications", CONTRACTOR_A, "{", None, 422, "invalid_json"),
    ("POST", "/applications", CONTRACTOR_A, "[]", None, 422, "not_an_object"),
    ("POST", "/applications", CONTRACTOR_A, '{"a": 1, "a": 2}', None, 422, "duplicate_field"),
    ("POST", "/applications", CONTRACTOR_A, "text", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
    ("POST", "/applications", STAFF, {}, None, 403, "forbidden"),
    ("GET", "/contracts/31063-99999P", CONTRACTOR_A, None, None, 404, "not_found"),
    ("GET", "/contracts/nonsense", CONTRACTOR_A, None, None, 422, "not_contract_number"),
    ("POST", "/verifications", ORDERER_TOCHIGI, {"contract_number": "31063-99999P"}, None, 422, "required"),
    ("POST", "/staff/applications/" + "0" * 24 + "/reject", STAFF, {}, None, 422, "required"),
    ("POST", "/staff/applications/nope/reject", STAFF, {"reason": "理由"}, None, 422, "not_application_id"),
    ("GET", "/staff/applications", STAFF, None, None, None, None),  # a good one: the queue
    ("POST", "/staff/contracts/31063-99999P/termination", STAFF,
     {"kind": "cancelled", "date": "2024-05-01", "reason": "解約"}, None, 404, "not_found"),  # the contract is looked up first
]


@pytest.mark.parametrize("method,path,claims,body,headers,status,code", BAD_REQUESTS)
def test_each_refusal_carries_a_registered_code(api, method, path, claims, body, headers, status, code):
    if isinstance(body, str):
        answer_status, answer = _raw(api, method, path, claims, body, {"content-type": "application/json", **(headers or {})})
    else:
        answer_status, answer = api.call(method, path, claims, body)
    if status is None:
        assert answer_status == 200
        return
    assert answer_status == status, answer
    assert JAPANESE.search(answer["message"])
    codes = [e["code"] for e in answer["errors"]] if status == 422 else [answer["code"]]
    assert code in codes, answer
    assert set(codes) <= set(error_codes.MESSAGES)
