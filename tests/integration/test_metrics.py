"""Business metrics: each handler writes its event's metrics as one CloudWatch EMF line on stdout.

Read as Powertools documents it (capsys), the way CloudWatch reads the function's log: the
names, values, units and the `service` dimension the dashboard and the alarms in
infra/template.yaml select.
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import CONTRACTOR_A, FROZEN_NOW, ORDERER_ASHIKAGA, ORDERER_TOCHIGI, STAFF, LambdaContext, application_body, s3_put_event
from esurety.domain.japanese import clock
from esurety import metrics as esurety_metrics
from esurety.metrics import metrics

WRONG = "ABCDEFGHJKLM"


@pytest.fixture(autouse=True)
def fresh_metric_set():
    metrics.clear_metrics()  # what earlier tests recorded through the services without a handler
    yield
    metrics.clear_metrics()


def emitted(capsys) -> list[dict]:
    """Each EMF document printed since the last call: {"service", "namespace", "metrics": {name: (values, unit)}}."""
    documents = []
    for line in capsys.readouterr().out.splitlines():
        if not line.startswith("{"):
            continue
        blob = json.loads(line)
        if "_aws" not in blob:
            continue  # a log line
        directive = blob["_aws"]["CloudWatchMetrics"][0]
        values = {}
        for definition in directive["Metrics"]:
            value = blob[definition["Name"]]
            values[definition["Name"]] = (value if isinstance(value, list) else [value], definition["Unit"])
        documents.append({"service": blob["service"], "namespace": directive["Namespace"],
                          "dimensions": directive["Dimensions"], "metrics": values})
    return documents


def only(capsys) -> dict:
    documents = emitted(capsys)
    assert len(documents) == 1, documents
    assert documents[0]["namespace"] == "esurety" and documents[0]["dimensions"] == [["service"]]
    return documents[0]


def test_a_certificates_life_in_metrics(api, handlers, capsys, monkeypatch):
    status, created = api.post("/applications", CONTRACTOR_A, application_body(), headers={"Idempotency-Key": "k1"})
    assert status == 201
    assert only(capsys) == {"service": "esurety-apply", "namespace": "esurety", "dimensions": [["service"]],
                            "metrics": {"ApplicationsSubmitted": ([1.0], "Count")}}
    # A replay of the same application is not a second application.
    assert api.post("/applications", CONTRACTOR_A, application_body(), headers={"Idempotency-Key": "k1"})[0] == 201
    assert emitted(capsys) == []

    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202
    assert only(capsys)["service"] == "esurety-issue"
    assert api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[0] == 202  # a retried issue
    assert emitted(capsys) == []

    # Published 2.5 s after rendering: that is its latency.
    monkeypatch.setattr(clock, "now", lambda: FROZEN_NOW + timedelta(seconds=2.5))
    number = issued["contract_number"]
    event = s3_put_event(f"certificates/{number}/v001.pdf")
    handlers["publish"].lambda_handler(event, LambdaContext())
    document = only(capsys)
    assert document["service"] == "esurety-publish"
    assert document["metrics"] == {"CertificatesPublished": ([1.0], "Count"), "PublicationLatency": ([2500.0], "Milliseconds")}
    handlers["publish"].lambda_handler(event, LambdaContext())  # S3 delivers again: published once
    assert emitted(capsys) == []

    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    capsys.readouterr()
    assert api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key})[0] == 200
    assert only(capsys) == {"service": "esurety-verify", "namespace": "esurety", "dimensions": [["service"]],
                            "metrics": {"VerificationsOk": ([1.0], "Count")}}


def test_verifications_by_outcome_and_lockouts(api, handlers, capsys):
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    capsys.readouterr()

    def verify(claims, contract_number) -> tuple[int, dict]:
        status, _ = api.post("/verifications", claims, {"contract_number": contract_number, "auth_key": WRONG})
        return status, only(capsys)["metrics"]

    assert verify(ORDERER_TOCHIGI, number[:-1] + ("A" if number[-1] != "A" else "B")) == (422, {"VerificationsInvalid": ([1.0], "Count")})
    for _ in range(4):
        assert verify(ORDERER_TOCHIGI, number) == (404, {"VerificationsNotFound": ([1.0], "Count")})
    # The number's fifth failure locks it: one lockout, whoever guessed.
    assert verify(ORDERER_ASHIKAGA, number) == (404, {"VerificationsNotFound": ([1.0], "Count"), "Lockouts": ([1.0], "Count")})
    assert verify(ORDERER_TOCHIGI, number) == (429, {"VerificationsLocked": ([1.0], "Count")})
    assert verify(ORDERER_TOCHIGI, number) == (429, {"VerificationsLocked": ([1.0], "Count")})


def test_the_template_watches_the_metrics_the_functions_write(template):
    """Every business metric is on the dashboard; the alarms on them name a metric and service that exist."""
    resources = template["Resources"]
    services = {name: r["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
                for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    written = {
        (esurety_metrics.APPLICATIONS_SUBMITTED, "esurety-apply"),
        (esurety_metrics.CERTIFICATES_ISSUED, "esurety-issue"),
        (esurety_metrics.CERTIFICATES_PUBLISHED, "esurety-publish"),
        (esurety_metrics.PUBLICATION_LATENCY, "esurety-publish"),
        (esurety_metrics.LOCKOUTS, "esurety-verify"),
        (esurety_metrics.UNFINISHED_VERSIONS, "esurety-reconcile"),
        (esurety_metrics.PUBLICATIONS_REPUBLISHED, "esurety-reconcile"),
        *((name, "esurety-verify") for name in esurety_metrics.VERIFICATIONS.values()),
        # Refused wherever an object is found at a record's key: the issue (and staff actions), the
        # publisher, a contractor's notice download.
        *((esurety_metrics.FOREIGN_OBJECTS, service) for service in ("esurety-issue", "esurety-publish", "esurety-apply")),
        # Refused wherever a document is signed: the issue (and staff actions), the publisher's
        # notices, the desk's 寄託記録.
        *((esurety_metrics.ISSUER_SIGNING_UNAVAILABLE, service) for service in ("esurety-issue", "esurety-publish", "esurety-desk")),
    }
    assert {service for _, service in written} <= set(services.values())
    body = resources["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    dashboard = json.loads(body)
    charted = {tuple(m[:4]) for w in dashboard["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]
               if m[0] == "esurety"}
    assert charted == {("esurety", name, "service", service) for name, service in written}
    alarms = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    custom = [a for a in alarms if a.get("Namespace") == "esurety"]
    assert {a["MetricName"] for a in custom} == {"PublicationLatency", "Lockouts", "UnfinishedVersions"}
    for alarm in custom:
        assert [(alarm["MetricName"], d["Value"]) for d in alarm["Dimensions"] if d["Name"] == "service"] in (
            [pair] for pair in written if pair[0] == alarm["MetricName"])
        assert len(alarm["Dimensions"]) == 1
    # A metric written by several functions: one alarm on their sum.
    summed = [a for a in alarms if "Metrics" in a]
    several = (esurety_metrics.FOREIGN_OBJECTS, esurety_metrics.ISSUER_SIGNING_UNAVAILABLE)
    assert len(summed) == len(several)
    for name, alarm in zip(several, sorted(summed, key=lambda a: a["Metrics"][1]["MetricStat"]["Metric"]["MetricName"])):
        stats = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
        assert {(m["Namespace"], m["MetricName"], m["Dimensions"][0]["Value"]) for m in stats} == {
            ("esurety", metric, service) for metric, service in written if metric == name}
        assert [m["Expression"] for m in alarm["Metrics"] if m.get("ReturnData")] == ["SUM(METRICS())"]
    for alarm in [*custom, *summed]:
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert alarm["TreatMissingData"] == "notBreaching"  # no verification in a quiet hour is no alarm


def test_every_handler_writes_metrics_and_traces(handlers):
    from conftest import load_handler

    modules = [*handlers.values(), load_handler("functions/apply/upload_check.py", "esurety_fn_upload_check"),
               load_handler("functions/issue/reconcile.py", "esurety_fn_reconcile")]
    import aws_fidelity

    for module in modules:
        # One Logger, Tracer and Metrics per function (esurety/aws/observability.py), named as the template names it.
        function = aws_fidelity._template().function_for(Path(module.__file__))
        service = aws_fidelity._template().environment(function)["POWERTOOLS_SERVICE_NAME"]
        assert module.tracer.service == module.metrics.provider.service == module.logger.service == service, module.__name__
        # Powertools' decorators each wrap the handler; their wrappers are named after what they wrap.
        source = open(module.__file__).read()
        assert "@tracer.capture_lambda_handler(capture_response=False)" in source, module.__name__
        assert "@metrics.log_metrics" in source, module.__name__


def test_the_reconciler_reports_unfinished_versions_every_run(api, handlers, capsys, monkeypatch):
    from conftest import load_handler

    reconciler = load_handler("functions/issue/reconcile.py", "esurety_fn_reconcile")
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    assert api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[0] == 202
    capsys.readouterr()
    reconciler.lambda_handler({}, LambdaContext())  # rendered just now: not yet overdue
    assert only(capsys)["metrics"] == {"UnfinishedVersions": ([0.0], "Count"), "PublicationsRepublished": ([0.0], "Count")}
    monkeypatch.setattr(clock, "now", lambda: FROZEN_NOW + timedelta(minutes=6))  # its arrival was lost
    reconciler.lambda_handler({}, LambdaContext())
    document = only(capsys)
    assert document["service"] == "esurety-reconcile"
    assert document["metrics"] == {"UnfinishedVersions": ([1.0], "Count"), "PublicationsRepublished": ([1.0], "Count")}
