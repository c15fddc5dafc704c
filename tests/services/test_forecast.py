"""Breach forecasts on SQLite and PostgreSQL: from closed orders' history rows, per order and
for a list, cached per day, tenant-scoped; and the demo data that feeds them."""

from __future__ import annotations

from datetime import timedelta
from statistics import median

import pytest
from sqlmodel import func, select

from ordertrack.db.models import Order, StatusChange
from ordertrack.db.notify_models import OutboxMessage
from ordertrack.db.sla_models import OrderSla
from ordertrack.domain.access import SYSTEM
from ordertrack.services import demo, forecast, sla
from ordertrack.services.errors import NotFound
from tests import factories as f
from tests.conftest import NOW  # Tuesday 24 Nov 2026 10:00 in London

H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    forecast.clear_cache()
    yield
    forecast.clear_cache()


def _closed(session, calendar, customer_id, *, start, planning, execution, service="server"):
    """A closed order whose history says: `planning` then `execution` business hours, 1 h validation."""
    o = f.order(session, customer_id=customer_id, now=start)  # its first history row: Planning at `start`
    o.phase, o.status = "closed", "closed"
    t1 = calendar.add(start, planning * H)
    t2 = calendar.add(t1, execution * H)
    t3 = calendar.add(t2, H)
    for v, (at, phase) in enumerate(((t1, "execution"), (t2, "validation"), (t3, "closed")), start=1):
        session.add(StatusChange(entity_kind="order", entity_id=o.id, from_version=v, to_state=phase, actor_name="t",
                                 at=at))
    session.flush()
    return sla.SeedOrder(o.id, service, "normal", start, ((start, "planning", "on_track"), (t1, "execution", ""),
                                                          (t2, "validation", ""), (t3, "closed", "")))


@pytest.fixture
def world(session, calendar):
    c = f.customer(session, now=NOW)
    _, op = f.user(session, role="operator")
    _, cust = f.user(session, role="customer", customer_id=c.id)
    seeds = [_closed(session, calendar, c.id, start=NOW - timedelta(days=60 + i), planning=4,
                     execution=10 + 2 * i) for i in range(20)]  # execution 10, 12, ... 48 h
    opened = f.order(session, customer_id=c.id, now=NOW - 48 * H, phase="execution",
                     phase_since=NOW - 24 * H)  # created Sunday 10:00, in Execution since Monday 10:00
    seeds.append(sla.SeedOrder(opened.id, "server", "normal", NOW - 48 * H,
                               ((NOW - 48 * H, "planning", "on_track"), (NOW - 24 * H, "execution", "on_track"))))
    sla.seed_clocks(session, seeds, now=NOW, calendar=calendar)
    session.commit()
    return dict(customer=c, op=op, cust=cust, open=opened.id, closed=[s.order_id for s in seeds[:-1]])


def test_an_open_order_is_forecast_from_the_closed_orders_of_its_service_type(session, world, calendar):
    fc = forecast.forecast_order(session, principal=world["op"], order_id=world["open"], now=NOW, calendar=calendar)
    # 8 business hours in Execution so far: every closed order outlasted that; 2..40 h left, then 1 h validation
    assert fc.samples == 20 and fc.basis == "service type and priority"
    assert fc.elapsed_hours == 9  # Monday 9-17 counted, then Tuesday 9-10
    rest = [10 + 2 * i - 8 for i in range(20)]
    assert fc.sla_hours[1] == pytest.approx(9 + median(rest))
    assert fc.completion[1] == calendar.add(NOW, (median(rest) + 1) * H)
    assert fc.target_hours == sla.default_target("server", "normal") and fc.outlook == "on_track"
    assert fc.text == "On track"


