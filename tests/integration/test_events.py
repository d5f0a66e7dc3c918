"""The sample events in events/ (for `sam local invoke -e`) fit the template and the handlers.

Each HTTP API event must name a route the template gives to one function, and that function's
resolver must serve it; fed to its handler (in moto) it must get the answer the API gives for it.
The S3 event must be what the bucket's notification of certificate arrivals lets through.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, LambdaContext, load_handler

TEMPLATE = ROOT / "infra" / "template.yaml"
EVENTS_DIR = ROOT / "events"
EVENT_FILES = sorted(EVENTS_DIR.glob("*.json"))
HTTP_EVENTS = [p for p in EVENT_FILES if not p.name.startswith("s3-")]
S3_EVENTS = [p for p in EVENT_FILES if p.name.startswith("s3-")]

# The status each event gets in a fresh account (the seeded orderer registry and nothing else):
# what it names does not exist yet, so the reads of one application or contract are 404s.
EXPECTED_STATUS = {
    "orderers-list.json": 200,
    "application-submit.json": 201,
    "application-get.json": 404,
    "contracts-list.json": 200,
    "contract-get.json": 404,
    "staff-queue.json": 200,
    "staff-issue.json": 404,
    "staff-reject.json": 404,
    "verification.json": 404,
    "desk-list.json": 200,  # a department clerk's 要確認 view: an empty desk
}


@pytest.fixture(scope="module")
def routes(template) -> dict[str, tuple[str, dict]]:
    """routeKey ("GET /contracts/{number}") -> (function logical id, the HttpApi event's properties)."""
    found: dict[str, tuple[str, dict]] = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                key = f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}"
                assert key not in found, f"{key} is declared twice"
                found[key] = (name, event["Properties"])
    return found


def _handler_module(template, function: str):
    properties = template["Resources"][function]["Properties"]
    module, _ = properties["Handler"].rsplit(".", 1)
    path = (TEMPLATE.parent / properties["CodeUri"] / f"{module}.py").resolve()
    # The same module name as tests/infrastructure/test_template.py, so both use one instance.
    return load_handler(str(path.relative_to(ROOT)), f"esurety_fn_{function}"), properties


