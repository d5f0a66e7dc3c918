"""The 寄託記録 and the evidence ZIP, without AWS: what the clerk reads on the record, and the files,
names and dates of the ZIP a clerk unpacks in Windows Explorer."""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime

import pytest
from pypdf import PdfReader

from esurety.documents import load_issuer
from esurety.documents.deposit_record import render_deposit_record
from esurety.documents.evidence import (
    DEPOSIT_RECORD_FILENAME,
    MEDIA_TYPE,
    certificate_filename,
    evidence_filename,
    evidence_zip,
)
from esurety.domain.japanese.clock import JST
from pdf_checks import assert_fonts_embedded
from support.documents import CLERK, SHA_CHANGE, SHA_NEW, SHA_REPLACED, make_desk_guarantee, pdf_text, squash

MADE_AT = datetime(2024, 12, 6, 14, 35, 12, tzinfo=JST)


def all_text(pdf: bytes) -> str:
    return squash("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


@pytest.fixture(scope="module")
def record() -> bytes:
    return render_deposit_record(make_desk_guarantee(), load_issuer(), MADE_AT)


def test_the_record_names_the_guarantee_its_parties_and_how_it_was_presented(record):
    text = pdf_text(record)  # one page
    for expected in (
        "寄託記録", "電子保証の提示・受領の記録", "作成日時令和06年12月06日14:35:12（日本時間）",
        "保証契約番号31073-00001M", "商品前払金保証", "発行者東都建設保証株式会社", "状態有効",
        "発注者栃木県県土整備部技術管理課", "被保証者栃木県知事", "工事名県道宇都宮見本線道路改良工事（その２）",
        "受注者見本建設株式会社", "保証金額22,000,000円", "保証期限令和07年06月30日",
        "提示方法提出（受注者が電子保証を発注者に提出）", "提示日時令和06年04月01日09:45:30",
    ):
        assert expected in text, expected


def test_every_shown_version_with_its_issue_time_and_hash_and_what_a_correction_replaced(record):
    text = pdf_text(record)
    assert "No.電子保証発行日時対象電子保証SHA-256（保証証書PDF）" in text  # the leaflet's 電子保証履歴一覧
    assert f"1令和06年04月01日09:30:12新規新規{SHA_NEW}" in text
    assert f"2令和06年11月20日14:02:45変更変更ー1（訂正）{SHA_CHANGE}" in text
    assert f"令和06年11月15日10:12:03訂正前の証書（令和06年11月20日訂正）{SHA_REPLACED}" in text
    assert "変更ー2を取消（変更取消令和06年12月02日11:00）理由：申込内容の誤り" in text


def test_the_receipts_say_who_when_which_version_and_mark_those_of_a_replaced_certificate(record):
    text = pdf_text(record)
    assert f"新規令和06年04月02日10:05:00{CLERK}" in text
    assert f"変更ー1令和06年11月16日08:45:00{CLERK}訂正前の証書に対する受領確認" in text


def test_the_chains_verdict_is_said_and_a_broken_chain_is_flagged():
    issuer = load_issuer()
    holds = pdf_text(render_deposit_record(make_desk_guarantee(), issuer, MADE_AT))
    broken = pdf_text(render_deposit_record(make_desk_guarantee(chain_valid=False), issuer, MADE_AT))
    assert "電子保証の履歴（ハッシュチェーン）に改ざんのないことを確認しました。" in holds
    assert "【注意】履歴（ハッシュチェーン）の整合性を確認できませんでした。発行者にお問い合わせください。" in broken
    assert "改ざんのないことを確認しました" not in broken


def test_a_key_presentation_without_receipts_or_department(record):
    guarantee = make_desk_guarantee(receipts=[], withdrawn=[])
    guarantee["desk"] = {**guarantee["desk"], "via": "key", "department_name": None}
    text = pdf_text(render_deposit_record(guarantee, load_issuer(), MADE_AT))
    assert "提示方法認証キー（発注者が保証契約番号と認証キーで照会）" in text
    assert "発注者栃木県被保証者" in text
    assert "受領確認の記録はありません。" in text
    assert "取消" not in text


def test_a_guarantee_not_on_a_desk_says_so_rather_than_guess():
    text = pdf_text(render_deposit_record(make_desk_guarantee(desk=None), load_issuer(), MADE_AT))
    assert "提示方法記録なし" in text and "提示日時記録なし" in text


def test_an_ended_guarantee_shows_its_status_and_date():
    guarantee = make_desk_guarantee(status="terminated", status_label="解約", ending={"kind": "termination", "date": "2024-12-20", "reason": None})
    assert "状態解約（令和06年12月20日）" in pdf_text(render_deposit_record(guarantee, load_issuer(), MADE_AT))


def test_a_long_history_and_many_receipts_flow_onto_further_pages_with_nothing_lost():
    history = [
        {"no": i, "label": "新規" if i == 1 else f"変更ー{i - 1}", "target": "新規" if i == 1 else "変更", "version": i,
         "issued_at": f"2024-{(i % 12) + 1:02d}-01T09:00:00+09:00", "sha256": f"{i:064x}"}
        for i in range(1, 31)
    ]
    receipts = [
        {"version": i, "label": history[i - 1]["label"], "received_by": f"clerk-{i:03d}",
         "received_at": "2024-12-01T09:00:00+09:00", "superseded": False}
        for i in range(1, 31)
    ]
    pdf = render_deposit_record(make_desk_guarantee(history=history, receipts=receipts), load_issuer(), MADE_AT)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 3
    text = all_text(pdf)
    assert all(f"{i:064x}" in text for i in range(1, 31))
    assert all(f"clerk-{i:03d}" in text for i in range(1, 31))
    assert "寄託記録（続き）" in text and "2頁" in text
    assert "No.電子保証発行日時対象電子保証" in squash(pages[1].extract_text())  # the heading row repeated
    assert "※訂正前の証書と取り消された変更は" in text  # the notes, last


def test_the_record_is_small_titled_deterministic_and_embeds_its_font(record):
    assert len(record) < 60_000, len(record)
    assert_fonts_embedded(record)
    metadata = PdfReader(io.BytesIO(record)).metadata
    assert metadata.title == "寄託記録 31073-00001M"
    assert metadata["/CreationDate"] == metadata["/ModDate"] == "D:20241206143512+09'00'"  # when it was made
    assert render_deposit_record(make_desk_guarantee(), load_issuer(), MADE_AT) == render_deposit_record(
        make_desk_guarantee(), load_issuer(), MADE_AT
    )


def test_markup_characters_in_names_are_printed_as_typed():
    guarantee = make_desk_guarantee()
    guarantee["certificate"] = {**guarantee["certificate"], "work_name": "見本<b>道路</b> & 橋梁工事"}
    assert "見本<b>道路</b>&橋梁工事" in pdf_text(render_deposit_record(guarantee, load_issuer(), MADE_AT))


# ----------------------------------------------------------------------------- the evidence ZIP


def certificate(text: str) -> bytes:
    return f"%PDF-1.7 {text}".encode()


def guarantee_of(*pdfs: bytes, replaced: bytes | None = None) -> dict:
    history = [{"label": "新規", "sha256": hashlib.sha256(pdfs[0]).hexdigest()}]
    history += [{"label": f"変更ー{i}", "sha256": hashlib.sha256(pdf).hexdigest()} for i, pdf in enumerate(pdfs[1:], 1)]
    if replaced is not None:
        history[-1]["correction"] = {"corrected_at": "2024-11-20T14:02:45+09:00",
                                     "replaces": {"issued_at": "2024-11-15T10:12:03+09:00", "sha256": hashlib.sha256(replaced).hexdigest()}}
    return {"history": history}


def test_the_zip_holds_each_certificate_by_its_label_and_the_record_with_japanese_names_flagged_utf8():
    new, change = certificate("new"), certificate("change")
    files = [(certificate_filename("新規"), new), (certificate_filename("変更ー1"), change)]
    data = evidence_zip(guarantee_of(new, change), files, b"%PDF record", MADE_AT)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["保証証書_新規.pdf", "保証証書_変更ー1.pdf", "寄託記録.pdf"]
    assert archive.read("保証証書_新規.pdf") == new
    assert archive.read("保証証書_変更ー1.pdf") == change
    assert archive.read(DEPOSIT_RECORD_FILENAME) == b"%PDF record"
    assert archive.testzip() is None
    for info in archive.infolist():
        assert info.flag_bits & 0x800, info.filename  # Explorer reads the name as UTF-8
        assert info.date_time == (2024, 12, 6, 14, 35, 12)
    # In the bytes: the UTF-8 name itself, in the local header and the central directory.
    assert data.count("保証証書_変更ー1.pdf".encode("utf-8")) == 2
    assert "保証証書_新規.pdf".encode("cp932") not in data


def test_the_same_input_gives_the_same_zip():
    new = certificate("new")
    make = lambda: evidence_zip(guarantee_of(new), [(certificate_filename("新規"), new)], b"%PDF r", MADE_AT)  # noqa: E731
    assert make() == make()


def test_the_certificate_a_correction_replaced_may_be_included():
    new, replaced = certificate("new"), certificate("before correction")
    data = evidence_zip(guarantee_of(new, replaced=replaced), [("保証証書_新規.pdf", new), ("保証証書_新規_訂正前.pdf", replaced)], b"%PDF r", MADE_AT)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[1] == "保証証書_新規_訂正前.pdf"


def test_a_certificate_the_record_does_not_list_is_refused():
    new = certificate("new")
    with pytest.raises(ValueError, match="not a certificate the record lists"):
        evidence_zip(guarantee_of(new), [("保証証書_新規.pdf", certificate("something else"))], b"%PDF r", MADE_AT)


@pytest.mark.parametrize("name", ["../保証証書.pdf", "a/b.pdf", "", " 保証証書.pdf", "保証証書?.pdf", "寄託記録.pdf"])
def test_a_name_that_is_no_plain_file_name_or_is_taken_is_refused(name):
    new = certificate("new")
    with pytest.raises(ValueError):
        evidence_zip(guarantee_of(new), [(name, new)], b"%PDF r", MADE_AT)


def test_a_name_given_twice_is_refused():
    new = certificate("new")
    with pytest.raises(ValueError, match="two files"):
        evidence_zip(guarantee_of(new), [("保証証書_新規.pdf", new), ("保証証書_新規.pdf", new)], b"%PDF r", MADE_AT)


def test_the_download_name_and_type():
    assert evidence_filename("31073-00001M") == "evidence-31073-00001M.zip"
    assert MEDIA_TYPE == "application/zip"
