"""PDF documents: the guarantee (the surety's 保証証書, the insurer's 公共工事履行保証証券, the bank's
保証書), the auth-key notice (「認証キー」のお知らせ) and the guarantee-fee statement (保証料計算書).

`certificate.render_certificate`, `notice.render_notice` and `fee_statement.render_fee_statement`
take the certificate as a plain dict in the API shape and the issuer, and return PDF bytes;
`render_certificate` draws the document the issuer issues for the product (`kinds`, `formal`). The
issuer block printed on them (company, address, representative, handling branch) is the issuer's
registry entry (`data/issuers.json` is the seed; without an issuer, the default one, or the file
named by `ESURETY_ISSUER_FILE`); so is `verify_url`, the orderer's verification page that the
notice's QR code opens (optional: without it the notice has no QR code).

The issuer itself is `esurety.domain.catalogue.issuer` (no reportlab), so reading it is cheap on every path.
"""
from __future__ import annotations

import functools
import threading

from datetime import date, datetime
from typing import Any, Mapping
from xml.sax.saxutils import escape

from ..domain.japanese import clock
from ..domain.catalogue import products
from ..domain.catalogue.issuer import (  # noqa: F401  (the documents' issuer block; re-exported for the renderers)
    ISSUER_ENV_VAR,
    VERIFY_URL_ENV_VAR,
    Branch,
    Issuer,
    check_verify_url,
    issuer_from_json,
    load_issuer,
    verification_url,
)
from ..domain.japanese.wareki import wareki
from reportlab import rl_config
from reportlab.lib import colors


# One palette for every document the surety issues: near-black ink, grey label cells, red marks.
INK = colors.Color(0.1, 0.1, 0.1)
LABEL_FILL = colors.Color(0.94, 0.94, 0.94)
STAMP = colors.Color(0.72, 0.12, 0.12)


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


def new_canvas(buffer, *, title: str, author: str, subject: str, face: str | None = None, moment: datetime | None = None):
    """An A4 reportlab canvas with metadata, compressed and invariant (same input and clock, same bytes).

    `face`: the document's font (default Mincho), which must be registered (`fonts.ensure_fonts`).
    The document's CreationDate and ModDate are the render time (`clock.now()`, JST): reportlab's
    invariant mode, kept for its input-derived /ID, would otherwise write 2000-01-01. `moment`: a
    document that states when it was made (the 寄託記録) is dated with that time instead.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from ..fonts import MINCHO

    # initialFontName: otherwise reportlab references (unembedded) Helvetica on every page.
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=face or MINCHO)
    canvas._doc._timeStamp = _render_time_stamp(moment or clock.now())
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    canvas.setCreator("esurety")
    return canvas


def _render_time_stamp(moment: datetime):
    """reportlab's TimeStamp for `moment` (it knows no public way to date an invariant document)."""
    from reportlab.lib.utils import TimeStamp

    stamp = TimeStamp(invariant=1)
    offset_minutes = int(moment.utcoffset().total_seconds() // 60)
    stamp.t = moment.timestamp()
    stamp.lt = moment.timetuple()
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh, stamp.dmm = divmod(offset_minutes, 60)
    stamp.tzname = moment.tzname()
    return stamp


_RENDER_LOCK = threading.RLock()


def serialised(render):
    """reportlab's TrueType fonts keep per-document subset state: render one document at a time."""

    @functools.wraps(render)
    def wrapper(*args, **kwargs):
        with _RENDER_LOCK:
            return render(*args, **kwargs)

    return wrapper
