"""docs/openapi.json is what the code says, covers exactly the template's routes, and every answer
of the API forbids caching (some carry the auth key or a document link)."""
from __future__ import annotations

import json
import sys

import pytest

from conftest import (
    CONTRACTOR_A,
    ORDERER_TOCHIGI,
    ROOT,
    STAFF,
    LambdaContext,
    application_body,
    http_event,
    s3_put_event,
)
from tools import openapi

ROUTE_FUNCTIONS = {"ApplyFunction": "contractor", "IssueFunction": "staff", "VerifyFunction": "orderer", "DeskFunction": "orderer"}


def template_routes(template) -> dict[tuple[str, str], str]:
    routes = {}
    for name, resource in template["Resources"].items():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                routes[(props["Method"].lower(), props["Path"])] = name
    return routes


def test_the_committed_document_is_what_the_code_says():
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text("utf-8"))
    assert committed == openapi.document(), "docs/openapi.json is stale: run `make openapi`"
    assert openapi.main(["--check"]) == 0


def test_the_document_has_exactly_the_templates_routes_each_tagged_with_its_group(template):
    declared = template_routes(template)
    paths = openapi.document()["paths"]
    documented = {(method, path): op for path, ops in paths.items() for method, op in ops.items()}
    assert set(documented) == set(declared)
    for route, op in documented.items():
        public = template_auth_is_none(template, route)
        expected = "public" if public else ROUTE_FUNCTIONS[declared[route]]
        assert op["tags"] == [expected], route
        assert op["security"] == ([] if public else [{"cognitoJwt": []}]), route


def template_auth_is_none(template, route) -> bool:
    for resource in template["Resources"].values():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            props = event.get("Properties", {})
            if event["Type"] == "HttpApi" and (props["Method"].lower(), props["Path"]) == route:
                return props.get("Auth", {}).get("Authorizer") == "NONE"
    raise AssertionError(route)


