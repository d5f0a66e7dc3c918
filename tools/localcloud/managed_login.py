"""Cognito's managed login as the local cloud serves it: the second factor asked as Cognito asks it,
and every page in Japanese.

serve.py loads this file into ministack's own process (standard library and ministack only) and
calls `install(cognito)` with ministack's Cognito module.

1. The TOTP code. ministack's managed login (/oauth2/authorize, POST /login) completed the
   authorization-code flow on the password alone, even for a user of a pool with MFA: staff got
   a code, then tokens, without their second factor. Every way the pages complete a sign-in
   (the password form, a new password, the choice-based flow) ends in `_issue_auth_code_redirect`;
   here, for a user Cognito would challenge (`_mfa_challenge_for_user`: an enrolled TOTP factor in
   a pool whose MFA is ON or OPTIONAL), that step instead answers a second page asking for the
   6-digit code of the authenticator app. A wrong code is refused on the same page, with a new try;
   the right one mints the authorization code. A user of a pool whose MFA is ON who has no factor
   yet is shown the key to add to an authenticator app and asked for its first code, as Cognito's
   pages set MFA up; the factor is then enrolled. The pending step lives as long as the app
   client's AuthSessionValidity (3 minutes unless set) and takes at most five wrong codes; after
   either, the sign-in starts again from the password.
2. Japanese pages. ministack's pages are English (labels, buttons, errors, `lang="en"`, a
   "Powered by ministack" footer). Here each page ministack renders (sign-in, new password, the
   choice-based steps, e-mail code) and the second-factor pages are Japanese, with `lang="ja"`;
   ministack's error texts are translated, and an error of the authorization request (an unknown
   client, a redirect URI not registered, an expired step) is a Japanese page, not a JSON body.
   The token endpoint (/oauth2/token) still answers OAuth's JSON errors: no person reads those.
"""
from __future__ import annotations

import base64
import html
import json
import re
import secrets
import time
from urllib.parse import parse_qs, quote


