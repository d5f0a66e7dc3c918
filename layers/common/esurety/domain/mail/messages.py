"""The e-mail texts to the contractor (pure). Messages never carry the auth key.

The issue e-mail says where to sign in (the issuer's `signin_url`, the contractor's page of the
service) and ends with the issuer's signature block: company, the handling branch and its phone
number, from the issuer's registry entry (services/issuers.py; seed data/issuers.json).
"""
from __future__ import annotations

ISSUED_SUBJECT = "電子保証（認証キー）発行完了のお知らせ"


def signature_block(issuer, branch_code: str | None) -> str:
    branch = issuer.branch(branch_code)
    lines = ["―" * 20, issuer.company, branch.name]
    if branch.address:
        lines.append(branch.address)
    lines.append(f"TEL {branch.tel}")
    lines.append("―" * 20)
    return "\n".join(lines) + "\n"


def issued_body(
    contractor_name: str, contract_number: str, product_label: str, work_name: str,
    branch_code: str | None = None, issuer=None, version_label: str | None = None,
) -> str:
    if issuer is None:
        from ..catalogue.issuer import load_issuer

        issuer = load_issuer()
    signin = (
        f"インターネット保証サービス（{issuer.signin_url}）にログインし、\n"
        if issuer.signin_url
        else "インターネット保証サービスにログインし、\n"
    )
    what = "電子保証" if not version_label or version_label == "新規" else f"電子保証（{version_label}）"
    return (
        f"{contractor_name} 様\n\n"
        f"{what}の発行手続きが完了しましたので、お知らせいたします。\n\n"
        f"  保証契約番号：{contract_number}\n"
        + (f"  区分：{version_label}\n" if version_label else "")
        + f"  商品（保証区分）：{product_label}\n"
        f"  工事名：{work_name}\n\n"
        f"{signin}"
        "① 保証契約内容をご確認のうえ、\n"
        "② 「電子保証にかかる「認証キー」のお知らせ」（PDF）をダウンロードしてください。\n\n"
        "認証キーは本メールには記載しておりません。サービスの画面またはPDFでご確認ください。\n\n"
        "本メールにお心当たりのない場合は、下記までお問い合わせください。\n"
        f"{signature_block(issuer, branch_code)}"
    )