def test_an_order_past_what_its_history_allows_is_likely_late(session, world, calendar):
    row = session.get(OrderSla, world["open"])
    row.target_hours = 20  # as if its target had been 20 business hours
    session.add(row)
    session.commit()
    fc = forecast.forecast_order(session, principal=world["op"], order_id=world["open"], now=NOW, calendar=calendar)
    # 9 h used + median 21 h left = 30 h, 10 h past the target: 2 business days
    assert (fc.outlook, fc.late_by_days, fc.text) == ("likely_late", 2, "Likely late by 2 business days")


def test_a_list_is_forecast_with_one_model_and_the_model_is_kept_for_the_day(session, world, calendar, monkeypatch):
    calls = []
    real = forecast.closed_history
    monkeypatch.setattr(forecast, "closed_history", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    ids = [world["open"], *world["closed"]]
    out = forecast.forecast_orders(session, principal=world["op"], order_ids=ids, now=NOW, calendar=calendar)
    assert list(out) == [world["open"]]  # closed orders have no forecast
    forecast.forecast_orders(session, principal=world["op"], order_ids=ids, now=NOW + 5 * H, calendar=calendar)
    assert len(calls) == 1
    forecast.forecast_orders(session, principal=world["op"], order_ids=ids, now=NOW + 24 * H, calendar=calendar)
    assert len(calls) == 2  # a new day reads the history again


def test_forecasts_follow_tenancy(session, world, calendar):
    other = f.customer(session, now=NOW)
    _, stranger = f.user(session, role="customer", customer_id=other.id)
    assert forecast.forecast_orders(session, principal=stranger, order_ids=[world["open"]], now=NOW,
                                    calendar=calendar) == {}
    with pytest.raises(NotFound):
        forecast.forecast_order(session, principal=stranger, order_id=world["open"], now=NOW, calendar=calendar)
    assert world["open"] in forecast.forecast_orders(session, principal=world["cust"], order_ids=[world["open"]],
                                                     now=NOW, calendar=calendar)


def test_the_history_counts_business_hours_per_phase(session, world, calendar):
    history = forecast.closed_history(session, calendar=calendar)
    assert len(history) == 20
    assert sorted(h.hours[1] for h in history) == [10 + 2 * i for i in range(20)]
    assert {h.hours[0] for h in history} == {4} and {h.hours[2] for h in history} == {1}
    cut = forecast.closed_history(session, calendar=calendar, closed_before=history[5].closed_at)
    assert len(cut) == 5


def test_the_demo_has_a_year_of_closed_orders_with_clocks_and_nothing_due_at_load(engine, session, calendar):
    demo.load(session, now=NOW, calendar=calendar)
    session.commit()
    assert sla.sweep_due(engine, now=NOW, calendar=calendar).fired == []  # past warnings count as sent
    session.rollback()
    orders = session.exec(select(func.count()).select_from(Order)).one()
    assert session.exec(select(func.count()).select_from(OrderSla)).one() == orders > 1000
    oldest = session.exec(select(func.min(Order.created_at))).one()
    assert NOW - oldest > timedelta(days=330)
    assert session.exec(select(func.count()).select_from(OutboxMessage)
                        .where(OutboxMessage.event == "sla_threshold")).one() == 0
    history = forecast.closed_history(session, calendar=calendar)
    work = {}
    for h in history:
        work.setdefault(h.service_type, []).append(h.hours[0] + h.hours[1])
    assert set(work) == set(demo.PROFILES) and min(len(v) for v in work.values()) >= 40
    assert median(work["license"]) * 5 < median(work["network"])  # varied per service type
    late = sum(h.hours[0] + h.hours[1] > sla.default_target(h.service_type, h.priority) for h in history)
    assert 0.05 < late / len(history) < 0.4  # some breaches, not most
    open_ids = session.exec(select(Order.id).where(Order.phase.in_(["planning", "execution"]))).all()
    fcs = forecast.forecast_orders(session, principal=SYSTEM, order_ids=open_ids, now=NOW, calendar=calendar)
    assert len(fcs) == len(open_ids) and all(x.samples > 0 for x in fcs.values())
    assert session.exec(select(Order).where(Order.number == "SO-20260101")).one().id == 1  # demo numbers kept