def _html() -> dict:
    """The headers of a page: a new dict each time (ministack adds Content-Length to the one it gets)."""
    return {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


MAX_WRONG_CODES = 5
DEFAULT_SESSION_MINUTES = 3  # Cognito's AuthSessionValidity when the app client sets none

# ministack's own messages on its pages, in the words a Japanese page uses.
MESSAGES = {
    "Incorrect username or password.": "ユーザー名またはパスワードが正しくありません。",
    "User is disabled.": "このユーザーは利用できません。管理者にお問い合わせください。",
    "User is not confirmed.": "このユーザーはまだ確認されていません。管理者にお問い合わせください。",
    "Passwords do not match.": "新しいパスワードと確認用のパスワードが一致しません。",
    "Invalid authentication method.": "サインインの方法を選んでください。",
    "Incorrect code.": "コードが正しくありません。",
    "Session has expired. Please sign in again.": "サインインの有効期限が切れました。もう一度サインインしてください。",
}
POLICY_PREFIX = "Password did not conform with policy: "
POLICY_RULES = (
    (re.compile(r"Password must have length greater than or equal to (\d+)"), "{0}文字以上"),
    (re.compile(r"Password must have uppercase characters"), "英大文字を含む"),
    (re.compile(r"Password must have lowercase characters"), "英小文字を含む"),
    (re.compile(r"Password must have numeric characters"), "数字を含む"),
    (re.compile(r"Password must have symbol characters"), "記号を含む"),
)
FALLBACK = "サインインできませんでした。もう一度お試しください。"
WRONG_CODE = "コードが正しくありません。認証アプリに表示されている最新の6桁のコードを入力してください。"
TOO_MANY_CODES = "コードの誤りが続いたため、サインインをやり直してください。"
STEP_EXPIRED = "時間が経過したため、もう一度サインインしてください。"
# Errors of the authorization request itself, as a person in a browser meets them.
OAUTH_ERRORS = {
    "invalid_client": "このアプリケーションはサインインに登録されていません。",
    "unauthorized_client": "このアプリケーションはこの方法でサインインできません。",
    "unsupported_response_type": "サインインの要求が正しくありません。サービスの画面からもう一度お試しください。",
    "invalid_request": "サインインの要求が正しくありません。サービスの画面からもう一度お試しください。",
}
EXPIRED_PAGE = "サインインの有効期限が切れました。サービスの画面からもう一度サインインしてください。"

STYLE = """*{margin:0;padding:0;box-sizing:border-box}
body{font-family:"Hiragino Sans","Noto Sans JP","IPAexGothic","Yu Gothic",Meiryo,sans-serif;
  background:#f0f2f5;display:flex;justify-content:center;align-items:center;min-height:100vh}
main{background:#fff;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.1);padding:32px;width:400px;max-width:92vw}
h1{font-size:22px;font-weight:600;color:#232f3e;margin-bottom:20px;text-align:center}
p{font-size:14px;color:#333;margin-bottom:16px;line-height:1.6}
label{display:block;font-size:14px;font-weight:600;color:#414750;margin-bottom:4px}
input[type=text],input[type=password]{width:100%;padding:10px 12px;border:1px solid #6b7785;
  border-radius:4px;font-size:16px;margin-bottom:16px}
input:focus{outline:2px solid #0060a0;outline-offset:1px}
button{width:100%;padding:10px;background:#0060a0;color:#fff;border:none;border-radius:4px;
  font-size:16px;font-weight:600;cursor:pointer;margin-bottom:12px}
button:hover{background:#004b7d}
.error{background:#fdeeec;color:#9b1c0c;border:1px solid #9b1c0c;border-radius:4px;padding:10px;margin-bottom:16px;font-size:14px}
.key{font-family:monospace;font-size:16px;letter-spacing:.1em;word-break:break-all;background:#f4f5f7;padding:8px;margin-bottom:16px}"""


def _page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)}</title>
<style>
{STYLE}
</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
{body}
</main>
</body>
</html>"""


def japanese(message: str) -> str:
    """ministack's English message on a page, in Japanese; one it does not know becomes a plain
    「サインインできませんでした」 rather than English on the page."""
    if not message:
        return ""
    if message in MESSAGES:
        return MESSAGES[message]
    if any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in message):
        return message  # already Japanese (this module's own)
    if message.startswith(POLICY_PREFIX):
        rules = []
        for part in message[len(POLICY_PREFIX):].split(";"):
            for pattern, words in POLICY_RULES:
                found = pattern.search(part)
                if found:
                    rules.append(words.format(*found.groups()))
        return "パスワードが条件を満たしていません" + (f"（{'、'.join(rules)}）" if rules else "") + "。"
    return FALLBACK


def _error(message: str) -> str:
    return f'<div class="error" role="alert">{html.escape(japanese(message))}</div>' if message else ""


def _hidden(fields: dict) -> str:
    return "\n".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v or "")}">' for k, v in fields.items())


def _oauth_fields(client_id, redirect_uri, scope, state, response_type, code_challenge, code_challenge_method, nonce) -> dict:
    return {"client_id": client_id, "redirect_uri": redirect_uri, "scope": scope, "state": state, "response_type": response_type,
            "code_challenge": code_challenge, "code_challenge_method": code_challenge_method, "nonce": nonce}


# ---- ministack's pages, in Japanese (same forms, same field names: its /login reads them)

def login_page_html(client_id, redirect_uri, scope, state, response_type, code_challenge="", code_challenge_method="",
                    nonce="", error_message=""):
    fields = _oauth_fields(client_id, redirect_uri, scope, state, response_type, code_challenge, code_challenge_method, nonce)
    return _page("サインイン", f"""{_error(error_message)}
<form method="POST" action="/login">
{_hidden(fields)}
<label for="username">ユーザー名</label>
<input type="text" id="username" name="username" autocomplete="username" required autofocus>
<label for="password">パスワード</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">サインイン</button>
</form>""")


def new_password_page_html(np_token, error_message=""):
    return _page("新しいパスワードの設定", f"""{_error(error_message)}
<p>初めてのサインインです。新しいパスワードを決めてください。</p>
<form method="POST" action="/login">
{_hidden({"np_token": np_token})}
<label for="new_password">新しいパスワード</label>
<input type="password" id="new_password" name="new_password" autocomplete="new-password" required autofocus>
<label for="confirm_password">新しいパスワード（確認）</label>
<input type="password" id="confirm_password" name="confirm_password" autocomplete="new-password" required>
<button type="submit">パスワードを変更</button>
</form>""")


def username_page_html(client_id, redirect_uri, scope, state, response_type, code_challenge="", code_challenge_method="",
                       nonce="", error_message=""):
    fields = {"auth_flow": "USER_AUTH",
              **_oauth_fields(client_id, redirect_uri, scope, state, response_type, code_challenge, code_challenge_method, nonce)}
    return _page("サインイン", f"""{_error(error_message)}
<form method="POST" action="/login">
{_hidden(fields)}
<label for="username">ユーザー名</label>
<input type="text" id="username" name="username" autocomplete="username" required autofocus>
<button type="submit">次へ</button>
</form>""")


CHALLENGE_LABELS = {"PASSWORD": "パスワード", "EMAIL_OTP": "メールで届くコード"}


def select_challenge_page_html(ua_token, available_challenges, error_message=""):
    buttons = "\n".join(f'<button type="submit" name="challenge" value="{html.escape(c)}">{html.escape(CHALLENGE_LABELS.get(c, "その他の方法"))}</button>'
                        for c in available_challenges)
    return _page("サインインの方法", f"""{_error(error_message)}
