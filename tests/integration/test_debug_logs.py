"""Even at DEBUG everywhere, no log line carries the auth key (in clear or base64) or the pepper."""
from __future__ import annotations

import base64
import logging

import boto3

from conftest import CONTRACTOR_A, ORDERER_TOCHIGI, STAFF, Api, LambdaContext, application_body, load_handler, s3_put_event
from esurety.config import settings

# Every switch that makes Powertools louder: log level, dev mode, event logging, resolver debug.
LOUD = {
    "POWERTOOLS_LOG_LEVEL": "DEBUG",
    "POWERTOOLS_DEV": "true",
    "POWERTOOLS_LOGGER_LOG_EVENT": "true",
    "POWERTOOLS_EVENT_HANDLER_DEBUG": "true",
}


def loud_handlers(monkeypatch) -> dict:
    """The functions as a cold start with LOUD in their environment would load them."""
    for name, value in LOUD.items():
        monkeypatch.setenv(name, value)
    loaded = {
        "apply": load_handler("functions/apply/app.py", "esurety_fn_apply_loud"),
        "issue": load_handler("functions/issue/app.py", "esurety_fn_issue_loud"),
        "publish": load_handler("functions/issue/publish.py", "esurety_fn_publish_loud"),
        "verify": load_handler("functions/verify/app.py", "esurety_fn_verify_loud"),
    }
    # Loggers of a service are shared by name, so set the level the environment would have set.
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("esurety"):
            monkeypatch.setattr(logging.getLogger(name), "level", logging.DEBUG)
    return loaded


def test_nothing_secret_is_logged_at_debug(cloud, monkeypatch, caplog, capfd):
    caplog.set_level(logging.DEBUG)  # the root logger at DEBUG, as the Lambda runtime's log level may be
    api = Api(loud_handlers(monkeypatch))
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    api.handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    assert api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key})[0] == 200
    api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key + "x"})

    out, err = capfd.readouterr()
    logged = out + err + "\n".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "verification failed" in logged and "application received" in logged  # the logs were captured
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # and DEBUG reached them
    pepper = boto3.client("secretsmanager").get_secret_value(SecretId=settings().pepper_secret_id)["SecretString"]
    secrets = {
        "auth key": key,
        "auth key, base64": base64.b64encode(key.encode()).decode(),
        "pepper": pepper,
        "pepper, base64": base64.b64encode(pepper.encode()).decode(),
    }
    assert [name for name, value in secrets.items() if value in logged] == []
