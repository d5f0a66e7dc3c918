"""E-mail to the contractor (SES). Messages never carry the auth key."""
from __future__ import annotations

from .aws import client
from .config import settings

ISSUED_SUBJECT = "電子保証（認証キー）発行完了のお知らせ"


def issued_body(contractor_name: str, contract_number: str, product_label: str, work_name: str) -> str:
    return (
        f"{contractor_name} 様\n\n"
        "電子保証の発行手続きが完了しましたので、お知らせいたします。\n\n"
        f"  保証契約番号：{contract_number}\n"
        f"  商品（保証区分）：{product_label}\n"
        f"  工事名：{work_name}\n\n"
        "インターネット保証サービスにログインし、\n"
        "① 保証契約内容をご確認のうえ、\n"
        "② 「電子保証にかかる「認証キー」のお知らせ」（PDF）をダウンロードしてください。\n\n"
        "認証キーは本メールには記載しておりません。サービスの画面またはPDFでご確認ください。\n"
    )


def send(to: str, subject: str, body: str) -> str:
    response = client("ses").send_email(
        Source=settings().mail_from,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
        },
    )
    return response["MessageId"]
