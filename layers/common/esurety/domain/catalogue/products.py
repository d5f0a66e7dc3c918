"""The guarantee products a surety issues (保証商品)."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Product(str, Enum):
    ADVANCE_PAYMENT = "advance_payment"
    CONTRACT = "contract"
    INTERIM_ADVANCE_PAYMENT = "interim_advance_payment"


@dataclass(frozen=True)
class ProductInfo:
    label: str  # 商品名 as printed
    clause: str  # 約款 the certificate is issued under
    code: int  # one digit inside the contract number
    has_deposit_bank: bool  # advance payments are held at a designated bank (預託金融機関)


PRODUCT_INFO: dict[Product, ProductInfo] = {
    Product.ADVANCE_PAYMENT: ProductInfo("前払金保証", "前払金保証約款", 3, True),
    Product.CONTRACT: ProductInfo("契約保証", "契約保証約款", 2, False),
    Product.INTERIM_ADVANCE_PAYMENT: ProductInfo("中間前払金保証", "中間前払金保証約款", 4, True),
}

PRODUCT_BY_CODE: dict[int, Product] = {info.code: product for product, info in PRODUCT_INFO.items()}


def label(product: Product | str) -> str:
    return PRODUCT_INFO[Product(product)].label


def clause_sentence(product: Product | str) -> str:
    """The sentence that binds the surety on the certificate."""
    clause = PRODUCT_INFO[Product(product)].clause
    return f"当会社は、{clause}に基づき上記のとおり保証契約を締結し、その責に任じます。"


def has_deposit_bank(product: Product | str) -> bool:
    return PRODUCT_INFO[Product(product)].has_deposit_bank
