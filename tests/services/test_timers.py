"""The timer sweep: due approvals applied exactly once, after downtime and with two sweepers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from ordertrack.db.models import Order, StatusChange
from ordertrack.services import orders as svc
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
        svc.move_order(session, principal=operator, order_id=o.id, target="validation",
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
    svc.move_order(session, principal=support, order_id=in_validation[0], target="closed",
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
            svc.move_order(session, principal=support, order_id=in_validation[0], target="closed",
                           expected_version=2, now=NOW, calendar=calendar, channel=channel)
        session.rollback()
    assert session.get(Order, in_validation[0]).phase == "validation", "a refused approval changes nothing"
    svc.move_order(session, principal=support, order_id=in_validation[0], target="closed", expected_version=2,
                   now=NOW, calendar=calendar, channel="email")
    svc.move_order(session, principal=customer_user, order_id=in_validation[1], target="closed",
                   expected_version=2, now=NOW, calendar=calendar)
    session.commit()
    notes = {r.entity_id: r.comment for r in session.exec(
        select(StatusChange).where(StatusChange.to_state == "closed"))}
    assert notes[in_validation[0]].startswith("Customer approved by e-mail (recorded by ")
    assert notes[in_validation[1]] == "Approved by the customer."