def test_bearer_jwt_is_the_security_scheme():
    scheme = openapi.document()["components"]["securitySchemes"]["cognitoJwt"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and scheme["bearerFormat"] == "JWT"


@pytest.fixture
def published(api, handlers):
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    return created["application_id"], number


def test_no_answer_may_be_cached(api, handlers, published):
    application_id, number = published
    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    calls = [
        ("apply", "GET", "/orderers", None, None),
        ("apply", "GET", "/issuers", None, None),
        ("apply", "GET", f"/contracts/{number}", CONTRACTOR_A, None),  # 200 with the auth key
        ("apply", "GET", f"/contracts/{number}/notice", CONTRACTOR_A, None),  # 200 with a link
        ("apply", "GET", f"/contracts/{number}/certificates/1", CONTRACTOR_A, None),
        ("apply", "GET", f"/contracts/{number}/fee-statements/1", CONTRACTOR_A, None),
        ("apply", "GET", f"/applications/{application_id}", CONTRACTOR_A, None),
        ("apply", "GET", "/contracts", CONTRACTOR_A, None),
        ("apply", "GET", "/contracts", ORDERER_TOCHIGI, None),  # 403 at the door
        ("apply", "POST", "/applications", CONTRACTOR_A, {"product": "x"}),  # 422
        ("issue", "GET", "/staff/applications", STAFF, None),
        ("issue", "POST", f"/staff/applications/{application_id}/reject", STAFF, {"reason": "重複"}),  # 409
        ("verify", "POST", "/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key}),  # 200 with a link
        ("verify", "POST", "/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": "ABCDEFGHJKLM"}),  # 404
    ]
    statuses = []
    for function, method, path, claims, body in calls:
        response = handlers[function].lambda_handler(http_event(method, path, claims, body), LambdaContext())
        statuses.append(response["statusCode"])
        assert response["headers"]["Cache-Control"] == "no-store", (method, path, response["statusCode"])
        assert response["headers"]["Pragma"] == "no-cache"
    assert statuses == [200, 200, 200, 200, 200, 200, 200, 200, 403, 422, 200, 409, 200, 404]


# ----------------------------------------------------------------------------- answers with schemas


def operations(document: dict):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            yield method, path, op


def test_every_success_answer_has_a_schema_of_the_answers_models():
    document = openapi.document()
    schemas = document["components"]["schemas"]
    for method, path, op in operations(document):
        successes = {code: answer for code, answer in op["responses"].items() if code.startswith("2")}
        # One success answer; 解約 / 履行請求 has two (200 recorded, 202 the Approval under four eyes).
        assert len(successes) == 1 or (method, path, sorted(successes)) == ("post", "/staff/contracts/{number}/termination", ["200", "202"])
        for answer in successes.values():
            shown = answer["content"]["application/json"]["schema"]
            # A staff action under four eyes answers its own model or the Approval (anyOf both).
            refs = [shown["$ref"]] if "$ref" in shown else [one["$ref"] for one in shown["anyOf"]]
            for ref in refs:
                schema = schemas[ref.rsplit("/", 1)[1]]
                assert schema["type"] == "object" and schema["properties"] and schema["additionalProperties"] is False, (method, path)
    created = {(m, p) for m, p, op in operations(document) if "201" in op["responses"]}
    accepted = {(m, p) for m, p, op in operations(document) if "202" in op["responses"]}
    assert created == {("post", "/applications"), ("post", "/contracts/{number}/changes"), ("post", "/applications/uploads"),
                       ("post", "/verifications/receipts"), ("post", "/contracts/{number}/submissions"), ("post", "/desk/receipts")}
    assert accepted == {("post", "/staff/applications/{application_id}/issue"),
                        ("post", "/staff/contracts/{number}/versions/{version}/corrections"),
                        ("post", "/staff/contracts/{number}/termination")}


def test_the_headers_a_route_reads_are_declared_on_it():
    def headers(op):
        return {p["name"].lower() for p in op.get("parameters", []) if p["in"] == "header"}

    declared = {(m, p): headers(op) for m, p, op in operations(openapi.document()) if headers(op)}
    assert declared == {
        ("post", "/applications"): {"idempotency-key"},
        ("post", "/contracts/{number}/changes"): {"idempotency-key"},
        ("post", "/staff/contracts/{number}/key-rotation"): {"idempotency-key", "if-match"},
        ("post", "/staff/contracts/{number}/termination"): {"if-match"},
        ("post", "/staff/contracts/{number}/versions/{version}/cancellation"): {"if-match"},
        ("post", "/staff/contracts/{number}/versions/{version}/corrections"): {"if-match"},
    }
    source = "".join((ROOT / relative).read_text("utf-8") for relative, _ in openapi.FUNCTIONS)
    assert "http.header(" not in source  # read as declared parameters, not from the raw event


def test_the_web_fronts_types_are_generated_from_the_document():
    committed = (ROOT / "web" / "src" / "api.d.ts").read_text("utf-8")
    assert committed == openapi.typescript(openapi.render()), "web/src/api.d.ts is stale: run `make openapi`"
    for source in ("contractor.ts", "staff.ts", "verify.ts", "common.ts"):
        text = (ROOT / "web" / "src" / source).read_text("utf-8")
        assert "interface Certificate" not in text, source  # the generated Schemas["Certificate"]
        assert "`変更ー" not in text and "変更ー${" not in text, source  # labels come from the API


def test_an_answer_that_does_not_match_its_model_is_a_server_error_and_is_not_sent(api, handlers, monkeypatch, published):
    _, number = published
    contracts = sys.modules["esurety.services.contracts"]
    monkeypatch.setattr(contracts, "list_for_company", lambda caller, **_: {"contracts": [{"contract_number": number, "auth_key": "SECRETKEY123"}], "next_cursor": None})
    status, body = api.get("/contracts", CONTRACTOR_A)
    assert status == 500 and set(body) == {"message"} and "SECRETKEY123" not in json.dumps(body)


def test_answers_keep_the_keys_the_services_wrote(api, published):
    """The models check the answers; they add no key a service left out, and drop none."""
    application_id, number = published
    status, rows = api.get("/applications", CONTRACTOR_A)
    assert status == 200 and "reason" not in rows["applications"][0] and rows["applications"][0]["work_name"]
    status, detail = api.get(f"/contracts/{number}", CONTRACTOR_A)
    assert detail["certificate"]["label"] == "新規" and detail["next_change_label"] == "変更ー1"
    assert set(detail["certificate"]["contractor"]) == {"name", "address", "jv_name"}
