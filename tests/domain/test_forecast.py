"""Breach forecast: phase hours on the calendar, empirical quantiles, conditioning on the time
already spent, the outlook against the target, and hypothesis laws of the band."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.forecast import ClosedOrder, ForecastModel, Outlook, band, phase_hours

LONDON = ZoneInfo("Europe/London")
CAL = BusinessCalendar(tz="Europe/London", holidays=frozenset({date(2026, 12, 25)}))
NOW = datetime(2026, 11, 23, 9, tzinfo=LONDON)  # a Monday, opening time
CLOSED = datetime(2026, 6, 1, tzinfo=UTC)


def history(service, rows):
    return [ClosedOrder(service, CLOSED, tuple(float(h) for h in r)) for r in rows]


def test_band_is_the_10th_50th_90th_percentile_with_interpolation():
    assert band(list(range(1, 11))) == pytest.approx((1.9, 5.5, 9.1))  # numpy's default gives the same
    assert band([7.0]) == (7.0, 7.0, 7.0)
    assert band([1.0, 3.0]) == pytest.approx((1.2, 2.0, 2.8))
    with pytest.raises(ValueError):
        band([])


def test_phase_hours_adds_up_visits_on_the_business_calendar():
    t = lambda d, h: datetime(2026, 11, d, h, tzinfo=LONDON)  # noqa: E731
    changes = [(t(20, 16), "planning"), (t(23, 10), "execution"), (t(23, 12), "validation"),
               (t(23, 13), "execution"), (t(23, 13), "execution"), (t(23, 15), "validation")]
    hours = phase_hours(changes, until=t(24, 10), calendar=CAL)
    assert hours == {"planning": 2.0, "execution": 4.0, "validation": 1.0 + 3.0}


def test_an_order_just_started_gets_the_unconditional_spread_of_its_service_type():
    model = ForecastModel.build(history("voice", [(p, 10, 8) for p in range(1, 21)]))
    f = model.forecast(service_type="voice", phase="planning", spent_hours=0, elapsed_sla_hours=0,
                       target_hours=100, now=NOW, calendar=CAL)
    totals = [p + 18 for p in range(1, 21)]
    assert f.sla_hours == pytest.approx(tuple(x - 8 for x in band(totals)))  # validation does not count
    assert f.completion == tuple(CAL.add(NOW, timedelta(hours=h)) for h in band(totals))
    assert (f.outlook, f.late_by_days, f.samples, f.basis) == (Outlook.ON_TRACK, 0, 20, "service type")


def test_time_already_spent_conditions_the_forecast_on_the_orders_that_lasted_as_long():
    model = ForecastModel.build(history("voice", [(p, 10, 0) for p in range(1, 21)]), min_samples=5)
    f = model.forecast(service_type="voice", phase="planning", spent_hours=15, elapsed_sla_hours=15,
                       target_hours=100, now=NOW, calendar=CAL)
    # survivors spent 15..20 h in planning: 0..5 h left, then 10 h of execution each
    assert f.samples == 6 and f.basis == "service type"
    assert f.sla_hours == pytest.approx(tuple(15 + x for x in band([r + 10 for r in range(0, 6)])))
    stuck = model.forecast(service_type="voice", phase="planning", spent_hours=40, elapsed_sla_hours=40,
                           target_hours=100, now=NOW, calendar=CAL)
    assert stuck.basis == "tail" and stuck.samples == 5  # slower than all history: the longest five
    assert stuck.sla_hours == pytest.approx((50.0, 50.0, 50.0))


def test_other_service_types_do_not_leak_into_a_forecast():
    model = ForecastModel.build(history("license", [(1, 1, 0)] * 20) + history("network", [(40, 160, 8)] * 20))
    f = model.forecast(service_type="license", phase="planning", spent_hours=0, elapsed_sla_hours=0,
                       target_hours=8, now=NOW, calendar=CAL)
    assert f.sla_hours == (2.0, 2.0, 2.0)


def test_outlook_and_lateness_against_the_target():
    model = ForecastModel.build(history("server", [(10, e, 8) for e in range(10, 60, 2)]))  # execution 10..58 h
    kw = dict(service_type="server", phase="execution", spent_hours=0, now=NOW, calendar=CAL)
    assert model.forecast(elapsed_sla_hours=10, target_hours=100, **kw).outlook is Outlook.ON_TRACK
    risky = model.forecast(elapsed_sla_hours=10, target_hours=50, **kw)
    assert risky.outlook is Outlook.AT_RISK and risky.late_by_days == 0
    late = model.forecast(elapsed_sla_hours=30, target_hours=40, **kw)
    # median counted time at completion: 30 + 34 = 64 h, 24 h past the target = 3 business days
    assert late.outlook is Outlook.LIKELY_LATE and late.sla_hours[1] == pytest.approx(64)
    assert late.late_by_days == 3
    assert model.forecast(elapsed_sla_hours=41, target_hours=40, **kw).outlook is Outlook.BREACHED
    in_validation = model.forecast(service_type="server", phase="validation", spent_hours=2, elapsed_sla_hours=30,
                                   target_hours=40, now=NOW, calendar=CAL)
    assert in_validation.outlook is Outlook.ON_TRACK and in_validation.sla_hours == (30.0, 30.0, 30.0)


def test_a_priority_s_speed_is_learned_across_service_types_and_scales_the_work():
    normal = [ClosedOrder("server", CLOSED, (10.0, 30.0, 8.0), "normal") for _ in range(30)]
    urgent = [ClosedOrder("network", CLOSED, (20.0, 60.0, 8.0), "urgent") for _ in range(20)]
    slow = [ClosedOrder("network", CLOSED, (40.0, 120.0, 8.0), "normal") for _ in range(21)]
    model = ForecastModel.build(normal + urgent + slow)
    assert model.factors == pytest.approx({"normal": 1.0, "urgent": 0.5})  # half the usual network time
    kw = dict(phase="planning", spent_hours=0, elapsed_sla_hours=0, target_hours=500, now=NOW, calendar=CAL)
    f = model.forecast(service_type="server", priority="urgent", **kw)
    assert f.sla_hours == pytest.approx((20.0, 20.0, 20.0)) and f.basis == "service type and priority"
    total, _, _, _ = model.remaining("server", "planning", 0, "urgent")
    assert total == pytest.approx((28.0, 28.0, 28.0))  # the customer's validation time is not scaled
    assert model.forecast(service_type="server", priority="low", **kw).basis == "service type"  # never seen
    few = ForecastModel.build(normal + urgent[:19] + slow)
    assert "urgent" not in few.factors  # 19 urgent orders are too few to learn from
    assert ForecastModel.build(normal + urgent + slow, by_priority=False).factors == {}


def test_no_history_says_so():
    f = ForecastModel.build([]).forecast(service_type="backup", phase="planning", spent_hours=0,
                                         elapsed_sla_hours=0, target_hours=24, now=NOW, calendar=CAL)
    assert (f.outlook, f.completion, f.samples) == (Outlook.NO_DATA, None, 0)
    with pytest.raises(ValueError):
        ForecastModel.build([]).remaining("backup", "closed", 0)


rows = st.lists(st.tuples(*(st.floats(min_value=0, max_value=300, allow_nan=False),) * 3), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(rows=rows, phase=st.sampled_from(["planning", "execution", "validation"]),
       spent=st.floats(min_value=0, max_value=400), elapsed=st.floats(min_value=0, max_value=300),
       target=st.floats(min_value=1, max_value=400))
def test_the_band_is_ordered_lies_ahead_and_never_counts_more_than_it_lasts(rows, phase, spent, elapsed, target):
    model = ForecastModel.build(history("server", rows))
    f = model.forecast(service_type="server", phase=phase, spent_hours=spent, elapsed_sla_hours=elapsed,
                       target_hours=target, now=NOW, calendar=CAL)
    low, mid, high = f.completion
    assert NOW <= low <= mid <= high
    assert f.sla_hours[0] <= f.sla_hours[1] <= f.sla_hours[2]
    assert f.sla_hours[0] >= elapsed
    total, counted, _, _ = model.remaining("server", phase, spent)
    assert all(c <= t + 1e-9 for c, t in zip(counted, total, strict=True))
    assert (f.late_by_days > 0) == (f.outlook in (Outlook.LIKELY_LATE, Outlook.BREACHED) and f.sla_hours[1] > target)


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.floats(min_value=0, max_value=300, allow_nan=False), min_size=12, max_size=60),
       spent=st.floats(min_value=0, max_value=300))
def test_survivors_are_exactly_the_orders_that_spent_at_least_as_long(rows, spent):
    model = ForecastModel.build(history("hosting", [(p, 0, 0) for p in rows]), min_samples=1)
    total, _, n, basis = model.remaining("hosting", "planning", spent)
    survivors = [p - spent for p in rows if p >= spent]
    if survivors:
        assert n == len(survivors) and basis == "service type"
        assert total == pytest.approx(band(survivors))
    else:
        assert basis == "tail" and total == (0.0, 0.0, 0.0)
