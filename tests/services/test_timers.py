"""The timer sweep: due approvals applied exactly once, after downtime and with two sweepers."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from ordertrack.db.models import Order, StatusChange
from ordertrack.services import order_moves, order_views
from ordertrack.services.timers import sweep
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def in_validation(session, calendar):
    c = f.customer(session, now=NOW)
    _, operator = f.user(session, role="operator")
    ids = []
    for _ in range(3):
        o = f.order(session, customer_id=c.id, now=NOW, phase="execution")
        order_moves.move_order(session, principal=operator, order_id=o.id, target="validation",
                               expected_version=1, now=NOW, calendar=calendar)
        ids.append(o.id)
    session.commit()
    return ids


def _closed_by_system(session, ids):
    return session.exec(
        select(StatusChange).where(StatusChange.entity_id.in_(ids), StatusChange.to_state == "closed")
    ).all()


def test_nothing_happens_before_the_deadline(engine, session, in_validation, calendar):
    result = sweep(engine, now=NOW + timedelta(days=2) - timedelta(seconds=1), calendar=calendar)
    assert result.applied == []


def test_auto_approval_after_two_days(engine, session, in_validation, calendar):
    result = sweep(engine, now=NOW + timedelta(days=2), calendar=calendar)
    assert sorted(result.applied) == sorted(in_validation)
    session.expire_all()
    for oid in in_validation:
        order = session.get(Order, oid)
        assert (order.phase, order.status, order.due_kind) == ("closed", "closed", None)
    rows = _closed_by_system(session, in_validation)
    assert {r.comment for r in rows} == {"approved automatically after 2 days"}
    assert {r.actor_name for r in rows} == {"System"}


def test_restart_after_long_downtime_applies_each_once(engine, session, in_validation, calendar):
    late = NOW + timedelta(days=9)
    first = sweep(engine, now=late, calendar=calendar)
    second = sweep(engine, now=late + timedelta(seconds=1), calendar=calendar)
    assert len(first.applied) == 3 and second.applied == []
    assert len(_closed_by_system(session, in_validation)) == 3


def test_two_sweepers_at_once_never_double(engine, session, in_validation, calendar):
    results = []
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        results.append(sweep(engine, now=NOW + timedelta(days=3), calendar=calendar))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(sum((r.applied for r in results), [])) == sorted(in_validation)
    assert len(_closed_by_system(session, in_validation)) == 3


def test_approval_by_support_before_deadline_cancels_the_timer(engine, session, in_validation, calendar):
    _, support = f.user(session, role="support")
    session.commit()
    order_moves.move_order(session, principal=support, order_id=in_validation[0], target="closed",
                           expected_version=2, now=NOW + timedelta(hours=5), calendar=calendar, channel="telephone",
                           comment="Called at 10:05")
    session.commit()
    result = sweep(engine, now=NOW + timedelta(days=3), calendar=calendar)
    assert sorted(result.applied) == sorted(in_validation[1:])
    rows = _closed_by_system(session, in_validation)
    assert len(rows) == 3
    assert sum(r.comment.startswith("Customer approved by telephone") and r.comment.endswith("Called at 10:05")
               for r in rows) == 1


def test_support_must_say_how_the_customer_approved_and_the_history_says_it(session, in_validation, calendar):
    from ordertrack.services.errors import BadInput

    _, support = f.user(session, role="support")
    _, customer_user = f.user(session, role="customer",
                              customer_id=session.get(Order, in_validation[1]).customer_id)
    session.commit()
    for channel in (None, "fax", ""):
        with pytest.raises(BadInput, match="by e-mail or by telephone"):
            order_moves.move_order(session, principal=support, order_id=in_validation[0], target="closed",
                                   expected_version=2, now=NOW, calendar=calendar, channel=channel)
        session.rollback()
    assert session.get(Order, in_validation[0]).phase == "validation", "a refused approval changes nothing"
    order_moves.move_order(session, principal=support, order_id=in_validation[0], target="closed", expected_version=2,
                           now=NOW, calendar=calendar, channel="email")
    order_moves.move_order(session, principal=customer_user, order_id=in_validation[1], target="closed",
                           expected_version=2, now=NOW, calendar=calendar)
    session.commit()
    notes = {r.entity_id: r.comment for r in session.exec(
        select(StatusChange).where(StatusChange.to_state == "closed"))}
    assert notes[in_validation[0]].startswith("Customer approved by e-mail (recorded by ")
    assert notes[in_validation[1]] == "Approved by the customer."


def _closing(session, order_id):
    session.expire_all()
    row = session.exec(select(StatusChange).where(StatusChange.entity_id == order_id,
                                                  StatusChange.to_state == "closed")).one()
    session.rollback()
    return row


def test_on_time_the_approval_takes_effect_at_its_deadline_with_the_plain_note(engine, session, in_validation,
                                                                               calendar):
    deadline = NOW + timedelta(days=2)
    sweep(engine, now=deadline + timedelta(seconds=3), calendar=calendar)
    row = _closing(session, in_validation[0])
    assert (row.at, row.applied_at, row.comment) == (
        deadline, deadline + timedelta(seconds=3), "approved automatically after 2 days")
    assert session.get(Order, in_validation[0]).phase_since == deadline


def test_after_downtime_the_approval_is_recorded_at_its_deadline_and_says_when_it_was_applied(
        engine, session, in_validation, calendar):
    deadline, back = NOW + timedelta(days=2), datetime(2026, 11, 27, 9, 29, tzinfo=UTC)
    sweep(engine, now=back, calendar=calendar)
    row = _closing(session, in_validation[0])
    assert row.at == deadline and row.applied_at == back
    assert row.comment == ("approved automatically after 2 days (at its deadline 2026-11-26 10:00; "
                           "applied 2026-11-27 09:29 after downtime)")  # business time, Europe/London
    order = session.get(Order, in_validation[0])
    assert order.phase_since == deadline, "time in Closed counts from the deadline"
    detail = order_views.get_order(session, principal=f.user(session, role="admin")[1], number=order.number, now=back)
    assert detail.history[0].at == deadline and "after downtime" in detail.history[0].comment


def test_a_late_delayed_timer_is_also_recorded_at_its_deadline(engine, session, calendar):
    c = f.customer(session, now=NOW)
    _, staff = f.user(session, role="operator")
    o = f.order(session, customer_id=c.id, now=NOW, phase="planning", planned=(NOW + timedelta(days=2)).date())
    order_moves.update_planning(session, principal=staff, order_id=o.id, expected_version=1, now=NOW, calendar=calendar,
                                change=order_moves.PlanningChange(None, o.planned_completion, None, "high"))
    session.commit()
    midnight = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # the day after the planned date, London time
    assert session.get(Order, o.id).due_at == midnight
    sweep(engine, now=midnight + timedelta(hours=9), calendar=calendar)
    session.expire_all()
    row = session.exec(select(StatusChange).where(StatusChange.entity_id == o.id, StatusChange.to_tracking ==
                                                  "delayed")).one()
    assert row.at == midnight and row.applied_at == midnight + timedelta(hours=9)
    assert row.comment == ("planned completion 2026-11-26 has passed (at its deadline 2026-11-27 00:00; "
                           "applied 2026-11-27 09:00 after downtime)")
    assert session.get(Order, o.id).status_since == midnight


def test_small_batches_still_apply_everything_once(engine, session, in_validation, calendar):
    result = sweep(engine, now=NOW + timedelta(days=3), calendar=calendar, batch=2)
    assert sorted(result.applied) == sorted(in_validation)
    assert sweep(engine, now=NOW + timedelta(days=3), calendar=calendar, batch=2).applied == []
    assert len(_closed_by_system(session, in_validation)) == 3


def test_one_broken_row_never_blocks_the_sweep_and_is_logged_once(engine, session, in_validation, calendar,
                                                                  caplog):
    broken = in_validation[1]
    session.get(Order, broken).due_kind = "order:nowhere"  # bad data: no such phase
    session.commit()
    late = NOW + timedelta(days=3)
    with caplog.at_level(logging.INFO):
        first = sweep(engine, now=late, calendar=calendar, batch=2)
        again = sweep(engine, now=late + timedelta(seconds=1), calendar=calendar, batch=2)
    assert sorted(first.applied) == sorted(set(in_validation) - {broken}) and first.failed == 1
    assert again.applied == [] and again.failed == 0, "set aside: not retried every second"
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and f"order {broken}" in lines[0].getMessage() and lines[0].exc_info is None
    session.expire_all()
    assert session.get(Order, broken).phase == "validation"
    session.get(Order, broken).due_kind = "order:closed"  # repaired
    session.commit()
    retried = sweep(engine, now=late + timedelta(minutes=1), calendar=calendar)
    assert retried.applied == [broken], "retried after its back-off"


def test_a_bug_on_one_row_rolls_back_only_that_row_and_logs_its_traceback(engine, session, in_validation,
                                                                         calendar, monkeypatch, caplog):
    from ordertrack.services import process_queue

    real = process_queue.after_order_move

    def buggy(session, *, order_id, **kw):
        if order_id == in_validation[0]:
            raise KeyError("bug")
        return real(session, order_id=order_id, **kw)

    monkeypatch.setattr(process_queue, "after_order_move", buggy)
    with caplog.at_level(logging.ERROR):
        result = sweep(engine, now=NOW + timedelta(days=3), calendar=calendar)
    assert sorted(result.applied) == sorted(in_validation[1:]) and result.failed == 1
    [line] = caplog.records
    assert line.exc_info is not None
    session.expire_all()
    assert session.get(Order, in_validation[0]).phase == "validation", "its move was rolled back with it"
    assert len(_closed_by_system(session, in_validation)) == 2


def test_a_database_that_goes_away_aborts_the_sweep_instead_of_failing_each_row(engine, session, in_validation,
                                                                              calendar, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from ordertrack.db.errors import DatabaseUnavailable
    from ordertrack.services import timers

    calls = []

    def gone(*args, **kw):
        calls.append(1)
        raise OperationalError("UPDATE orders", {}, ConnectionResetError("server closed the connection"))

    monkeypatch.setattr(timers, "move_order", gone)
    with pytest.raises((OperationalError, DatabaseUnavailable)):  # session_scope words it for people
        sweep(engine, now=NOW + timedelta(days=3), calendar=calendar)
    assert len(calls) == 1
    monkeypatch.undo()
    assert sorted(sweep(engine, now=NOW + timedelta(days=3), calendar=calendar).applied) == sorted(in_validation), \
        "nothing was set aside: the next sweep applies them all"


@pytest.mark.parametrize("engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_on_postgresql_a_second_sweeper_takes_the_rows_the_first_does_not_hold(engine, session, in_validation,
                                                                              calendar):
    from sqlmodel import Session

    from ordertrack.services.timers import due_orders

    late = NOW + timedelta(days=3)
    with Session(engine) as first:  # the first sweeper has claimed a batch and is still applying it
        held = [t.order_id for t in due_orders(first, now=late, limit=1, lock=True)]
        assert len(held) == 1
        done = {}
        t = threading.Thread(target=lambda: done.update(r=sweep(engine, now=late, calendar=calendar)))
        t.start()
        t.join(30)
        assert not t.is_alive(), "the second sweeper skips the locked row instead of waiting for it"
        assert sorted(done["r"].applied) == sorted(set(in_validation) - set(held))
        first.rollback()
    assert sweep(engine, now=late, calendar=calendar).applied == held


SWEEPER = """
import json, sys, time
from datetime import datetime
from sqlalchemy import event
from ordertrack.db.engine import make_engine
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.services.timers import sweep

