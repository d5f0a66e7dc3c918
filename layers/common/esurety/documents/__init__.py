"""PDF documents: the certificate (保証証書) and the auth-key notice (「認証キー」のお知らせ).

`certificate.render_certificate` and `notice.render_notice` take the certificate as a plain dict in the
API shape and return PDF bytes. The issuer block printed on both (company, address, representative,
handling branch) is configuration: `data/issuer.json`, or the file named by `ESURETY_ISSUER_FILE`.

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
from xml.sax.saxutils import escape

from .. import products
from ..wareki import wareki

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
    return Issuer(
        company=data["company"],
        address=data["address"],
        representative=data["representative"],
        branches=branches,
    )


def load_issuer(path: str | None = None) -> Issuer:
    """The issuer from `path`, else from $ESURETY_ISSUER_FILE, else the packaged data/issuer.json."""
    path = path or os.environ.get(ISSUER_ENV_VAR)
    if path:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    else:
        text = resources.files("esurety").joinpath("data/issuer.json").read_text("utf-8")
    return issuer_from_json(json.loads(text))


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
