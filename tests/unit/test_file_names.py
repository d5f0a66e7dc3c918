"""The names downloaded documents are saved under (domain/guarantee/file_names.py): the document as its
issuer calls it, the number, the label; an ASCII twin; nothing a file system refuses."""
from __future__ import annotations

from esurety.domain.guarantee import file_names
from esurety.domain.guarantee.file_names import FileName


def test_a_certificate_is_called_as_its_issuer_s_document_is():
    assert file_names.certificate("31073-00001M", "新規") == FileName("保証証書_31073-00001M_新規.pdf", "certificate-31073-00001M-new.pdf")
    assert file_names.certificate("51-41082-00001K", "変更ー2", "performance_bond") == FileName(
        "保証証券_51-41082-00001K_変更ー2.pdf", "certificate-51-41082-00001K-change2.pdf")
    assert file_names.certificate("31073-00001M", "新規", "bank_guarantee").name == "保証書_31073-00001M_新規.pdf"


def test_statements_and_notices_carry_their_label():
    assert file_names.notice("31073-00001M", "変更ー1") == FileName(
        "認証キーのお知らせ_31073-00001M_変更ー1.pdf", "notice-31073-00001M-change1.pdf")
    assert file_names.fee_statement("31073-00001M", "変更ー1（取消）", refund=True) == FileName(
        "保証料返還計算書_31073-00001M_変更ー1（取消）.pdf", "fee-statement-31073-00001M-change1-withdrawn.pdf")
    # The space of 「変更ー1 変更取消」 becomes an underscore: a name with a space is quoted in every shell.
    assert file_names.fee_statement("31073-00001M", "変更ー1 変更取消") == FileName(
        "保証料計算書_31073-00001M_変更ー1_変更取消.pdf", "fee-statement-31073-00001M-change1-cancellation.pdf")
    assert file_names.termination_statement("31073-00001M") == FileName(
        "保証料返還計算書_31073-00001M_解約.pdf", "termination-31073-00001M.pdf")


def test_a_record_no_longer_shown_says_so_and_never_shares_a_name():
    hidden = file_names.certificate("31073-00001M", "新規", superseded=True)
    assert hidden == FileName("保証証書_31073-00001M_新規（表示対象外）.pdf", "certificate-31073-00001M-new-superseded.pdf")
    assert hidden != file_names.certificate("31073-00001M", "新規")


def test_nothing_a_file_system_refuses_and_the_fallback_stays_ascii():
    odd = file_names.certificate('31073-00001M', '新規/"*?')
    assert not set('\\/:*?"<>|') & set(odd.name)
    assert odd.fallback.isascii() and odd.fallback == "certificate-31073-00001M-document.pdf"