url, schema, now, start_at = sys.argv[1:]
engine = make_engine(url)
if schema:
    @event.listens_for(engine, "connect")
    def _path(dbapi_connection, _record):
        cur = dbapi_connection.cursor()
        cur.execute(f'SET search_path TO "{schema}"')
        cur.close()
        dbapi_connection.commit()
with engine.connect():
    pass
while time.time() < float(start_at):
    time.sleep(0.005)
result = sweep(engine, now=datetime.fromisoformat(now), calendar=BusinessCalendar(tz="Europe/London"), batch=5)
print(json.dumps(result.applied))
"""


def test_four_sweeper_processes_apply_every_due_timer_exactly_once(engine, session, calendar):
    import json
    import subprocess
    import sys
    import time
    from pathlib import Path

    from sqlalchemy import func, text

    from ordertrack.db.notify_models import OutboxMessage

    c = f.customer(session, now=NOW, contact_email="it@customer.test")
    due = [f.order(session, customer_id=c.id, now=NOW - timedelta(days=3), phase="validation", status="validation",
                   due_kind="order:closed", due_at=NOW - timedelta(minutes=i)).id for i in range(120)]
    session.commit()
    with engine.connect() as conn:
        schema = conn.execute(text("select current_schema()")).scalar() if engine.dialect.name == "postgresql" else ""
    start_at = time.time() + 3
    procs = [subprocess.Popen([sys.executable, "-c", SWEEPER, engine.url.render_as_string(hide_password=False), schema,
                               NOW.isoformat(), repr(start_at)], cwd=Path(__file__).resolve().parents[2],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    applied = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        applied.append(json.loads(out.strip().splitlines()[-1]))
    everything = [oid for part in applied for oid in part]
    assert sorted(everything) == sorted(due), "0 doubled, 0 missed"
    session.expire_all()
    closings = session.exec(select(StatusChange.entity_id, func.count()).where(StatusChange.to_state == "closed")
                            .group_by(StatusChange.entity_id)).all()
    mails = session.exec(select(OutboxMessage.order_id, func.count()).group_by(OutboxMessage.order_id)).all()
    assert sorted(closings) == sorted(mails) == sorted((oid, 1) for oid in due), "one history row and one e-mail each"
    session.rollback()
