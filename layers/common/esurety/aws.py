"""boto3 clients, created once per process (cold start) and only when first used."""
from __future__ import annotations

from functools import lru_cache

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, signature_version="s3v4")


@lru_cache(maxsize=None)
def client(service: str):
    return boto3.client(service, config=_CONFIG)



def forget() -> None:
    """Drop the clients (and their connection pools); the next `client()` makes new ones."""
    client.cache_clear()
