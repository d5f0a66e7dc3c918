"""Sign-in in the local cloud: tenants nobody can rewrite, staff only with their second factor, and
the managed login's pages in Japanese (the TOTP code asked after the password, as Cognito asks it)."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pyotp
import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Page, expect

from browser_support import browser, check_screen, new_page  # noqa: F401 (fixture)
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


WRONG_PASSWORD = "ユーザー名またはパスワードが正しくありません。"
WRONG_CODE = "コードが正しくありません。認証アプリに表示されている最新の6桁のコードを入力してください。"


def _wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def japanese_login_page(page: Page, name: str, photograph: bool = False) -> None:
    """lang="ja", not one Latin letter in what a person reads (title, text, labels, buttons), and no
    serious axe finding nor sideways scrolling at 1366 and 390 px."""
    assert page.evaluate("document.documentElement.lang") == "ja", name
    shown = page.evaluate("""() => [document.title, document.body.innerText,
        ...[...document.querySelectorAll('input:not([type=hidden]), button, a, [aria-label]')]
            .map((e) => [e.getAttribute('placeholder'), e.getAttribute('aria-label'), e.getAttribute('title')].join(' '))].join('\\n')""")
    assert not re.search(r"[A-Za-z]", shown), f"{name}: {shown!r}"
    check_screen(page, name, photograph=photograph)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _post_login(endpoint: str, form: dict) -> tuple[int, dict, str]:
    """POST /login as a browser's form does, without following a redirect."""
    request = urllib.request.Request(f"{endpoint}/login", data=urllib.parse.urlencode(form).encode(), method="POST",
                                     headers={"content-type": "application/x-www-form-urlencoded"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


def _authorize_form(deployed: dict, front: str) -> dict:
    client = deployed["outputs"]["StaffUserPoolClientId" if front == "staff" else "UserPoolClientId"]
    callback = deployed["site_url"] + ("/staff/" if front == "staff" else "/")
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return {"client_id": client, "redirect_uri": callback, "scope": "openid email", "state": "s1", "response_type": "code",
            "code_challenge": challenge, "code_challenge_method": "S256", "nonce": ""}


def test_the_managed_login_asks_staff_for_the_code_only_and_contractors_in_one_step(local_cloud):  # noqa: F811
    cloud, deployed = local_cloud
    staff = demo.USERS["staff"]
    form = _authorize_form(deployed, "staff")

    # The password alone gets no authorization code (so no token): the code page answers instead.
    status, headers, page = _post_login(cloud.endpoint, {**form, "username": staff.username, "password": demo.PASSWORD})
    assert status == 200 and "Location" not in headers, (status, headers)
    assert "認証アプリのコード" in page and 'lang="ja"' in page
    step = re.search(r'name="mfa_token" value="([^"]+)"', page).group(1)

    # No code, or a wrong one: refused on the same page, with another try.
    code = pyotp.TOTP(demo.totp_secret(cloud)).now()
    for typed in ("", _wrong(code)):
        status, headers, page = _post_login(cloud.endpoint, {"mfa_token": step, "totp_code": typed})
        assert status == 200 and "Location" not in headers
        assert WRONG_CODE in page

    status, headers, _ = _post_login(cloud.endpoint, {"mfa_token": step, "totp_code": pyotp.TOTP(demo.totp_secret(cloud)).now()})
    assert status == 302 and headers["Location"].startswith(form["redirect_uri"] + "?code="), headers
    # The step is spent: its token does not sign in twice.
    status, headers, page = _post_login(cloud.endpoint, {"mfa_token": step, "totp_code": pyotp.TOTP(demo.totp_secret(cloud)).now()})
    assert status == 400 and "Location" not in headers and "もう一度サインインしてください" in page

    # The contractor's pool has no MFA: the password is the one step.
    contractor = demo.USERS["contractor"]
    status, headers, _ = _post_login(cloud.endpoint, {**_authorize_form(deployed, "contractor"),
                                                       "username": contractor.username, "password": demo.PASSWORD})
    assert status == 302 and "?code=" in headers["Location"], (status, headers)


def test_staff_sign_in_in_the_browser_with_the_totp_code_in_japanese(local_cloud, browser):  # noqa: F811
    cloud, deployed = local_cloud
    site = deployed["site_url"]
    staff = demo.USERS["staff"]
    page = new_page(browser)
    codes: list[str] = []  # authorization codes handed back to the site
    page.on("request", lambda request: request.url.startswith(site) and "code=" in request.url and codes.append(request.url))
    page.goto(site + "/staff/")
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    expect(page.locator("h1")).to_have_text("サインイン")
    japanese_login_page(page, "sign-in")

    page.fill("#username", staff.username)
    page.fill("#password", "Not-the-password-1")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_have_text(WRONG_PASSWORD)
    japanese_login_page(page, "sign-in-wrong-password")

    page.fill("#username", staff.username)
    page.fill("#password", demo.PASSWORD)
    page.click("button[type=submit]")
    code_box = page.get_by_label("認証アプリのコード")
    expect(code_box).to_be_visible()
    expect(page.locator("h1")).to_have_text("多要素認証")
    japanese_login_page(page, "sign-in-totp", photograph=True)
    assert codes == []  # the password alone: nothing for the site to exchange for a token
    assert page.evaluate("sessionStorage.getItem('esurety.tokens.staff')") is None

    code = pyotp.TOTP(demo.totp_secret(cloud)).now()
    code_box.fill(_wrong(code))
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_have_text(WRONG_CODE)
    expect(page.get_by_label("認証アプリのコード")).to_have_value("")  # a new try
    japanese_login_page(page, "sign-in-totp-wrong")
    assert codes == []

    page.get_by_label("認証アプリのコード").fill(pyotp.TOTP(demo.totp_secret(cloud)).now())
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(site) + r"/staff/"))
    page.wait_for_function("sessionStorage.getItem('esurety.tokens.staff') !== null", timeout=60_000)
    token = json.loads(page.evaluate("sessionStorage.getItem('esurety.tokens.staff')"))["idToken"]
    assert _claims(token)["email"] == staff.username and "staff" in _claims(token)["cognito:groups"]
    assert len(codes) == 1

    # An authorization request the pool does not know is refused on a Japanese page, too.
    page.goto(f"{cloud.endpoint}/oauth2/authorize?response_type=code&client_id=unknown-client&redirect_uri={urllib.parse.quote(site + '/staff/')}")
    expect(page.locator("h1")).to_have_text("サインインできません")
    japanese_login_page(page, "sign-in-refused")
