"""docs/openapi.json: the API's contract, generated from the three functions' Powertools resolvers.

    python -m tools.openapi            # (re)write docs/openapi.json and web/src/api.d.ts  (make openapi)
    python -m tools.openapi --check    # exit 1 if either file and the code differ

web/src/api.d.ts is the web front's types of the same document, written by openapi-typescript
(pinned in web/package.json; `npm ci` as tools/publish_site.py runs it): the front reads the
answers by these types, never by hand-typed copies.

Each resolver describes its own routes: request models, the headers they read (esurety/api/headers.py),
their success code and answer model (esurety/api/answers). This merges them into one document and adds
what the resolvers do not know: the JWT bearer scheme of the HTTP API's authorizer, the group each
route serves (its tag, and whose token it takes), and the error answers in the shape of esurety/api/http.py. tests/integration/test_openapi.py keeps the
file, the code and the template's routes in step.
"""
from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from esurety.domain import error_codes

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "openapi.json"
TYPES = ROOT / "web" / "src" / "api.d.ts"

# (function source, the group it serves): one resolver each, as deployed.
FUNCTIONS = (
    ("functions/apply/app.py", "contractor"),
    ("functions/issue/app.py", "staff"),
    ("functions/verify/app.py", "orderer"),
    ("functions/desk/app.py", "orderer"),
)
PUBLIC = {("get", "/orderers"), ("get", "/issuers")}  # Auth: NONE in the template
PUBLIC_TAG = "public"
# Staff decisions on an application: 409 when it is no longer in a state that allows them.
APPLICATION_DECISIONS = {("post", "/staff/applications/{application_id}/issue"), ("post", "/staff/applications/{application_id}/reject")}
# Four eyes: a second staff member approves or returns a decision; the maker may not (403 with its code),
# and one no longer pending (or whose action is impossible now) is 409.
APPROVAL_DECISIONS = {("post", "/staff/approvals/{approval_id}")}
# The contractor's notice link: 409 with `code` when the version has no notice for the key in force.
NOTICE_LINKS = {("get", "/contracts/{number}/notice")}
LOCKED_OUT = {("post", "/verifications")}
# 提出: 409 when the orderer does not take a direct submission for the product, or before publication.
SUBMISSIONS = {("post", "/contracts/{number}/submissions")}
# Routes that sign a document (esurety/aws/signing.py): 503 when the key or certificate cannot sign for its issuer.
SIGNS = {
    ("post", "/staff/applications/{application_id}/issue"),
    ("post", "/staff/contracts/{number}/versions/{version}/corrections"),
    ("post", "/staff/contracts/{number}/versions/{version}/cancellation"),
    ("post", "/staff/contracts/{number}/termination"),
    ("post", "/staff/contracts/{number}/key-rotation"),
    ("get", "/desk/guarantees/{number}/evidence"),
}
# Lists that page with an opaque cursor, and 受領確認 in bulk (a row not on the desk: 404 for the whole request).
DESK_WITHOUT_PATH_ID = {("post", "/desk/receipts")}

TAGS = [
    {"name": PUBLIC_TAG, "description": "No sign-in: the orderer registry."},
    {"name": "contractor", "description": "受注者: applications and the company's contracts (Cognito group contractor)."},
    {"name": "staff", "description": "保証会社職員: the application queue, issuing and rejecting; 訂正, 変更取消, 解約 / 履行請求, key rotation; every record (group staff)."},
    {"name": "orderer", "description": "発注者: verifying a certificate by contract number and auth key, and the desk (発注者デスク) of the guarantees presented to it (group orderer; a user with custom:department_id sees its department's rows)."},
]

