"""The desk's CSV export: the columns a 財務会計 system reads, in order; UTF-8 that Excel opens (BOM);
CP932 as Windows writes it, with every character it cannot hold marked 〓 and listed, never dropped."""
from __future__ import annotations

import csv
import io

import pytest

from esurety.domain import error_codes
from esurety.domain.desk_export import COLUMNS, csv_chunks, csv_export
from esurety.domain.errors import InputError


def row(**overrides) -> dict:
    """A desk row as the API answers it (DESK row shape)."""
    base = {
        "contract_number": "31073-00001M",
        "issuer_name": "見本保証株式会社",
        "product": "advance_payment",
        "product_name": "前払金保証",
        "project_name": "県道宇都宮見本線道路改良工事（その２）",
        "contractor_name": "見本建設株式会社",
        "amount": 50_000_000,
        "expiry": "2027-03-31",
        "label": "変更ー1",
        "version": 3,
        "status": "valid",
        "status_label": "有効",
        "department_id": "works",
        "department_name": "県土整備部 技術管理課",
        "via": "submission",
        "presented_at": "2026-12-06T10:00:00+09:00",
        "receipt": {"version": 3, "label": "変更ー1", "received_by": "sub-1", "received_at": "2026-12-07T09:30:00+09:00", "current": True},
        "needs_attention": False,
        "corrected": False,
        "expiring_soon": False,
        "changed_at": "2026-12-06T10:00:00+09:00",
    }
    base.update(overrides)
    return base


