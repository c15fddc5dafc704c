"""Timed tasks at run time (issue #14.6): a 24 Hour Wait cannot be processed before its wait
ends and completes by itself; a 48 Hour Auto Expire expires by itself; an Escalation 2 Hours
tells its target after 2 business hours; each is in the order's history. Process
notifications ("Order completed", "Task completed") go out exactly once, whichever way the
order completes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from ordertrack.db.models import Order, StatusChange
from ordertrack.db.notify_models import OutboxMessage
from ordertrack.db.process_models import TaskInstance
from ordertrack.domain import process as p
from ordertrack.domain import process_edit as e
from ordertrack.services import (
    intake,
    order_moves,
    process_design,
    process_queue,
    process_run,
    timers,
)
from ordertrack.services.errors import BadInput
from tests import factories as f
from tests.conftest import NOW

T = p.TaskDef


@pytest.fixture
def world(session, calendar):
    _, admin = f.user(session, role="admin")
    owner, op = f.user(session, role="operator", email="mia@ops.test")
    customer = f.customer(session, now=NOW, contact_email="it@c.test")
    session.commit()
    return dict(admin=admin, op=op, owner=owner, customer=customer)


def _queue(session, admin, build, *, notify=()):
    pid = process_design.create_process(session, principal=admin, name="Timed", type="Order", now=NOW)

    def full(d):
        d = build(d)
        for event, to, *target in notify:
            d = e.add_notification(d, p.NotificationDef("", event, to, *target))
        return d

    process_design.edit(session, principal=admin, process_id=pid, change=full, now=NOW)
    process_design.set_service_types(session, principal=admin, process_id=pid, service_types="server")
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    session.commit()
    return pid


def _order(session, world, calendar, at=NOW):
    created = intake.create_order(session, customer_id=world["customer"].id, name="Timed order",
                                  service_type="server", items=[("server", "x")], now=at, calendar=calendar,
                                  source="test")
    session.commit()
    return created.id


def _task(session, name):
    return session.exec(select(TaskInstance).where(TaskInstance.name == name)
                        .order_by(TaskInstance.id.desc())).first()


def _sweep(session, engine, **kw):
    session.commit()  # SQLite: the test's read transaction would hold the sweeper's write
    return process_run.sweep_tasks(engine, **kw)


def _notes(session, order_id):
    return [c.comment for c in session.exec(select(StatusChange).where(
        StatusChange.entity_kind == "order", StatusChange.entity_id == order_id).order_by(StatusChange.id))]


def test_a_24_hour_wait_cannot_be_processed_early_and_completes_by_itself(engine, session, world, calendar):
    _queue(session, world["admin"], lambda d: e.upsert_task(e.upsert_task(
        e.add_phase(e.add_phase(d, "Wait"), "Deliver"), "ph1",
        T("", "Wait for the carrier", type=p.TaskType.WAIT_24H, group="NOC",
          on_complete=p.OnComplete.CONFIRM_ORDER)), "ph2", T("", "Deliver", group="NOC")))
    oid = _order(session, world, calendar)
    wait = _task(session, "Wait for the carrier")
    wait_id = wait.id
    assert (wait.due_kind, wait.due_at) == ("complete", NOW + timedelta(hours=24))
    view = process_run.run_view(session, entity_kind="order", entity_id=oid)
    assert view.phases[0].tasks[0].due_at == NOW + timedelta(hours=24)
    with pytest.raises(BadInput, match="completes by itself"):
        process_run.finish_task(session, principal=world["op"], task_instance_id=wait.id, skip=False,
                        now=NOW + timedelta(hours=23), calendar=calendar)
    session.rollback()
    assert _sweep(session, engine, now=NOW + timedelta(hours=23), calendar=calendar) == []
    assert _sweep(session, engine, now=NOW + timedelta(hours=24, minutes=1), calendar=calendar) == [wait_id]
    assert _sweep(session, engine, now=NOW + timedelta(hours=25), calendar=calendar) == [], "once"
    session.expire_all()
    wait = _task(session, "Wait for the carrier")
    assert (wait.status, wait.closed_by) == ("done", "System")
    assert session.get(Order, oid).phase == "execution", "the wait was the step's last action"
    assert any("the 24-hour wait ended: completed by itself" in n for n in _notes(session, oid))


def test_a_48_hour_auto_expire_expires_by_itself(engine, session, world, calendar):
    _queue(session, world["admin"], lambda d: e.upsert_task(e.add_phase(d, "Quote"), "ph1",
                                                            T("", "Quote", type=p.TaskType.AUTO_EXPIRE_48H,
                                                              group="Sales")))
    oid = _order(session, world, calendar)
    quote_id = _task(session, "Quote").id
    assert _sweep(session, engine, now=NOW + timedelta(hours=47), calendar=calendar) == []
    assert _sweep(session, engine, now=NOW + timedelta(hours=48), calendar=calendar) == [quote_id]
    session.expire_all()
    assert _task(session, "Quote").status == "expired"
    assert any("expired by itself after 48 hours" in n for n in _notes(session, oid))


def test_an_escalation_tells_its_target_after_2_business_hours(engine, session, world, calendar):
    _queue(session, world["admin"], lambda d: e.upsert_task(e.add_phase(d, "Port"), "ph1", T(
        "", "Port numbers", type=p.TaskType.ESCALATION_2H, user_id=world["owner"].id)))
    friday_late = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 16:00 London, one business hour left
    oid = _order(session, world, calendar, at=friday_late)
    task = _task(session, "Port numbers")
    task_id = task.id
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert task.due_at == monday, "2 business hours: 1 on Friday, 1 on Monday morning"
    assert _sweep(session, engine, now=monday - timedelta(minutes=1), calendar=calendar, support="noc@t.test") == []
    assert _sweep(session, engine, now=monday, calendar=calendar, support="noc@t.test") == [task_id]
    assert _sweep(session, engine, now=monday + timedelta(hours=1), calendar=calendar, support="noc@t.test") == []
    session.expire_all()
    told = {m.to_addr for m in session.exec(select(OutboxMessage).where(OutboxMessage.event == "process_event"))}
    assert told == {"mia@ops.test", "noc@t.test"}
    assert any("escalated" in n and "mia@ops.test" in n for n in _notes(session, oid))
    assert _task(session, "Port numbers").status == "open", "an escalation does not close the task"


@pytest.mark.parametrize("how", ["customer", "timer"])
def test_order_completed_and_task_completed_go_out_exactly_once(engine, session, world, calendar, how):
    _queue(session, world["admin"], lambda d: e.upsert_task(e.upsert_task(
        e.add_phase(d, "Do it"), "ph1", T("", "Do it", group="Ops", on_complete=p.OnComplete.COMPLETE_ORDER)),
        "ph1", T("", "Paperwork", group="Ops", order_can_complete_while_open=True, complete_with_order=True)),
        notify=((p.NotifyEvent.ORDER_COMPLETED, p.NotifyTo.CUSTOMER),
                (p.NotifyEvent.TASK_COMPLETED, p.NotifyTo.USER, str(world["owner"].id))))  # staff-only
    oid = _order(session, world, calendar)
    process_run.finish_task(session, principal=world["op"], task_instance_id=_task(session, "Do it").id, skip=False,
                    now=NOW, calendar=calendar)
    session.commit()
    assert session.get(Order, oid).phase == "validation"
    if how == "customer":
        _, cust = f.user(session, role="customer", customer_id=world["customer"].id)
        order = session.get(Order, oid)
        order_moves.move_order(session, principal=cust, order_id=oid, target="closed", expected_version=order.version,
                          now=NOW + timedelta(hours=1), calendar=calendar)
        process_queue.after_order_move(session, principal=cust, order_id=oid, target="closed", now=NOW + timedelta(hours=1),
                             calendar=calendar)
        session.commit()
    else:
        session.commit()
        timers.sweep(engine, now=NOW + timedelta(days=3), calendar=calendar)
        timers.sweep(engine, now=NOW + timedelta(days=3, seconds=5), calendar=calendar)
    session.expire_all()
    assert session.get(Order, oid).phase == "closed"
    assert _task(session, "Paperwork").status == "done", "completed with the order"
    events = [m.subject for m in session.exec(select(OutboxMessage).where(OutboxMessage.event == "process_event"))]
    assert sum("The order was completed" in s for s in events) == 1
    assert sum("A task was completed" in s for s in events) == 2, "“Do it” and “Paperwork”, once each"
    process_queue.after_order_move(session, principal=world["op"], order_id=oid, target="closed", now=NOW + timedelta(days=4),
                         calendar=calendar)
    session.commit()
    events = [m.subject for m in session.exec(select(OutboxMessage).where(OutboxMessage.event == "process_event"))]
    assert sum("The order was completed" in s for s in events) == 1, "a second close event sends nothing"