_MESSAGE = {"type": "string", "description": "For people, in Japanese."}
# Every code an error answers: one registry (esurety/domain/error_codes.py), which also gives the screens
# their Japanese for each (web/src/error_messages.ts).
_CODE_SCHEMA = {
    "type": "string",
    "description": "Stable, snake_case: what went wrong, for programs (a screen shows its own words for it).",
    "enum": sorted(error_codes.MESSAGES),
}
_CODE = {"$ref": "#/components/schemas/ErrorCode"}
_REASON = {"type": "string", "description": "For developers, in English; its wording may change (test `code`)."}
COMPONENTS = {
    "securitySchemes": {
        "cognitoJwt": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Cognito ID token of the user pool; the route's tag names the group it needs.",
        }
    },
    "schemas": {
        "ErrorCode": _CODE_SCHEMA,
        "Error": {
            "type": "object",
            "required": ["message", "code"],
            "properties": {"message": _MESSAGE, "code": _CODE, "reason": _REASON},
        },
        "LockedOut": {
            "type": "object",
            "required": ["message", "code"],
            "properties": {
                "message": _MESSAGE,
                "code": _CODE,
                "contact": {
                    "type": "object",
                    "description": "Whom to call about the lock: the issuer and branch the typed number names (read from the number "
                                   "alone, so it tells nothing of whether a contract has it).",
                    "required": ["issuer_name", "branch_name", "phone"],
                    "properties": {"issuer_name": {"type": "string"}, "branch_name": {"type": "string"}, "phone": {"type": "string"}},
                },
            },
        },
        "InvalidRequest": {
            "type": "object",
            "required": ["message", "errors"],
            "properties": {
                "message": _MESSAGE,
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "code", "reason"],
                        "properties": {
                            "field": {"type": "string", "description": "Dotted path in the request, e.g. work.contract_price."},
                            "code": _CODE,
                            "reason": _REASON,
                        },
                    },
                },
            },
        },
    },
    "headers": {
        "NoStore": {"description": "Every answer: `no-store` (some carry the auth key or a link).", "schema": {"type": "string", "const": "no-store"}},
    },
}
_NOT_VALIDATION = ("HTTPValidationError", "ValidationError", "ResponseValidationError")  # Powertools' shapes, not ours


