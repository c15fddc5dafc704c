"""Dry-run of a process draft on past orders (services.process_simulation), on SQLite and
PostgreSQL: it reads real task timings, compares with the active version, and writes nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, col, select

from ordertrack.db.models import StatusChange
from ordertrack.db.process_models import TaskInstance
from ordertrack.domain import process as p
from ordertrack.domain import process_edit as e
from ordertrack.services import process_design, process_run
from ordertrack.services import process_simulation as svc
from ordertrack.services.errors import BadInput, Forbidden
from tests import factories as f
from tests.conftest import NOW


def _snapshot(session) -> dict[str, tuple[int, str]]:
    """Row count and a checksum of every table."""
    out = {}
    for table in SQLModel.metadata.sorted_tables:
        rows = session.execute(sa_select(table).order_by(*table.primary_key.columns or table.columns)).all()
        out[table.name] = (len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest())
    return out


@pytest.fixture
def world(session, calendar):
    _, admin = f.user(session, role="admin")
    _, op = f.user(session, role="operator")
    c = f.customer(session, now=NOW, contact_email="it@c.test")
    pid = process_design.create_process(session, principal=admin, name="Voice queue", type="Order", now=NOW)

    def build(d):
        d = e.add_phase(d, "Confirm")
        d = e.add_phase(d, "Provision")
        d = e.upsert_task(d, "ph1", p.TaskDef("", "Confirm order", user_id=admin.user_id,
                                               on_complete=p.OnComplete.CONFIRM_ORDER))
        d = e.upsert_task(d, "ph2", p.TaskDef("", "Provision service", user_id=admin.user_id, alarm_hours=4))
        return e.add_notification(d, p.NotificationDef("", p.NotifyEvent.TASK_COMPLETED, p.NotifyTo.CUSTOMER))

    process_design.edit(session, principal=admin, process_id=pid, change=build, now=NOW)
    process_design.set_service_types(session, principal=admin, process_id=pid, service_types="voice")
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    orders = []
    for i in range(3):
        o = f.order(session, customer_id=c.id, now=NOW + timedelta(hours=i), items=(("voice", "pending"),))
        process_run.start_run(session, principal=op, entity_kind="order", entity_id=o.id, process_id=pid,
                            now=NOW + timedelta(hours=i), calendar=calendar)
        orders.append(o)
    f.order(session, customer_id=c.id, now=NOW, items=(("server", "pending"), ("voice", "pending")))  # a server order
    # The first order's "Confirm order" took 3 hours in reality.
    first = session.exec(select(TaskInstance).where(TaskInstance.name == "Confirm order")
                         .order_by(col(TaskInstance.id))).first()
    process_run.finish_task(session, principal=admin, task_instance_id=first.id, skip=False,
                          now=first.opened_at + timedelta(hours=3), calendar=calendar)
    session.add(StatusChange(entity_kind="order", entity_id=orders[0].id, from_version=50, to_state="validation",
                             actor_name="test", at=NOW + timedelta(hours=30)))
    # The draft adds a 24 Hour Wait to the provisioning phase.
    process_design.edit(session, principal=admin, process_id=pid, now=NOW, change=lambda d: e.upsert_task(
        d, "ph2", p.TaskDef("", "Cool-off", type=p.TaskType.WAIT_24H, user_id=admin.user_id)))
    session.commit()
    return dict(admin=admin, op=op, pid=pid, orders=orders)


def test_simulation_replays_past_orders_and_compares_with_the_active_version(session, world, calendar):
    result = svc.simulate(session, principal=world["admin"], process_id=world["pid"], count=50, calendar=calendar)
    assert [r.order_id for r in result.draft] == [o.id for o in world["orders"]], "voice orders only, oldest first"
    first = result.draft[0]
    assert first.completed and first.assumed == 2, "real timing for Confirm order; the others assumed"
    assert first.ended_at == first.started_at + timedelta(hours=3 + 24)  # 24 h wait outlasts the 4 h alarm
    assert [t.kind for t in first.timers] == ["complete"]
    assert len(first.notifications) == 3  # "Task completed" to the customer, per task
    assert result.active_version == 1 and result.active[0].ended_at == first.started_at + timedelta(hours=3 + 4)
    assert result.draft_totals.completed == 3 and result.active_totals.timers == 0
    assert result.draft_totals.average_hours > result.active_totals.average_hours
    assert first.sla_hours and first.sla_breached is not None
    assert first.actual_end == NOW + timedelta(hours=30) and result.draft[1].actual_end is None


def test_simulation_writes_nothing(session, world, calendar):
    before = _snapshot(session)
    svc.simulate(session, principal=world["admin"], process_id=world["pid"], count=500, calendar=calendar)
    assert not session.new and not session.dirty and not session.deleted
    session.commit()
    session.expire_all()
    assert _snapshot(session) == before


def test_simulation_is_for_designers_with_a_bounded_count(session, world, calendar):
    with pytest.raises(Forbidden):
        svc.simulate(session, principal=world["op"], process_id=world["pid"], count=5, calendar=calendar)
    for bad in (0, 501, "x", True, None, -3, "1e9"):
        with pytest.raises(BadInput):
            svc.simulate(session, principal=world["admin"], process_id=world["pid"], count=bad, calendar=calendar)
    assert len(svc.simulate(session, principal=world["admin"], process_id=world["pid"], count="2",
                            calendar=calendar).draft) == 2
