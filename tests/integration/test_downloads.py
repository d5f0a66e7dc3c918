"""The contractor's document links: each one is a GET the ApplyFunction role must be able to sign.

A presigned URL carries the signer's permissions; the harness (tests/aws_fidelity.py) judges it as
the GET its holder makes, so a link the role could not read fails here and not in the browser.
"""
from __future__ import annotations

import urllib.parse

import boto3
import pytest

from conftest import CONTRACTOR_A, CONTRACTOR_B, STAFF, LambdaContext, application_body, s3_put_event
from esurety.config import settings


def _key_of(link: dict) -> str:
    url = urllib.parse.urlparse(link["url"])
    assert url.hostname.startswith(settings().bucket_name)  # virtual-hosted style: the path is the key
    return urllib.parse.unquote(url.path).lstrip("/")


def _issue(api, body) -> str:
    _, created = api.post("/applications", CONTRACTOR_A, body)
    status, issued = api.post(f"/staff/applications/{created['application_id']}/issue", STAFF)
    assert status == 202, issued
    return issued["contract_number"]


def _exists(key: str) -> bool:
    listed = boto3.client("s3").list_objects_v2(Bucket=settings().bucket_name, Prefix=key)
    return listed.get("KeyCount", 0) == 1


def test_the_fee_statement_of_a_published_version_is_a_short_lived_link(api, handlers):
    number = _issue(api, application_body())
    handlers["publish"].lambda_handler(s3_put_event(f"certificates/{number}/v001.pdf"), LambdaContext())
    detail = api.get(f"/contracts/{number}", CONTRACTOR_A)[1]
    assert [s["version"] for s in detail["fee_statements"]] == [1]
    status, link = api.get(f"/contracts/{number}/fee-statements/1", CONTRACTOR_A)
    assert status == 200 and link["expires_in"] <= 300
    assert _key_of(link) == f"fees/{number}/v001.pdf" and _exists(_key_of(link))
    assert api.get(f"/contracts/{number}/fee-statements/1", CONTRACTOR_B)[0] == 404
    assert api.get(f"/contracts/{number}/fee-statements/2", CONTRACTOR_A)[0] == 404


@pytest.mark.parametrize("what", ["certificates", "fee-statements"])
def test_a_paper_guarantee_s_documents_are_links_to_the_paper_copies(api, what):
    number = _issue(api, application_body("contract", format="paper", orderer_id="mlit", deposit_bank=None))
    status, link = api.get(f"/contracts/{number}/{what}/1", CONTRACTOR_A)
    assert status == 200, link
    prefix = {"certificates": "paper", "fee-statements": "fees"}[what]
    assert _key_of(link) == f"{prefix}/{number}/v001.pdf" and _exists(_key_of(link))
