"""Deployment settings, read from the function's environment (set by infra/template.yaml)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    table_name: str
    bucket_name: str
    key_id: str  # KMS key that encrypts the contractor's copy of each auth key
    pepper_secret_id: str  # Secrets Manager secret holding the HMAC pepper for auth keys
    mail_from: str
    presign_seconds: int = 300
    notice_kms_key_id: str | None = None  # KMS key the notices (which print the auth key) are put under
    publication_queue_url: str = ""  # SQS queue the publisher reads: S3 arrivals and republish requests
    mail_queue_url: str = ""  # SQS queue the mail sender reads: every e-mail to a contractor


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", "esurety"),
        bucket_name=env.get("BUCKET_NAME", "esurety-documents"),
        key_id=env.get("AUTH_KEY_KMS_KEY_ID", "alias/esurety-auth-keys"),
        pepper_secret_id=env.get("PEPPER_SECRET_ID", "esurety/auth-key-pepper"),
        mail_from=env.get("MAIL_FROM", "no-reply@esurety.example"),
        presign_seconds=min(int(env.get("PRESIGN_SECONDS", "300")), 300),
        notice_kms_key_id=env.get("NOTICE_KMS_KEY_ARN") or None,
        publication_queue_url=env.get("PUBLICATION_QUEUE_URL", ""),
        mail_queue_url=env.get("MAIL_QUEUE_URL", ""),
    )
