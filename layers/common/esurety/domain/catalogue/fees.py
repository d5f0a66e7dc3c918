"""保証料: the guarantee fee, computed from a rate table held as data (pure: no AWS; the file read through pydantic models).

The table is `data/fee_rates.json`, or the JSON file named by the environment variable
`ESURETY_FEE_TABLE_FILE` (same shape), so the rates change without a code change. Real rates are
set in each surety company's approved terms (保証約款 / 保証料率) and are not public: the packaged
table is a SAMPLE (`"sample": true`), and the fee statement then says 「サンプル料率」.

Shape::

    {
      "sample": true,                       # required; a real table says false
      "name": "サンプル料率表",               # optional, for people
      "note": "...",                        # required when sample is true
      "day_basis": 365,                     # days of a year of rate
      "products": {                         # keys: esurety.domain.catalogue.products.Product values
        "advance_payment": {
          "minimum_fee": 3000,              # yen, integer >= 0
          "bands": [                        # ascending; the last one open (up_to null)
            {"up_to": 10000000, "annual_rate_percent": 0.60},
            {"up_to": null,     "annual_rate_percent": 0.25}
          ]
        }
      }
    }

Keys starting with `_` are comments and ignored; any other unknown key is refused (a typo of a
known key would otherwise be silently dropped).

Method (the choice this module makes; the JSON's note says the same):

- **Tiered bands**, like income-tax brackets: the guarantee amount is split at the bands' limits
  and each part is charged at its own band's rate. A band's `up_to` is its upper limit in yen,
  inclusive. A larger amount therefore never costs less than a smaller one, which a rate chosen by
  the band of the whole amount would not guarantee at the band edges.
- **Per band**: part × annual_rate_percent / 100 × guarantee days / day_basis, cut off below one
  yen (円未満切り捨て). The statement prints one line per band, and the lines add up to the fee.
- **Guarantee days** run from the issue date to the guarantee deadline, both included
  (2024-04-01 → 2024-04-01 is one day). A leap day inside the period counts as a day; the divisor
  stays `day_basis`.
- **Minimum fee**: when the sum of the bands is below the product's `minimum_fee`, the fee is the
  minimum (`minimum_applied`).

Arithmetic is exact (rates are read from JSON as decimals, never as binary floats).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, field_validator, model_validator

from ..japanese.money import yen
from .products import Product

ENV_VAR = "ESURETY_FEE_TABLE_FILE"
PACKAGED = "data/fee_rates.json"
SAMPLE_MARK = "サンプル料率"


class FeeTableError(ValueError):
    """A rate table that cannot be used; `problems` lists every problem found, with its place."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__(f"fee table {source}: " + "; ".join(self.problems))


@dataclass(frozen=True)
class Band:
    up_to: int | None  # upper limit in yen, inclusive; None: open
    annual_rate_percent: Decimal


@dataclass(frozen=True)
class ProductRates:
    minimum_fee: int
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class FeeTable:
    sample: bool
    note: str | None
    name: str | None
    day_basis: int
    products: Mapping[str, ProductRates]
    source: str

    def rates(self, product: Product | str) -> ProductRates:
        key = Product(product).value
        try:
            return self.products[key]
        except KeyError:
            raise FeeTableError(self.source, [f"products: no rates for {key}"]) from None


@dataclass(frozen=True)
class FeeLine:
    """One band's share of the fee."""

    above: int  # the band starts above this amount (0 for the first band)
    up_to: int | None
    part: int  # the part of the guarantee amount inside this band
    annual_rate_percent: Decimal
    fee: int  # part × rate × days / day_basis, cut off below one yen

    @property
    def band_label(self) -> str:
        """`1,000万円以下の部分`, `1,000万円超 5,000万円以下の部分`, `1億円超の部分`, or `全額`."""
        if self.up_to is None:
            return f"{large_yen(self.above)}超の部分" if self.above else "全額"
        if self.above == 0:
            return f"{large_yen(self.up_to)}以下の部分"
        return f"{large_yen(self.above)}超 {large_yen(self.up_to)}以下の部分"


