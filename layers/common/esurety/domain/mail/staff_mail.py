"""E-mails about staff decisions, to the contractor: a rejected application, a withdrawn change,
the end of a guarantee, a renewed auth key. Like the issue e-mail they say where to sign in and end
with the handling branch's signature block; none carries the auth key (the contractor reads a new
key on its screen, or in the notice PDF)."""
from __future__ import annotations

from dataclasses import dataclass

from .messages import signature_block
from ..japanese.money import yen
from ..japanese.wareki import wareki

REJECTED_SUBJECT = "保証申込についてのお知らせ"
CHANGE_CANCELLED_SUBJECT = "電子保証の変更取消のお知らせ"
TERMINATED_SUBJECT = {"cancelled": "保証契約の解約のお知らせ", "claimed": "保証債務の履行請求受付のお知らせ"}
KEY_RENEWED_SUBJECT = "電子保証の認証キー再発行のお知らせ"


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def _issuer(issuer):
    if issuer is None:
        from ..catalogue.issuer import load_issuer

        issuer = load_issuer()
    return issuer


def _signin(issuer) -> str:
    if issuer.signin_url:
        return f"インターネット保証サービス（{issuer.signin_url}）にログインし、"
    return "インターネット保証サービスにログインし、"


def _date(iso: str) -> str:
    from datetime import date

    return wareki(date.fromisoformat(iso))


def rejected(
    contractor_name: str, application_id: str, subject_line: str, reason: str, branch_code: str | None, issuer=None
) -> Mail:
    """`subject_line`: what was applied for (工事名, or 保証契約番号 and 変更 for a change)."""
    issuer = _issuer(issuer)
    body = (
        f"{contractor_name} 様\n\n"
        "お申込みいただいた下記の保証について、お引受けできないこととなりましたので、お知らせいたします。\n\n"
        f"  申込番号：{application_id}\n"
        f"  お申込み：{subject_line}\n"
        f"  理由：{reason}\n\n"
        f"内容をご確認のうえ、{_signin(issuer)}必要に応じて改めてお申込みください。\n\n"
        "ご不明な点は、下記までお問い合わせください。\n"
        f"{signature_block(issuer, branch_code)}"
    )
    return Mail(REJECTED_SUBJECT, body)


def change_cancelled(
    contractor_name: str, contract_number: str, work_name: str, cancelled_label: str, in_force_label: str, reason: str,
    branch_code: str | None, issuer=None, fee: dict | None = None,
) -> Mail:
    """`fee`: the withdrawn change's fee reversed ({kind, amount}: refund, additional or none)."""
    issuer = _issuer(issuer)
    money = ""
    if fee and fee["kind"] == "refund":
        money = (
            f"  保証料：「{cancelled_label}」の追加保証料 {yen(fee['amount'])} は取消となります"
            "（お支払い済みの場合は返還します。保証料返還計算書を電子的に交付しています）\n"
        )
    elif fee and fee["kind"] == "additional":
        money = (
            f"  保証料：「{cancelled_label}」で返還した保証料 {yen(fee['amount'])} は取消となり、お支払いいただきます"
            "（保証料計算書を電子的に交付しています）\n"
        )
    elif fee:
        money = "  保証料：追加・返還する保証料はありません\n"
    body = (
        f"{contractor_name} 様\n\n"
        f"下記の保証契約の「{cancelled_label}」の保証証書は、変更取消により取り消されました。\n"
        f"現在有効な保証証書は「{in_force_label}」です（取り消された保証証書は履歴に表示されません）。\n\n"
        f"  保証契約番号：{contract_number}\n"
        f"  工事名：{work_name}\n"
        f"  理由：{reason}\n"
        f"{money}\n"
        f"{_signin(issuer)}保証契約内容をご確認ください。認証キーは変わりません。\n\n"
        "本メールにお心当たりのない場合は、下記までお問い合わせください。\n"
        f"{signature_block(issuer, branch_code)}"
    )
    return Mail(CHANGE_CANCELLED_SUBJECT, body)


def terminated(
    contractor_name: str, contract_number: str, work_name: str, kind: str, ended_on: str, refund: int | None,
    branch_code: str | None, issuer=None, withdrawn_change: dict | None = None,
) -> Mail:
    """`withdrawn_change`: the change application waiting for staff that the end withdrew
    ({application_id, reason}), if there was one."""
    issuer = _issuer(issuer)
    withdrawn = ""
    if withdrawn_change:
        withdrawn = (
            f"お申込み中の変更（申込番号 {withdrawn_change['application_id']}、理由：{withdrawn_change.get('reason') or '―'}）は、"
            "保証契約の終了（解約/履行請求）により取り下げました。\n"
        )
    if kind == "cancelled":
        what = f"下記の保証契約は、{_date(ended_on)}をもって解約となりました。\n"
        money = f"  返還保証料：{yen(refund or 0)}（保証料返還計算書を電子的に交付しています）\n"
    else:
        what = f"下記の保証契約について、{_date(ended_on)}付けで保証債務の履行請求を受け付けました。\n"
        money = ""
    body = (
        f"{contractor_name} 様\n\n"
        f"{what}"
        "保証証書は引き続きサービスの画面でご覧いただけます。\n"
        f"{withdrawn}\n"
        f"  保証契約番号：{contract_number}\n"
        f"  工事名：{work_name}\n"
        f"{money}\n"
        f"{_signin(issuer)}内容をご確認ください。\n\n"
        "本メールにお心当たりのない場合は、下記までお問い合わせください。\n"
        f"{signature_block(issuer, branch_code)}"
    )
    return Mail(TERMINATED_SUBJECT[kind], body)


def key_renewed(contractor_name: str, contract_number: str, work_name: str, branch_code: str | None, issuer=None) -> Mail:
    issuer = _issuer(issuer)
    body = (
        f"{contractor_name} 様\n\n"
        "下記の保証契約の認証キーを再発行しました。これまでの認証キーでは、発注者は保証証書を閲覧できません。\n\n"
        f"  保証契約番号：{contract_number}\n"
        f"  工事名：{work_name}\n\n"
        f"{_signin(issuer)}新しい認証キーをご確認のうえ、"
        "「電子保証にかかる「認証キー」のお知らせ」（PDF）を改めてダウンロードし、発注者にお渡しください。\n\n"
        "認証キーは本メールには記載しておりません。サービスの画面またはPDFでご確認ください。\n\n"
        "本メールにお心当たりのない場合は、下記までお問い合わせください。\n"
        f"{signature_block(issuer, branch_code)}"
    )
    return Mail(KEY_RENEWED_SUBJECT, body)