def _read(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def _path_pattern(route_path: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", route_path)
    return re.compile(
        "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts) + "$"
    )


def test_there_is_an_event_for_every_route_family():
    assert {p.name for p in HTTP_EVENTS} == set(EXPECTED_STATUS)
    assert [p.name for p in S3_EVENTS] == ["s3-certificate-arrival.json"]


@pytest.mark.parametrize("path", EVENT_FILES, ids=lambda p: p.name)
def test_event_is_json_object(path):
    assert isinstance(_read(path), dict)


@pytest.mark.parametrize("path", HTTP_EVENTS, ids=lambda p: p.name)
def test_http_event_is_payload_2_0_of_a_template_route(path, template, routes):
    event = _read(path)
    assert event["version"] == "2.0"
    route_key = event["routeKey"]
    assert route_key in routes, f"{path.name}: {route_key} is no route of the template"
    method, route_path = route_key.split(" ", 1)
    context = event["requestContext"]
    assert context["routeKey"] == route_key
    assert context["http"]["method"] == method
    assert context["http"]["path"] == event["rawPath"]
    assert context["stage"] == "$default"

    # rawPath is the route with its parameters filled in, and pathParameters says which.
    match = _path_pattern(route_path).match(event["rawPath"])
    assert match, f"{path.name}: rawPath {event['rawPath']} does not fit {route_path}"
    assert event.get("pathParameters", {}) == match.groupdict()

    query = event.get("queryStringParameters") or {}
    assert event["rawQueryString"] == "&".join(f"{k}={v}" for k, v in query.items())
    if "body" in event and event["body"] is not None:
        assert event["isBase64Encoded"] is False
        json.loads(event["body"])
        assert event["headers"]["content-type"] == "application/json"

    # The function the template routes it to serves it.
    function, properties = routes[route_key]
    module, _ = _handler_module(template, function)
    served = {(r.method, r.openapi_path) for r in module.app._static_routes + module.app._dynamic_routes}
    assert (method, route_path) in served, f"{path.name}: {function} does not serve {route_key}"

    # The JWT authorizer passes the ID token's claims on, except on the routes without it.
    public = (properties.get("Auth") or {}).get("Authorizer") == "NONE"
    if public:
        assert "authorizer" not in context
        assert "authorization" not in event["headers"]
    else:
        claims = context["authorizer"]["jwt"]["claims"]
        assert re.fullmatch(r"\[[a-z ]+\]", claims["cognito:groups"]), "API Gateway renders groups as '[a b]'"
        assert claims["token_use"] == "id" and claims["sub"]
        group = claims["cognito:groups"].strip("[]")
        if group == "contractor":
            assert claims["custom:company_id"]
        if group == "orderer":
            assert claims["custom:orderer_id"]


@pytest.mark.parametrize("path", HTTP_EVENTS, ids=lambda p: p.name)
def test_http_event_gets_its_answer_from_the_handler(path, template, routes, cloud):
    event = _read(path)
    function, _ = routes[event["routeKey"]]
    module, _ = _handler_module(template, function)
    response = module.lambda_handler(event, LambdaContext())
    body = json.loads(response["body"]) if response.get("body") else None
    assert response["statusCode"] != 500, body
    assert response["statusCode"] == EXPECTED_STATUS[path.name], body


def test_submitted_application_is_the_one_the_other_events_name(template, routes, cloud):
    """application-submit.json creates the application that the get, issue and reject events name."""
    submit = _read(EVENTS_DIR / "application-submit.json")
    module, _ = _handler_module(template, routes[submit["routeKey"]][0])
    response = module.lambda_handler(submit, LambdaContext())
    assert response["statusCode"] == 201, response["body"]
    application_id = json.loads(response["body"])["application_id"]
    for name in ("application-get.json", "staff-issue.json", "staff-reject.json"):
        assert _read(EVENTS_DIR / name)["pathParameters"]["application_id"] == application_id, name

    get = _read(EVENTS_DIR / "application-get.json")
    module, _ = _handler_module(template, routes[get["routeKey"]][0])
    response = module.lambda_handler(get, LambdaContext())
    assert response["statusCode"] == 200, response["body"]

    reject = _read(EVENTS_DIR / "staff-reject.json")
    module, _ = _handler_module(template, routes[reject["routeKey"]][0])
    response = module.lambda_handler(reject, LambdaContext())
    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["status"] == "rejected"


@pytest.mark.parametrize("path", S3_EVENTS, ids=lambda p: p.name)
def test_s3_event_passes_the_publisher_filter(path, template):
    from aws_lambda_powertools.utilities.data_classes import S3Event

    event = S3Event(_read(path))
    records = list(event.records)
    assert len(records) == 1
    record = records[0]
    assert record.event_version == "2.1"
    assert record.event_source == "aws:s3"
    assert record.event_name == "ObjectCreated:Put"
    assert record.aws_region == "ap-northeast-1"
    assert record.event_time.endswith("Z")
    assert record.s3.bucket.name == "esurety-dev-docs-123456789012-ap-northeast-1"
    assert record.s3.bucket.arn == f"arn:aws:s3:::{record.s3.bucket.name}"
    obj = record.s3.get_object
    assert re.fullmatch(r"[0-9a-f]{32}", obj.etag)
    assert obj.sequencer and obj.size > 0 and obj.version_id

    (arrival,) = template["Resources"]["DocumentsBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert record.event_name.startswith(arrival["Event"].removeprefix("s3:").rstrip("*"))
    rules = {r["Name"]: r["Value"] for r in arrival["Filter"]["S3Key"]["Rules"]}
    assert obj.key.startswith(rules["prefix"])
    assert obj.key.endswith(rules.get("suffix", ""))


@pytest.mark.parametrize("path", S3_EVENTS, ids=lambda p: p.name)
def test_s3_event_is_handled_by_the_publisher(path, template, cloud):
    """In a fresh account the certificate has no version record: logged and ignored, not an error.
    (The notification reaches the publisher as the body of a publication queue message.)"""
    from conftest import sqs_event

    module, _ = _handler_module(template, "PublishFunction")
    result = module.lambda_handler(sqs_event(_read(path)), LambdaContext())
    assert result == {"batchItemFailures": []}
