"""Sign-in in the local cloud: tenants nobody can rewrite, staff only with their second factor."""
from __future__ import annotations

import base64
import json

import pyotp
import pytest
from botocore.exceptions import ClientError

from e2e_support import http, local_cloud  # noqa: F401 (fixtures)
from tools.localcloud import demo

pytestmark = pytest.mark.e2e

TENANT = {"contractor": ("custom:company_id", "demo-sakura-kensetsu"), "orderer": ("custom:orderer_id", "tochigi-pref")}


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def update_user_attributes_as_aws(cognito, access_token: str, attributes: list[dict]) -> None:
    """UpdateUserAttributes with the checks Cognito makes and the local cloud skips.

    The local cloud writes whatever the token's user asks. Cognito first refuses an attribute the
    token's app client may not write (WriteAttributes) and one the pool declares immutable. Both
    rules are read from the deployed pool and client, so this refuses exactly what AWS would."""
    claims = _claims(access_token)
    pool_id = claims["iss"].rsplit("/", 1)[-1]
    schema = {a["Name"]: a for a in cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"]}
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=claims["client_id"])["UserPoolClient"]
    for attribute in attributes:
        name = attribute["Name"]
        if "WriteAttributes" in client and name not in client["WriteAttributes"]:
            raise ClientError({"Error": {"Code": "NotAuthorizedException", "Message": "A client attempted to write unauthorized attribute"}}, "UpdateUserAttributes")
        if name in schema and not schema[name].get("Mutable", True):
            raise ClientError({"Error": {"Code": "InvalidParameterException", "Message": f"Cannot modify the non-mutable attribute {name}"}}, "UpdateUserAttributes")
    cognito.update_user_attributes(AccessToken=access_token, UserAttributes=attributes)


@pytest.mark.parametrize("role", sorted(TENANT))
def test_a_user_cannot_rewrite_its_tenant(local_cloud, http, role):  # noqa: F811
    cloud, deployed = local_cloud
    outputs = deployed["outputs"]
    cognito = cloud.client("cognito-idp")
    attribute, tenant = TENANT[role]
    schema = {a["Name"]: a for a in cognito.describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]["SchemaAttributes"]}
    assert schema[attribute]["Mutable"] is False  # as deployed, not only as written

    signed_in = demo.sign_in(cloud, outputs, role)
    with pytest.raises(ClientError) as refused:
        update_user_attributes_as_aws(cognito, signed_in["AccessToken"], [{"Name": attribute, "Value": "another-tenant"}])
    assert refused.value.response["Error"]["Code"] in ("NotAuthorizedException", "InvalidParameterException")

    token = demo.id_token(cloud, outputs, role)
    assert _claims(token)[attribute] == tenant
    path = "/contracts" if role == "contractor" else "/verifications"
    status, _ = http.call("GET" if role == "contractor" else "POST", path, token,
                          body=None if role == "contractor" else {"contract_number": "31073-00001N", "auth_key": "ABCDEFGHJKLM"})
    assert status in (200, 404), status  # still itself: served, not refused


def test_staff_need_their_second_factor(local_cloud, http):  # noqa: F811
    cloud, deployed = local_cloud
    outputs = deployed["outputs"]
    cognito = cloud.client("cognito-idp")
    staff = demo.USERS["staff"]
    password_only = cognito.initiate_auth(
        ClientId=outputs["StaffUserPoolClientId"], AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": staff.username, "PASSWORD": demo.PASSWORD},
    )
    assert password_only.get("ChallengeName") == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" not in password_only

    code = pyotp.TOTP(demo.totp_secret(cloud)).now()
    wrong = f"{(int(code) + 500_000) % 1_000_000:06d}"
    with pytest.raises(ClientError) as refused:
        cognito.respond_to_auth_challenge(
            ClientId=outputs["StaffUserPoolClientId"], ChallengeName="SOFTWARE_TOKEN_MFA", Session=password_only["Session"],
            ChallengeResponses={"USERNAME": staff.username, "SOFTWARE_TOKEN_MFA_CODE": wrong},
        )
    assert refused.value.response["Error"]["Code"] == "CodeMismatchException"

    # The staff user is not in the contractors' and orderers' pool at all.
    with pytest.raises(ClientError):
        cognito.initiate_auth(
            ClientId=outputs["UserPoolClientId"], AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": staff.username, "PASSWORD": demo.PASSWORD},
        )

    token = demo.id_token(cloud, outputs, "staff")
    status, queue = http.call("GET", "/staff/applications?status=submitted", token)
    assert status == 200, queue
