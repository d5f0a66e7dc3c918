"""The desk's e-mails (pure): the subject lines municipal mailboxes sort by, 令和 dates, what a 訂正 replaces."""
from __future__ import annotations

from datetime import date

from esurety.domain.catalogue.issuer import load_issuer
from esurety.domain.mail import desk_mail


def test_each_event_has_its_subject_line_with_the_number():
    assert desk_mail.department_subject("submitted", "31063-00001J") == "【電子保証】提出がありました 保証契約番号 31063-00001J"
    for kind in ("changed", "corrected", "change_cancelled", "terminated", "claimed"):
        assert desk_mail.department_subject(kind, "31063-00001J").startswith("【電子保証】")


def test_a_correction_says_what_it_replaces_in_japanese_dates():
    mail = desk_mail.department_notice(
        "corrected", "県土整備部 技術管理課", "31063-00001J", "前払金保証", "県道改良工事", "丸山建設 株式会社", "変更ー1", load_issuer(),
        detail={"replaces": {"version": 2, "issued_at": "2024-06-03T10:00:00+09:00", "sha256": "ab" * 32}},
    )
    assert "県土整備部 技術管理課 ご担当者様" in mail.body
    assert "訂正前の保証証書：令和06年06月03日 10:00 発行" in mail.body
    assert "ab" * 32 in mail.body and "認証キーの入力は不要" in mail.body


def test_reminder_and_receipt_mails():
    mail = desk_mail.reminder("総務部 契約検査課", "31063-00001J", "前払金保証", "県道改良工事", "丸山建設 株式会社", "新規", date(2025, 3, 31), 7, load_issuer())
    assert mail.subject == "【電子保証】保証期限が近づいています 保証契約番号 31063-00001J" and "あと7日" in mail.body and "令和" in mail.body
    received = desk_mail.received("丸山建設 株式会社", "31063-00001J", "県道改良工事", "栃木県", "変更ー1", "2024-06-03T10:00:00+09:00", None, load_issuer())
    assert received.subject == "電子保証の受領確認のお知らせ" and "栃木県が受領確認を行いました" in received.body and "10:00" in received.body
