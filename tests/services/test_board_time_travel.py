"""Time travel (issue 15.1): the board as of a moment from history rows, owner and priority at
that moment, changes since, tenancy, the 90-day window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ordertrack.services import board as svc
from ordertrack.services import order_moves, time_travel
from ordertrack.services.errors import BadInput
from tests import factories as f
from tests.conftest import NOW


def _cols(snapshot):
    return {c.key: c for c in snapshot.columns}


def test_the_board_as_it_stood_then_and_what_changed_since(session, calendar):
    r = f.reseller(session)
    c = f.customer(session, now=NOW, reseller_id=r.id)
    other = f.customer(session, now=NOW)
    _, staff = f.user(session, role="operator", display_name="Olga")
    _, second = f.user(session, role="support", display_name="Sven")
    _, reseller = f.user(session, role="reseller", reseller_id=r.id)
    t0 = NOW - timedelta(days=10)
    a = f.order(session, customer_id=c.id, now=t0)
    b = f.order(session, customer_id=c.id, now=t0)
    hidden = f.order(session, customer_id=other.id, now=t0)
    order_moves.update_planning(session, principal=staff, order_id=a.id, expected_version=1, now=t0 + timedelta(hours=1),
                                calendar=calendar, change=order_moves.PlanningChange(None, a.planned_completion,
                                                                                     staff.user_id, "urgent"))
    order_moves.move_order(session, principal=staff, order_id=a.id, target="execution", expected_version=2,
                           now=t0 + timedelta(days=1), calendar=calendar)
    then = t0 + timedelta(days=2)
    # after "then": a changes owner and moves on, b is canceled, a new order appears
    order_moves.update_planning(session, principal=staff, order_id=a.id, expected_version=3, now=then + timedelta(hours=1),
                                calendar=calendar, change=order_moves.PlanningChange(None, a.planned_completion,
                                                                                     second.user_id, "low"))
    order_moves.move_order(session, principal=staff, order_id=a.id, target="validation", expected_version=4,
                           now=then + timedelta(days=1), calendar=calendar)
    order_moves.move_order(session, principal=staff, order_id=b.id, target="canceled", expected_version=1,
                           now=then + timedelta(days=1), calendar=calendar, comment="withdrawn")
    new = f.order(session, customer_id=c.id, now=then + timedelta(days=3))
    session.commit()

    snap = _cols(time_travel.board_as_of(session, principal=staff, at=then, now=NOW, changes=True))
    card = snap["execution"].cards[0]
    assert (card.number, card.owner_name, card.priority, card.in_phase) == (a.number, "Olga", "urgent", "1 day")
    assert (card.change, card.change_label) == ("moved", "now in Customer Validation")
    assert {k.number for k in snap["planning"].cards} == {b.number, hidden.number}
    assert {k.number: k.change for k in snap["planning"].cards}[b.number] == "closed"
    assert new.number not in {k.number for col in snap.values() for k in col.cards}
    assert (snap["execution"].moved, snap["planning"].closed, snap["planning"].appeared) == (1, 1, 1)
    # filters apply to the past values; tenants see only theirs
    urgent = _cols(time_travel.board_as_of(session, principal=staff, at=then, now=NOW,
                                           filters=svc.BoardFilters(priority="urgent")))
    assert [k.number for k in urgent["execution"].cards] == [a.number] and urgent["planning"].total == 0
    mine = _cols(time_travel.board_as_of(session, principal=reseller, at=then, now=NOW))
    assert hidden.number not in {k.number for col in mine.values() for k in col.cards}
    # before anything existed: an empty board
    assert all(col.total == 0 for col in time_travel.board_as_of(session, principal=staff,
                                                                  at=t0 - timedelta(days=1), now=NOW).columns)


@pytest.mark.parametrize("delta", [timedelta(days=91), timedelta(days=-1)])
def test_moments_outside_the_last_90_days_are_refused(session, delta):
    _, staff = f.user(session, role="operator")
    with pytest.raises(BadInput, match="within the last 90 days"):
        time_travel.board_as_of(session, principal=staff, at=NOW - delta, now=NOW)
