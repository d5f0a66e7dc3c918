"""Japanese fonts for the PDF documents: IPAex Gothic (headings) and IPAex Mincho (body).

Both are registered with reportlab as TrueType fonts, so every PDF embeds a subset of the glyphs it
uses; nothing falls back to the non-embedded CID fonts or to empty boxes. The directory holding
`ipaexg.ttf` / `ipaexm.ttf` is looked up in this order:

1. the environment variable `ESURETY_FONT_DIR`;
2. the package folder `esurety/fonts/` (the layer build copies the files there);
3. the Debian package `fonts-ipaexfont` (/usr/share/fonts/opentype/ipaexfont-gothic, -mincho).

Registration happens once per process (`ensure_fonts` is cheap after the first call).

Size: IPAex glyphs carry TrueType hinting instructions (about 40 % of each glyph), which PDF viewers
do not need at document resolutions. Each embedded subset is therefore rewritten without them
(`strip_hinting`), which keeps a one-page document with two faces well under 40 KB. It is done here,
on each embedded subset, not once on the font files at layer build: a stripped font file would be a
Derived Program under the IPA Font License, which could not be redistributed under the IPAex name
(docs/decisions.md, "Font hinting stripped when a subset is embedded"). The licence travels with
the fonts in the layer (fonts/IPA_Font_License_Agreement_v1.0.txt).
"""
from __future__ import annotations

import os
import struct
import threading
from pathlib import Path

GOTHIC = "IPAexGothic"
MINCHO = "IPAexMincho"

ENV_VAR = "ESURETY_FONT_DIR"
DEBIAN_PACKAGE = "fonts-ipaexfont"

FILES = {GOTHIC: "ipaexg.ttf", MINCHO: "ipaexm.ttf"}

PACKAGE_DIR = Path(__file__).resolve().parent / "fonts"
SYSTEM_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/ipaexfont-gothic"),
    Path("/usr/share/fonts/opentype/ipaexfont-mincho"),
)

_lock = threading.Lock()
_registered = False  # both faces
_faces: set[str] = set()  # the faces registered so far


class FontMissingError(RuntimeError):
    """A Japanese font file could not be found; the documents cannot be rendered without it."""


def search_dirs() -> list[Path]:
    """The directories searched, in order (the environment variable is read on every call)."""
    dirs: list[Path] = []
    configured = os.environ.get(ENV_VAR)
    if configured:
        dirs.append(Path(configured))
    dirs.append(PACKAGE_DIR)
    dirs.extend(SYSTEM_DIRS)
    return dirs


def find_font(filename: str) -> Path:
    dirs = search_dirs()
    for directory in dirs:
        candidate = directory / filename
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d / filename) for d in dirs)
    raise FontMissingError(
        f"font file {filename} not found (searched: {searched}). "
        f"Set {ENV_VAR} to a directory holding ipaexg.ttf and ipaexm.ttf, copy them to "
        f"{PACKAGE_DIR}, or install the Debian package {DEBIAN_PACKAGE}."
    )


def ensure_fonts(*names: str) -> None:
    """Register the named IPAex faces (default: Gothic and Mincho) with reportlab, each once per process.

    Reading a face costs ~40 ms (the notice's function reads only Gothic at its cold start).
    """
    global _registered
    if _registered:
        return
    wanted = names or tuple(FILES)
    with _lock:
        if _registered:
            return
        # Find every file before registering any, so a missing one fails cleanly.
        paths = {name: find_font(FILES[name]) for name in wanted}
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        for name, path in paths.items():
            if name in _faces:
                continue
            # asciiReadable=False: embed only the glyphs used, not the whole of ASCII.
            font = TTFont(name, str(path), asciiReadable=False)
            _strip_hinting_from_subsets(font)
            pdfmetrics.registerFont(font)
            _faces.add(name)
        _registered = _faces >= set(FILES)


# --- hinting removal from embedded subsets ---------------------------------------------------------

_HINTING_TABLES = {b"fpgm", b"prep", b"cvt "}
_ARG_1_AND_2_ARE_WORDS = 0x0001
_WE_HAVE_A_SCALE = 0x0008
_MORE_COMPONENTS = 0x0020
_WE_HAVE_AN_X_AND_Y_SCALE = 0x0040
_WE_HAVE_A_TWO_BY_TWO = 0x0080
_WE_HAVE_INSTRUCTIONS = 0x0100


