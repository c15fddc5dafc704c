"""Time travel (issue 15.1): the board as of a moment from history rows, owner and priority at
that moment, changes since, tenancy, the 90-day window."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, SQLModel, select

from ordertrack.db.engine import make_engine
from ordertrack.db.models import Order
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.services import board as svc
from ordertrack.services import board_snapshots, order_moves, time_travel
from ordertrack.services.errors import BadInput
from tests import factories as f
from tests.conftest import NOW, scratch_pg


def _cols(snapshot):
    return {c.key: c for c in getattr(snapshot, "columns", snapshot)}


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


# --- the board as of a moment equals the live board read at that moment -------------------------

_TARGETS = {"planning": ("execution", "canceled"), "execution": ("planning", "validation", "canceled"),
            "validation": ("closed", "execution", "canceled"), "closed": (), "canceled": ()}
_STEP = st.tuples(st.integers(0, 7), st.sampled_from(("move", "move", "plan", "new")), st.integers(0, 2),
                  st.sampled_from((None, "low", "high", "urgent")), st.integers(1, 60))


def _seen(cards) -> list[tuple]:
    """What a viewer reads on a card, in the column's order."""
    return [(k.number, k.phase, k.status, k.in_phase, k.owner_name, k.priority) for k in cards]


def _replay(session, calendar, steps, checkpoint, daily=False):
    """Orders of two customers (one a reseller's) moved, re-owned and re-prioritised by ``steps``
    (hours apart, some 2 days, so closed cards leave the board after 30); the live board is read
    after ``checkpoint`` steps. ``daily``: the sweep writes the day's board snapshot after each
    step (so the moment's day is built from the day before and the others from history), else
    the board as of the moment writes it. Returns the people, the moment and the live boards then."""
    r = f.reseller(session)
    mine, other = f.customer(session, now=NOW, reseller_id=r.id), f.customer(session, now=NOW)
    owners = [f.user(session, role="operator", display_name=f"Owner {i}") for i in range(3)]
    _, reseller = f.user(session, role="reseller", reseller_id=r.id)
    staff = owners[0][1]
    t = NOW - timedelta(days=80)
    live: list = [f.order(session, customer_id=(mine, other)[i % 2].id, now=t - timedelta(hours=i)) for i in range(4)]
    boards = at = None
    for i in range(len(steps) + 1):
        if i == checkpoint:
            at = t + timedelta(minutes=30)
            boards = {(name, key): _cols(svc.load_board(session, principal=viewer, now=at, filters=flt,
                                                        limits=_ALL, calendar=calendar))
                      for name, viewer in (("staff", staff), ("reseller", reseller))
                      for key, flt in _filters(owners).items()}
            boards["staff", "small"] = _cols(svc.load_board(session, principal=staff, now=at, limits=_SMALL,
                                                            calendar=calendar))
        if i == len(steps):
            break
        pick, action, who, priority, hours = steps[i]
        t += timedelta(hours=hours if hours < 50 else 24 * (hours - 45))
        order = session.get(Order, live[pick % len(live)].id)
        session.refresh(order)
        if action == "new":
            live.append(f.order(session, customer_id=(mine, other)[pick % 2].id, now=t))
        elif action == "plan" and order.phase not in svc.DONE_PHASES:
            order_moves.update_planning(session, principal=staff, order_id=order.id, expected_version=order.version,
                                   now=t, calendar=calendar, change=order_moves.PlanningChange(
                                       None, order.planned_completion, owners[who][0].id, priority or "normal"))
        elif _TARGETS[order.phase]:
            target = _TARGETS[order.phase][pick % len(_TARGETS[order.phase])]
            order_moves.move_order(session, principal=staff, order_id=order.id, target=target, comment="step",
                              expected_version=order.version, now=t, calendar=calendar,
                              channel="email" if target == "closed" else None)
        session.commit()
        if daily:
            board_snapshots.take_due(session.get_bind(), now=t)
    return staff, reseller, owners, at, t + timedelta(hours=1), boards


