"""Visual regression: every document, rendered to PNG, still looks like its reference picture.

The references are `tests/reference/<product>-<document>.png` (and `contract-<kind>-<document>.png` for
the insurer's and the bank's documents), written by
`tools/update_reference_images.py` from the same fixed sample data and the same `pdftoppm -r 50`.
A picture may differ slightly between poppler versions (anti-aliasing), so a document passes when the
page size is the same and fewer than 0.5 % of its pixels differ by more than a grey-level threshold.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw  # Pillow comes with reportlab

from system_tools import need
from tools import update_reference_images as references

@pytest.fixture(autouse=True)
def _pdftoppm():
    need("pdftoppm")

MAX_DIFFERING = 0.005  # fraction of pixels
THRESHOLD = 64  # grey levels (of 255) a pixel may move before it counts as different
HINT = (
    "If the change of the layout is intended, run `.venv/bin/python tools/update_reference_images.py` "
    "(and `--docs` for docs/images), look at the pictures, and commit them."
)

NAMES = [
    f"{product}-{document}"
    for product in references.PRODUCTS
    for document in ("certificate-new", "certificate-change1", "notice", "fee-statement")
] + ["advance_payment-fee-difference", "advance_payment-fee-refund", "advance_payment-deposit-record"] + [
    # The insurer's 公共工事履行保証証券 and the bank's 保証書 (契約保証), with their notices and statements.
    f"contract-{kind}-{document}" for kind, _ in references.ISSUER_SAMPLES for document in references.ISSUER_DOCUMENTS
]


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return references.render_all()


def differing_fraction(actual, expected) -> float:
    diff = ImageChops.difference(actual.convert("L"), expected.convert("L"))
    histogram = diff.histogram()
    return sum(histogram[THRESHOLD + 1:]) / (actual.width * actual.height)


def test_every_document_has_a_reference(rendered):
    assert sorted(rendered) == sorted(NAMES)
    on_disk = sorted(path.stem for path in references.REFERENCE_DIR.glob("*.png"))
    assert on_disk == sorted(NAMES), f"tests/reference does not match the documents rendered. {HINT}"


@pytest.mark.parametrize("name", NAMES)
def test_document_looks_like_its_reference(rendered, name, tmp_path):
    reference = references.REFERENCE_DIR / f"{name}.png"
    assert reference.is_file(), f"no reference picture {reference.relative_to(references.ROOT)}. {HINT}"
    actual_png = references.to_png(rendered[name])
    actual = Image.open(io.BytesIO(actual_png))
    expected = Image.open(reference)
    saved = tmp_path / f"{name}.png"
    saved.write_bytes(actual_png)
    assert actual.size == expected.size, (
        f"{name}: the page is {actual.size} px, the reference {expected.size} px (see {saved}). {HINT}"
    )
    fraction = differing_fraction(actual, expected)
    assert fraction < MAX_DIFFERING, (
        f"{name}: {fraction:.2%} of the pixels differ from {reference.relative_to(references.ROOT)} "
        f"(limit {MAX_DIFFERING:.1%}); the new rendering is {saved}. {HINT}"
    )


def test_references_stay_small():
    for path in references.REFERENCE_DIR.glob("*.png"):
        assert path.stat().st_size < 150_000, path


def test_the_comparison_notices_a_moved_line(rendered):
    """The tolerance is not so loose that a real layout change passes."""
    expected = Image.open(io.BytesIO(references.to_png(rendered["advance_payment-fee-statement"])))
    changed = expected.copy()
    ImageDraw.Draw(changed).rectangle((40, 300, 370, 320), fill="black")  # a 20 px band
    assert differing_fraction(expected, expected) == 0
    assert differing_fraction(changed, expected) >= MAX_DIFFERING


def test_reference_names_are_paths_of_the_repository():
    assert references.REFERENCE_DIR == Path(__file__).resolve().parents[1] / "reference"
