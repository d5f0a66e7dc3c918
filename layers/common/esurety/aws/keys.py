"""Where auth keys are protected: the HMAC pepper (Secrets Manager) and the KMS-encrypted copy."""
from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.utilities import parameters

from ..domain.identifiers import auth_key
from . import client
from ..config import settings

_ONE_DAY = 86_400


@lru_cache(maxsize=1)
def pepper() -> bytes:
    # Read once per cold start; the secret is rotated by deploying new functions.
    value = parameters.get_secret(settings().pepper_secret_id, max_age=_ONE_DAY)
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def digest(key: str) -> str:
    return auth_key.digest(key, pepper())


def matches(typed: str, stored_digest: str) -> bool:
    return auth_key.matches(typed, stored_digest, pepper())


def encrypt(key: str, contract_number: str) -> bytes:
    # The encryption context binds the ciphertext to its contract: a copied blob decrypts nowhere else.
    response = client("kms").encrypt(
        KeyId=settings().key_id,
        Plaintext=key.encode("utf-8"),
        EncryptionContext={"contract_number": contract_number},
    )
    return response["CiphertextBlob"]


def decrypt(ciphertext: bytes, contract_number: str) -> str:
    response = client("kms").decrypt(
        CiphertextBlob=ciphertext,
        EncryptionContext={"contract_number": contract_number},
    )
    return response["Plaintext"].decode("utf-8")


def forget() -> None:
    pepper.cache_clear()
