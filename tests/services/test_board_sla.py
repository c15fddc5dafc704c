"""The board's SLA filter ("at risk", "breached"; tenant-scoped, in the URL) and the cards' SLA level."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ordertrack.services import board as svc
from ordertrack.services import intake, sla
from ordertrack.services.errors import BadInput
from tests import factories as f
from tests.conftest import NOW

H = timedelta(hours=1)
LATER = NOW + 24 * H  # the next business day, 10:00: 8 business hours after NOW


@pytest.fixture
def world(session, calendar):
    c = f.customer(session, now=NOW, contact_email="it@c.test")
    other = f.customer(session, now=NOW)
    _, admin = f.user(session, role="admin")
    _, op = f.user(session, role="operator")
    _, cust = f.user(session, role="customer", customer_id=c.id)
    sla.set_target(session, principal=admin, service_type="server", priority="normal", target_hours=8, now=NOW)
    session.commit()

    def new(customer, at):
        created = intake.create_order(session, customer_id=customer.id, name="Test", service_type="server",
                                      items=[("server", "x")], now=at, calendar=calendar, source="test")
        session.commit()
        return created.number

    return dict(
        op=op, cust=cust,
        breached=new(c, NOW),  # 8 of 8 h at LATER
        at_risk=new(c, NOW + 4 * H),  # 4 of 8 h (50 %)
        fine=new(c, NOW + 6 * H),  # 2 of 8 h (25 %)
        other_breached=new(other, NOW),
    )


def _numbers(session, principal, level, calendar):
    columns = svc.load_board(session, principal=principal, now=LATER, filters=svc.BoardFilters(sla=level),
                             calendar=calendar)
    return {c.number for col in columns for c in col.cards}, sum(col.total for col in columns)


def _sweep(engine, session, calendar):
    sla.sweep_due(engine, now=LATER, calendar=calendar)  # the warnings, as the minute's sweep writes them
    session.expire_all()


def test_staff_filter_the_board_to_at_risk_and_breached_orders(engine, session, world, calendar):
    _sweep(engine, session, calendar)
    assert _numbers(session, world["op"], "breached", calendar) == (
        {world["breached"], world["other_breached"]}, 2)
    assert _numbers(session, world["op"], "at_risk", calendar) == ({world["at_risk"]}, 1)
    everything = svc.load_board(session, principal=world["op"], now=LATER, calendar=calendar)
    levels = {c.number: c.sla_level for col in everything for c in col.cards}
    assert levels[world["breached"]] == "breached"
    assert levels[world["at_risk"]] == "warning"
    assert levels[world["fine"]] == "ok"


def test_the_sla_filter_stays_in_the_tenants_scope(engine, session, world, calendar):
    _sweep(engine, session, calendar)
    assert _numbers(session, world["cust"], "breached", calendar) == ({world["breached"]}, 1)
    assert _numbers(session, world["cust"], "at_risk", calendar) == ({world["at_risk"]}, 1)


def test_the_sla_filter_round_trips_through_the_url_and_bad_levels_are_refused():
    f_ = svc.BoardFilters(sla="at_risk")
    assert f_.to_params() == {"sla": "at_risk"}
    assert svc.BoardFilters.from_params({"sla": "at_risk"}, staff=False) == f_
    assert svc.BoardFilters.from_params({"sla": "late"}, staff=True) == svc.BoardFilters()
    with pytest.raises(BadInput):
        svc.BoardFilters(sla="late").validated()
