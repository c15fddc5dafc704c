"""Daily board snapshots (time travel, issue 15.1): what a day holds, which days the sweep writes
and drops, and the days a timer applied late makes wrong."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from ordertrack.db.board_models import BoardSnapshot, BoardSnapshotDay
from ordertrack.db.models import Order
from ordertrack.services import board_snapshots, order_moves, time_travel, timers
from tests import factories as f
from tests.conftest import NOW


def _days(session) -> list:
    session.expire_all()
    days = sorted(d.astimezone(NOW.tzinfo) for d in session.exec(select(BoardSnapshotDay.day)).all())
    session.commit()  # the sweep writes next (SQLite: one writer)
    return days


def _held(session, day) -> dict[int, tuple]:
    held = {s.order_id: (s.phase, s.phase_since.astimezone(NOW.tzinfo), s.priority)
            for s in session.exec(select(BoardSnapshot).where(BoardSnapshot.day == day)).all()}
    session.commit()
    return held


def test_each_day_holds_every_order_as_it_stood_when_the_day_began(engine, session, calendar):
    c = f.customer(session, now=NOW)
    _, staff = f.user(session, role="operator")
    t0 = NOW - timedelta(days=40)
    a = f.order(session, customer_id=c.id, now=t0)
    gone = f.order(session, customer_id=c.id, now=t0)
    moved_at = board_snapshots.day_of(NOW - timedelta(days=5)) + timedelta(hours=13)
    order_moves.move_order(session, principal=staff, order_id=a.id, target="execution", expected_version=1,
                           now=moved_at, calendar=calendar)
    order_moves.move_order(session, principal=staff, order_id=gone.id, target="canceled", expected_version=1,
                           now=t0 + timedelta(days=2), calendar=calendar, comment="withdrawn")
    late = f.order(session, customer_id=c.id, now=NOW - timedelta(days=2, hours=1))
    session.commit()

    assert board_snapshots.take_due(engine, now=NOW) == 91  # the last 90 days and today, settled
    assert board_snapshots.take_due(engine, now=NOW) == 0  # once
    days = _days(session)
    assert days[0] == board_snapshots.day_of(NOW - board_snapshots.HORIZON)
    assert days[-1] == board_snapshots.day_of(NOW) and len(set(days)) == 91
    before, after = board_snapshots.day_of(moved_at), board_snapshots.day_of(moved_at) + timedelta(days=1)
    assert _held(session, before)[a.id][:2] == ("planning", t0)
    assert _held(session, after)[a.id][:2] == ("execution", moved_at)
    # a canceled order stays in the done column for a month, then leaves the snapshots
    assert gone.id in _held(session, board_snapshots.day_of(t0 + timedelta(days=31)))
    assert gone.id not in _held(session, board_snapshots.day_of(t0 + timedelta(days=33)))
    # an order is in the days after it was created only
    assert late.id not in _held(session, board_snapshots.day_of(NOW - timedelta(days=2)))
    assert late.id in _held(session, board_snapshots.day_of(NOW - timedelta(days=1)))

    # the next day: written once it has settled, and the oldest day leaves the horizon
    tomorrow = board_snapshots.day_of(NOW) + timedelta(days=1)
    assert board_snapshots.take_due(engine, now=tomorrow + timedelta(minutes=1)) == 0
    assert board_snapshots.take_due(engine, now=tomorrow + board_snapshots.SETTLE) == 1
    assert _days(session)[-1] == tomorrow and _days(session)[0] == days[1] and len(_days(session)) == 91


def test_a_missing_day_is_written_when_someone_travels_to_it(engine, session, calendar):
    c = f.customer(session, now=NOW)
    _, staff = f.user(session, role="operator")
    a = f.order(session, customer_id=c.id, now=NOW - timedelta(days=20))
    session.commit()
    at = NOW - timedelta(days=10, hours=3)
    snap = time_travel.board_as_of(session, principal=staff, at=at, now=NOW)
    assert [k.number for k in snap.columns[0].cards] == [a.number]
    assert _days(session) == [board_snapshots.day_of(at)]
    assert _held(session, board_snapshots.day_of(at)) == {a.id: ("planning", a.created_at, "normal")}


def test_a_timer_applied_late_drops_the_days_it_changed_and_they_are_written_again(engine, session, calendar):
    c = f.customer(session, now=NOW)
    _, staff = f.user(session, role="operator")
    t0 = NOW - timedelta(days=20)
    a = f.order(session, customer_id=c.id, now=t0)
    order_moves.move_order(session, principal=staff, order_id=a.id, target="execution", expected_version=1,
                           now=t0 + timedelta(hours=1), calendar=calendar)
    order_moves.move_order(session, principal=staff, order_id=a.id, target="validation", expected_version=2,
                           now=t0 + timedelta(hours=2), calendar=calendar)
    session.commit()
    due = session.get(Order, a.id).due_at
    assert due is not None and due < NOW - timedelta(days=10)  # auto-approval, long overdue
    down_until = due + timedelta(days=3)
    board_snapshots.take_due(engine, now=down_until)  # the snapshots went on while the sweep failed
    assert _held(session, board_snapshots.day_of(due) + timedelta(days=1))[a.id][0] == "validation"

    timers.sweep(engine, now=down_until, calendar=calendar)  # applied at its deadline, three days late
    assert _days(session)[-1] < due  # the days from the deadline on are gone ...
    after = due + timedelta(days=1, hours=2)
    snap = {col.key: col for col in time_travel.board_as_of(session, principal=staff, at=after, now=NOW).columns}
    assert [k.number for k in snap["done"].cards] == [a.number] and snap["validation"].total == 0
    session.commit()
    board_snapshots.take_due(engine, now=down_until)  # ... and written again with the move
    assert _held(session, board_snapshots.day_of(due) + timedelta(days=1))[a.id][:2] == ("closed", due)


def test_a_day_built_while_a_late_timer_drops_it_is_dropped_too():
    """PostgreSQL: a build still open when a late timer's ``forget`` runs must not survive it
    (it read history from before the timer's row)."""
    import threading

    from sqlmodel import Session

    from tests.conftest import scratch_pg

    day = board_snapshots.day_of(NOW - timedelta(days=2))
    with scratch_pg() as eng:
        building = Session(eng)
        finished = threading.Event()

        def late_timer() -> None:
            with Session(eng) as session:
                board_snapshots.forget(session, since=day - timedelta(hours=1))
                session.commit()
            finished.set()

        thread = threading.Thread(target=late_timer)
        try:
            assert board_snapshots.build(building, day=day, now=NOW) == 0  # written, not yet committed
            thread.start()
            assert not finished.wait(0.5)  # it waits for the build ...
            building.commit()
        finally:
            building.close()
        assert finished.wait(10)  # ... and then drops the day just built
        thread.join()
        with Session(eng) as session:
            assert session.exec(select(BoardSnapshotDay)).all() == []