<form method="POST" action="/login">
{_hidden({"ua_token": ua_token})}
{buttons}
</form>""")


def password_page_html(ua_token, username, error_message=""):
    return _page("サインイン", f"""{_error(error_message)}
<p>{html.escape(username)} さんのパスワードを入力してください。</p>
<form method="POST" action="/login">
{_hidden({"ua_token": ua_token})}
<label for="password">パスワード</label>
<input type="password" id="password" name="password" autocomplete="current-password" required autofocus>
<button type="submit">サインイン</button>
</form>""")


def email_otp_page_html(ua_token, error_message=""):
    return _page("確認コードの入力", f"""{_error(error_message)}
<form method="POST" action="/login">
{_hidden({"ua_token": ua_token})}
<label for="code">メールでお送りしたコード</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus>
<button type="submit">サインイン</button>
</form>""")


# ---- the second factor

def totp_page_html(mfa_token: str, error_message: str = "") -> str:
    return _page("多要素認証", f"""{_error(error_message)}
<p>認証アプリに表示されている6桁のコードを入力してください。</p>
<form method="POST" action="/login">
{_hidden({"mfa_token": mfa_token})}
<label for="totp_code">認証アプリのコード</label>
<input type="text" id="totp_code" name="totp_code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required autofocus>
<button type="submit">サインイン</button>
</form>""")


def totp_setup_page_html(mfa_token: str, secret: str, account: str, error_message: str = "") -> str:
    uri = f"otpauth://totp/{quote(account)}?secret={secret}&issuer=esurety"
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return _page("認証アプリの登録", f"""{_error(error_message)}
<p>サインインには認証アプリのコードが必要です。認証アプリに次のキーを登録し、表示された6桁のコードを入力してください。</p>
<p class="key" id="totp_secret" aria-label="登録するキー">{html.escape(grouped)}</p>
<p><a href="{html.escape(uri)}">この端末の認証アプリで登録する</a></p>
<form method="POST" action="/login">
{_hidden({"mfa_token": mfa_token})}
<label for="totp_code">認証アプリのコード</label>
<input type="text" id="totp_code" name="totp_code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required autofocus>
<button type="submit">登録してサインイン</button>
</form>""")


def error_page_html(message: str, detail: dict | None = None) -> str:
    # The OAuth error stays readable to a developer (the page's source), never shown as text.
    data = "".join(f' data-{k}="{html.escape(str(v))}"' for k, v in (detail or {}).items())
    return _page("サインインできません", f'<div class="error" role="alert"{data}>{html.escape(message)}</div>')


class SecondFactor:
    """The pending second step of managed-login sign-ins, keyed by an unguessable token (in memory:
    a restart ends them, as a Cognito session ends; the sign-in starts again)."""

    def __init__(self, cognito):
        self.cognito = cognito
        self.pending: dict[str, dict] = {}
        self.issue = cognito._issue_auth_code_redirect

    def _step(self, pool: dict, pool_id: str, username: str) -> str | None:
        cognito = self.cognito
        user, error = cognito._resolve_user(pool, username)
        if error or user is None:
            return None
        if cognito._mfa_challenge_for_user(pool, user, pool_id, username):
            return "verify"
        totp_allowed = (pool.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled")
        if pool.get("MfaConfiguration") == "ON" and totp_allowed:
            return "enroll"  # MFA required, no factor yet: Cognito's pages set TOTP up first
        return None

    def issue_auth_code_redirect(self, client_id, pool_id, redirect_uri, scope, username, nonce,
                                 code_challenge, code_challenge_method, state):
        """Where ministack would mint the code: first the second factor, if Cognito would ask for it."""
        pool = self.cognito._get_pool_unscoped(pool_id)
        step = self._step(pool, pool_id, username) if pool else None
        if step is None:
            return self.issue(client_id, pool_id, redirect_uri, scope, username, nonce, code_challenge, code_challenge_method, state)
        client = self.cognito._find_pool_by_client_id(client_id)[2] or {}
        minutes = client.get("AuthSessionValidity") or DEFAULT_SESSION_MINUTES
        self._sweep()
        token = secrets.token_urlsafe(24)
        self.pending[token] = {
            "step": step, "pool_id": pool_id, "username": username, "wrong": 0, "expires_at": time.time() + minutes * 60,
            "secret": base64.b32encode(secrets.token_bytes(20)).decode() if step == "enroll" else "",
            "oauth": {"client_id": client_id, "redirect_uri": redirect_uri, "scope": scope, "state": state, "response_type": "code",
                      "code_challenge": code_challenge, "code_challenge_method": code_challenge_method, "nonce": nonce},
        }
        return 200, _html(), self._page(token).encode("utf-8")

    def _page(self, token: str, error: str = "") -> str:
        session = self.pending[token]
        if session["step"] == "enroll":
            return totp_setup_page_html(token, session["secret"], session["username"], error)
        return totp_page_html(token, error)

    def _sweep(self) -> None:
        now = time.time()
        for token in [t for t, s in self.pending.items() if s["expires_at"] < now - 3600]:
            self.pending.pop(token, None)

    def _start_again(self, session: dict, message: str):
        """The sign-in page again, for the same authorization request, with why."""
        oauth = session["oauth"]
        _, _, client = self.cognito._find_pool_by_client_id(oauth["client_id"])
        render = username_page_html if client and self.cognito._use_choice_based_ui(client) else login_page_html
        return 200, _html(), render(**oauth, error_message=message).encode("utf-8")

    def submit(self, token: str, code: str):
        """POST /login with the pending step's token and the code."""
        session = self.pending.get(token)
        if session is None:
            return 400, _html(), error_page_html(EXPIRED_PAGE).encode("utf-8")
        if session["expires_at"] < time.time():
            self.pending.pop(token, None)
            return self._start_again(session, STEP_EXPIRED)
        cognito = self.cognito
        pool = cognito._get_pool_unscoped(session["pool_id"])
        user, error = cognito._resolve_user(pool, session["username"]) if pool else (None, True)
        if error or user is None:
            self.pending.pop(token, None)
            return self._start_again(session, "Incorrect username or password.")
        secret = session["secret"] if session["step"] == "enroll" else user.get("_totp_secret")
        # A user enrolled before ministack kept secrets has none to check against: refused, never waved through.
        if not secret or not cognito._totp_matches(secret, code.strip()):
            session["wrong"] += 1
            if session["wrong"] >= MAX_WRONG_CODES:
                self.pending.pop(token, None)
                return self._start_again(session, TOO_MANY_CODES)
            return 200, _html(), self._page(token, WRONG_CODE).encode("utf-8")
        self.pending.pop(token, None)
        if session["step"] == "enroll":  # as VerifySoftwareToken and SetUserMFAPreference leave it
            user["_totp_secret"] = secret
            user.pop("_totp_pending_secret", None)
            enabled = user.setdefault("_mfa_enabled", [])
            if "SOFTWARE_TOKEN_MFA" not in enabled:
                enabled.append("SOFTWARE_TOKEN_MFA")
            user["_preferred_mfa"] = "SOFTWARE_TOKEN_MFA"
        oauth = session["oauth"]
        return self.issue(oauth["client_id"], session["pool_id"], oauth["redirect_uri"], oauth["scope"], user["Username"],
                          oauth["nonce"], oauth["code_challenge"], oauth["code_challenge_method"], oauth["state"])


