"""The pausing SLA clock on the business calendar: examples (DST, holidays, pauses, stops) and
hypothesis laws (pausing never shortens the remaining time; elapsed and paused time add up;
crossing instants read back as their threshold)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.sla import (
    DEFAULT_PAUSE_RULES,
    ClockState,
    Pause,
    PauseKind,
    PauseRule,
    Situation,
    business_day,
    next_threshold,
    pause_rule,
    pauses_from_history,
    read_clock,
    validate_thresholds,
)

LONDON = ZoneInfo("Europe/London")
HOLIDAYS = frozenset({date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25), date(2026, 8, 31),
                      date(2026, 12, 25), date(2026, 12, 28)})
CAL = BusinessCalendar(tz="Europe/London", holidays=HOLIDAYS)
H = timedelta(hours=1)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def read(start, target_hours, now, pauses=(), stopped_at=None, thresholds=(50, 75, 100), calendar=CAL):
    return read_clock(started_at=start, target=target_hours * H, pauses=list(pauses), now=now, calendar=calendar,
                      stopped_at=stopped_at, thresholds=thresholds)


def test_a_running_clock_counts_business_hours_and_foresees_each_threshold():
    r = read(local(2026, 11, 23, 9), 8, local(2026, 11, 23, 13))
    assert (r.state, r.elapsed, r.paused, r.remaining, r.percent) == (ClockState.RUNNING, 4 * H, 0 * H, 4 * H, 50.0)
    assert [(c.percent, c.at, c.reached) for c in r.crossings] == [
        (50, local(2026, 11, 23, 13), True), (75, local(2026, 11, 23, 15), False),
        (100, local(2026, 11, 23, 17), False)]
    assert r.deadline == local(2026, 11, 23, 17)


def test_nights_and_weekends_do_not_count():
    r = read(local(2026, 11, 20, 16), 8, local(2026, 11, 23, 10))  # Friday 16:00 -> Monday 10:00
    assert r.elapsed == 2 * H
    assert r.deadline == local(2026, 11, 23, 16)


def test_a_pause_stops_the_clock_and_pushes_the_deadline_back():
    start, now = local(2026, 11, 23, 9), local(2026, 11, 23, 14)
    plain = read(start, 8, now)
    paused = read(start, 8, now, [Pause(local(2026, 11, 23, 10), local(2026, 11, 23, 12))])
    assert (paused.elapsed, paused.paused) == (3 * H, 2 * H)
    assert (plain.deadline, paused.deadline) == (local(2026, 11, 23, 17), local(2026, 11, 24, 11))
    assert CAL.between(plain.deadline, paused.deadline) == 2 * H
    assert paused.remaining - plain.remaining == 2 * H


def test_while_paused_nothing_lies_ahead_but_the_past_stays():
    start = local(2026, 11, 23, 9)
    r = read(start, 8, local(2026, 11, 24, 12), [Pause(local(2026, 11, 23, 14))])  # paused since Monday 14:00
    assert r.state is ClockState.PAUSED
    assert r.elapsed == 5 * H and r.paused == 6 * H  # Monday 14-17 and Tuesday 9-12
    assert [(c.percent, c.at) for c in r.crossings] == [(50, local(2026, 11, 23, 13)), (75, None), (100, None)]
    assert r.deadline is None


def test_a_stopped_clock_keeps_its_final_reading():
    start = local(2026, 11, 23, 9)
    r = read(start, 8, local(2026, 12, 9, 12), stopped_at=local(2026, 11, 23, 15))
    assert (r.state, r.elapsed, r.percent) == (ClockState.STOPPED, 6 * H, 75.0)
    assert [c.reached for c in r.crossings] == [True, True, False]
    assert r.deadline is None and not r.breached


def test_a_breached_clock_says_when_it_was_breached():
    r = read(local(2026, 11, 23, 9), 8, local(2026, 11, 24, 11))
    assert r.breached and r.remaining == -2 * H and r.percent == 125.0
    assert r.deadline == local(2026, 11, 23, 17)


def test_spring_forward_weekend():
    # Clocks go forward on Sunday 2026-03-29: Friday 16:00 GMT + 8 business hours = Monday 16:00 BST.
    r = read(local(2026, 3, 27, 16), 8, local(2026, 3, 30, 10))
    assert r.elapsed == 2 * H
    assert r.deadline == local(2026, 3, 30, 16) == datetime(2026, 3, 30, 15, tzinfo=UTC)


def test_fall_back_weekend_with_a_pause_across_it():
    # Clocks go back on Sunday 2026-10-25; paused from Friday 12:00 BST to Monday 11:00 GMT.
    r = read(local(2026, 10, 23, 9), 16, local(2026, 10, 26, 13),
             [Pause(local(2026, 10, 23, 12), local(2026, 10, 26, 11))])
    assert (r.elapsed, r.paused) == (5 * H, 7 * H)
    assert r.deadline == local(2026, 10, 27, 16) == datetime(2026, 10, 27, 16, tzinfo=UTC)  # GMT again


def test_a_bank_holiday_does_not_count_and_moves_the_deadline():
    # Friday 1 May 15:00, 8 business hours: Friday 2 h, Monday 4 May is a bank holiday, Tuesday 6 h.
    r = read(local(2026, 5, 1, 15), 8, local(2026, 5, 4, 16))
    assert r.elapsed == 2 * H
    assert r.deadline == local(2026, 5, 5, 15)
    without = BusinessCalendar(tz="Europe/London")
    assert read(local(2026, 5, 1, 15), 8, local(2026, 5, 4, 16), calendar=without).elapsed == 9 * H


def test_easter_and_christmas_weekends():
    assert read(local(2026, 4, 2, 9), 40, local(2026, 4, 9, 9)).elapsed == 24 * H  # Good Friday, Easter Monday
    assert read(local(2026, 12, 24, 9), 40, local(2026, 12, 31, 9)).elapsed == 24 * H  # 25th, 28th off


def test_inputs_are_checked():
    with pytest.raises(ValueError):
        read(local(2026, 11, 23, 9), 0, local(2026, 11, 23, 10))
    with pytest.raises(ValueError):
        read_clock(started_at=datetime(2026, 11, 23, 9), target=H, pauses=[], now=local(2026, 11, 23, 10),
                   calendar=CAL)
    with pytest.raises(ValueError):
        validate_thresholds([])
    with pytest.raises(ValueError):
        validate_thresholds([50, 0])
    with pytest.raises(ValueError):
        validate_thresholds([501])
    assert validate_thresholds([100, 50, 75, 50]) == (50, 75, 100)


def test_next_threshold_skips_the_fired_ones():
    assert next_threshold((50, 75, 100), ()) == 50
    assert next_threshold((50, 75, 100), (50,)) == 75
    assert next_threshold((50, 75, 100), (50, 75, 100)) is None
    assert business_day(CAL) == 8 * H


def test_pause_rules_and_their_precedence():
    assert pause_rule(Situation("execution", "on_track"), DEFAULT_PAUSE_RULES) is None
    assert pause_rule(Situation("validation", "validation"), DEFAULT_PAUSE_RULES) == PauseRule(
        PauseKind.PHASE, "validation")
    assert pause_rule(Situation("execution", "on_track", on_hold=True), DEFAULT_PAUSE_RULES).kind is PauseKind.HOLD
    waiting = Situation("execution", "on_track", ticket_statuses=frozenset({"open", "on_hold"}))
    assert pause_rule(waiting, DEFAULT_PAUSE_RULES) == PauseRule(PauseKind.TICKET, "on_hold")
    assert pause_rule(Situation("execution", "on_track", ticket_statuses=frozenset({"open"})),
                      DEFAULT_PAUSE_RULES) is None
    both = Situation("validation", "validation", ticket_statuses=frozenset({"on_hold"}), on_hold=True)
    assert pause_rule(both, DEFAULT_PAUSE_RULES).kind is PauseKind.PHASE
    eti = PauseRule(PauseKind.STATUS, "approve_eti")
    assert pause_rule(Situation("execution", "approve_eti"), {eti}) == eti
    assert PauseRule.parse("ticket:on_hold") == PauseRule(PauseKind.TICKET, "on_hold")
    for bad in ("validation", "phase:", "colour:red"):
        with pytest.raises(ValueError):
            PauseRule.parse(bad)


def test_history_replay_pauses_in_validation_resumes_on_reopen_and_stops_on_close():
    t = [local(2026, 11, d, 10) for d in range(23, 28)]
    changes = [(t[0], Situation("planning", "on_track")), (t[1], Situation("validation", "validation")),
               (t[2], Situation("execution", "on_track")), (t[3], Situation("validation", "validation")),
               (t[4], Situation("closed", "closed"))]
    derived = pauses_from_history(changes, DEFAULT_PAUSE_RULES)
    assert [(p.start, p.end) for p in derived.pauses] == [(t[1], t[2]), (t[3], t[4])]
    assert derived.stopped_at == t[4]
    r = read(t[0], 40, local(2026, 12, 1, 12), derived.pauses, derived.stopped_at)
    assert r.elapsed == 16 * H  # Monday 10 -> Tuesday 10, Wednesday 10 -> Thursday 10
    open_ended = pauses_from_history(changes[:2], DEFAULT_PAUSE_RULES)
    assert open_ended.pauses == (Pause(t[1], None, "phase:validation"),) and open_ended.stopped_at is None


# ----------------------------------------------------------------- laws

START = datetime(2026, 1, 5, 8, tzinfo=UTC)
HORIZON_HOURS = 24 * 330  # the whole of 2026's DST changes and bank holidays

offsets = st.floats(min_value=0, max_value=HORIZON_HOURS, allow_nan=False)
spans = st.floats(min_value=0.01, max_value=24 * 20, allow_nan=False)
pause_lists = st.lists(st.tuples(offsets, spans), max_size=5)
zones = st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "UTC"])


def _pauses(raw) -> list[Pause]:
    return [Pause(START + timedelta(hours=a), START + timedelta(hours=a + b)) for a, b in raw]


def _calendar(tz: str) -> BusinessCalendar:
    return BusinessCalendar(tz=tz, holidays=HOLIDAYS)


@settings(max_examples=150, deadline=None)
@given(tz=zones, base=pause_lists, extra=st.tuples(offsets, spans), now_h=offsets,
       target=st.floats(min_value=1, max_value=400), open_extra=st.booleans())
def test_pausing_never_shortens_the_remaining_time(tz, base, extra, now_h, target, open_extra):
    cal = _calendar(tz)
    now = START + timedelta(hours=now_h)
    pauses = _pauses(base)
    more = pauses + [Pause(START + timedelta(hours=extra[0]),
                           None if open_extra else START + timedelta(hours=extra[0] + extra[1]))]
    a = read(START, target, now, pauses, calendar=cal)
    b = read(START, target, now, more, calendar=cal)
    assert b.remaining >= a.remaining
    assert b.elapsed + b.paused == a.elapsed + a.paused  # the pause moves time from one side to the other
    for ca, cb in zip(a.crossings, b.crossings, strict=True):
        assert ca.reached or not cb.reached  # a pause never makes a threshold come sooner
        if ca.at is not None and cb.at is not None:
            assert cb.at >= ca.at
    if a.deadline is not None and b.deadline is not None:
        assert b.deadline >= a.deadline


@settings(max_examples=150, deadline=None)
@given(tz=zones, raw=pause_lists, now_h=offsets, target=st.floats(min_value=1, max_value=400))
def test_elapsed_and_paused_partition_business_time_and_the_deadline_is_the_remaining_time_ahead(tz, raw, now_h,
                                                                                                 target):
    cal = _calendar(tz)
    now = START + timedelta(hours=now_h)
    r = read(START, target, now, _pauses(raw), calendar=cal)
    assert r.elapsed + r.paused == cal.between(START, now)
    assert r.elapsed + r.remaining == r.target
    if r.state is ClockState.RUNNING and r.remaining > timedelta():
        assert r.deadline > now or (r.deadline >= now and not cal.is_business_time(now))
        assert cal.between(now, r.deadline) == r.remaining  # given no further pauses
    if r.state is ClockState.PAUSED and not r.breached:
        assert r.deadline is None


@settings(max_examples=100, deadline=None)
@given(tz=zones, raw=pause_lists, now_h=offsets, target=st.floats(min_value=1, max_value=400),
       pct=st.integers(min_value=1, max_value=300))
def test_a_crossing_read_back_shows_its_threshold(tz, raw, now_h, target, pct):
    cal = _calendar(tz)
    now = START + timedelta(hours=now_h)
    pauses = _pauses(raw)
    r = read(START, target, now, pauses, thresholds=(pct,), calendar=cal)
    crossing = r.crossings[0]
    assume(crossing.at is not None)
    if crossing.reached:
        assert crossing.at <= now
    known = pauses if crossing.reached else [p for p in pauses if p.start <= now]  # no further pauses
    then = read(START, target, crossing.at, known, thresholds=(pct,), calendar=cal)
    assert abs(then.elapsed - r.target * pct / 100) <= timedelta(microseconds=2)
    assert abs(then.percent - pct) < 1e-6


@settings(max_examples=60, deadline=None)
@given(tz=zones, week=st.integers(min_value=0, max_value=45))
def test_a_full_week_without_holidays_is_five_working_days_whatever_the_clock_change(tz, week):
    cal = BusinessCalendar(tz=tz)
    zone = ZoneInfo(tz)
    monday = datetime(2026, 1, 5, tzinfo=zone) + timedelta(weeks=week)
    monday = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    nxt = monday + timedelta(days=7)
    nxt = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    assert read(monday, 100, nxt, calendar=cal).elapsed == 40 * H
