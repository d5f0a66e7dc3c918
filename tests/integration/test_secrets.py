"""The auth key in clear appears in no log line, e-mail, table item or object metadata."""
from __future__ import annotations

import json
import logging

import boto3

from conftest import CONTRACTOR_A, ORDERER_TOCHIGI, STAFF, LambdaContext, application_body, s3_put_event
from esurety.config import settings


def test_key_never_leaves_in_clear(api, handlers, sent_mail, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    _, created = api.post("/applications", CONTRACTOR_A, application_body())
    number = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)[1]["contract_number"]
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    key = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]["auth_key"]
    assert api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key})[0] == 200
    api.post("/verifications", ORDERER_TOCHIGI, {"contract_number": number, "auth_key": key.lower()})

    out, err = capfd.readouterr()
    logged = out + err + caplog.text
    assert "application received" in logged and "certificate arrival" in logged  # the logs were captured
    assert key not in logged and key.lower() not in logged

    for mail in sent_mail():
        assert key not in mail.body and key not in mail.subject

    table = boto3.client("dynamodb").scan(TableName=settings().table_name)["Items"]  # tests may scan
    assert table
    assert all(key not in json.dumps(item, default=str, ensure_ascii=False) for item in table)
    raw_items = json.dumps(table, default=lambda b: b.decode("latin-1") if isinstance(b, bytes) else str(b))
    assert key not in raw_items

    s3 = boto3.client("s3")
    for obj in s3.list_objects_v2(Bucket=settings().bucket_name)["Contents"]:
        head = s3.head_object(Bucket=settings().bucket_name, Key=obj["Key"])
        assert key not in json.dumps(head["Metadata"]) and key not in obj["Key"]
