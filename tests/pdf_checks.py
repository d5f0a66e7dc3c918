"""Checks on rendered PDFs shared by the document tests."""
from __future__ import annotations

import io
import re
import subprocess

from pypdf import PdfReader

from system_tools import need


def assert_fonts_embedded(pdf: bytes) -> None:
    """`pdffonts` lists only IPAex TrueType fonts, each embedded, subset and with a Unicode map."""
    need("pdffonts")
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        # name type encoding emb sub uni object-id generation
        cols = row.split()
        assert "IPAex" in cols[0] and cols[1] == "TrueType", row
        assert cols[-5:-2] == ["yes", "yes", "yes"], row


def words(pdf: bytes) -> list[tuple[float, float, float, float, str]]:
    """Each word poppler finds on the first page: (left, bottom, right, top) in points, origin at the
    bottom left as in the PDF, and the word."""
    need("pdftotext")
    out = subprocess.run(["pdftotext", "-bbox", "-l", "1", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    height = float(re.search(r'<page width="[0-9.]+" height="([0-9.]+)"', out).group(1))
    pattern = r'<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>'
    return [(float(a), height - float(d), float(c), height - float(b), w) for a, b, c, d, w in re.findall(pattern, out)]


def drawn_boxes(pdf: bytes) -> tuple[list[tuple[float, float, float, float]], list[tuple[float, float, float, float]]]:
    """The rectangles (`re`) and the images (`Do`) drawn on the first page, as (left, bottom, right, top)."""
    rectangles, images = [], []

    def visit(operator, operands, cm, tm):
        a, b, c, d, e, f = (float(v) for v in cm)
        if operator == b"re":
            x, y, w, h = (float(v) for v in operands)
            corners = [(a * px + c * py + e, b * px + d * py + f) for px, py in ((x, y), (x + w, y + h))]
            (x0, y0), (x1, y1) = corners
            rectangles.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        elif operator == b"Do":  # an image fills the unit square of its matrix
            images.append((min(e, e + a), min(f, f + d), max(e, e + a), max(f, f + d)))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_operand_before=visit)
    return rectangles, images


def layout_problems(pdf: bytes, edge: float = 20) -> list[tuple]:
    """What a reader would see as broken: a word off the page (closer than `edge` to its border), two
    words on top of each other, a word on an image, a word across a drawn rectangle's border."""
    page = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    found = words(pdf)
    rectangles, images = drawn_boxes(pdf)
    slack = 0.5

    def meet(p, q):
        return p[0] < q[2] - slack and q[0] < p[2] - slack and p[1] < q[3] - slack and q[1] < p[3] - slack

    def inside(p, q):
        return q[0] - slack <= p[0] and p[2] <= q[2] + slack and q[1] - slack <= p[1] and p[3] <= q[3] + slack

    problems: list[tuple] = [
        ("off the page", w[4]) for w in found
        if w[0] < edge or w[1] < edge or w[2] > float(page.width) - edge or w[3] > float(page.height) - edge
    ]
    for i, a in enumerate(found):
        problems += [("overlap", a[4], b[4]) for b in found[i + 1:] if meet(a, b)]
        problems += [("on an image", a[4]) for image in images if meet(a, image)]
        problems += [("across a rectangle", a[4]) for box in rectangles if meet(a, box) and not inside(a, box)]
    return problems
