"""The issue e-mail as the contractor reads it: where to sign in, who sent it, never the key."""
from __future__ import annotations

import json

import pytest

from esurety.aws import mailer
from esurety.documents import issuer_from_json, load_issuer
from support.flows import issue_and_publish


def test_issue_mail_names_the_signin_page_and_is_signed_by_the_handling_branch(api, handlers, sent_mail):
    _, number, _ = issue_and_publish(api, handlers, branch_code="31")
    (mail,) = sent_mail()
    body = mail.body
    assert "https://esurety.example/signin" in body
    # The signature block: the issuer's company, the branch that handles the guarantee, its phone.
    signature = body.rsplit("―" * 20, 2)[-2]
    assert "東都建設保証株式会社" in signature
    assert "栃木支店" in signature and "TEL 028-000-0000" in signature
    assert "営業部" not in body
    assert number in body


def test_issue_mail_never_carries_the_key(api, handlers, sent_mail):
    _, number, _ = issue_and_publish(api, handlers)
    key = api.get(f"/contracts/{number}", {"cognito:groups": "[contractor]", "custom:company_id": "company-a", "sub": "user-a"})[1]["auth_key"]
    assert key and key not in json.dumps([m.body for m in sent_mail()], ensure_ascii=False)


def test_mail_without_a_signin_url_still_says_to_sign_in():
    data = json.loads(json.dumps({"company": "c", "address": "a", "representative": "r",
                                  "branches": {"11": {"name": "営業部", "tel": "03-0000-0000"}}}))
    body = mailer.issued_body("丸山建設", "11063-00001J", "前払金保証", "工事", branch_code="11", issuer=issuer_from_json(data))
    assert "インターネット保証サービスにログインし" in body and "TEL 03-0000-0000" in body


@pytest.mark.parametrize("url", ["http://esurety.example/signin", "esurety.example", 42])
def test_a_signin_url_that_is_not_https_is_refused(url):
    data = {"company": "c", "address": "a", "representative": "r",
            "branches": {"11": {"name": "n", "tel": "t"}}, "signin_url": url}
    with pytest.raises(ValueError, match="signin_url"):
        issuer_from_json(data)


def test_packaged_issuer_has_a_signin_url():
    assert load_issuer().signin_url == "https://esurety.example/signin"


