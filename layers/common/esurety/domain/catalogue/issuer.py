"""The issuer (保証会社): company, representative, branches and the orderer's verification page (pure).

Configuration, not code: `data/issuer.json`, or the file named by `ESURETY_ISSUER_FILE`. The
documents print it; the API checks branch codes against it. The file's shape is a pydantic model
(as the request bodies are). Kept free of reportlab so that the apply and verify paths can read it
without loading the document renderers.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping, Optional
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ValidationError, field_validator

ISSUER_ENV_VAR = "ESURETY_ISSUER_FILE"
# The deployed site's 保証確認 page (the template sets it from its CloudFront distribution); it
# takes the place of the issuer file's verify_url, so the QR code opens the site of this stack.
VERIFY_URL_ENV_VAR = "ESURETY_VERIFY_URL"


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


class _BranchEntry(BaseModel):
    name: str
    tel: str
    fax: Optional[str] = None
    address: Optional[str] = None


class _IssuerFile(BaseModel):
    """The file's shape (keys it does not name, such as `_comment`, are ignored)."""

    company: str
    address: str
    representative: str
    branches: dict[str, _BranchEntry]
    verify_url: Any = None
    signin_url: Any = None

    @field_validator("branches", mode="before")
    @classmethod
    def _codes_as_text(cls, branches: Any) -> Any:
        return {str(code): entry for code, entry in branches.items()} if isinstance(branches, Mapping) else branches

    @field_validator("branches")
    @classmethod
    def _at_least_one(cls, branches: dict) -> dict:
        if not branches:
            raise ValueError("issuer configuration needs at least one branch")
        return branches

    @field_validator("verify_url")
    @classmethod
    def _verify_url(cls, url: Any) -> str | None:
        return check_verify_url(url) if url else None

    @field_validator("signin_url")
    @classmethod
    def _signin_url(cls, url: Any) -> str | None:
        return check_signin_url(url) if url else None


def issuer_from_json(data: Mapping[str, Any]) -> Issuer:
    """The Issuer from the parsed file; a bad file raises ValueError saying what is wrong."""
    try:
        parsed = _IssuerFile.model_validate(data)
    except ValidationError as invalid:
        error = invalid.errors()[0]
        raised = (error.get("ctx") or {}).get("error")
        if isinstance(raised, ValueError):  # ours: the message says which field and why
            raise ValueError(str(raised)) from None
        place = ".".join(str(part) for part in error["loc"])
        raise ValueError(f"issuer configuration: {place}: {error['msg']}") from None
    return Issuer(
        company=parsed.company,
        address=parsed.address,
        representative=parsed.representative,
        branches=tuple(
            Branch(code=code, name=entry.name, tel=entry.tel, fax=entry.fax, address=entry.address)
            for code, entry in parsed.branches.items()
        ),
        verify_url=parsed.verify_url,
        signin_url=parsed.signin_url,
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
    # http only on this machine: localhost, its sub-domains (the local cloud's CloudFront), 127.0.0.1
    host = parts.hostname or ""
    local = parts.scheme == "http" and (host in ("localhost", "127.0.0.1") or host.endswith(".localhost"))
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
    data = json.loads(text)
    if os.environ.get(VERIFY_URL_ENV_VAR):
        data["verify_url"] = os.environ[VERIFY_URL_ENV_VAR]
    return issuer_from_json(data)


