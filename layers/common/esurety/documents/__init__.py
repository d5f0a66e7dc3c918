"""PDF documents: the certificate (保証証書), the auth-key notice (「認証キー」のお知らせ) and the
guarantee-fee statement (保証料計算書).

`certificate.render_certificate`, `notice.render_notice` and `fee_statement.render_fee_statement`
take the certificate as a plain dict in the API shape and return PDF bytes. The issuer block printed
on them (company, address, representative, handling branch) is configuration: `data/issuer.json`, or
the file named by `ESURETY_ISSUER_FILE`; so is `verify_url`, the orderer's verification page that
the notice's QR code opens (optional: without it the notice has no QR code).

This module stays free of reportlab imports so that `load_issuer` is cheap to import.
"""
from __future__ import annotations

import functools
import threading

import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any, Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape

from .. import products
from ..wareki import wareki
from reportlab import rl_config
from reportlab.lib import colors

ISSUER_ENV_VAR = "ESURETY_ISSUER_FILE"
# The deployed site's 保証確認 page (the template sets it from its CloudFront distribution); it
# takes the place of the issuer file's verify_url, so the QR code opens the site of this stack.
VERIFY_URL_ENV_VAR = "ESURETY_VERIFY_URL"

# One palette for every document the surety issues: near-black ink, grey label cells, red marks.
INK = colors.Color(0.1, 0.1, 0.1)
LABEL_FILL = colors.Color(0.94, 0.94, 0.94)
STAMP = colors.Color(0.72, 0.12, 0.12)


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
    )


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


# --- helpers shared by the two renderers (pure; no reportlab) ---------------------------------------


def as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def wareki_of(value: date | datetime | str) -> str:
    """`2024-04-01` -> `令和06年04月01日`."""
    return wareki(as_date(value))


def product_label(certificate: Mapping[str, Any]) -> str:
    return certificate.get("product_label") or products.label(certificate["product"])


def work_label(certificate: Mapping[str, Any]) -> str:
    """工事名 for construction, 業務名 for a service contract (業務委託)."""
    return "業務名" if certificate.get("work_kind") == "service" else "工事名"


def markup(text: Any) -> str:
    """Text for a reportlab Paragraph: XML special characters escaped."""
    return escape("" if text is None else str(text))


# Streams go into the PDF as compressed binary, not ASCII85 text: a quarter smaller, and the
# encoding was the largest single cost of a render. (Binary PDFs are the norm; nothing needs 7-bit.)
rl_config.useA85 = 0


def paragraph_styles(face: str, **specs: dict) -> dict[str, Any]:
    """Named paragraph styles in one face, in ink, breaking lines the Japanese way (CJK)."""
    from reportlab.lib.styles import ParagraphStyle

    return {
        name: ParagraphStyle(name, fontName=face, textColor=INK, wordWrap="CJK", **spec)
        for name, spec in specs.items()
    }


def new_canvas(buffer, *, title: str, author: str, subject: str):
    """An A4 reportlab canvas with metadata, compressed and invariant (same input, same bytes)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from ..fonts import MINCHO

    # initialFontName: otherwise reportlab references (unembedded) Helvetica on every page.
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=MINCHO)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    canvas.setCreator("esurety")
    return canvas


_RENDER_LOCK = threading.RLock()


def serialised(render):
    """reportlab's TrueType fonts keep per-document subset state: render one document at a time."""

    @functools.wraps(render)
    def wrapper(*args, **kwargs):
        with _RENDER_LOCK:
            return render(*args, **kwargs)

    return wrapper
