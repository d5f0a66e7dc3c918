"""認定調書: the orderer's certification a 中間前払金保証 application comes with, as a PDF (pure).

The contractor uploads it straight to the bucket (a presigned POST bound to one key, a size range
and the PDF content type). Those bounds are enforced by S3 before any byte is stored; this module
is the second look, after arrival: the bytes must really be a PDF a person can open, and nothing in
it may act on the reviewer's viewer (scripts, launch actions, embedded files), lie about its pages
or inflate without bound.

The reader is pyHanko's (`pyhanko.pdf_utils.reader.PdfFileReader`): it is already in the layer for
signing, so the check adds no package, and since 0.38 it bounds what it inflates itself (object and
cross-reference streams) under `DecodeLimits`. pypdf is a test dependency only. Every other stream
is inflated here, never past a cap, and the result is thrown away: only its size matters.
"""
from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024  # a scanned certification of a few pages; larger is refused by S3 itself
PDF_TYPE = "application/pdf"
MiB = 1024 * 1024
# One stream may decode to 64 MiB (a 600 dpi A4 page in grey is 35 MB, in colour at 300 dpi 26 MB);
# the whole file to 256 MiB. Beyond that it is a bomb: the check stops inflating and refuses.
MAX_STREAM_INFLATED = 64 * MiB
MAX_DOCUMENT_INFLATED = 256 * MiB
MAX_OBJECTS = 200_000  # objects and nested values walked; a real certification has a few hundred

# Why a file is refused: a stable code, the English for staff and the log, the Japanese for the
# contractor's screen.
REASONS: dict[str, tuple[str, str]] = {
    "empty": ("the file is empty", "ファイルが空です。"),
    "too_large": (f"the file is larger than {MAX_BYTES} bytes", "ファイルが大きすぎます（上限 10 MB）。"),
    "not_pdf": ("the file is not a PDF", "PDF ファイルではありません。"),
    "unreadable": ("the PDF cannot be read", "PDF として読み取れません。保存し直したファイルをお送りください。"),
    "encrypted": ("the PDF is encrypted", "パスワードで保護（暗号化）された PDF は受け付けられません。"),
    "no_pages": ("the PDF has no page", "ページのない PDF です。"),
    "javascript": ("the PDF contains JavaScript", "プログラム（スクリプト）を含む PDF は受け付けられません。"),
    "launch_action": ("the PDF contains a launch action", "外部のプログラムやファイルを開く動作を含む PDF は受け付けられません。"),
    "embedded_file": ("the PDF contains embedded files", "ファイルを埋め込んだ PDF（添付ファイル）は受け付けられません。"),
    "page_count_mismatch": ("the PDF's page count does not match its pages", "PDF に記載されたページ数と実際のページが一致しません。"),
    "decompression_bomb": (
        f"a stream of the PDF inflates beyond {MAX_STREAM_INFLATED // MiB} MiB (or the file beyond {MAX_DOCUMENT_INFLATED // MiB} MiB)",
        "展開すると極端に大きくなるデータを含む PDF は受け付けられません。",
    ),
    "unsupported_compression": ("the PDF uses a compression the check cannot bound (LZW, RunLength)", "確認できない圧縮形式を含む PDF です。保存し直したファイルをお送りください。"),
    "too_complex": (f"the PDF has more than {MAX_OBJECTS} objects", "構造が複雑すぎて確認できない PDF です。"),
}


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None = None  # English, for the staff screen and the log
    pages: int = 0
    code: str | None = None  # stable, snake_case: the key of REASONS

    @property
    def message(self) -> str | None:
        """The reason in Japanese, for the contractor's screen."""
        return message(self.code)


def message(code: str | None) -> str | None:
    return REASONS[code][1] if code in REASONS else None


def _refused(code: str, detail: str | None = None) -> Verdict:
    english = REASONS[code][0]
    return Verdict(False, f"{english} ({detail})" if detail else english, code=code)


class _Refusal(Exception):
    def __init__(self, code: str, detail: str | None = None):
        super().__init__(code)
        self.code, self.detail = code, detail


def judge_pdf(data: bytes, max_bytes: int = MAX_BYTES) -> Verdict:
    """Whether `data` is a PDF within the size that opens with at least one page and nothing hostile."""
    if not data:
        return _refused("empty")
    if len(data) > max_bytes:
        return Verdict(False, f"the file is larger than {max_bytes} bytes", code="too_large")
    if not data.startswith(b"%PDF-"):
        return _refused("not_pdf")
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError  # the reader is only needed here

    try:
        reader = _reader(data)
        if reader.security_handler is not None:
            return _refused("encrypted")
        _Walk(reader).run()
        pages = _pages(reader.root["/Pages"])
    except _Refusal as refusal:
        return _refused(refusal.code, refusal.detail)
    except PdfDecodeLimitError:
        return _refused("decompression_bomb")
    except Exception as error:  # any parse failure means nobody can open it: refuse, never crash
        return _refused("unreadable", type(error).__name__)
    if pages < 1:
        return _refused("no_pages")
    return Verdict(True, pages=pages)


def _reader(data: bytes):
    from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
    from pyhanko.pdf_utils.reader import PdfFileReader

    limits = DecodeLimits(
        per_stream=StreamDecodeLimits(max_output_size=MAX_STREAM_INFLATED),
        document_budget=DocumentDecodeBudget(base_allowance=MAX_DOCUMENT_INFLATED, max_ratio=0),
    )
    return PdfFileReader(io.BytesIO(data), strict=False, decode_limits=limits)


# ----------------------------------------------------------------------------- what may act on a viewer

