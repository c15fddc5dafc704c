"""Business calendar: examples from the issues and hypothesis laws."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordertrack.domain.calendar import BusinessCalendar

LONDON = ZoneInfo("Europe/London")
CAL = BusinessCalendar(tz="Europe/London", holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_friday_afternoon_failure_escalates_monday_morning():
    assert CAL.add(local(2026, 11, 20, 16, 30), timedelta(hours=2)) == local(2026, 11, 23, 10, 30)


def test_a_public_holiday_shifts_the_deadline():
    cal = BusinessCalendar(tz="Europe/London", holidays=frozenset({date(2026, 11, 23)}))
    assert cal.add(local(2026, 11, 20, 16, 30), timedelta(hours=2)) == local(2026, 11, 24, 10, 30)


def test_start_outside_hours_counts_from_next_opening():
    assert CAL.add(local(2026, 11, 24, 7, 0), timedelta(minutes=30)) == local(2026, 11, 24, 9, 30)
    assert CAL.add(local(2026, 11, 21, 12, 0), timedelta(hours=1)) == local(2026, 11, 23, 10, 0)


def test_zero_duration_returns_the_start_and_negative_is_an_error():
    start = local(2026, 11, 21, 3, 0)
    assert CAL.add(start, timedelta()) == start
    with pytest.raises(ValueError):
        CAL.add(start, timedelta(minutes=-1))


def test_dst_change_week_keeps_local_working_hours():
    # Clocks go back on Sunday 2026-10-25 in London: Friday 16:00 BST + 2h = Monday 10:00 GMT.
    assert CAL.add(local(2026, 10, 23, 16, 0), timedelta(hours=2)) == local(2026, 10, 26, 10, 0)
    assert CAL.between(local(2026, 10, 23, 9, 0), local(2026, 10, 27, 9, 0)) == timedelta(hours=16)


def test_between_counts_only_working_hours():
    assert CAL.between(local(2026, 11, 20, 16, 0), local(2026, 11, 23, 10, 0)) == timedelta(hours=2)
    assert CAL.between(local(2026, 11, 23, 10, 0), local(2026, 11, 20, 16, 0)) == -timedelta(hours=2)
    assert CAL.between(local(2026, 12, 24, 16, 0), local(2026, 12, 29, 10, 0)) == timedelta(hours=2)


def test_is_business_time():
    assert CAL.is_business_time(local(2026, 11, 24, 9, 0))
    assert not CAL.is_business_time(local(2026, 11, 24, 17, 0))
    assert not CAL.is_business_time(local(2026, 12, 25, 12, 0))


def test_invalid_calendars():
    with pytest.raises(ValueError):
        BusinessCalendar(start=time(17), end=time(9))
    with pytest.raises(ValueError):
        BusinessCalendar(workdays=frozenset())
    with pytest.raises(ValueError):
        CAL.add(datetime(2026, 1, 1), timedelta(hours=1))


instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))
durations = st.integers(min_value=0, max_value=60 * 8 * 40).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(instants, durations)
def test_adding_then_measuring_gives_back_the_duration(start, d):
    assert CAL.between(start, CAL.add(start, d)) == d


@settings(max_examples=200, deadline=None)
@given(instants, durations, durations)
def test_adding_in_two_steps_equals_adding_once(start, a, b):
    assert CAL.add(start, a + b) == CAL.add(CAL.add(start, a), b)


@settings(max_examples=200, deadline=None)
@given(instants, durations)
def test_result_is_never_before_start_and_lands_in_or_at_end_of_business_time(start, d):
    end = CAL.add(start, d)
    assert end >= start
    if d:
        moment = end - timedelta(minutes=1)
        assert CAL.is_business_time(moment)


@settings(max_examples=200, deadline=None)
@given(instants, instants, instants)
def test_between_is_additive(a, b, c):
    a, b, c = sorted((a, b, c))
    assert CAL.between(a, b) + CAL.between(b, c) == CAL.between(a, c)


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_weekends_and_holidays_never_count(day):
    cal = BusinessCalendar(tz="Europe/London", holidays=frozenset({day}) if day.weekday() < 5 else frozenset())
    start = datetime.combine(day, time(0), tzinfo=LONDON)
    assert cal.between(start, start + timedelta(days=1)) == timedelta()
    assert not cal.is_working_day(day)