def read(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


# ----------------------------------------------------------------------------- columns and a full row


def test_the_header_names_the_columns_in_the_agreed_order():
    data, _ = csv_export([], "utf-8")
    assert read(data, "utf-8-sig") == [[
        "保証契約番号", "発行者", "商品", "工事名", "受注者", "保証金額", "保証期限", "版", "状態",
        "担当部署", "提示方法", "提示日時", "受領確認", "受領確認日時", "要確認",
    ]]
    assert list(COLUMNS) == read(data, "utf-8-sig")[0]


def test_a_full_row_reads_in_japanese_with_bare_digits_for_the_amount():
    data, substituted = csv_export([row()], "utf-8")
    assert read(data, "utf-8-sig")[1] == [
        "31073-00001M", "見本保証株式会社", "前払金保証", "県道宇都宮見本線道路改良工事（その２）", "見本建設株式会社",
        "50000000", "令和09年03月31日", "変更ー1", "有効", "県土整備部 技術管理課", "提出",
        "令和08年12月06日 10:00", "受領済み（変更ー1）", "令和08年12月07日 09:30", "",
    ]
    assert substituted == []


def test_a_key_presentation_without_department_or_receipt_needs_attention():
    data, _ = csv_export([row(via="key", department_id=None, department_name=None, receipt=None, needs_attention=True)], "utf-8")
    line = dict(zip(COLUMNS, read(data, "utf-8-sig")[1]))
    assert line["提示方法"] == "認証キー"
    assert line["担当部署"] == ""
    assert line["受領確認"] == line["受領確認日時"] == ""
    assert line["要確認"] == "○"


def test_a_receipt_of_a_replaced_record_reads_before_correction_and_of_an_older_version_its_label():
    corrected = row(needs_attention=True, receipt={**row()["receipt"], "current": False})
    older = row(label="変更ー2", needs_attention=True, receipt={**row()["receipt"], "current": False})
    data, _ = csv_export([corrected, older], "utf-8")
    lines = [dict(zip(COLUMNS, line)) for line in read(data, "utf-8-sig")[1:]]
    assert lines[0]["受領確認"] == "受領済み（訂正前）"
    assert lines[1]["受領確認"] == "受領済み（変更ー1）"
    assert [line["要確認"] for line in lines] == ["○", "○"]


def test_times_in_utc_are_printed_in_japan_time():
    data, _ = csv_export([row(presented_at="2026-12-31T15:30:00+00:00")], "utf-8")
    assert dict(zip(COLUMNS, read(data, "utf-8-sig")[1]))["提示日時"] == "令和09年01月01日 00:30"


def test_commas_quotes_and_line_breaks_stay_inside_their_cell():
    name = '見本建設株式会社, "本社"\n工事部'
    for encoding, reader_encoding in (("utf-8", "utf-8-sig"), ("cp932", "cp932")):
        data, _ = csv_export([row(contractor_name=name, project_name="𠮷野, 川")], encoding)
        line = read(data, reader_encoding)[1]
        assert len(line) == len(COLUMNS)
        assert line[4] == name
        assert line[3] == ("𠮷野, 川" if encoding == "utf-8" else "〓野, 川")


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_defused():
    data, _ = csv_export([row(project_name="=HYPERLINK(\"http://x.example\")", contractor_name="-1+1")], "utf-8")
    line = read(data, "utf-8-sig")[1]
    assert line[3] == "'=HYPERLINK(\"http://x.example\")"
    assert line[4] == "'-1+1"


# ----------------------------------------------------------------------------- encodings


def test_utf8_starts_with_a_bom_and_ends_lines_with_crlf():
    data, _ = csv_export([row(), row(contract_number="31073-00002K")], "utf-8")
    assert data.startswith(b"\xef\xbb\xbf\xe4\xbf\x9d")  # BOM, then 保
    assert data.count(b"\r\n") == 3 and b"\n" not in data.replace(b"\r\n", b"")


def test_cp932_has_no_bom_and_reads_back_in_cp932():
    data, substituted = csv_export([row()], "cp932")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.startswith("保証契約番号,発行者".encode("cp932"))
    assert read(data, "cp932")[1][3] == "県道宇都宮見本線道路改良工事（その２）"
    assert substituted == []


@pytest.mark.parametrize("given", ["UTF-8", " cp932 ", "Cp932"])
def test_the_two_encodings_are_named_in_any_letter_case(given):
    csv_export([row()], given)


@pytest.mark.parametrize("given", ["shift_jis", "sjis", "utf8", "utf-16", "", None, "euc-jp", "latin-1"])
def test_any_other_encoding_is_refused_naming_the_field(given):
    with pytest.raises(InputError) as refused:
        csv_export([row()], given)
    [problem] = refused.value.problems
    assert (problem.field, problem.code) == ("encoding", "unknown_encoding")
    assert "cp932" in error_codes.MESSAGES["unknown_encoding"]


def test_a_streamed_export_refuses_before_any_byte():
    with pytest.raises(InputError):
        next(csv_chunks([row()], "shift_jis", []))


# ----------------------------------------------------------------------------- CP932: what it holds and how


def cp932_cell(text: str, column: str = "工事名") -> tuple[bytes, list[dict]]:
    """The bytes of one cell in the CP932 file, and what was listed."""
    data, substituted = csv_export([row(project_name=text)], "cp932")
    lines = data.split(b"\r\n")
    return lines[1].split(b",")[3], substituted


@pytest.mark.parametrize(
    "char, code, reads_as",
    [
        ("〜", "8160", "～"),  # WAVE DASH (JIS mapping) -> 0x8160, which Windows reads as FULLWIDTH TILDE
        ("～", "8160", "～"),
        ("−", "817c", "－"),  # MINUS SIGN -> the full-width hyphen-minus of 0x817C
        ("－", "817c", "－"),
        ("‖", "8161", "∥"),
        ("¢", "8191", "￠"),
        ("£", "8192", "￡"),
        ("¬", "81ca", "￢"),
        ("—", "815c", "―"),  # EM DASH (JIS mapping of 0x815C), which Python's codec refuses
        ("¥", "818f", "￥"),  # not 0x5C, a backslash to the program reading the file
        ("髙", "fbfc", "髙"),  # IBM extension, as Windows writes it (Python's codec: 0xEEE0)
        ("﨑", "fab1", "﨑"),  # (Python's codec: 0xED95)
        ("ⅰ", "fa40", "ⅰ"),
        ("①", "8740", "①"),  # NEC special characters
        ("㈱", "878a", "㈱"),
        ("Ⅰ", "8754", "Ⅰ"),
        ("∵", "81e6", "∵"),
    ],
)
def test_characters_cp932_holds_are_written_as_windows_writes_them(char, code, reads_as):
    cell, substituted = cp932_cell(f"見本{char}工事")
    assert cell == "見本".encode("cp932") + bytes.fromhex(code) + "工事".encode("cp932")
    assert cell.decode("cp932") == f"見本{reads_as}工事"
    assert substituted == []


def test_a_combining_sound_mark_typed_on_a_mac_is_composed():
    cell, substituted = cp932_cell("見本か\u3099フ\u309a工事")  # が and プ in decomposed form
    assert cell.decode("cp932") == "見本がプ工事"
    assert substituted == []


# outside the BMP; an emoji; variation selectors (VS16, an IVS); a letter of no Japanese code page; a
# sound mark that composes with nothing before it.
@pytest.mark.parametrize("char", ["𠮷", "😀", "\ufe0f", "\U000E0100", "ẞ", "\u3099"])
def test_a_character_cp932_cannot_hold_becomes_geta_and_is_listed(char):
    cell, substituted = cp932_cell(f"見本{char}工事")
    assert cell.decode("cp932") == "見本〓工事"
    assert substituted == [{"contract_number": "31073-00001M", "column": "工事名", "character": char}]


def test_every_lost_character_is_listed_with_its_row_and_column_in_order():
    rows = [
        row(contract_number="31073-00001M", project_name="𠮷野川𠮷", contractor_name="髙﨑建設"),
        row(contract_number="31073-00002K"),
        row(contract_number="31073-00003H", contractor_name="😀建設", department_name="𩸽課"),
    ]
    data, substituted = csv_export(rows, "cp932")
    assert substituted == [
        {"contract_number": "31073-00001M", "column": "工事名", "character": "𠮷"},
        {"contract_number": "31073-00001M", "column": "工事名", "character": "𠮷"},
        {"contract_number": "31073-00003H", "column": "受注者", "character": "😀"},
        {"contract_number": "31073-00003H", "column": "担当部署", "character": "𩸽"},
    ]
    lines = read(data, "cp932")
    assert [line[3] for line in lines[1:]] == ["〓野川〓", rows[1]["project_name"], rows[2]["project_name"]]
    assert lines[1][4] == "髙﨑建設"
    assert lines[3][4] == "〓建設" and lines[3][9] == "〓課"
    assert all(len(line) == len(COLUMNS) for line in lines)


def test_utf8_holds_everything_and_lists_nothing():
    data, substituted = csv_export([row(project_name="𠮷野川〜😀", contractor_name="髙﨑建設")], "utf-8")
    line = read(data, "utf-8-sig")[1]
    assert (line[3], line[4]) == ("𠮷野川〜😀", "髙﨑建設")
    assert substituted == []


def test_the_chunks_are_the_file_row_by_row():
    rows = [row(contract_number=f"31073-0000{i}M") for i in range(3)]
    substituted: list[dict] = []
    chunks = list(csv_chunks(rows, "cp932", substituted))
    assert len(chunks) == 4
    assert b"".join(chunks) == csv_export(rows, "cp932")[0]