_ALL = {"planning": 200, "execution": 200, "validation": 200, "done": 200}
_SMALL = {"planning": 2, "execution": 1, "validation": 200, "done": 2}


def _filters(owners) -> dict[str, svc.BoardFilters]:
    return {"none": svc.BoardFilters(), "owner": svc.BoardFilters(owner_id=owners[1][0].id),
            "urgent": svc.BoardFilters(priority="urgent"), "delayed": svc.BoardFilters(status="delayed"),
            "on track": svc.BoardFilters(status="on_track"), "search": svc.BoardFilters(search="1")}


_MOMENTS = given(steps=st.lists(_STEP, max_size=24), checkpoint=st.integers(0, 24), daily=st.booleans(),
                 path=st.sampled_from(("listed", "in SQL", "no snapshot")))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@_MOMENTS
def test_the_board_as_of_a_moment_is_the_live_board_read_then(steps, checkpoint, daily, path):
    """Random moves, owner and priority changes and new orders; the board as of a moment between
    them shows what the live board showed then: the same cards in each column (the same order,
    Customer Validation aside, which the live board sorts by deadline), totals, statuses, owners,
    priorities and time in phase, under each filter and for a reseller; and "Changes since"
    marks exactly the cards whose column changed since. The moment is read from its day's
    snapshot (written by the sweep day after day, or on demand) and the orders changed since the
    day began, which the steps (hours or days apart) often include; without any snapshot every
    order is rebuilt (``path``)."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 't.db'}")
        SQLModel.metadata.create_all(engine)
        try:
            _check_moment(engine, steps, checkpoint, daily, path)
        finally:
            engine.dispose()


@pytest.mark.postgres
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@_MOMENTS
def test_the_board_as_of_a_moment_is_the_live_board_read_then_on_postgresql(steps, checkpoint, daily, path):
    """The same on PostgreSQL, where the orders changed since the day began are passed as a list
    ("listed"), or read in SQL when there are too many."""
    with scratch_pg() as engine:
        _check_moment(engine, steps, checkpoint, daily, path)


def _check_moment(engine, steps, checkpoint, daily, path) -> None:
    calendar = BusinessCalendar(tz="Europe/London")
    checkpoint = min(checkpoint, len(steps))
    paths = {"listed": {}, "in SQL": {"LISTED_MAX": -1},
             "no snapshot": {"snapshot_day": lambda session, at, now: None}}[path]
    with ExitStack() as patches, Session(engine, expire_on_commit=False) as session:
        for name, value in paths.items():
            patches.enter_context(patch.object(board_snapshots if name == "snapshot_day" else time_travel, name, value))
        staff, reseller, owners, at, now, boards = _replay(session, calendar, steps, checkpoint, daily)
        for (who, key), live in boards.items():
            principal = staff if who == "staff" else reseller
            flt = svc.BoardFilters() if key == "small" else _filters(owners)[key]
            past = _cols(time_travel.board_as_of(session, principal=principal, at=at, now=now,
                                                 filters=flt, limits=_SMALL if key == "small" else _ALL,
                                                 changes=True))
            for column in live:
                then = past[column].cards
                assert past[column].total == live[column].total, (who, key, column)
                if column == "validation":
                    assert sorted(_seen(then)) == sorted(_seen(live[column].cards)), (who, key, column)
                else:
                    assert _seen(then) == _seen(live[column].cards), (who, key, column)
            _check_changes(session, past)


def _check_changes(session, past) -> None:
    """Each card's mark against where its order stands today."""
    for key, column in past.items():
        for card in column.cards:
            phase = session.exec(select(Order.phase).where(Order.number == card.number)).one()
            now_in = next(c.key for c in svc.COLUMNS if phase in c.phases)
            expected = "closed" if phase in svc.DONE_PHASES and card.phase not in svc.DONE_PHASES else \
                "moved" if now_in != key else ""
            assert card.change == expected, (card.number, card.phase, phase)
        assert column.moved >= sum(1 for k in column.cards if k.change == "moved")
        assert column.closed >= sum(1 for k in column.cards if k.change == "closed")
