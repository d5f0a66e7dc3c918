"""Pure domain rules: numbers, keys, dates, money, typed text."""
from __future__ import annotations

import itertools
import re
from datetime import date

import pytest

from esurety.domain.identifiers import auth_key, contract_number
from esurety.domain.japanese import money, wareki
from esurety.domain.identifiers.contract_number import ContractNumberError
from esurety.domain.japanese.text import compact_code


class TestContractNumber:
    def test_shape_and_encoding(self):
        number = contract_number.make("31", 2025, "advance_payment", 1)
        assert re.fullmatch(r"31073-00001[A-Z]", number)
        parsed = contract_number.parse(number)
        assert (parsed.branch_code, parsed.fiscal_year, parsed.product.value, parsed.serial) == ("31", 2025, "advance_payment", 1)

    def test_products_and_years_get_their_digits(self):
        assert contract_number.make("31", 2024, "contract", 7).startswith("31062-00007")
        assert contract_number.make("11", 2019, "interim_advance_payment", 99999).startswith("11014-99999")

    def test_every_single_digit_error_is_caught(self):
        number = contract_number.make("31", 2025, "advance_payment", 4321)
        positions = [i for i, ch in enumerate(number) if ch.isdigit()]
        for position, digit in itertools.product(positions, "0123456789"):
            if number[position] == digit:
                continue
            mistyped = number[:position] + digit + number[position + 1 :]
            with pytest.raises(ContractNumberError):
                contract_number.parse(mistyped)

    def test_every_swap_of_neighbouring_digits_is_caught(self):
        for serial in (1, 12345, 90817, 55555 + 1):
            number = contract_number.make("31", 2026, "contract", serial)
            digits = number[:5] + number[6:11]
            for i in range(len(digits) - 1):
                if digits[i] == digits[i + 1]:
                    continue
                swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
                with pytest.raises(ContractNumberError):
                    contract_number.parse(f"{swapped[:5]}-{swapped[5:]}{number[-1]}")

    @pytest.mark.parametrize(
        "typed",
        ["３１０７３－０００１２{c}", " 31073 - 00012{c} ", "31073ー00012{c}", "31073‐00012{c}", "3107300012{c}", "31073−00012{lc}"],
    )
    def test_typed_by_hand(self, typed):
        number = contract_number.make("31", 2025, "advance_payment", 12)
        c = number[-1]
        fullwidth_c = chr(ord(c) + 0xFEE0)
        text = typed.format(c=fullwidth_c if typed.startswith("３") else c, lc=c.lower())
        assert contract_number.normalise(text) == number

    @pytest.mark.parametrize("bad", ["", "31073-0001M", "ABCDE-00001M", "31073-00001", "31003-00001A", "31071-00001A"])
    def test_malformed(self, bad):
        with pytest.raises(ContractNumberError):
            contract_number.parse(bad)

    def test_serial_limits(self):
        with pytest.raises(ValueError):
            contract_number.make("31", 2025, "contract", 100_000)
        with pytest.raises(ValueError):
            contract_number.make("3", 2025, "contract", 1)


class TestAuthKey:
    def test_alphabet_has_no_look_alikes_and_enough_entropy(self):
        assert not set("0Oo1lI") & set(auth_key.ALPHABET)
        assert len(set(auth_key.ALPHABET)) == len(auth_key.ALPHABET) == 56
        assert auth_key.ENTROPY_BITS >= 64

    def test_generated_keys(self):
        keys = {auth_key.generate() for _ in range(2000)}
        assert len(keys) == 2000
        assert all(len(k) == 12 and set(k) <= set(auth_key.ALPHABET) for k in keys)
        # Every character of the alphabet turns up: the choice is not biased away from any.
        assert set("".join(keys)) == set(auth_key.ALPHABET)

    def test_digest_is_keyed_and_matches_typed_forms(self):
        key = "Z28YUE4J3Bux"
        stored = auth_key.digest(key, b"pepper-1")
        assert stored != auth_key.digest(key, b"pepper-2")
        assert key not in stored
        assert auth_key.matches("Ｚ２８ＹＵＥ ４Ｊ３Ｂｕｘ", stored, b"pepper-1")
        assert not auth_key.matches("Z28YUE4J3BUX", stored, b"pepper-1")  # case matters
        assert not auth_key.matches(key, stored, b"pepper-2")


class TestWareki:
    @pytest.mark.parametrize(
        "day, text",
        [
            (date(2024, 4, 1), "令和06年04月01日"),
            (date(2019, 5, 1), "令和元年05月01日"),
            (date(2019, 4, 30), "平成31年04月30日"),
            (date(2020, 1, 1), "令和02年01月01日"),
            (date(1989, 1, 8), "平成元年01月08日"),
            (date(2022, 1, 18), "令和04年01月18日"),
        ],
    )
    def test_documents_print_reiwa(self, day, text):
        assert wareki.wareki(day) == text

    def test_before_heisei_is_refused(self):
        with pytest.raises(ValueError):
            wareki.wareki(date(1989, 1, 7))


def test_yen():
    assert money.yen(50_000_000) == "50,000,000 円"
    assert money.yen(1) == "1 円"
    with pytest.raises(TypeError):
        money.yen(1.5)


def test_compact_code_accepts_typed_forms():
    assert compact_code("ａｂｃ　１２３ー４") == "abc123-4"
