"""Issuers as data: the registry's entries, their numbers, and which orderer accepts which kind."""
from __future__ import annotations

import itertools
from datetime import date

import pytest

from esurety.domain.catalogue import issuer as issuers
from esurety.domain.catalogue import orderers
from esurety.domain.catalogue.issuer import DEFAULT_ISSUER_ID, Document, IssuerKind, issuer_from_json
from esurety.domain.identifiers import contract_number
from esurety.domain.identifiers.contract_number import ContractNumberError


def _seed() -> dict:
    return {entry.issuer_id: entry for entry in issuers.seed()}


def test_the_seed_has_a_surety_an_insurer_and_a_bank_each_numbered_apart():
    seed = _seed()
    assert {i.kind for i in seed.values()} == {IssuerKind.SURETY, IssuerKind.INSURER, IssuerKind.BANK}
    assert seed[DEFAULT_ISSUER_ID].number_code is None  # its deposited numbers keep their shape
    codes = [i.number_code for i in seed.values() if i.issuer_id != DEFAULT_ISSUER_ID]
    assert len(set(codes)) == len(codes) and all(codes)
    assert seed["mihon-sonpo"].document_for("contract") == Document.PERFORMANCE_BOND
    assert seed["mirai-bank"].document_for("contract") == Document.BANK_GUARANTEE
    assert not seed["mirai-bank"].offers("advance_payment")


def test_an_entry_round_trips_and_its_public_view_has_no_key_or_rates():
    for entry in issuers.seed():
        assert issuer_from_json(entry.to_json()) == entry
        public = entry.public_json()
        assert set(public) == {"issuer_id", "kind", "kind_label", "name", "status", "products", "branches"}
        assert [b["code"] for b in public["branches"]] == [b.code for b in entry.branches]


@pytest.mark.parametrize("change, message", [
    ({"issuer_id": "Bad Id"}, "issuer_id"),
    ({"number_code": None}, "number_code"),
    ({"number_code": "5"}, "number_code"),
    ({"products": []}, "offers no product"),
    # A fee table is judged when the entry is read, not at the first issue (which it would fail).
    ({"fee_rates": {"sample": True, "name": "料率", "day_basis": 365,
                    "products": {"contract": {"minimum_fee": 1000, "bands": [{"up_to": None, "annual_rate_percent": 0.5}]}}}},
     "fee_rates of issuer mihon-sonpo: note"),
    ({"fee_rates": {"sample": False, "name": "料率", "day_basis": 365, "products": {}}}, "fee_rates of issuer mihon-sonpo"),
])
def test_a_bad_registry_entry_says_what_is_wrong(change, message):
    entry = {**_seed()["mihon-sonpo"].to_json(), **change}
    with pytest.raises(ValueError, match=message):
        issuer_from_json(entry)


def test_two_issuers_never_hand_out_the_same_number():
    made = set()
    for code, serial in itertools.product((None, "51", "71"), (1, 2, 99_999)):
        number = contract_number.make("41", 2026, "contract", serial, code)
        assert number not in made
        made.add(number)
        parsed = contract_number.parse(number)
        assert (parsed.issuer_code, parsed.serial) == (code, serial)
    assert contract_number.make("41", 2026, "contract", 1, "51").startswith("51-41082-")


def test_an_issuer_coded_number_is_read_as_typed():
    number = contract_number.make("41", 2026, "contract", 7, "51")
    typed = ["５１－４１０８２－００００７" + number[-1], number.replace("-", ""), number[:2] + number[3:], number.lower()]
    assert {contract_number.normalise(text) for text in typed} == {number}


def test_a_mistyped_issuer_code_fails_its_check_letter():
    number = contract_number.make("41", 2026, "contract", 7, "51")
    for wrong in ("52" + number[2:], "15" + number[2:]):
        with pytest.raises(ContractNumberError):
            contract_number.parse(wrong)


def test_an_orderer_accepts_issuer_kinds_per_product_since_a_day():
    tochigi = next(o for o in orderers.seed() if o.orderer_id == "tochigi-pref")
    assert tochigi.accepts_issuer_kind("insurer", "contract", date(2026, 12, 1))
    assert not tochigi.accepts_issuer_kind("insurer", "advance_payment", date(2026, 12, 1))
    assert not tochigi.accepts_issuer_kind("bank", "contract", date(2026, 3, 31))
    assert tochigi.accepts_issuer_kind("bank", "contract", date(2026, 4, 1))
    bare = orderers.from_json({k: v for k, v in tochigi.to_json().items() if k != "accepts_issuers"})
    assert bare.accepts_issuer_kind("surety", "advance_payment", date(2026, 12, 1))
    assert not bare.accepts_issuer_kind("insurer", "contract", date(2026, 12, 1))
