"""Demo data for the local cloud: the orderer and issuer registries, the demo users, the SES sender.

Everything here is fictional and idempotent: a second `make run` finds it all in place.
The three issuers of the seed each sign with a key of their own: toto-hosho (the default issuer)
with the stack's SigningKey, mihon-sonpo and mirai-bank with a key and a demo certificate that
tools/issuers.py makes, as an operator onboards an issuer. Each issuer has a demo staff member
(`custom:issuer_id`), and the default issuer a second one of the same branch (`approver`), who
approves what the first decides when four eyes are on (`make run` turns them on for toto-hosho;
the e2e harness, which seeds through `seed` too, leaves them off unless a test turns them on).
Every demo user has a Japanese display name (the standard `name` attribute, in the ID token).
Staff live in the staff pool, which requires a second factor: each is
enrolled with a TOTP secret kept beside the local cloud's state, and every sign-in answers the
MFA challenge.
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


DEFAULT_ISSUER = "toto-hosho"
# The seed's issuers other than the default one: `make run` gives each a key and a demo
# certificate with tools/issuers.py (the default issuer signs with the stack's key).
ONBOARDED_ISSUERS = ("mihon-sonpo", "mirai-bank")


def staff_user(issuer_id: str) -> str:
    """The key in USERS of an issuer's demo staff member (`make token ROLE=staff ISSUER=<id>`)."""
    return "staff" if issuer_id in (None, "", DEFAULT_ISSUER) else f"staff-{issuer_id}"


USERS = {
    "contractor": DemoUser(
        "contractor", "contractor@demo.example", {"custom:company_id": "demo-sakura-kensetsu", "name": "さくら 太郎"}, "受注者 さくら建設（架空）",
    ),
    # A staff member of an issuer (custom:issuer_id); without it a staff member is the default issuer's.
    "staff": DemoUser(
        "staff", "staff@demo.example", {"custom:issuer_id": DEFAULT_ISSUER, "name": "栃木 花子"}, "保証会社 東都建設保証 栃木支店の職員",
    ),
    # Four eyes: a second staff member of the same issuer and branch approves what `staff` decides.
    "approver": DemoUser(
        "staff", "approver@demo.example", {"custom:issuer_id": DEFAULT_ISSUER, "name": "宇都宮 次郎"},
        "保証会社 東都建設保証 栃木支店の職員（承認者）",
    ),
    "staff-mihon-sonpo": DemoUser(
        "staff", "staff-mihon-sonpo@demo.example", {"custom:issuer_id": "mihon-sonpo", "name": "見本 一郎"},
        "損害保険会社 見本損害保険 宇都宮支店の職員",
    ),
    "staff-mirai-bank": DemoUser(
        "staff", "staff-mirai-bank@demo.example", {"custom:issuer_id": "mirai-bank", "name": "未来 咲"}, "銀行 みらい見本銀行 宇都宮営業部の職員",
    ),
    "orderer": DemoUser(
        "orderer", "orderer@demo.example", {"custom:orderer_id": "tochigi-pref", "name": "県庁 一郎"}, "発注者 栃木県の担当者（全部署）",
    ),
    # 栃木県's 県土整備部 技術管理課: sees the 前払金・中間前払金 desk only (custom:department_id)
    "orderer-works": DemoUser(
        "orderer-works", "orderer-works@demo.example",
        {"custom:orderer_id": "tochigi-pref", "custom:department_id": "works", "name": "技術 管理"},
        "発注者 栃木県 県土整備部 技術管理課の担当者", group="orderer",
    ),
    # Another orderer, to try the desk's isolation
    "orderer-ashikaga": DemoUser(
        "orderer-ashikaga", "orderer-ashikaga@demo.example", {"custom:orderer_id": "ashikaga-city", "name": "足利 三郎"}, "発注者 足利市の担当者",
        group="orderer",
    ),
}
# The users whose screens and tokens show a name: the standard attribute, mutable, so a demo user
# created before names were given gets theirs on the next `make run`.
NAME = "name"


def _tool_environment(cloud: LocalCloud) -> dict:
    """What a tool run against the local cloud needs: its address and its test credentials."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": cloud.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "AWS_REGION": "ap-northeast-1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)]),
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "TABLE_NAME"):  # nothing of the caller's own stack
        env.pop(name, None)
    return env


def seed_orderers(cloud: LocalCloud, table: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "tools" / "seed_orderers.py"), "--table", table], check=True,
                   env=_tool_environment(cloud), stdout=subprocess.DEVNULL)


def issuer_root_file(cloud: LocalCloud, issuer_id: str) -> Path:
    """The demo root CA an issuer's PDFs validate against (the default issuer's: signing-root.pem)."""
    if issuer_id == DEFAULT_ISSUER:
        return cloud.data_dir / "signing-root.pem"
    return cloud.data_dir / "issuers" / f"{issuer_id}-root.pem"


def issuers_tool(cloud: LocalCloud, stack: str, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    """`python -m tools.issuers --endpoint <the local cloud> --stack <stack> ...`, as an operator runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.issuers", "--endpoint", cloud.endpoint, "--stack", stack, *arguments],
        env=_tool_environment(cloud), cwd=ROOT, capture_output=True, text=True,
    )
    if check and done.returncode != 0:
        raise SystemExit(f"tools.issuers {' '.join(arguments)} failed:\n{done.stderr or done.stdout}")
    return done


