"""boto3 clients, created once per process (cold start) and only when first used."""
from __future__ import annotations

import logging
from functools import lru_cache

import boto3
from botocore.config import Config

# At DEBUG the SDK logs request and response bodies: the KMS plaintext of an auth key (base64),
# the pepper from Secrets Manager. Its loggers are pinned to WARNING here, at import, so neither
# POWERTOOLS_LOG_LEVEL nor a DEBUG root logger (the Lambda runtime's log level) lets them through.
SDK_LOGGERS = ("boto3", "botocore", "s3transfer", "urllib3")
for _name in SDK_LOGGERS:
    logging.getLogger(_name).setLevel(logging.WARNING)

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, signature_version="s3v4")


@lru_cache(maxsize=None)
def client(service: str):
    return boto3.client(service, config=_CONFIG)



def forget() -> None:
    """Drop the clients (and their connection pools); the next `client()` makes new ones."""
    client.cache_clear()
