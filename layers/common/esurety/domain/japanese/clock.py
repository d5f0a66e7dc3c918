"""Time in Japan Standard Time, the zone every date on a certificate is in."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


def now() -> datetime:
    return datetime.now(JST)


def today() -> date:
    return now().date()


def to_jst(moment: datetime) -> datetime:
    return moment.astimezone(JST)


def fiscal_year(day: date) -> int:
    """Japanese fiscal year (年度): April to March."""
    return day.year if day.month >= 4 else day.year - 1
