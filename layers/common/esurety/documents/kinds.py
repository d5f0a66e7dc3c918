"""What each kind of document is called, and how the documents around it speak of it (pure; no reportlab).

An issuer issues, for each product it offers, one kind of document (`Issuer.document_for`): a
保証事業会社 its 保証証書, a 損害保険会社 its 公共工事履行保証証券, a bank its 保証書. The notice and the
fee statement that come with a version name that document, its number and the issuer as the
document does, so the contractor and the orderer read one vocabulary on all three pages. The words
are written here once (see docs/documents.md for where they come from).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..domain.catalogue import products
from ..domain.catalogue.issuer import Document, Issuer


@dataclass(frozen=True)
class Wording:
    document: Document
    title: str  # the title as printed on the document
    name: str  # the document in running text: 保証証書 / 保証証券 / 保証書
    number_label: str  # the label of its number: 保証契約番号 / 証券番号
    product_text: str  # 商品 as the notice and the fee statement print it
    we: str  # how the issuer speaks of itself: 当社 / 当行
    branch_label: str  # the handling branch: 取扱箇所 / 取扱店
    no_paper: tuple[str, str]  # the red mark of an electronic document
    inquiry: str  # whom the contractor asks: 当社の営業部・支店 / 当行の取扱店
    # The orderer's verification page asks for a 保証契約番号: where the document's number is called
    # otherwise, the notice says which field it goes in.
    number_hint: str | None = None

    @property
    def is_certificate(self) -> bool:
        """The surety's 保証証書: the documents print exactly what they printed before there were several issuers."""
        return self.document == Document.SURETY_CERTIFICATE


ELECTRONIC = "電子的な取扱となります"


def document_of(certificate: Mapping[str, Any], issuer: Issuer) -> Document:
    """The document `issuer` issues for the certificate's product; an issuer that does not offer the
    product issues nothing for it (ValueError: a document is never drawn under another kind's title)."""
    document = issuer.document_for(certificate["product"])
    if document is None:
        raise ValueError(f"issuer {issuer.issuer_id} does not offer {certificate['product']}")
    return document


def wording(certificate: Mapping[str, Any], issuer: Issuer) -> Wording:
    label = certificate.get("product_label") or products.label(certificate["product"])
    document = document_of(certificate, issuer)
    if document == Document.PERFORMANCE_BOND:
        return Wording(
            document, "公共工事履行保証証券", "保証証券", "証券番号", f"{label}（公共工事履行保証証券）",
            "当社", "取扱箇所", ("保証証券（書面）の発行は行わない", ELECTRONIC), "当社の取扱箇所",
            "証券番号は、照会画面の「保証契約番号」欄に入力してください。",
        )
    if document == Document.BANK_GUARANTEE:
        we = self_reference(issuer)
        return Wording(
            document, "保証書", "保証書", "保証契約番号", f"{label}（金融機関の保証書）",
            we, "取扱店", ("保証書（書面）の発行は行わない", ELECTRONIC), f"{we}の取扱店",
        )
    return Wording(
        document, f"保証証書（{label}）", "保証証書", "保証契約番号", label,
        "当社", "取扱箇所", ("保証証書（書面）の発行は行わない", ELECTRONIC), "当社の営業部・支店",
    )


# How a financial institution speaks of itself in its letters: a bank 当行, a 信用金庫 当金庫, a
# 信用組合 or a 農業協同組合 当組合 (the first that its name contains; a bank otherwise).
SELF_REFERENCES = (("信用金庫", "当金庫"), ("信用組合", "当組合"), ("協同組合", "当組合"), ("労働金庫", "当金庫"))


def self_reference(issuer: Issuer) -> str:
    return next((we for kind, we in SELF_REFERENCES if kind in issuer.company), "当行")
