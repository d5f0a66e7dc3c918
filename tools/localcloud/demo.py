"""Demo data for the local cloud: the orderer registry, three users, the SES sender.

Everything here is fictional and idempotent: a second `make run` finds it all in place.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from botocore.exceptions import ClientError

from .cloud import ROOT, LocalCloud

PASSWORD = "Demo-esurety-2024"
MAIL_FROM = "no-reply@esurety.example"


@dataclass(frozen=True)
class DemoUser:
    role: str
    username: str
    attributes: dict[str, str]
    description: str


USERS = {
    "contractor": DemoUser("contractor", "contractor@demo.example", {"custom:company_id": "demo-sakura-kensetsu"}, "受注者 さくら建設（架空）"),
    "staff": DemoUser("staff", "staff@demo.example", {}, "保証会社 栃木支店の職員"),
    "orderer": DemoUser("orderer", "orderer@demo.example", {"custom:orderer_id": "tochigi-pref"}, "発注者 栃木県の担当者"),
}


def seed_orderers(cloud: LocalCloud, table: str) -> None:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": cloud.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "AWS_REGION": "ap-northeast-1",
    }
    env.pop("AWS_PROFILE", None)
    subprocess.run([sys.executable, str(ROOT / "tools" / "seed_orderers.py"), "--table", table], check=True, env=env, stdout=subprocess.DEVNULL)


def ensure_users(cloud: LocalCloud, user_pool_id: str) -> None:
    cognito = cloud.client("cognito-idp")
    for user in USERS.values():
        attributes = [{"Name": "email", "Value": user.username}, {"Name": "email_verified", "Value": "true"}]
        attributes += [{"Name": k, "Value": v} for k, v in user.attributes.items()]
        try:
            cognito.admin_create_user(UserPoolId=user_pool_id, Username=user.username, UserAttributes=attributes, MessageAction="SUPPRESS")
        except ClientError as error:
            if error.response["Error"]["Code"] != "UsernameExistsException":
                raise
            continue
        cognito.admin_set_user_password(UserPoolId=user_pool_id, Username=user.username, Password=PASSWORD, Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=user.username, GroupName=user.role)


def verify_sender(cloud: LocalCloud) -> None:
    cloud.client("ses").verify_email_identity(EmailAddress=MAIL_FROM)


def ensure_signing_certificate(cloud: LocalCloud, outputs: dict) -> None:
    """A demo certificate for the KMS signing key, issued once: the state keeps it across runs.

    The demo root it chains to is written beside the state, for validating signed PDFs
    (e.g. `pyhanko sign validate --trust .local/cloud/signing-root.pem file.pdf`)."""
    sys.path.insert(0, str(ROOT))
    from tools.signing_certificate import store_demo_certificate

    root = store_demo_certificate(
        cloud.client("kms"), cloud.client("ssm"), outputs["SigningKeyId"], outputs["SigningCertificateParameter"], if_absent=True
    )
    if root:
        (cloud.data_dir / "signing-root.pem").write_text(root)


def start_timestamping(cloud: LocalCloud):
    """A demo time-stamping authority (certomancer) on 127.0.0.1, beside the local cloud, so the PDFs
    are PAdES B-T. It runs as a thread of this process; its keys are kept in the state, its root
    certificate is written beside the signing root (`.local/cloud/tsa-root.pem`). The port is the
    cloud's plus one when free, so the stack's TimestampUrl stays the same from run to run."""
    sys.path.insert(0, str(ROOT))
    from tools.demo_pki import DemoPki

    from .cloud import free_port, port_in_use

    port = cloud.port + 1 if not port_in_use(cloud.port + 1) else free_port()
    pki = DemoPki(cloud.data_dir / "demo-pki", port=port).start()
    (cloud.data_dir / "tsa-root.pem").write_text(pki.pem("root"))
    return pki


def seed(cloud: LocalCloud, outputs: dict) -> None:
    seed_orderers(cloud, outputs["TableName"])
    ensure_users(cloud, outputs["UserPoolId"])
    verify_sender(cloud)
    ensure_signing_certificate(cloud, outputs)


def id_token(cloud: LocalCloud, client_id: str, role: str) -> str:
    user = USERS[role]
    answer = cloud.client("cognito-idp").initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD}
    )
    return answer["AuthenticationResult"]["IdToken"]
