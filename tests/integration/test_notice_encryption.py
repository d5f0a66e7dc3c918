"""Notices print the auth key: the publisher puts them under the documents KMS key (SSE-KMS)."""
from __future__ import annotations

import boto3
import pytest

from conftest import CONTRACTOR_A
from esurety.config import settings
from support.flows import issue_and_publish


@pytest.fixture
def documents_key(cloud, monkeypatch):
    """As the template does: the publisher's NOTICE_KMS_KEY_ARN names DocumentsKey's ARN."""
    arn = boto3.client("kms").create_key(Description="esurety test documents")["KeyMetadata"]["Arn"]
    monkeypatch.setenv("NOTICE_KMS_KEY_ARN", arn)
    settings.cache_clear()
    yield arn
    monkeypatch.delenv("NOTICE_KMS_KEY_ARN")
    settings.cache_clear()


def test_notice_is_put_under_the_documents_key(api, handlers, documents_key):
    _, number, _ = issue_and_publish(api, handlers)
    s3 = boto3.client("s3")
    notice = s3.head_object(Bucket=settings().bucket_name, Key=f"notices/{number}/v001.pdf")
    assert notice["ServerSideEncryption"] == "aws:kms"
    assert notice["SSEKMSKeyId"] == documents_key
    # The certificate carries no key: it stays under the bucket's default encryption.
    certificate = s3.head_object(Bucket=settings().bucket_name, Key=f"certificates/{number}/v001.pdf")
    assert certificate.get("ServerSideEncryption") != "aws:kms"
    # ... and the contractor still gets the notice through its link.
    status, link = api.get(f"/contracts/{number}/notice", CONTRACTOR_A)
    assert status == 200 and link["url"]
