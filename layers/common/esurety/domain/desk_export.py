"""The desk's CSV export: the orderer's list, for its 財務会計 / 契約管理 systems and for Excel.

`csv_export(rows, encoding)` turns desk rows (the API's row shape, docs/documents.md "CSV export")
into the file's bytes, in the columns and order of `COLUMNS`, and returns with them the characters it
could not write. Two encodings, nothing guessed:

- `utf-8`: UTF-8 with a byte order mark, which Excel needs to read the file as UTF-8;
- `cp932`: Windows' Japanese code page, as Windows itself writes it: where two code points of
  CP932 show the same character (NEC-selected IBM extensions and IBM extensions, e.g. 髙 and 﨑),
  the IBM extension code Windows writes, not the one Python's codec picks. A character written in
  Unicode under its JIS X 0208 mapping (〜 WAVE DASH, − MINUS SIGN, ‖, ¢, £, ¬, — EM DASH) is
  written as the CP932 character it stands for (～, －, ∥, ￠, ￡, ￢, ―), as Windows does; so are ¥ and
  ‾ (as ￥ and ￣: CP932's 0x5C and 0x7E are a backslash and a tilde to the programs reading it);
  a combining mark that composes with the character before it (が typed as か + ゛ on a Mac) is
  composed. Anything else CP932 cannot hold (𠮷, emoji, a variation selector, …) becomes 〓
  and is listed in `substituted` as `{contract_number, column, character}`: nothing is dropped
  without a word.

Any other encoding is refused with a 422 naming the field `encoding` (code `unknown_encoding`).

A cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) gets a leading apostrophe, as OWASP advises against CSV injection: 工事名 and 受注者 are
typed by contractors, and a clerk opens the file in Excel. Numbers are written bare (保証金額 in
digits, no separators) so that machines read them.

The work is linear in the rows: each row is written and encoded once, and the fast path (a row
CP932 holds as Python encodes it, with no character where Windows differs) is one `encode` call.
`csv_chunks` yields the file row by row for a streamed upload.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date, datetime
from typing import Any, Iterable, Iterator, Mapping

from .errors import InputError, Problem
from .japanese.clock import to_jst
from .japanese.wareki import wareki

UTF8 = "utf-8"
CP932 = "cp932"
ENCODINGS = (UTF8, CP932)
FORMATS = ("csv",)
# The file's type as the download link serves it: the charset names the encoding for a program
# that reads the header (Shift_JIS is the IANA name browsers and mail programs know CP932 by).
MEDIA_TYPES = {UTF8: "text/csv; charset=utf-8", CP932: "text/csv; charset=Shift_JIS"}
BOM = "\ufeff"
GETA = "〓"  # 下駄記号: the conventional mark of a character that could not be set

COLUMNS = (
    "保証契約番号",
    "発行者",
    "商品",
    "工事名",
    "受注者",
    "保証金額",
    "保証期限",
    "版",
    "状態",
    "担当部署",
    "提示方法",
    "提示日時",
    "受領確認",
    "受領確認日時",
    "要確認",
)
VIA_LABELS = {"submission": "提出", "key": "認証キー"}
ATTENTION_MARK = "○"
RECEIVED = "受領済み"
BEFORE_CORRECTION = "訂正前"


# ----------------------------------------------------------------------------- the cells


def _wareki_date(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        return wareki(to_jst(value).date())
    if isinstance(value, date):
        return wareki(value)
    return wareki(date.fromisoformat(str(value)[:10]))


def wareki_datetime(value: Any) -> str:
    """`2026-12-06T10:00:00+09:00` → `令和08年12月06日 10:00` (JST)."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = to_jst(moment)
    return f"{wareki(moment.date())} {moment:%H:%M}"