@dataclass(frozen=True)
class FeeQuote:
    product: str  # Product value
    amount: int  # guarantee amount (保証金額)
    issue_date: date
    deadline: date
    days: int  # issue date and deadline both included
    day_basis: int
    lines: tuple[FeeLine, ...]  # bands with a part, in order
    computed_fee: int  # sum of the lines
    minimum_fee: int
    minimum_applied: bool
    fee: int  # 保証料
    sample: bool  # the table is a sample: the statement must say so
    table_name: str | None = None

    @property
    def rate_percents(self) -> tuple[Decimal, ...]:
        return tuple(line.annual_rate_percent for line in self.lines)

    def formula(self, line: FeeLine) -> str:
        return (
            f"{yen(line.part)} × 年{percent(line.annual_rate_percent)} × "
            f"{self.days}日 ÷ {self.day_basis}日"
        )

    @property
    def breakdown(self) -> tuple[str, ...]:
        """The computation as lines of text, for the statement (and for people reading logs)."""
        out = [f"{line.band_label}：{self.formula(line)} ＝ {yen(line.fee)}" for line in self.lines]
        if len(self.lines) > 1:
            out.append(f"計：{yen(self.computed_fee)}（各区分の円未満切り捨て）")
        if self.minimum_applied:
            out.append(f"最低保証料 {yen(self.minimum_fee)} を適用")
        out.append(f"保証料：{yen(self.fee)}")
        return tuple(out)


