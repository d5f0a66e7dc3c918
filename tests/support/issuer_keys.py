"""Signing keys for issuers as the onboarding tool gives them: a KMS key tagged for the issuer and
the stage, a demo certificate chain in the issuer's SSM parameter, the registry entry naming both."""
from __future__ import annotations

import dataclasses

import boto3

from esurety.aws import signing
from esurety.domain.catalogue.issuer import Issuer, Signing
from esurety.services import issuers
from tools import signing_certificate

STAGE = "test"


def certificate_parameter(issuer_id: str) -> str:
    return f"/esurety/{STAGE}/issuers/{issuer_id}/signing-certificate"


def give_signing_key(issuer: Issuer) -> tuple[Issuer, str]:
    """Register `issuer` with a key and certificate of its own; returns (the entry, its root PEM)."""
    kms, ssm = boto3.client("kms"), boto3.client("ssm")
    key = kms.create_key(
        Description=f"esurety test signing {issuer.issuer_id}", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY",
        Tags=[{"TagKey": "esurety:stage", "TagValue": STAGE}, {"TagKey": "esurety:issuer", "TagValue": issuer.issuer_id}],
    )["KeyMetadata"]["Arn"]
    parameter = certificate_parameter(issuer.issuer_id)
    root = signing_certificate.store_demo_certificate(kms, ssm, key, parameter, f"{issuer.company} 電子保証（デモ）")
    entry = dataclasses.replace(issuer, signing=Signing(key, parameter))
    issuers.register(entry)
    signing.forget()
    return entry, root


def seed_with_keys() -> None:
    """The packaged registry, each issuer but the first surety (the stack's key) with a key of its own."""
    issuers.seed()
    for issuer in issuers.list_issuers():
        if issuer.signing is None and issuer.issuer_id != "toto-hosho":
            give_signing_key(issuer)
