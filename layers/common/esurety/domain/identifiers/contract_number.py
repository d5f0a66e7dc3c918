"""保証契約番号: the number printed on the certificate and typed by the orderer.

Shape `BBYYP-SSSSSC`, e.g. `31073-00001M`:

- `BB`    handling branch code, two digits (31 = the demo 栃木支店)
- `YY`    fiscal year of issue as years of 令和 (令和07年度 = FY2025 -> `07`); FY2019 is `01`
- `P`     product code: 3 前払金保証, 2 契約保証, 4 中間前払金保証
- `SSSSS` serial, per (branch, fiscal year, product), from an atomic counter, 00001..99999
- `C`     check letter

An issuer other than the platform's first surety prints its two-digit number code in front:
`NN-BBYYP-SSSSSC`, e.g. `51-41082-00001K` (NN = 51, the demo insurer). So two issuers never hand
out the same number, and each issuer's counters are its own. The first surety's numbers keep the
shape they were issued and deposited in (a number on a deposited certificate never changes).

The check letter is sum(digit_i * (i + 1)) mod 23 over the ten (or twelve) digits, mapped onto 23 letters
without I, O and Q. 23 is prime and every weight (1..10) and every difference of neighbouring
weights (1) is non-zero modulo 23 (weights go to 12), so any single wrong digit changes the sum, and so does any
swap of two neighbouring different digits (the hyphen does not count as a separator there).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..catalogue.products import PRODUCT_BY_CODE, PRODUCT_INFO, Product
from ..japanese.text import compact_code

CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: no I, O, Q (look like 1, 0, 0)
_MODULUS = len(CHECK_LETTERS)
# [0-9], not \d: \d also matches Arabic-Indic and other digits, which NFKC leaves as they are
# (full-width digits NFKC does make ASCII, so they are still accepted).
_SHAPE = re.compile(r"^(?:([0-9]{2})-)?([0-9]{2})([0-9]{2})([0-9])-([0-9]{5})([A-Z])$")
_ISSUER_CODE = re.compile(r"^[1-9][0-9]$")
MAX_TYPED_LENGTH = 64  # a number typed with spaces and full-width characters is far shorter
REIWA_FIRST_FISCAL_YEAR = 2019
MAX_SERIAL = 99_999


class ContractNumberError(ValueError):
    """The text is not a well-formed contract number (shape or check letter)."""


@dataclass(frozen=True)
class ContractNumber:
    branch_code: str
    fiscal_year: int
    product: Product
    serial: int
    issuer_code: str | None = None  # the issuer's number code; None: the platform's first surety

    def __str__(self) -> str:
        digits = self.digits()
        body = digits[-10:]
        prefix = f"{digits[:2]}-" if self.issuer_code else ""
        return f"{prefix}{body[:5]}-{body[5:]}{check_letter(digits)}"

    def digits(self) -> str:
        year = self.fiscal_year - REIWA_FIRST_FISCAL_YEAR + 1
        code = PRODUCT_INFO[self.product].code
        return f"{self.issuer_code or ''}{self.branch_code}{year:02d}{code}{self.serial:05d}"


def check_letter(digits: str) -> str:
    total = sum(int(d) * (i + 1) for i, d in enumerate(digits))
    return CHECK_LETTERS[total % _MODULUS]


def make(branch_code: str, fiscal_year: int, product: Product | str, serial: int, issuer_code: str | None = None) -> str:
    if issuer_code is not None and not _ISSUER_CODE.fullmatch(issuer_code):
        raise ValueError("issuer code is two digits 10..99")
    if not re.fullmatch(r"[0-9]{2}", branch_code):
        raise ValueError("branch code is two digits")
    if not REIWA_FIRST_FISCAL_YEAR <= fiscal_year < REIWA_FIRST_FISCAL_YEAR + 99:
        raise ValueError("fiscal year outside 令和01..99")
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError("serial exhausted for this branch, year and product")
    return str(ContractNumber(branch_code, fiscal_year, Product(product), serial, issuer_code))


def parse(text: str) -> ContractNumber:
    """Read a number as typed: full-width, spaces and any hyphen-like character are accepted."""
    if not isinstance(text, str) or len(text) > MAX_TYPED_LENGTH:
        raise ContractNumberError("not the shape 00000-00000A")
    value = compact_code(text).upper()
    if "-" not in value and len(value) == 11:
        value = f"{value[:5]}-{value[5:]}"  # typed without the hyphen
    elif "-" not in value and len(value) == 13:
        value = f"{value[:2]}-{value[2:7]}-{value[7:]}"  # an issuer-coded number typed without hyphens
    elif value.count("-") == 1 and len(value) == 14 and value[7] == "-":
        value = f"{value[:2]}-{value[2:]}"  # ... without its first hyphen
    match = _SHAPE.fullmatch(value)
    if not match:
        raise ContractNumberError("not the shape 00000-00000A")
    issuer_code, branch, year, product_code, serial, letter = match.groups()
    digits = (issuer_code or "") + branch + year + product_code + serial
    if check_letter(digits) != letter:
        raise ContractNumberError("check letter does not match: a digit is mistyped")
    product = PRODUCT_BY_CODE.get(int(product_code))
    if product is None or int(year) == 0 or int(serial) == 0 or (issuer_code and not _ISSUER_CODE.fullmatch(issuer_code)):
        raise ContractNumberError("not a number this platform issues")
    return ContractNumber(branch, REIWA_FIRST_FISCAL_YEAR - 1 + int(year), product, int(serial), issuer_code)


def normalise(text: str) -> str:
    """The canonical form of a typed number, or ContractNumberError."""
    return str(parse(text))
