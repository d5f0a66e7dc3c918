"""The issuer (保証会社): company, representative, branches and the orderer's verification page (pure).

Configuration, not code: `data/issuer.json`, or the file named by `ESURETY_ISSUER_FILE`. The
documents print it; the API checks branch codes against it. Kept free of reportlab so that the
apply and verify paths can read it without loading the document renderers.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

ISSUER_ENV_VAR = "ESURETY_ISSUER_FILE"


@dataclass(frozen=True)
class Branch:
    code: str
    name: str  # 取扱箇所, e.g. 栃木支店
    tel: str
    fax: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Issuer:
    company: str
    address: str
    representative: str  # e.g. 取締役社長　見本　太郎
    branches: tuple[Branch, ...]
    verify_url: str | None = None  # the orderer's verification page (照会画面), opened by the notice's QR
    signin_url: str | None = None  # where the contractor signs in to the service (named in the issue e-mail)

    def branch(self, code: str | int | None) -> Branch:
        """The handling branch for a code; an unknown code falls back to the first branch."""
        for branch in self.branches:
            if code is not None and branch.code == str(code):
                return branch
        return self.branches[0]


def issuer_from_json(data: Mapping[str, Any]) -> Issuer:
    branches = tuple(
        Branch(
            code=str(code),
            name=entry["name"],
            tel=entry["tel"],
            fax=entry.get("fax"),
            address=entry.get("address"),
        )
        for code, entry in data["branches"].items()
    )
    if not branches:
        raise ValueError("issuer configuration needs at least one branch")
    verify_url = data.get("verify_url") or None
    if verify_url is not None:
        check_verify_url(verify_url)
    return Issuer(
        company=data["company"],
        address=data["address"],
        representative=data["representative"],
        branches=branches,
        verify_url=verify_url,
        signin_url=check_signin_url(data["signin_url"]) if data.get("signin_url") else None,
    )


def check_signin_url(url: str) -> str:
    """An https URL (http only on localhost): the contractor types a password there."""
    parts = urlsplit(url) if isinstance(url, str) else None
    local = parts is not None and parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")
    if parts is None or not (parts.scheme == "https" or local) or not parts.netloc:
        raise ValueError(f"issuer signin_url must be an https URL, not {url!r}")
    return url


def check_verify_url(url: str) -> str:
    """An https URL without a fragment (the notice's QR puts the auth key in the fragment)."""
    if not isinstance(url, str):
        raise ValueError(f"issuer verify_url must be a string, not {url!r}")
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")
    if not (parts.scheme == "https" or local) or not parts.netloc:
        raise ValueError(f"issuer verify_url must be an https URL, not {url!r}")
    if parts.fragment or url.endswith("#"):
        raise ValueError(f"issuer verify_url must not have a fragment (#...): {url!r}")
    return url


def verification_url(contract_number: str, auth_key: str, issuer: Issuer) -> str:
    """The link in the notice's QR code: `{verify_url}?contract_number=<number>#auth_key=<key>`.

    The contract number is a query parameter, so the page opens with it filled in. The key rides in
    the fragment only: browsers never send a fragment to the server, so it reaches no access log,
    proxy or CDN log, and no Referer header; the page's script reads it from `location.hash`.
    """
    if not issuer.verify_url:
        raise ValueError("the issuer configuration has no verify_url")
    parts = urlsplit(check_verify_url(issuer.verify_url))
    query = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in query if k != "contract_number"] + [("contract_number", contract_number)]
    fragment = urlencode({"auth_key": auth_key}, quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, quote_via=quote), fragment))


def load_issuer(path: str | None = None) -> Issuer:
    """The issuer from `path`, else from $ESURETY_ISSUER_FILE, else the packaged data/issuer.json."""
    path = path or os.environ.get(ISSUER_ENV_VAR)
    if path:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    else:
        text = resources.files("esurety").joinpath("data/issuer.json").read_text("utf-8")
    return issuer_from_json(json.loads(text))