def large_yen(amount: int) -> str:
    """Band limits as people write them: `1,000万円`, `1億円`, `1億5,000万円`; `123,456 円` otherwise."""
    if amount <= 0 or amount % 10_000:
        return yen(amount)
    oku, man = divmod(amount // 10_000, 10_000)
    return (f"{oku:,}億" if oku else "") + (f"{man:,}万" if man else "") + "円"


def percent(rate: Decimal) -> str:
    """`0.6` → `0.60%`: at least two decimals, more only when the rate has them."""
    rate = Decimal(rate)
    text = f"{rate:.2f}" if rate == rate.quantize(Decimal("0.01")) else format(rate.normalize(), "f")
    return f"{text}%"


# --- the table ------------------------------------------------------------------------------------
#
# The file's shape as pydantic models (strict: "1000" is not a number of yen, true is not 1); the
# rules across fields (band order, the open last band, a sample's note) as their validators. Every
# problem pydantic finds becomes one line `<place>: <what is wrong>`, in the words below.

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_KNOWN_PRODUCTS = tuple(p.value for p in Product)
_ProductKey = Literal[_KNOWN_PRODUCTS]  # type: ignore[valid-type]

# What a value of each field must be, whatever pydantic's reason (missing, wrong type, out of range).
_FIELD_PROBLEMS = {
    "sample": "must be true or false (true for made-up rates)",
    "note": "must be a string",
    "name": "must be a string",
    "day_basis": "must be an integer number of days (365)",
    "products": "must be an object with at least one product",
    "minimum_fee": "must be an integer amount of yen, 0 or more",
    "bands": "must be a list of at least one band",
    "up_to": "must be an integer amount of yen, or null for the last band",
    "annual_rate_percent": "must be a number",
}


class _Problems(ValueError):
    """Problems a validator found below its own place: (place relative to it, what is wrong)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{where}: {what}" for where, what in problems))


class _Entry(BaseModel):
    """An object of the file: unknown keys refused (a typo would be dropped), `_` keys are comments."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_comments(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if not str(k).startswith("_")}
        return data


class _BandEntry(_Entry):
    up_to: Optional[StrictInt] = Field(gt=0)
    annual_rate_percent: Decimal

    @field_validator("annual_rate_percent", mode="before")
    @classmethod
    def _a_number(cls, rate: Any) -> Decimal:
        if isinstance(rate, bool) or not isinstance(rate, (int, Decimal, float)):
            raise ValueError(_FIELD_PROBLEMS["annual_rate_percent"])
        rate = Decimal(str(rate)) if isinstance(rate, float) else Decimal(rate)
        if not rate.is_finite() or rate < 0 or rate > 100:
            raise ValueError("must be between 0 and 100")
        return rate


class _ProductEntry(_Entry):
    minimum_fee: StrictInt = Field(ge=0)
    bands: list[_BandEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _bands_ascend_to_an_open_last_band(self) -> "_ProductEntry":
        problems: list[tuple[str, str]] = []
        previous = 0
        for i, band in enumerate(self.bands):
            at, last = f"bands[{i}].up_to", i == len(self.bands) - 1
            if band.up_to is None:
                if not last:
                    problems.append((at, "only the last band may be open (null)"))
                continue
            if band.up_to <= previous:
                problems.append((at, f"bands must be in ascending order ({band.up_to:,} after {previous:,})"))
            previous = max(previous, band.up_to)
            if last:
                problems.append((at, "the last band must be open (null), so every amount has a rate"))
        if problems:
            raise _Problems(problems)
        return self


class _FeeTableFile(_Entry):
    sample: StrictBool
    name: Optional[StrictStr] = None
    note: Optional[StrictStr] = None
    day_basis: StrictInt = Field(ge=360, le=366)
    products: dict[_ProductKey, _ProductEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _a_sample_says_so(self) -> "_FeeTableFile":
        if self.sample and not (self.note or "").strip():
            raise _Problems([("note", "a sample table must say what it is in a note")])
        return self


def _problem(error: dict) -> list[str]:
    """pydantic's error as this module's lines: `products.contract.bands[1].up_to: <what>`."""
    place, loc = "", list(error["loc"])
    unknown_product = loc[-1:] == ["[key]"]
    if unknown_product:
        loc.pop()
    for part in loc:
        place += f"[{part}]" if isinstance(part, int) else (f".{part}" if place else str(part))
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, _Problems):
        return [f"{place + '.' if place else ''}{where}: {what}" for where, what in raised.problems]
    if unknown_product:
        what = f"unknown product (known: {', '.join(sorted(_KNOWN_PRODUCTS))})"
    elif error["type"] == "extra_forbidden":
        what = "unknown field"
    elif isinstance(raised, ValueError):
        what = str(raised)
    elif isinstance(loc[-1], int):
        what = "must be an object {up_to, annual_rate_percent}"
    elif len(loc) == 2 and loc[0] == "products":
        what = "must be an object"
    else:
        what = _FIELD_PROBLEMS.get(str(loc[-1]), error["msg"])
    return [f"{place}: {what}"]


def parse_fee_table(data: Any, source: str = "<data>") -> FeeTable:
    """A validated FeeTable from parsed JSON (decimals as `Decimal`); every problem is reported."""
    if not isinstance(data, Mapping):
        raise FeeTableError(source, ["the top level must be a JSON object"])
    try:
        table = _FeeTableFile.model_validate(data)
    except ValidationError as invalid:
        raise FeeTableError(source, [line for error in invalid.errors() for line in _problem(error)]) from None
    return FeeTable(
        sample=table.sample,
        note=table.note,
        name=table.name,
        day_basis=table.day_basis,
        products=MappingProxyType({
            key: ProductRates(entry.minimum_fee, tuple(Band(b.up_to, b.annual_rate_percent) for b in entry.bands))
            for key, entry in table.products.items()
        }),
        source=source,
    )


_cache: dict[tuple, FeeTable] = {}


def load_fee_table(path: str | os.PathLike | None = None) -> FeeTable:
    """The table from `path`, else from $ESURETY_FEE_TABLE_FILE, else the packaged sample.

    A file is parsed and validated once per (path, modification time, size); a bad one raises
    FeeTableError naming the file and every problem.
    """
    path = path or os.environ.get(ENV_VAR) or None
    if path is None:
        return packaged_fee_table()
    file = Path(path)
    try:
        stat = file.stat()
    except OSError as error:
        raise FeeTableError(str(file), [f"cannot be read ({error.strerror}); check {ENV_VAR}"]) from None
    key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _cache:
        _cache[key] = _parse_text(file.read_text("utf-8"), str(file))
    return _cache[key]


def packaged_fee_table() -> FeeTable:
    """The table shipped in the package (the sample), whatever the environment says."""
    key = ("packaged",)
    if key not in _cache:
        text = resources.files("esurety").joinpath(PACKAGED).read_text("utf-8")
        _cache[key] = _parse_text(text, f"esurety/{PACKAGED}")
    return _cache[key]


def _parse_text(text: str, source: str) -> FeeTable:
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise FeeTableError(source, [f"not valid JSON: {error}"]) from None
    return parse_fee_table(data, source)


_issuer_tables: dict[tuple[str, str], FeeTable] = {}


def table_of(issuer) -> FeeTable:
    """An issuer's fee table: its registry entry's `fee_rates`, else the table every issuer without
    one uses (`load_fee_table()`: the file $ESURETY_FEE_TABLE_FILE names, else the packaged sample).
    Parsed once per issuer and entry (an entry changed by the onboarding tool is parsed anew)."""
    if issuer is None or issuer.fee_rates is None:
        return load_fee_table()
    key = (issuer.issuer_id, json.dumps(issuer.fee_rates, sort_keys=True, default=str))
    if key not in _issuer_tables:
        _issuer_tables[key] = parse_fee_table(issuer.fee_rates, f"fee_rates of issuer {issuer.issuer_id}")
    return _issuer_tables[key]


# --- the quote ------------------------------------------------------------------------------------


def guarantee_days(issue_date: date | datetime | str, deadline: date | datetime | str) -> int:
    """Days from the issue date to the deadline, both included."""
    start, end = _day(issue_date), _day(deadline)
    if end < start:
        raise ValueError(f"guarantee deadline {end.isoformat()} is before the issue date {start.isoformat()}")
    return (end - start).days + 1


def quote(
    product: Product | str,
    amount: int,
    issue_date: date | datetime | str,
    deadline: date | datetime | str,
    table: FeeTable | None = None,
) -> FeeQuote:
    """The fee for guaranteeing `amount` yen from `issue_date` to `deadline` (both included)."""
    product = Product(product)
    if not _is_int(amount) or amount <= 0:
        raise ValueError("the guarantee amount must be a positive integer amount of yen")
    table = table or load_fee_table()
    rates = table.rates(product)
    start, end = _day(issue_date), _day(deadline)
    days = guarantee_days(start, end)

    lines: list[FeeLine] = []
    above = 0
    for band in rates.bands:
        top = amount if band.up_to is None else min(amount, band.up_to)
        part = top - above
        if part <= 0:
            break
        exact = Fraction(part) * Fraction(band.annual_rate_percent) * days / (100 * table.day_basis)
        lines.append(FeeLine(above, band.up_to, part, band.annual_rate_percent, int(exact)))  # floor: ≥ 0
        if band.up_to is None or amount <= band.up_to:
            break
        above = band.up_to
    computed = sum(line.fee for line in lines)
    minimum_applied = computed < rates.minimum_fee
    return FeeQuote(
        product=product.value,
        amount=amount,
        issue_date=start,
        deadline=end,
        days=days,
        day_basis=table.day_basis,
        lines=tuple(lines),
        computed_fee=computed,
        minimum_fee=rates.minimum_fee,
        minimum_applied=minimum_applied,
        fee=rates.minimum_fee if minimum_applied else computed,
        sample=table.sample,
        table_name=table.name,
    )


def quote_for(certificate: Mapping[str, Any], table: FeeTable | None = None) -> FeeQuote:
    """The fee for a certificate (API / render-input shape): its amount from its issue date to its deadline."""
    return quote(
        certificate["product"],
        certificate["guarantee_amount"],
        certificate["issue_date"],
        certificate["guarantee_deadline"],
        table,
    )


def _day(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
