"""Demo data for the local cloud: the orderer registry, the demo users, the SES sender.

Everything here is fictional and idempotent: a second `make run` finds it all in place.
The staff user lives in the staff pool, which requires a second factor: it is enrolled with a
TOTP secret kept beside the local cloud's state, and every sign-in answers the MFA challenge.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyotp
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
    group: str = ""  # the Cognito group; the role's name when empty (orderer-works is an orderer)

    @property
    def cognito_group(self) -> str:
        return self.group or self.role

    @property
    def pool(self) -> str:
        """The stack output naming this user's pool: staff sign in to a pool of their own (with MFA)."""
        return "StaffUserPoolId" if self.role == "staff" else "UserPoolId"

    @property
    def client(self) -> str:
        return "StaffUserPoolClientId" if self.role == "staff" else "UserPoolClientId"


USERS = {
    "contractor": DemoUser("contractor", "contractor@demo.example", {"custom:company_id": "demo-sakura-kensetsu"}, "受注者 さくら建設（架空）"),
    "staff": DemoUser("staff", "staff@demo.example", {}, "保証会社 栃木支店の職員"),
    "orderer": DemoUser("orderer", "orderer@demo.example", {"custom:orderer_id": "tochigi-pref"}, "発注者 栃木県の担当者（全部署）"),
    # 栃木県's 県土整備部 技術管理課: sees the 前払金・中間前払金 desk only (custom:department_id)
    "orderer-works": DemoUser(
        "orderer-works", "orderer-works@demo.example", {"custom:orderer_id": "tochigi-pref", "custom:department_id": "works"},
        "発注者 栃木県 県土整備部 技術管理課の担当者", group="orderer",
    ),
    # Another orderer, to try the desk's isolation
    "orderer-ashikaga": DemoUser(
        "orderer-ashikaga", "orderer-ashikaga@demo.example", {"custom:orderer_id": "ashikaga-city"}, "発注者 足利市の担当者", group="orderer",
    ),
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


def ensure_users(cloud: LocalCloud, outputs: dict) -> None:
    """As staff tooling does: the tenant attributes are given at AdminCreateUser, the only time they
    can be (they are immutable in the template)."""
    cognito = cloud.client("cognito-idp")
    schema = cognito.describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]["SchemaAttributes"]
    if any(a["Name"] in ("custom:company_id", "custom:orderer_id", "custom:department_id") and a.get("Mutable", True) for a in schema):
        # Cognito never changes an attribute's mutability; neither does the stack update.
        raise SystemExit("this .local/ holds a user pool from before the tenant attributes became immutable: "
                         "stop the local cloud, remove .local/ and `make run` again")
    for user in USERS.values():
        user_pool_id = outputs[user.pool]
        attributes = [{"Name": "email", "Value": user.username}, {"Name": "email_verified", "Value": "true"}]
        attributes += [{"Name": k, "Value": v} for k, v in user.attributes.items()]
        try:
            cognito.admin_create_user(  # a temporary password the local cloud would make may miss the staff pool's policy
                UserPoolId=user_pool_id, Username=user.username, UserAttributes=attributes, MessageAction="SUPPRESS", TemporaryPassword=PASSWORD
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "UsernameExistsException":
                raise
            continue
        cognito.admin_set_user_password(UserPoolId=user_pool_id, Username=user.username, Password=PASSWORD, Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=user.username, GroupName=user.cognito_group)
    _enroll_staff_totp(cloud, outputs)


def totp_secret_file(cloud: LocalCloud) -> Path:
    return cloud.data_dir / "staff-totp-secret"


def totp_secret(cloud: LocalCloud) -> str:
    """The demo staff user's TOTP secret (base32; e.g. for an authenticator app)."""
    return totp_secret_file(cloud).read_text().strip()


def _enroll_staff_totp(cloud: LocalCloud, outputs: dict) -> None:
    """Give the demo staff user its second factor once: the secret stays beside the state."""
    if totp_secret_file(cloud).exists():
        return
    cognito = cloud.client("cognito-idp")
    user = USERS["staff"]
    answer = cognito.initiate_auth(
        ClientId=outputs[user.client], AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD}
    )
    if answer.get("ChallengeName") == "MFA_SETUP":  # what Cognito answers a user without a factor yet
        associated = cognito.associate_software_token(Session=answer["Session"])
        secret = associated["SecretCode"]
        verified = cognito.verify_software_token(Session=associated["Session"], UserCode=pyotp.TOTP(secret).now(), FriendlyDeviceName="demo")
        cognito.respond_to_auth_challenge(
            ClientId=outputs[user.client], ChallengeName="MFA_SETUP", Session=verified["Session"], ChallengeResponses={"USERNAME": user.username}
        )
    else:  # the local cloud signs an unenrolled user in at once; enrol with its access token
        access_token = answer["AuthenticationResult"]["AccessToken"]
        secret = cognito.associate_software_token(AccessToken=access_token)["SecretCode"]
        cognito.verify_software_token(AccessToken=access_token, UserCode=pyotp.TOTP(secret).now(), FriendlyDeviceName="demo")
    cognito.admin_set_user_mfa_preference(
        UserPoolId=outputs[user.pool], Username=user.username, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    totp_secret_file(cloud).write_text(secret + "\n")
    totp_secret_file(cloud).chmod(0o600)


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

    try:
        pki = DemoPki(cloud.data_dir / "demo-pki", port=cloud.port + 1).start()
    except OSError:  # taken (by another cloud's authority, or anything): any free port will do
        pki = DemoPki(cloud.data_dir / "demo-pki", port=0).start()
    (cloud.data_dir / "tsa-root.pem").write_text(pki.pem("root"))
    return pki


def seed(cloud: LocalCloud, outputs: dict) -> None:
    seed_orderers(cloud, outputs["TableName"])
    ensure_users(cloud, outputs)
    verify_sender(cloud)
    ensure_signing_certificate(cloud, outputs)


def sign_in(cloud: LocalCloud, outputs: dict, role: str) -> dict:
    """Password, then (staff) the TOTP code: Cognito's AuthenticationResult (IdToken, AccessToken, ...)."""
    user = USERS[role]
    cognito = cloud.client("cognito-idp")
    client_id = outputs[user.client]
    answer = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD}
    )
    if role == "staff":
        if answer.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
            raise SystemExit(f"the staff pool let the demo staff user in without a second factor ({answer.get('ChallengeName')})")
        answer = cognito.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=answer["Session"],
            ChallengeResponses={"USERNAME": user.username, "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(totp_secret(cloud)).now()},
        )
    return answer["AuthenticationResult"]


def id_token(cloud: LocalCloud, outputs: dict, role: str) -> str:
    """An ID token of a demo user; `outputs` are the stack's (each role signs in to its own pool)."""
    return sign_in(cloud, outputs, role)["IdToken"]
