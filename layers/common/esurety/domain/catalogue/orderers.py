"""The registry of orderers that accept electronic guarantees (電子保証の利用を認めた発注者).

The registry is data: `data/orderers.json` is the seed that `tools/seed_orderers.py` writes into
the table; the API reads the table, so an entry can change without a deployment.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from importlib import resources

from .products import Product


@dataclass(frozen=True)
class Orderer:
    orderer_id: str | None  # None: an orderer outside the registry, typed on a paper application
    name: str
    beneficiary_name: str  # 被保証者 as printed on the certificate
    accepts_from: date
    products: tuple[Product, ...]

    def accepts_electronic(self, product: Product | str, on: date) -> bool:
        return Product(product) in self.products and on >= self.accepts_from

    def to_json(self) -> dict:
        data = asdict(self)
        data["accepts_from"] = self.accepts_from.isoformat()
        data["products"] = [p.value for p in self.products]
        return data


def outside_registry(name: str, beneficiary_name: str) -> Orderer:
    """The orderer a paper application typed (`orderer`): accepts no electronic guarantee."""
    return Orderer(orderer_id=None, name=name, beneficiary_name=beneficiary_name, accepts_from=date.max, products=())


def from_json(data: dict) -> Orderer:
    return Orderer(
        orderer_id=data["orderer_id"],
        name=data["name"],
        beneficiary_name=data["beneficiary_name"],
        accepts_from=date.fromisoformat(data["accepts_from"]),
        products=tuple(Product(p) for p in data["products"]),
    )


def seed() -> list[Orderer]:
    text = resources.files("esurety").joinpath("data/orderers.json").read_text("utf-8")
    return [from_json(entry) for entry in json.loads(text)]