def receipt_text(row: Mapping[str, Any]) -> str:
    """受領済み（変更ー1）; 受領済み（訂正前） when the record confirmed was since replaced by a 訂正
    (same label, no longer current); empty when nothing was confirmed."""
    receipt = row.get("receipt")
    if not receipt:
        return ""
    label = receipt.get("label") or ""
    if not receipt.get("current", True) and label == row.get("label"):
        return f"{RECEIVED}（{BEFORE_CORRECTION}）"
    return f"{RECEIVED}（{label}）" if label else RECEIVED


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def cells(row: Mapping[str, Any]) -> list[str]:
    """One desk row as the CSV's cells, in the order of COLUMNS."""
    receipt = row.get("receipt") or {}
    amount = row.get("amount")
    return [
        _text(row.get("contract_number")),
        _text(row.get("issuer_name")),
        _text(row.get("product_name")),
        _text(row.get("project_name")),
        _text(row.get("contractor_name")),
        "" if amount is None else str(int(amount)),
        _wareki_date(row.get("expiry")),
        _text(row.get("label")),
        _text(row.get("status_label")),
        _text(row.get("department_name")),
        VIA_LABELS.get(row.get("via") or "", ""),
        wareki_datetime(row.get("presented_at")),
        receipt_text(row),
        wareki_datetime(receipt.get("received_at")),
        ATTENTION_MARK if row.get("needs_attention") else "",
    ]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defused(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


# ----------------------------------------------------------------------------- CP932 as Windows writes it


def _windows_codes() -> dict[str, bytes]:
    """Characters Python's cp932 codec writes as NEC-selected IBM extensions (rows 0xED, 0xEE)
    where Windows writes the IBM extension (0xFA40-0xFC4B) that decodes to the same character."""
    codes: dict[str, bytes] = {}
    for lead in (0xFA, 0xFB, 0xFC):
        for trail in (*range(0x40, 0x7F), *range(0x80, 0xFD)):
            code = bytes((lead, trail))
            try:
                char = code.decode(CP932)
            except UnicodeDecodeError:
                continue
            if char.encode(CP932)[:1] in (b"\xed", b"\xee"):
                codes[char] = code
    return codes


WINDOWS_CODES = _windows_codes()
# Unicode characters of a JIS X 0208 mapping that Python's codec does not take, as the CP932
# character they stand for (Python already takes 〜 − ‖ ¢ £ ¬ so).
EQUIVALENTS = {"\u2014": "\u2015", "\u00a5": "\uffe5", "\u203e": "\uffe3"}
_SLOW = re.compile("[" + re.escape("".join(WINDOWS_CODES) + "".join(EQUIVALENTS)) + "]")
_GETA_BYTES = GETA.encode(CP932)


def _held(char: str) -> bytes | None:
    """`char` in CP932 as Windows writes it, or None if CP932 cannot hold it."""
    if char in WINDOWS_CODES:
        return WINDOWS_CODES[char]
    char = EQUIVALENTS.get(char, char)
    try:
        return char.encode(CP932)
    except UnicodeEncodeError:
        return None


def cp932_cell(text: str) -> tuple[bytes, list[str]]:
    """(the cell in CP932, the characters that became 〓)."""
    if _SLOW.search(text) is None:
        try:
            return text.encode(CP932), []
        except UnicodeEncodeError:
            pass
    out: list[bytes] = []
    previous = ""  # the last character written, for composing a combining mark with it
    lost: list[str] = []
    for char in text:
        code = _held(char)
        if code is None and previous and unicodedata.combining(char):
            composed = unicodedata.normalize("NFC", previous + char)
            code = _held(composed) if len(composed) == 1 else None
            if code is not None:
                out[-1], previous = code, composed
                continue
        if code is None:
            out.append(_GETA_BYTES)
            lost.append(char)
            previous = ""
        else:
            out.append(code)
            previous = char
    return b"".join(out), lost


# ----------------------------------------------------------------------------- the file


def check_encoding(encoding: Any) -> str:
    """`utf-8` or `cp932` (any letter case); anything else is refused, not guessed."""
    name = encoding.strip().lower() if isinstance(encoding, str) else None
    if name not in ENCODINGS:
        raise InputError(
            Problem("encoding", "unknown_encoding", f"must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
        )
    return name


def _quoted(cell: str) -> str:
    """One cell as csv's minimal quoting writes it inside a row (an empty cell stays empty)."""
    if any(special in cell for special in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _line(values: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def csv_chunks(rows: Iterable[Mapping[str, Any]], encoding: str, substituted: list[dict]) -> Iterator[bytes]:
    """The CSV as byte chunks, the header first, then one chunk per row; the characters replaced by
    〓 are appended to `substituted` as the rows go by. Refuses an unknown encoding before any byte."""
    encoding = check_encoding(encoding)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends, as Excel writes them
    if encoding == UTF8:
        yield (BOM + _line(COLUMNS)).encode(UTF8)
        for row in rows:
            writer.writerow([_defused(cell) for cell in cells(row)])
            yield buffer.getvalue().encode(UTF8)
            buffer.seek(0)
            buffer.truncate()
        return
    yield _line(COLUMNS).encode(CP932)
    for row in rows:
        values = [_defused(cell) for cell in cells(row)]
        writer.writerow(values)
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if _SLOW.search(line) is None:
            try:
                yield line.encode(CP932)
                continue
            except UnicodeEncodeError:
                pass
        # Cell by cell: the quoting csv added is ASCII, so each cell is encoded on its own and the
        # quotes and commas put back around it as csv would.
        encoded = []
        for column, value in zip(COLUMNS, values):
            data, lost = cp932_cell(_quoted(value))
            encoded.append(data)
            substituted.extend(
                {"contract_number": row.get("contract_number"), "column": column, "character": char} for char in lost
            )
        yield b",".join(encoded) + b"\r\n"


def csv_export(rows: Iterable[Mapping[str, Any]], encoding: str) -> tuple[bytes, list[dict]]:
    """(the CSV file, the characters replaced by 〓: `[{contract_number, column, character}]`, in
    row and column order; empty for UTF-8). Raises InputError (`encoding`, `unknown_encoding`)."""
    substituted: list[dict] = []
    data = b"".join(csv_chunks(rows, encoding, substituted))
    return data, substituted


def export_filename(made_at: datetime) -> str:
    """The file's download name, ASCII so every browser saves it alike: `desk-20261206.csv` (JST date)."""
    return f"desk-{to_jst(made_at):%Y%m%d}.csv"
