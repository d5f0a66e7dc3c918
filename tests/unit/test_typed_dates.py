"""Dates as people write them: every date field of the API takes ISO, 西暦 with / . or 年月日,
和暦 (令和8年12月1日, R8.12.1, 元年) and full-width input, and refuses days that do not exist."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st
from pydantic import BaseModel, ValidationError

from esurety.domain.application.schemas import ChangeRequest, Day, TerminationRequest
from esurety.domain.japanese.wareki import DateInputError, parse_date, short_wareki, wareki

DECEMBER_FIRST = date(2026, 12, 1)


@pytest.mark.parametrize("typed", [
    "2026-12-01", "2026-12-1", "2026/12/1", "2026/12/01", "2026.12.1", "2026年12月1日", "2026年12月01日",
    "令和8年12月1日", "令和08年12月01日", "R8.12.1", "R8/12/1", "R8-12-1", "r8.12.1", "R08.12.01",
    "２０２６－１２－０１", "２０２６／１２／１", "２０２６年１２月１日", "令和８年１２月１日", "Ｒ８．１２．１", "ｒ８／１２／１",
    " 2026-12-01 ", "令和 8年 12月 1日", "2026 / 12 / 1", "令和8年12月1日\u3000",
])
def test_every_way_a_clerk_writes_the_first_of_december_2026(typed):
    assert parse_date(typed) == DECEMBER_FIRST


@pytest.mark.parametrize("typed, expected", [
    ("令和元年5月1日", date(2019, 5, 1)),
    ("令和1年5月1日", date(2019, 5, 1)),
    ("R1.5.1", date(2019, 5, 1)),
    ("令和元年１２月３１日", date(2019, 12, 31)),
    ("平成31年4月30日", date(2019, 4, 30)),
    ("H31.4.30", date(2019, 4, 30)),
    ("平成元年1月8日", date(1989, 1, 8)),
    ("令和8年2月28日", date(2026, 2, 28)),
    ("令和6年2月29日", date(2024, 2, 29)),
])
def test_era_years_and_the_first_year_gannen(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize("typed, code", [
    ("令和8年2月30日", "not_a_calendar_date"),
    ("2026-02-30", "not_a_calendar_date"),
    ("2026/13/1", "not_a_calendar_date"),
    ("令和7年2月29日", "not_a_calendar_date"),
    ("2026年4月31日", "not_a_calendar_date"),
    ("令和0年5月1日", "not_in_era"),
    ("R0.5.1", "not_in_era"),
    ("令和元年4月30日", "not_in_era"),
    ("R1.1.1", "not_in_era"),
    ("平成31年5月1日", "not_in_era"),
    ("平成元年1月7日", "not_in_era"),
    ("", "not_a_date"),
    ("yesterday", "not_a_date"),
    ("明日", "not_a_date"),
    ("2026-12", "not_a_date"),
    ("R8.12", "not_a_date"),
    ("2026-12-01T00:00:00", "not_a_date"),
    ("12/1/2026", "not_a_date"),
    ("20261201", "not_a_date"),
    ("元年5月1日", "not_a_date"),
    ("2026年12月1", "not_a_date"),
    ("昭和64年1月7日", "not_a_date"),
    ("S64.1.7", "not_a_date"),
])
def test_impossible_or_unreadable_dates_are_refused_with_their_code(typed, code):
    with pytest.raises(DateInputError) as refused:
        parse_date(typed)
    assert refused.value.code == code


@pytest.mark.parametrize("value", [20261201, 2026.12, None, ["2026-12-01"], True])
def test_what_is_not_text_is_not_a_date(value):
    with pytest.raises(DateInputError) as refused:
        parse_date(value)
    assert refused.value.code == "not_a_date"


DAYS = st.dates(min_value=date(1989, 1, 8), max_value=date(2118, 12, 31))


@given(DAYS)
def test_a_date_printed_in_wareki_reads_back_as_itself(day):
    assert parse_date(wareki(day)) == day  # 令和08年12月01日, 令和元年05月01日 as the documents print


@given(DAYS)
def test_the_short_form_clerks_type_reads_back_as_itself(day):
    assert parse_date(short_wareki(day)) == day


@given(DAYS)
def test_full_width_wareki_reads_back_as_itself(day):
    full_width = wareki(day).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_date(full_width) == day


@given(DAYS)
def test_iso_and_slashes_read_back_as_themselves(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.year}/{day.month}/{day.day}") == day


class _Dated(BaseModel):
    day: Day


def test_a_date_field_takes_wareki_and_refuses_an_impossible_day_naming_its_code():
    assert _Dated(day="令和8年12月1日").day == DECEMBER_FIRST
    with pytest.raises(ValidationError) as refused:
        _Dated(day="令和8年2月30日")
    assert [(e["loc"], e["type"]) for e in refused.value.errors()] == [(("day",), "not_a_calendar_date")]
    with pytest.raises(ValidationError) as refused:
        _Dated(day="1988-12-31")
    assert refused.value.errors()[0]["type"] == "before_heisei"


def test_the_change_and_the_termination_take_wareki_too():
    change = ChangeRequest.model_validate({"guarantee": {"deadline": "R9.3.31"}, "work": {"period_end": "令和9年3月15日"}, "reason": "工期延長"})
    assert (change.guarantee.deadline, change.work.period_end) == (date(2027, 3, 31), date(2027, 3, 15))
    ending = TerminationRequest.model_validate({"kind": "cancelled", "date": "２０２６年１２月１日", "reason": "工事中止"})
    assert ending.date == DECEMBER_FIRST


def test_the_schema_still_says_a_date():
    schema = _Dated.model_json_schema()
    assert schema["properties"]["day"] == {"format": "date", "title": "Day", "type": "string"}
