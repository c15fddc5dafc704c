"""Board windows, tenancy, the one-month rule, the Closed tab, Delayed and Approve ETI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ordertrack.db.models import Order, OrderItem, StatusChange
from ordertrack.services import board as svc
from ordertrack.services import order_moves
from ordertrack.services.timers import sweep
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(session):
    r = f.reseller(session)
    mine = f.customer(session, now=NOW, reseller_id=r.id)
    other = f.customer(session, now=NOW)
    _, cust = f.user(session, role="customer", customer_id=mine.id)
    _, staff = f.user(session, role="operator")
    session.commit()
    return dict(mine=mine, other=other, cust=cust, staff=staff)


def _columns(session, principal, **kw):
    return {c.key: c for c in svc.load_board(session, principal=principal, now=NOW, **kw)}


def test_columns_hold_a_window_and_the_total(session, world):
    for _ in range(7):
        f.order(session, customer_id=world["mine"].id, now=NOW - timedelta(days=1), phase="execution")
    session.commit()
    cols = _columns(session, world["staff"], limits={"execution": 3})
    assert cols["execution"].total == 7
    assert len(cols["execution"].cards) == 3
    assert [c.title for c in cols.values()] == [
        "Planning and Provisioning", "Execution", "Customer Validation", "Canceled / Closed"]


def test_customer_board_shows_only_own_orders(session, world):
    own = f.order(session, customer_id=world["mine"].id, now=NOW)
    f.order(session, customer_id=world["other"].id, now=NOW)
    session.commit()
    cols = _columns(session, world["cust"])
    assert [c.number for c in cols["planning"].cards] == [own.number]


def test_closed_cards_leave_the_board_after_a_month_but_stay_in_closed_tab(session, world):
    recent = f.order(session, customer_id=world["mine"].id, now=NOW - timedelta(days=29), phase="closed",
                     status="closed")
    old = f.order(session, customer_id=world["mine"].id, now=NOW - timedelta(days=31), phase="canceled",
                  status="canceled")
    session.commit()
    cols = _columns(session, world["staff"])
    assert [c.number for c in cols["done"].cards] == [recent.number]
    page = svc.closed_orders(session, principal=world["staff"])
    assert {c.number for c in page.cards} == {recent.number, old.number}
    page = svc.closed_orders(session, principal=world["staff"], search=old.number, limit=1)
    assert [c.number for c in page.cards] == [old.number] and page.total == 1


def test_validation_card_says_when_it_auto_approves(session, world, calendar):
    o = f.order(session, customer_id=world["mine"].id, now=NOW, phase="execution")
    order_moves.move_order(session, principal=world["staff"], order_id=o.id, target="validation",
                           expected_version=1, now=NOW - timedelta(hours=21), calendar=calendar)
    session.commit()
    card = _columns(session, world["cust"])["validation"].cards[0]
    assert (card.status_label, card.deadline) == ("Validation", "auto-approves in 1 day 3 h")


def test_staff_filters_and_bad_filter(session, world):
    a = f.order(session, customer_id=world["mine"].id, now=NOW, priority="urgent")
    f.order(session, customer_id=world["other"].id, now=NOW)
    session.commit()
    cols = _columns(session, world["staff"], filters=svc.BoardFilters(priority="urgent"))
    assert [c.number for c in cols["planning"].cards] == [a.number]
    with pytest.raises(Exception, match="Unknown priority"):
        _columns(session, world["staff"], filters=svc.BoardFilters(priority="whenever"))


def test_order_turns_delayed_when_planned_date_passes_and_back_when_moved(engine, session, world, calendar):
    o = f.order(session, customer_id=world["mine"].id, now=NOW, phase="planning",
                planned=(NOW + timedelta(days=2)).date())
    # any write computes the timer: set owner/priority through the planning service
    order_moves.update_planning(session, principal=world["staff"], order_id=o.id, expected_version=1,
                                change=order_moves.PlanningChange(None, o.planned_completion, None, "high"),
                                now=NOW, calendar=calendar)
    session.commit()
    assert session.get(Order, o.id).due_kind == "status:delayed"
    assert sweep(engine, now=NOW + timedelta(days=2), calendar=calendar).applied == []
    assert sweep(engine, now=NOW + timedelta(days=3, hours=1), calendar=calendar).applied == [o.id]
    session.expire_all()
    order = session.get(Order, o.id)
    assert order.status == "delayed"
    last = session.exec(select(StatusChange).where(StatusChange.entity_id == o.id)
                        .order_by(StatusChange.from_version.desc())).first()
    assert "has passed" in last.comment and last.actor_name == "System"
    order_moves.update_planning(session, principal=world["staff"], order_id=o.id, expected_version=order.version,
                                change=order_moves.PlanningChange(None, (NOW + timedelta(days=10)).date(), None, "high"),
                                now=NOW + timedelta(days=3, hours=2), calendar=calendar)
    session.commit()
    assert session.get(Order, o.id).status == "on_track"


def test_approve_eti_returns_the_order_to_its_status(session, world, calendar):
    o = f.order(session, customer_id=world["mine"].id, now=NOW, phase="execution", status="approve_eti",
                items=(("server", "eti_approval"), ("colocation", "eti_approval")))
    session.commit()
    item = session.exec(select(OrderItem).where(OrderItem.order_id == o.id, OrderItem.kind == "server")).one()
    card = order_moves.approve_item_eti(session, principal=world["staff"], order_id=o.id, item_id=item.id,
                                        expected_version=1, now=NOW, calendar=calendar)
    # the colocation item still waits, but colocation never counts toward tracking status
    assert card.status == "on_track"
    with pytest.raises(Exception, match="Only staff"):
        order_moves.approve_item_eti(session, principal=world["cust"], order_id=o.id, item_id=item.id,
                                     expected_version=2, now=NOW, calendar=calendar)


# ---------------------------------------------------------------- issue 18.4: filters everywhere, card facts


def test_closed_tab_honours_the_customer_and_status_filters(session, world):
    mine = f.order(session, customer_id=world["mine"].id, now=NOW - timedelta(days=2), phase="closed",
                   status="closed")
    f.order(session, customer_id=world["other"].id, now=NOW - timedelta(days=2), phase="closed", status="closed")
    canceled = f.order(session, customer_id=world["mine"].id, now=NOW - timedelta(days=3), phase="canceled",
                       status="canceled")
    session.commit()
    page = svc.closed_orders(session, principal=world["staff"], filters=svc.BoardFilters(customer_id=world["mine"].id))
    assert {c.number for c in page.cards} == {mine.number, canceled.number} and page.total == 2
    page = svc.closed_orders(session, principal=world["staff"],
                             filters=svc.BoardFilters(customer_id=world["mine"].id, status="canceled"))
    assert [c.number for c in page.cards] == [canceled.number]


def test_a_tenants_customer_filter_never_widens_its_scope(session, world):
    theirs = f.order(session, customer_id=world["other"].id, now=NOW)
    session.commit()
    cols = _columns(session, world["cust"], filters=svc.BoardFilters(customer_id=world["other"].id))
    assert theirs.number not in {c.number for col in cols.values() for c in col.cards}


def test_resellers_get_their_own_customers_as_filter_choices(session, world):
    _, reseller = f.user(session, role="reseller", reseller_id=world["mine"].reseller_id)
    session.commit()
    options = svc.filter_options(session, principal=reseller)
    assert options["customers"] == ((str(world["mine"].id), world["mine"].name),)
    assert svc.filter_options(session, principal=world["cust"])["customers"] == ()


def test_filters_round_trip_through_the_url_and_bad_values_are_dropped():
    f_ = svc.BoardFilters(search="fibre", customer_id=7, status="delayed", owner_id=3, priority="high")
    assert svc.BoardFilters.from_params(f_.to_params(), staff=True) == f_
    assert svc.BoardFilters.from_params(f_.to_params(), staff=False) == svc.BoardFilters(
        search="fibre", customer_id=7, status="delayed")
    bad = {"q": ["x"], "customer": "abc", "status": "lost", "owner": "-1", "priority": "asap"}
    assert svc.BoardFilters.from_params(bad, staff=True) == svc.BoardFilters()


def test_cards_show_owner_priority_and_a_deadline_for_delayed_and_approve_eti(session, world, calendar):
    from ordertrack.services import sla

    delayed = f.order(session, customer_id=world["mine"].id, now=NOW - timedelta(days=5), phase="execution",
                      status="delayed", planned=(NOW - timedelta(days=2)).date(), priority="urgent",
                      owner_id=world["staff"].user_id)
    eti = f.order(session, customer_id=world["mine"].id, now=NOW - timedelta(days=1), phase="execution",
                  status="approve_eti", items=(("server", "eti_approval"),))
    bare = f.order(session, customer_id=world["mine"].id, now=NOW - timedelta(days=1), phase="planning",
                   status="delayed", planned=(NOW - timedelta(days=1)).date())
    for o in (delayed, eti):
        sla.start_clock(session, order_id=o.id, service_type="server", now=o.created_at, calendar=calendar)
    session.commit()
    cards = {c.number: c for col in _columns(session, world["staff"], calendar=calendar).values() for c in col.cards}
    d = cards[delayed.number]
    assert (d.owner_name, d.priority, d.priority_label) == (world["staff"].display_name, "urgent", "Urgent")
    assert d.deadline.startswith("SLA") and d.deadline_level in ("ok", "warning", "breached")
    assert cards[eti.number].deadline.startswith("SLA")
    assert cards[bare.number].deadline == f"planned completion {bare.planned_completion} has passed"
    assert cards[bare.number].deadline_level == "breached" and cards[bare.number].owner_name == ""