def _strip_hinting_from_subsets(font) -> None:
    """Wrap the face's subset maker (reportlab calls `face.makeSubset(subset)` once per subset)."""
    face = getattr(font, "face", None)
    make_subset = getattr(face, "makeSubset", None)
    if make_subset is None:  # a reportlab without this hook: embed as is (larger, still correct)
        return

    def make_subset_without_hinting(subset):
        data = make_subset(subset)
        try:
            return strip_hinting(data)
        except (struct.error, KeyError, ValueError):
            return data

    face.makeSubset = make_subset_without_hinting


def _strip_glyph(glyph: bytes) -> bytes:
    if len(glyph) < 10:
        return glyph  # empty glyph (e.g. space)
    (contours,) = struct.unpack_from(">h", glyph, 0)
    if contours >= 0:
        at = 10 + 2 * contours
        (length,) = struct.unpack_from(">H", glyph, at)
        return glyph[:at] + b"\0\0" + glyph[at + 2 + length:]
    at, flags, last_flags_at = 10, _MORE_COMPONENTS, 10
    while flags & _MORE_COMPONENTS:
        last_flags_at = at
        (flags,) = struct.unpack_from(">H", glyph, at)
        at += 4 + (4 if flags & _ARG_1_AND_2_ARE_WORDS else 2)
        if flags & _WE_HAVE_A_SCALE:
            at += 2
        elif flags & _WE_HAVE_AN_X_AND_Y_SCALE:
            at += 4
        elif flags & _WE_HAVE_A_TWO_BY_TWO:
            at += 8
    if not flags & _WE_HAVE_INSTRUCTIONS:
        return glyph[:at]
    return (
        glyph[:last_flags_at]
        + struct.pack(">H", flags & ~_WE_HAVE_INSTRUCTIONS)
        + glyph[last_flags_at + 2:at]
    )


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}L", data)) & 0xFFFFFFFF


def strip_hinting(font: bytes) -> bytes:
    """A TrueType font without hinting: glyph instructions and the fpgm/prep/cvt tables removed."""
    version, count = struct.unpack_from(">LH", font, 0)
    tables: dict[bytes, bytes] = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sLLL", font, 12 + 16 * i)
        tables[tag] = font[offset:offset + length]
    for tag in _HINTING_TABLES:
        tables.pop(tag, None)

    head, maxp, loca, glyf = tables[b"head"], tables[b"maxp"], tables[b"loca"], tables[b"glyf"]
    long_loca = struct.unpack_from(">h", head, 50)[0] == 1
    (glyph_count,) = struct.unpack_from(">H", maxp, 4)
    if long_loca:
        offsets = struct.unpack_from(f">{glyph_count + 1}L", loca)
    else:
        offsets = [2 * o for o in struct.unpack_from(f">{glyph_count + 1}H", loca)]
    glyphs, new_offsets, position = [], [], 0
    for start, end in zip(offsets, offsets[1:]):
        glyph = _strip_glyph(glyf[start:end])
        glyph += b"\0" * (-len(glyph) % 4)
        new_offsets.append(position)
        glyphs.append(glyph)
        position += len(glyph)
    new_offsets.append(position)
    tables[b"glyf"] = b"".join(glyphs)
    if long_loca:
        tables[b"loca"] = struct.pack(f">{len(new_offsets)}L", *new_offsets)
    else:
        tables[b"loca"] = struct.pack(f">{len(new_offsets)}H", *(o // 2 for o in new_offsets))
    if len(maxp) >= 28:
        tables[b"maxp"] = maxp[:26] + b"\0\0" + maxp[28:]  # maxSizeOfInstructions
    tables[b"head"] = head[:8] + b"\0\0\0\0" + head[12:]  # checkSumAdjustment, set below

    count = len(tables)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">LHHHH", version, count, 16 * power, power.bit_length() - 1, 16 * (count - power))
    directory, body = [], []
    offset = 12 + 16 * count
    head_at = 0
    for tag in sorted(tables):
        data = tables[tag]
        if tag == b"head":
            head_at = offset
        directory.append(struct.pack(">4sLLL", tag, _checksum(data), offset, len(data)))
        body.append(data + b"\0" * (-len(data) % 4))
        offset += len(body[-1])
    out = bytearray(header + b"".join(directory) + b"".join(body))
    adjustment = (0xB1B0AFBA - _checksum(bytes(out))) & 0xFFFFFFFF
    struct.pack_into(">L", out, head_at + 8, adjustment)
    return bytes(out)
