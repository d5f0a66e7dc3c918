"""schemathesis against the API in the local cloud: docs/openapi.json's every operation, with a
token of the route's group, through the real JWT authorizer and HTTP layer. No answer is a 5xx,
every answer forbids caching, and every answer of the functions has the documented shape of its
status (the answers' models, esurety/api/answers, and the error shapes).

Bounded and repeatable: a fixed number of examples per operation, derandomized, no example
database, no shrinking (each example is a real request to the local cloud).
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import response_schema_conformance

from conftest import ROOT
from e2e_support import local_cloud, tokens  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 25

schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json")


@pytest.fixture(scope="module")
def api_url(local_cloud):  # noqa: F811
    return local_cloud[1]["api_url"]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case, api_url, tokens):  # noqa: F811
    group = case.operation.definition.raw["tags"][0]
    headers = {"Authorization": f"Bearer {tokens[group]}"} if group in tokens else {}
    response = case.call(base_url=api_url, headers=headers, timeout=60)
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:300], case.as_curl_command())
    # Answers of the functions, not of the HTTP layer itself (401 from the authorizer, 404 for a
    # method no route has): those come from API Gateway, which an HTTP API cannot give headers.
    if response.status_code != 401 and case.method.upper() == case.operation.method.upper():
        assert response.headers.get("cache-control") == ["no-store"], (case.method, case.formatted_path, response.status_code)
        case.validate_response(response, checks=[response_schema_conformance])