def seed_issuers(cloud: LocalCloud, stack: str) -> None:
    """The issuer registry's seed, then a key and a demo certificate for each issuer but the default
    one, with the onboarding tool (idempotent: a second run finds the keys by their aliases)."""
    issuers_tool(cloud, stack, "seed")
    for issuer_id in ONBOARDED_ISSUERS:
        root = issuer_root_file(cloud, issuer_id)
        arguments = ["register", "--seed", issuer_id, "--create-key", "--demo-certificate", "--root-out", str(root)]
        issuers_tool(cloud, stack, *arguments)


def ensure_users(cloud: LocalCloud, outputs: dict) -> None:
    """As staff tooling does: the tenant attributes are given at AdminCreateUser, the only time they
    can be (they are immutable in the template)."""
    cognito = cloud.client("cognito-idp")
    schema = cognito.describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]["SchemaAttributes"]
    schema += cognito.describe_user_pool(UserPoolId=outputs["StaffUserPoolId"])["UserPool"]["SchemaAttributes"]
    tenants = ("custom:company_id", "custom:orderer_id", "custom:department_id", "custom:issuer_id")
    if any(a["Name"] in tenants and a.get("Mutable", True) for a in schema):
        # Cognito never changes an attribute's mutability; neither does the stack update.
        raise SystemExit("this .local/ holds a user pool from before the tenant attributes became immutable: "
                         "stop the local cloud, remove .local/ and `make run` again")
    for user in USERS.values():
        _create_user(cognito, outputs, user)
    for name, user in USERS.items():
        if user.role == "staff":
            _enroll_staff_totp(cloud, outputs, name)


def _create_user(cognito, outputs: dict, user: DemoUser) -> None:
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
        if NAME in user.attributes:  # a state from before display names: give the name (the only mutable one here)
            cognito.admin_update_user_attributes(
                UserPoolId=user_pool_id, Username=user.username, UserAttributes=[{"Name": NAME, "Value": user.attributes[NAME]}]
            )
        return
    cognito.admin_set_user_password(UserPoolId=user_pool_id, Username=user.username, Password=PASSWORD, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=user.username, GroupName=user.cognito_group)


def add_staff(cloud: LocalCloud, outputs: dict, issuer_id: str, description: str) -> str:
    """A demo staff member of an issuer onboarded later (as an administrator adds one: AdminCreateUser
    with `custom:issuer_id`, the staff group, a TOTP factor); returns its name for `sign_in`."""
    name = staff_user(issuer_id)
    USERS.setdefault(name, DemoUser("staff", f"{name}@demo.example", {"custom:issuer_id": issuer_id}, description))
    _create_user(cloud.client("cognito-idp"), outputs, USERS[name])
    _enroll_staff_totp(cloud, outputs, name)
    return name


def totp_secret_file(cloud: LocalCloud, name: str = "staff") -> Path:
    """Beside the state: `staff-totp-secret` (the default issuer's staff), `staff-<issuer>-totp-secret`."""
    return cloud.data_dir / f"{name}-totp-secret"


def totp_secret(cloud: LocalCloud, name: str = "staff") -> str:
    """A demo staff user's TOTP secret (base32; e.g. for an authenticator app)."""
    return totp_secret_file(cloud, name).read_text().strip()


def _enroll_staff_totp(cloud: LocalCloud, outputs: dict, name: str = "staff") -> None:
    """Give a demo staff user its second factor once: the secret stays beside the state."""
    if totp_secret_file(cloud, name).exists():
        return
    cognito = cloud.client("cognito-idp")
    user = USERS[name]
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
    totp_secret_file(cloud, name).write_text(secret + "\n")
    totp_secret_file(cloud, name).chmod(0o600)


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


def four_eyes(cloud: LocalCloud, stack: str, issuer_id: str = DEFAULT_ISSUER, on: bool = True) -> None:
    """A second staff member approves the issuer's 発行, 訂正 and 解約 (`make run` turns it on for the demo surety)."""
    issuers_tool(cloud, stack, "four-eyes", issuer_id, "on" if on else "off")


def seed(cloud: LocalCloud, outputs: dict, stack: str) -> None:
    seed_orderers(cloud, outputs["TableName"])
    seed_issuers(cloud, stack)
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
    if user.role == "staff":
        if answer.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
            raise SystemExit(f"the staff pool let the demo staff user in without a second factor ({answer.get('ChallengeName')})")
        answer = cognito.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=answer["Session"],
            ChallengeResponses={"USERNAME": user.username, "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(totp_secret(cloud, role)).now()},
        )
    return answer["AuthenticationResult"]


def id_token(cloud: LocalCloud, outputs: dict, role: str) -> str:
    """An ID token of a demo user; `outputs` are the stack's (each role signs in to its own pool)."""
    return sign_in(cloud, outputs, role)["IdToken"]