def _load(relative: str, group: str):
    name = f"esurety_openapi_{group}_{Path(relative).parent.name}"  # two functions may serve one group
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _answer(description: str, schema: str | None = "Error", **extra_headers) -> dict:
    answer = {"description": description, "headers": {"Cache-Control": {"$ref": "#/components/headers/NoStore"}, **extra_headers}}
    if schema:
        answer["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return answer


def _operation(op: dict, method: str, path: str, group: str) -> dict:
    route = (method, path)
    op = copy.deepcopy(op)
    op["tags"] = [PUBLIC_TAG if route in PUBLIC else group]
    op["security"] = [] if route in PUBLIC else [{"cognitoJwt": []}]
    # Staff actions on a contract declare If-Match (esurety/api/headers.py): optimistic locking on its
    # revision, 409 with `current`, 428 without it.
    contract_action = any(p["in"] == "header" and p["name"].lower() == "if-match" for p in op.get("parameters", []))
    responses = {}
    # The success answers as the route declares them: code, description and model (esurety/api/answers);
    # a staff action under four eyes may declare a second one (202: the Approval that waits).
    for code, success in op["responses"].items():
        if code.startswith("2"):
            responses[code] = {**success, "headers": {"Cache-Control": {"$ref": "#/components/headers/NoStore"}}}
    if route not in PUBLIC:
        responses["401"] = _answer("No valid token (the HTTP API's authorizer).", schema=None)
        responses["403"] = _answer("The token's user is not in this route's group, or lacks its tenant claim." + (
            " `code` own_decision_not_approvable: the maker of a decision cannot approve or return it." if route in APPROVAL_DECISIONS else ""
        ))
    if "{" in path or route in LOCKED_OUT or route in DESK_WITHOUT_PATH_ID:
        responses["404"] = _answer("Not found; one answer for every kind of miss.")
    if contract_action:
        responses["409"] = _answer("The contract does not allow this now (a version not shown, an ending already recorded), or it "
                                   "changed since the revision acted on: `current` is its state now. Under four eyes also `code` "
                                   "approval_pending: another decision on it waits for approval (`current` is that Approval).")
        responses["428"] = _answer("No If-Match: the action must name the revision it was decided on.")
    elif route in NOTICE_LINKS:
        responses["409"] = _answer("The version has no notice printing the auth key in force yet (`code` notice_not_renewed: a key "
                                   "rotation did not finish; rotating again renders it).")
    elif route in APPLICATION_DECISIONS:
        responses["409"] = _answer("The application is not in a state that allows this (under four eyes also `code` approval_pending: "
                                   "another decision on it waits for approval).")
    elif route in APPROVAL_DECISIONS:
        responses["409"] = _answer("`code` approval_not_pending: it was approved or returned already, or another staff member is "
                                   "approving it (`current` is the Approval now); or the action is impossible now (its own `code`, "
                                   "e.g. contract_changed, application_rejected): nothing was written, it still waits.")
    elif route in SUBMISSIONS:
        responses["409"] = _answer("The orderer does not take a direct submission for this product (`code` direct_submission_not_accepted: "
                                   "hand over the notice), or the certificate is not yet published (`code` not_yet_published).")
    if op.get("parameters") or op.get("requestBody"):
        responses["422"] = _answer("A field is missing or wrong; nothing was stored.", schema="InvalidRequest")
    if route in LOCKED_OUT:
        responses["429"] = _answer(
            "Too many failed attempts on this number or by this user; try again after Retry-After; `contact` names whom to call.",
            schema="LockedOut",
            **{"Retry-After": {"description": "Seconds until the window ends.", "schema": {"type": "integer"}}},
        )
    if route in SIGNS:
        responses["503"] = _answer("The signing key or certificate of the issuer cannot sign now (`code` issuer_signing_unavailable: "
                                   "none registered, disabled, another issuer's); nothing was stored, the operator is alarmed; retry later.")
    op["responses"] = responses
    return op


def document() -> dict:
    version = "0.1.0"
    for line in (ROOT / "pyproject.toml").read_text("utf-8").splitlines():
        if line.startswith("version = "):
            version = line.split('"')[1]
            break
    paths: dict = {}
    schemas: dict = {}
    for relative, group in FUNCTIONS:
        generated = _load(relative, group).app.get_openapi_schema(title="esurety", version=version).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        for path, operations in generated["paths"].items():
            for method, op in operations.items():
                if method in paths.get(path, {}):
                    raise SystemExit(f"{method.upper()} {path} is served by two functions")
                paths.setdefault(path, {})[method] = _operation(op, method, path, group)
        for name, schema in generated.get("components", {}).get("schemas", {}).items():
            if name in _NOT_VALIDATION:
                continue
            if name in schemas and schemas[name] != schema:
                raise SystemExit(f"two functions define the schema {name} differently")
            schemas[name] = schema
    components = copy.deepcopy(COMPONENTS)
    components["schemas"].update(dict(sorted(schemas.items())))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "esurety API",
            "version": version,
            "description": (
                "Electronic surety certificates (電子保証) for Japanese public works. Generated from the "
                "functions' resolvers by tools/openapi.py; do not edit by hand."
            ),
        },
        "tags": TAGS,
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def typescript(text: str) -> str:
    """The front's types of the document `text`, as openapi-typescript writes them."""
    from tools.publish_site import install  # noqa: PLC0415 - node is needed only here

    cli = install(log=lambda message: print(message, file=sys.stderr)) / "openapi-typescript" / "bin" / "cli.js"
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "openapi.json", Path(tmp) / "api.d.ts"
        source.write_text(text, "utf-8")
        subprocess.run(["node", str(cli), str(source), "--output", str(target)], check=True, capture_output=True)
        return target.read_text("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json or web/src/api.d.ts is not what the code says")
    args = parser.parse_args(argv)
    text = render()
    files = {OUTPUT: text, TYPES: typescript(text)}
    if args.check:
        stale = [path for path, wanted in files.items() if not path.exists() or path.read_text("utf-8") != wanted]
        for path in stale:
            print(f"{path.relative_to(ROOT)} differs from the code: run `make openapi`", file=sys.stderr)
        return 1 if stale else 0
    for path, wanted in files.items():
        path.write_text(wanted, "utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
