"""The registry of orderers that accept electronic guarantees (電子保証の利用を認めた発注者).

The registry is data: `data/orderers.json` is the seed that `tools/seed_orderers.py` writes into
the table; the API reads the table, so an entry can change without a deployment.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from importlib import resources

from .issuer import IssuerKind
from .products import Product


@dataclass(frozen=True)
class Department:
    """A department of an orderer that takes guarantees for some products (its own mailbox)."""

    department_id: str
    name: str
    email: str
    products: tuple[Product, ...]

    def to_json(self) -> dict:
        return {"department_id": self.department_id, "name": self.name, "email": self.email, "products": [p.value for p in self.products]}


@dataclass(frozen=True)
class IssuerAcceptance:
    """An orderer accepts guarantees of `products` from issuers of `kind`, since `since`."""

    kind: IssuerKind
    products: tuple[Product, ...]
    since: date

    def to_json(self) -> dict:
        return {"kind": self.kind.value, "products": [p.value for p in self.products], "since": self.since.isoformat()}


@dataclass(frozen=True)
class Orderer:
    orderer_id: str | None  # None: an orderer outside the registry, typed on a paper application
    name: str
    beneficiary_name: str  # 被保証者 as printed on the certificate
    accepts_from: date
    products: tuple[Product, ...]
    # The products for which the orderer takes a contractor's direct submission (提出) as the
    # deposit (寄託); for the others the contractor hands over the notice as before.
    accepts_direct_submission: tuple[Product, ...] = ()
    departments: tuple[Department, ...] = ()
    # Which kinds of issuer it accepts for which product, since when; empty: 保証事業会社 only,
    # for its products, since accepts_from (what every orderer accepted before insurers and banks).
    accepts_issuers: tuple[IssuerAcceptance, ...] = ()

    def issuer_acceptances(self) -> tuple[IssuerAcceptance, ...]:
        return self.accepts_issuers or (IssuerAcceptance(IssuerKind.SURETY, self.products, self.accepts_from),)

    def accepts_issuer_kind(self, kind: IssuerKind | str, product: Product | str, on: date) -> bool:
        """Does it accept a guarantee of `product` from an issuer of `kind`, on `on`?"""
        return any(
            acceptance.kind == IssuerKind(kind) and Product(product) in acceptance.products and on >= acceptance.since
            for acceptance in self.issuer_acceptances()
        )

    def accepts_submission(self, product: Product | str) -> bool:
        return Product(product) in self.accepts_direct_submission

    def department(self, department_id: str | None) -> Department | None:
        return next((d for d in self.departments if d.department_id == department_id), None)

    def department_for(self, product: Product | str) -> Department | None:
        """The department the registry names for a product: the first whose products hold it."""
        return next((d for d in self.departments if Product(product) in d.products), None)

    def accepts_electronic(self, product: Product | str, on: date) -> bool:
        return Product(product) in self.products and on >= self.accepts_from

    def to_json(self) -> dict:
        data = asdict(self)
        data["accepts_from"] = self.accepts_from.isoformat()
        data["products"] = [p.value for p in self.products]
        data["accepts_direct_submission"] = [p.value for p in self.accepts_direct_submission]
        data["departments"] = [d.to_json() for d in self.departments]
        data["accepts_issuers"] = [a.to_json() for a in self.issuer_acceptances()]
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
        accepts_direct_submission=tuple(Product(p) for p in data.get("accepts_direct_submission") or ()),
        departments=tuple(
            Department(d["department_id"], d["name"], d["email"], tuple(Product(p) for p in d["products"])) for d in data.get("departments") or ()
        ),
        accepts_issuers=tuple(
            IssuerAcceptance(IssuerKind(a["kind"]), tuple(Product(p) for p in a["products"]), date.fromisoformat(a["since"]))
            for a in data.get("accepts_issuers") or ()
        ),
    )


def seed() -> list[Orderer]:
    text = resources.files("esurety").joinpath("data/orderers.json").read_text("utf-8")
    return [from_json(entry) for entry in json.loads(text)]
