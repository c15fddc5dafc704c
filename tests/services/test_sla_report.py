"""The managers' SLA report on SQLite and PostgreSQL: warnings and breaches per week, orders at
risk, time per phase and forecast accuracy of closed orders; filters; tenant scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ordertrack.db.models import Order
from ordertrack.services import intake, order_moves, sla, sla_report
from ordertrack.services.errors import BadInput, Forbidden
from tests import factories as f
from tests.conftest import NOW  # Tuesday 24 Nov 2026 10:00 in London

H = timedelta(hours=1)


@pytest.fixture
def world(session, calendar):
    r1, r2 = f.reseller(session), f.reseller(session)
    c1 = f.customer(session, now=NOW, reseller_id=r1.id)
    c2 = f.customer(session, now=NOW, reseller_id=r2.id)
    _, admin = f.user(session, role="admin")
    _, op = f.user(session, role="operator")
    _, manager = f.user(session, role="manager")
    _, res1 = f.user(session, role="reseller", reseller_id=r1.id)
    _, cust = f.user(session, role="customer", customer_id=c1.id)
    sla.set_target(session, principal=admin, service_type="server", priority="normal", target_hours=8, now=NOW)
    session.commit()
    ids = {}
    for name, customer, service in (("a", c1, "server"), ("b", c1, "hosting"), ("c", c2, "server")):
        ids[name] = intake.create_order(session, customer_id=customer.id, name=name, service_type=service,
                                        items=[(service, "x")], now=NOW - 7 * 24 * H, calendar=calendar,
                                        source="test").id
    session.commit()
    return dict(r1=r1, manager=manager, res1=res1, cust=cust, op=op, ids=ids)


def _close(session, world, calendar, order_id, at):
    for target in ("execution", "validation", "closed"):
        version = session.exec(select(Order.version).where(Order.id == order_id)).one()
        order_moves.move_order(session, principal=world["op"], order_id=order_id, target=target, expected_version=version,
                               now=at, calendar=calendar, comment="done", channel="email" if target == "closed" else None)
        at += 2 * H
    session.commit()


def test_breaches_and_warnings_per_week_and_the_orders_at_risk(engine, session, world, calendar):
    sla.sweep_due(engine, now=NOW, calendar=calendar, base_url="http://t")
    report = sla_report.report(session, principal=world["manager"], filters=sla_report.Filters(period="4w"),
                               now=NOW, calendar=calendar)
    assert [w.week for w in report.weeks] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert report.breaches == 3 and report.warnings == 6  # three orders a week old: 50, 75 and 100 % each
    assert sum(w.breaches for w in report.weeks if w.week == "2026-11-16") == 3  # crossed last week
    assert [r.level for r in report.at_risk] == ["breached"] * 3
    assert report.open_clocks == 3


def test_filters_and_tenant_scope(engine, session, world, calendar):
    sla.sweep_due(engine, now=NOW, calendar=calendar, base_url="http://t")
    own = sla_report.report(session, principal=world["res1"], filters=sla_report.Filters(period="4w"), now=NOW,
                            calendar=calendar)
    assert own.breaches == 2 and own.open_clocks == 2, "a reseller sees its own customers' orders only"
    assert sla_report.resellers(session, principal=world["res1"]) == ((world["r1"].id, world["r1"].name),)
    hosting = sla_report.report(session, principal=world["manager"],
                                filters=sla_report.Filters(service_type="hosting", period="4w"), now=NOW,
                                calendar=calendar)
    assert hosting.open_clocks == 1 and hosting.breaches == 1  # hosting: 16 h, a week old
    with pytest.raises(Forbidden):
        sla_report.report(session, principal=world["res1"], filters=sla_report.Filters(reseller_id=world["r1"].id + 1),
                          now=NOW, calendar=calendar)
    with pytest.raises(Forbidden):
        sla_report.report(session, principal=world["cust"], filters=sla_report.Filters(), now=NOW, calendar=calendar)
    with pytest.raises(BadInput):
        sla_report.report(session, principal=world["manager"], filters=sla_report.Filters(period="1y"), now=NOW,
                          calendar=calendar)
    with pytest.raises(BadInput):
        sla_report.report(session, principal=world["manager"], filters=sla_report.Filters(service_type="x"),
                          now=NOW, calendar=calendar)


def test_closed_orders_give_time_per_phase_and_the_share_that_met_the_target(engine, session, world, calendar):
    _close(session, world, calendar, world["ids"]["a"], NOW - 7 * 24 * H + 2 * H)  # within 8 business hours
    _close(session, world, calendar, world["ids"]["c"], NOW - 24 * H)  # days later: missed
    report = sla_report.report(session, principal=world["manager"], filters=sla_report.Filters(period="4w"),
                               now=NOW, calendar=calendar)
    assert report.met_percent == 50
    phases = {(p.service_type, p.phase): p for p in report.phase_times}
    assert phases[("server", "execution")].orders == 2
    assert phases[("server", "execution")].median_days == pytest.approx(0.25, abs=0.05)  # 2 of 8 business hours
    assert report.open_clocks == 1