def _as_page(answer):
    """An OAuth JSON error on a page a browser shows (authorize, login, logout) as a Japanese page."""
    status, headers, body = answer
    if status >= 400 and "json" in str((headers or {}).get("Content-Type", "")):
        try:
            error = json.loads(body or b"{}")
        except ValueError:
            error = {}
        if isinstance(error, dict) and "error" in error:
            description = error.get("error_description", "")
            message = EXPIRED_PAGE if "expired" in description.lower() else OAUTH_ERRORS.get(error["error"], OAUTH_ERRORS["invalid_request"])
            detail = {"oauth-error": error["error"], "oauth-description": description}
            return status, _html(), error_page_html(message, detail).encode("utf-8")
    return answer


def install(cognito) -> SecondFactor:
    second = SecondFactor(cognito)
    login_submit, authorize, logout = cognito.handle_login_submit, cognito.handle_oauth2_authorize, cognito.handle_logout

    def handle_login_submit(method, path, headers, body, query_params):
        form = {k: v[0] for k, v in parse_qs((body or b"").decode("utf-8", "replace"), keep_blank_values=True).items()}
        if form.get("mfa_token"):
            return second.submit(form["mfa_token"], form.get("totp_code", ""))
        return _as_page(login_submit(method, path, headers, body, query_params))

    def handle_oauth2_authorize(method, path, headers, query_params):
        return _as_page(authorize(method, path, headers, query_params))

    def handle_logout(method, path, headers, query_params):
        return _as_page(logout(method, path, headers, query_params))

    cognito._issue_auth_code_redirect = second.issue_auth_code_redirect
    cognito.handle_login_submit = handle_login_submit
    cognito.handle_oauth2_authorize = handle_oauth2_authorize
    cognito.handle_logout = handle_logout
    # ministack's pages, replaced where its handlers look them up (module globals, at each call).
    cognito._login_page_html = login_page_html
    cognito._new_password_page_html = new_password_page_html
    cognito._username_page_html = username_page_html
    cognito._select_challenge_page_html = select_challenge_page_html
    cognito._password_page_html = password_page_html
    cognito._email_otp_page_html = email_otp_page_html
    return second
