"""Japanese era dates (和暦) as printed in documents.

Documents print `令和06年04月01日`: two-digit, zero-padded numbers as in the paper certificates.
The first year of an era is printed `令和元年` (the official style, and what readers expect),
so 2019-05-01 is `令和元年05月01日`. Dates before 令和 fall in 平成 (1989-01-08 .. 2019-04-30).
"""
from __future__ import annotations

import re
import unicodedata
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


# ---------------------------------------------------------------- dates as people type them

class DateInputError(ValueError):
    """A typed date that is not one: `code` is a key of esurety/domain/error_codes.py, `reason` English."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


_ERA_ALIASES = {"令和": "令和", "R": "令和", "平成": "平成", "H": "平成"}
_ERA_END = {"平成": date(2019, 4, 30)}  # the day before the next era began
_SEP = r"[-/.]"
# After NFKC (full-width digits, ／, ．, － become ASCII) and with every space removed:
_WESTERN = re.compile(rf"(?P<y>[0-9]{{4}})(?:{_SEP}(?P<m>[0-9]{{1,2}}){_SEP}(?P<d>[0-9]{{1,2}})|年(?P<mk>[0-9]{{1,2}})月(?P<dk>[0-9]{{1,2}})日)")
_ERA = re.compile(
    rf"(?P<era>令和|平成|R|H)(?:(?P<y>元|[0-9]{{1,3}})年(?P<mk>[0-9]{{1,2}})月(?P<dk>[0-9]{{1,2}})日"
    rf"|(?P<ys>元|[0-9]{{1,3}}){_SEP}(?P<m>[0-9]{{1,2}}){_SEP}(?P<d>[0-9]{{1,2}}))"
)
_HYPHEN_LIKE = re.compile("[‐‑‒–—―−－ｰ﹣⁃˗➖]")  # not ー: it is no separator of a date


def _calendar(year: int, month: int, day: int, typed: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateInputError("not_a_calendar_date", f"is not a real calendar date ({typed})") from None


def parse_date(text: str) -> date:
    """A date as people write it, or DateInputError.

    Accepted: ISO `2026-12-01`; `2026/12/1`, `2026.12.1`; `2026年12月1日`; 和暦 `令和8年12月1日`,
    `令和元年5月1日`, `R8.12.1`, `R8/12/1`, `H31.4.30`; full-width digits and separators, spaces
    anywhere. Refused: a day that does not exist (2月30日, `not_a_calendar_date`), an era year that
    does not exist (令和0年, 令和 before 2019-05-01, 平成 after 2019-04-30: `not_in_era`), anything
    else (`not_a_date`).
    """
    if not isinstance(text, str):
        raise DateInputError("not_a_date", "must be a date such as 2026-12-01 or 令和8年12月1日")
    typed = _HYPHEN_LIKE.sub("-", re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)))
    match = _WESTERN.fullmatch(typed)
    if match:
        year, month, day = int(match["y"]), int(match["m"] or match["mk"]), int(match["d"] or match["dk"])
        return _calendar(year, month, day, typed)
    match = _ERA.fullmatch(typed.upper() if typed[:1] in "rh" else typed)
    if not match:
        raise DateInputError("not_a_date", "must be a date such as 2026-12-01 or 令和8年12月1日")
    era = _ERA_ALIASES[match["era"]]
    era_text = match["y"] or match["ys"]
    era_year_number = 1 if era_text == "元" else int(era_text)
    start = dict(_ERAS)[era]
    if era_year_number < 1:
        raise DateInputError("not_in_era", f"{era} has no year 0 (its first year is 元年)")
    day = _calendar(start.year + era_year_number - 1, int(match["m"] or match["mk"]), int(match["d"] or match["dk"]), typed)
    if day < start or day > _ERA_END.get(era, date.max):
        last = _ERA_END.get(era)
        span = f"from {start.isoformat()}" + (f" to {last.isoformat()}" if last else "")
        raise DateInputError("not_in_era", f"is not a date of {era} ({era} runs {span})")
    return day


def short_wareki(day: date) -> str:
    """`R8.12.1`: the short form clerks type (the inverse of `parse_date` on it)."""
    era, year = era_year(day)
    return f"{'R' if era == '令和' else 'H'}{year}.{day.month}.{day.day}"