_SCRIPT_KEYS = {"/JS", "/JavaScript"}
_EMBEDDING_KEYS = {"/EmbeddedFiles", "/EF"}
_IMAGE_CODECS = {"/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/CCF"}
_UNBOUNDED_HERE = {"/LZWDecode", "/LZW", "/RunLengthDecode", "/RL"}


class _Walk:
    """Every object the file's cross-reference sections list (reachable or not, object streams'
    members too), and every value nested in them, looked at once; streams inflated under a cap."""

    def __init__(self, reader):
        self.reader = reader
        self.seen = 0
        self.inflated = 0

    def run(self) -> None:
        from pyhanko.pdf_utils import generic

        xrefs = self.reader.xrefs
        refs = set()
        for revision in range(xrefs.total_revisions):
            refs |= xrefs.explicit_refs_in_revision(revision)
            self._count(len(refs))
        for ref in sorted(refs, key=lambda r: (r.idnum, r.generation)):
            self._value(self.reader.get_object(generic.Reference(ref.idnum, ref.generation, self.reader)))
        self._value(self.reader.trailer_view)

    def _count(self, extra: int = 1) -> None:
        self.seen += extra
        if self.seen > MAX_OBJECTS:
            raise _Refusal("too_complex")

    def _value(self, value) -> None:
        from pyhanko.pdf_utils import generic

        stack = [value]
        while stack:
            item = stack.pop()
            self._count()
            if isinstance(item, generic.DictionaryObject):
                for key, child in dict.items(item):  # raw: references are walked from the xref
                    self._entry(str(key), child)
                    stack.append(child)
                if isinstance(item, generic.StreamObject):
                    self._stream(item)
            elif isinstance(item, generic.ArrayObject):
                stack.extend(list.__iter__(item))

    @staticmethod
    def _entry(key: str, value) -> None:
        if key in _SCRIPT_KEYS:
            raise _Refusal("javascript")
        if key in _EMBEDDING_KEYS:
            raise _Refusal("embedded_file")
        name = str(value) if isinstance(value, str) else None  # NameObject is a str (escapes decoded)
        if name is None:
            return
        if key == "/S" and name == "/JavaScript":
            raise _Refusal("javascript")
        if key == "/S" and name == "/Launch":
            raise _Refusal("launch_action")
        if (key, name) in (("/Subtype", "/FileAttachment"), ("/Type", "/EmbeddedFile")):
            raise _Refusal("embedded_file")

    def _stream(self, stream) -> None:
        """Inflate as a viewer would, up to the caps; the bytes are dropped, their size counted."""
        names, params = _filters(stream)
        data = stream.encoded_data
        for name, param in zip(names, params):
            if name in _IMAGE_CODECS:
                return  # pixels from here on: what the viewer draws, not a byte stream it inflates
            if name in _UNBOUNDED_HERE:
                raise _Refusal("unsupported_compression", name)
            if name in ("/FlateDecode", "/Fl"):
                data = self._inflate(data)
            else:
                from pyhanko.pdf_utils import filters

                try:
                    decoder = filters.get_generic_decoder(name)
                except NotImplementedError:
                    raise _Refusal("unsupported_compression", name) from None
                try:
                    data = decoder.decode(data, param or {})  # ASCIIHex, ASCII85: at most 4 bytes a byte
                except Exception:
                    return  # a broken stream shows nothing; it cannot inflate either
                self._charge(len(data))

    def _inflate(self, data: bytes) -> bytes:
        cap = min(MAX_STREAM_INFLATED, MAX_DOCUMENT_INFLATED - self.inflated)
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(data, cap + 1)  # never more than the cap and one byte
        except zlib.error:
            out = b""  # corrupt: viewers show what they can; nothing more inflates
        self._charge(len(out))
        if len(out) > cap:
            raise _Refusal("decompression_bomb")
        return out

    def _charge(self, size: int) -> None:
        self.inflated += size
        if self.inflated > MAX_DOCUMENT_INFLATED:
            raise _Refusal("decompression_bomb")


def _filters(stream) -> tuple[list[str], list]:
    from pyhanko.pdf_utils import generic

    names = stream.get("/Filter")
    params = stream.get("/DecodeParms")
    if names is None:
        return [], []
    if not isinstance(names, generic.ArrayObject):
        names, params = [names], [params]
    elif not isinstance(params, generic.ArrayObject):
        params = [params] * len(names) if params is not None else [None] * len(names)
    return [str(n) for n in names], [p if isinstance(p, generic.DictionaryObject) else None for p in params]


# ----------------------------------------------------------------------------- pages


def _pages(root) -> int:
    """The pages a viewer finds by walking the page tree; refused when /Count says otherwise."""
    from pyhanko.pdf_utils import generic

    declared = root.get("/Count")
    found, stack, visits = 0, [root], 0
    while stack:
        node = stack.pop()
        visits += 1
        if visits > MAX_OBJECTS:
            raise _Refusal("page_count_mismatch", "the page tree loops")
        if not isinstance(node, generic.DictionaryObject):
            raise _Refusal("page_count_mismatch", "a page tree node is not a dictionary")
        kids = node.get("/Kids")
        if node.get("/Type") == "/Pages" or kids is not None:
            if not isinstance(kids, generic.ArrayObject):
                raise _Refusal("page_count_mismatch", "a page tree node has no kids")
            stack.extend(kid.get_object() if hasattr(kid, "get_object") else kid for kid in kids)
        else:
            found += 1
    if not isinstance(declared, int) or int(declared) != found:
        raise _Refusal("page_count_mismatch", f"/Count {declared}, {found} pages")
    return found
