"""Japanese era dates (和暦) as printed in documents.

Documents print `令和06年04月01日`: two-digit, zero-padded numbers as in the paper certificates.
The first year of an era is printed `令和元年` (the official style, and what readers expect),
so 2019-05-01 is `令和元年05月01日`. Dates before 令和 fall in 平成 (1989-01-08 .. 2019-04-30).
"""
from __future__ import annotations

from datetime import date, datetime

_ERAS = (
    # (name, first day)
    ("令和", date(2019, 5, 1)),
    ("平成", date(1989, 1, 8)),
)
EARLIEST = _ERAS[-1][1]  # the first day a document can print: dates before it are refused at apply


def era_year(day: date) -> tuple[str, int]:
    for name, start in _ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    raise ValueError(f"{day.isoformat()} is before 平成; not supported")


def wareki(day: date | datetime) -> str:
    if isinstance(day, datetime):
        day = day.date()
    era, year = era_year(day)
    year_text = "元" if year == 1 else f"{year:02d}"
    return f"{era}{year_text}年{day.month:02d}月{day.day:02d}日"
