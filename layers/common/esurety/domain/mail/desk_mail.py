"""E-mails of the orderer's desk (pure): to a department's mailbox when a guarantee on its desk is
submitted or changes, and to the contractor when the orderer records 受領確認. None carries the
auth key; the department reads the guarantee on its desk (no key needed there)."""
from __future__ import annotations

from datetime import date, datetime

from ..japanese.wareki import wareki
from .messages import signature_block
from .staff_mail import Mail

# 「【電子保証】提出がありました 保証契約番号 …」: one subject per event, as municipal mailboxes sort by them.
_WHAT = {
    "submitted": "提出がありました",
    "changed": "変更がありました",
    "corrected": "訂正がありました",
    "change_cancelled": "変更取消がありました",
    "terminated": "解約がありました",
    "claimed": "履行請求がありました",
}
_SENTENCE = {
    "submitted": "下記の電子保証が、受注者から貴課あてに提出されました。",
    "changed": "貴課に提出（提示）された下記の電子保証について、変更後の保証証書が発行されました。",
    "corrected": "貴課に提出（提示）された下記の電子保証について、保証証書が訂正されました（訂正前の保証証書に代わるものです）。",
    "change_cancelled": "貴課に提出（提示）された下記の電子保証について、変更が取り消されました。",
    "terminated": "貴課に提出（提示）された下記の電子保証は、解約となりました。",
    "claimed": "貴課に提出（提示）された下記の電子保証について、保証債務の履行請求を受け付けました。",
}
RECEIVED_SUBJECT = "電子保証の受領確認のお知らせ"


def _moment(iso: str) -> str:
    """令和 date and time (JST) of an ISO 8601 moment in JST."""
    moment = datetime.fromisoformat(iso)
    return f"{wareki(moment.date())} {moment:%H:%M}"


def _issued(iso: str | None) -> str:
    return _moment(iso) if iso else "―"


def department_subject(kind: str, contract_number: str) -> str:
    return f"【電子保証】{_WHAT[kind]} 保証契約番号 {contract_number}"


def department_notice(
    kind: str, department_name: str, contract_number: str, product_name: str, work_name: str, contractor_name: str,
    label: str, issuer, detail: dict | None = None,
) -> Mail:
    detail = detail or {}
    lines = [
        f"{department_name} ご担当者様\n",
        _SENTENCE[kind] + "\n",
        f"  保証契約番号：{contract_number}",
        f"  商品：{product_name}",
        f"  工事名：{work_name}",
        f"  受注者：{contractor_name}",
        # the desk holds guarantees of several issuers: the mail says whose this one is
        f"  発行者：{issuer.company}（{issuer.kind_label}）",
    ]
    if label:
        lines.append(f"  現在の版：{label}")
    withdrawn = detail.get("withdrawn")
    if kind == "change_cancelled" and withdrawn:
        lines.append(f"  取り消された変更：{withdrawn.get('label', '')}")
    replaces = detail.get("replaces")
    if kind == "corrected" and replaces:
        lines.append(f"  訂正前の保証証書：{_issued(replaces.get('issued_at'))} 発行（SHA-256 {replaces.get('sha256') or ''}）")
    lines += [
        "",
        "発注者デスクで内容をご確認のうえ、受領確認をお願いします（認証キーの入力は不要です）。",
        "",
        f"{issuer.company}",
    ]
    return Mail(department_subject(kind, contract_number), "\n".join(lines) + "\n")


def received(
    contractor_name: str, contract_number: str, work_name: str, orderer_name: str, label: str, received_at: str,
    branch_code: str | None, issuer,
) -> Mail:
    body = (
        f"{contractor_name} 様\n\n"
        f"下記の電子保証について、{orderer_name}が受領確認を行いました。\n\n"
        f"  保証契約番号：{contract_number}\n"
        f"  工事名：{work_name}\n"
        f"  受領確認した保証証書：{label}\n"
        f"  受領確認日時：{_moment(received_at)}\n\n"
        "本メールにお心当たりのない場合は、下記までお問い合わせください。\n"
        f"{signature_block(issuer, branch_code)}"
    )
    return Mail(RECEIVED_SUBJECT, body)


def reminder(
    department_name: str, contract_number: str, product_name: str, work_name: str, contractor_name: str, label: str,
    expiry: date, days_left: int, issuer,
) -> Mail:
    """30 and 7 days before the 保証期限 of a valid guarantee on the department's desk."""
    body = (
        f"{department_name} ご担当者様\n\n"
        f"貴課に提出（提示）された下記の電子保証は、保証期限まであと{days_left}日です。\n"
        "工期の延長などで保証期限の変更が必要な場合は、受注者にご確認ください。\n\n"
        f"  保証契約番号：{contract_number}\n"
        f"  商品：{product_name}\n"
        f"  工事名：{work_name}\n"
        f"  受注者：{contractor_name}\n"
        f"  発行者：{issuer.company}（{issuer.kind_label}）\n"
        f"  現在の版：{label}\n"
        f"  保証期限：{wareki(expiry)}\n\n"
        f"{issuer.company}\n"
    )
    return Mail(f"【電子保証】保証期限が近づいています 保証契約番号 {contract_number}", body)
