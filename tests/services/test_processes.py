"""Processes on SQLite and PostgreSQL: designer drafts, activation and versions, running on an
order with effects, timed tasks through the sweep, task history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ordertrack.db.models import Order, StatusChange
from ordertrack.db.notify_models import OutboxMessage
from ordertrack.db.process_models import ProcessRun, TaskInstance
from ordertrack.domain import process as p
from ordertrack.domain import process_edit as e
from ordertrack.services import process_design, process_run
from ordertrack.services.errors import BadInput, Forbidden
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(session):
    _, admin = f.user(session, role="admin")
    _, op = f.user(session, role="operator")
    c = f.customer(session, now=NOW, contact_email="it@c.test")
    o = f.order(session, customer_id=c.id, now=NOW, phase="planning")
    session.commit()
    return dict(admin=admin, op=op, order=o)


def _design(session, admin, *, tasks2=(), notify=False):
    pid = process_design.create_process(session, principal=admin, name="New Voice Service", type="Order", now=NOW)

    def build(d):
        d = e.add_phase(d, "Customer Confirmation")
        d = e.add_phase(d, "Provisioning")
        d = e.upsert_task(d, "ph1", p.TaskDef("", "Confirm order", user_id=admin.user_id,
                                               on_complete=p.OnComplete.CONFIRM_ORDER))
        d = e.upsert_task(d, "ph2", p.TaskDef("", "Provision service", user_id=admin.user_id,
                                               on_complete=p.OnComplete.COMPLETE_ORDER))
        for t in tasks2:
            d = e.upsert_task(d, "ph2", t)
        if notify:
            d = e.add_notification(d, p.NotificationDef("", p.NotifyEvent.TASK_COMPLETED, p.NotifyTo.CUSTOMER))
        return d

    process_design.edit(session, principal=admin, process_id=pid, change=build, now=NOW)
    session.commit()
    return pid


def test_only_designers_design(session, world):
    with pytest.raises(Forbidden):
        process_design.create_process(session, principal=world["op"], name="X", type="Order", now=NOW)


def test_activation_lists_problems_and_versions_changes(session, world):
    admin = world["admin"]
    pid = process_design.create_process(session, principal=admin, name="Empty", type="Order", now=NOW)
    with pytest.raises(BadInput, match="Add at least one phase"):
        process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    pid = _design(session, admin)
    assert process_design.activate(session, principal=admin, process_id=pid, now=NOW) == 1
    assert process_design.activate(session, principal=admin, process_id=pid, now=NOW) == 1, "unchanged: same version"
    process_design.edit(session, principal=admin, process_id=pid, change=lambda d: e.rename_phase(d, "ph2", "Install"), now=NOW)
    assert process_design.load_draft(session, principal=admin, process_id=pid).changed_since_activation
    assert process_design.activate(session, principal=admin, process_id=pid, now=NOW) == 2


def test_running_order_keeps_its_version(session, world, calendar):
    admin, order = world["admin"], world["order"]
    pid = _design(session, admin)
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    process_run.start_run(session, principal=world["op"], entity_kind="order", entity_id=order.id, process_id=pid,
                  now=NOW, calendar=calendar)
    process_design.edit(session, principal=admin, process_id=pid, change=lambda d: e.rename_phase(d, "ph1", "Renamed"), now=NOW)
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    view = process_run.run_view(session, entity_kind="order", entity_id=order.id)
    assert view.version == 1 and view.phases[0].name == "Customer Confirmation"


def test_processing_tasks_moves_the_order_and_writes_history(session, world, calendar):
    admin, op, order = world["admin"], world["op"], world["order"]
    pid = _design(session, admin, notify=True)
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    process_run.start_run(session, principal=op, entity_kind="order", entity_id=order.id, process_id=pid, now=NOW,
                  calendar=calendar)
    session.commit()
    view = process_run.run_view(session, entity_kind="order", entity_id=order.id)
    first = view.phases[0].tasks[0]
    assert (view.phases[0].state, first.name, first.status) == ("current", "Confirm order", "open")
    process_run.finish_task(session, principal=op, task_instance_id=first.id, skip=False, now=NOW, calendar=calendar)
    session.commit()
    assert session.get(Order, order.id).phase == "execution", "Confirm order moved the order on"
    view = process_run.run_view(session, entity_kind="order", entity_id=order.id)
    second = view.phases[1].tasks[0]
    process_run.finish_task(session, principal=op, task_instance_id=second.id, skip=False, now=NOW, calendar=calendar)
    session.commit()
    assert session.get(Order, order.id).phase == "validation", "Complete order sent it to customer validation"
    assert process_run.run_view(session, entity_kind="order", entity_id=order.id).status == "complete"
    history = session.exec(select(StatusChange).where(StatusChange.entity_kind == "task",
                                                      StatusChange.entity_id == first.id)).all()
    assert [(h.from_state, h.to_state) for h in history] == [("", "open"), ("open", "done")]
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.event == "process_event")).all()
    assert mails == [], "task events are internal work: never mailed to the customer's contact"


def test_customer_cannot_work_tasks(session, world, calendar):
    pid = _design(session, world["admin"])
    process_design.activate(session, principal=world["admin"], process_id=pid, now=NOW)
    process_run.start_run(session, principal=world["op"], entity_kind="order", entity_id=world["order"].id,
                  process_id=pid, now=NOW, calendar=calendar)
    task = session.exec(select(TaskInstance)).first()
    _, cust = f.user(session, role="customer", customer_id=world["order"].customer_id)
    with pytest.raises(Forbidden):
        process_run.finish_task(session, principal=cust, task_instance_id=task.id, skip=True, now=NOW, calendar=calendar)


def test_cancel_with_hold_records_it_on_the_order(session, world, calendar):
    admin = world["admin"]
    pid = process_design.create_process(session, principal=admin, name="Hold", type="Order", now=NOW)
    process_design.edit(session, principal=admin, process_id=pid, now=NOW, change=lambda d: e.upsert_task(
        e.add_phase(d, "Only"), "ph1", p.TaskDef("", "Check credit", user_id=1, on_cancel=p.OnCancel.HOLD_ORDER)))
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    process_run.start_run(session, principal=world["op"], entity_kind="order", entity_id=world["order"].id,
                  process_id=pid, now=NOW, calendar=calendar)
    task = session.exec(select(TaskInstance)).first()
    process_run.cancel_task(session, principal=world["op"], task_instance_id=task.id, now=NOW, calendar=calendar)
    session.commit()
    last = session.exec(select(StatusChange).where(StatusChange.entity_kind == "order")
                        .order_by(StatusChange.from_version.desc())).first()
    assert last.comment == "Order put on hold by task “Check credit” of Hold"


def test_timed_tasks_complete_expire_and_escalate_once(engine, session, world, calendar):
    admin = world["admin"]
    pid = _design(session, admin, tasks2=(
        p.TaskDef("", "Wait for carrier", type=p.TaskType.WAIT_24H, user_id=1),
        p.TaskDef("", "Quote", type=p.TaskType.AUTO_EXPIRE_48H, user_id=1),
        p.TaskDef("", "Escalate", type=p.TaskType.ESCALATION_2H, group="NOC"),
    ))
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    process_run.start_run(session, principal=world["op"], entity_kind="order", entity_id=world["order"].id,
                  process_id=pid, now=NOW, calendar=calendar)
    first = session.exec(select(TaskInstance)).first()
    process_run.finish_task(session, principal=world["op"], task_instance_id=first.id, skip=False, now=NOW, calendar=calendar)
    session.commit()
    assert process_run.sweep_tasks(engine, now=NOW + timedelta(hours=1), calendar=calendar) == []
    swept = process_run.sweep_tasks(engine, now=NOW + timedelta(hours=49), calendar=calendar, support="noc@t.test")
    assert len(swept) == 3
    assert process_run.sweep_tasks(engine, now=NOW + timedelta(hours=50), calendar=calendar) == []
    session.expire_all()
    states = {t.name: (t.status, t.escalated_at is not None) for t in session.exec(select(TaskInstance)).all()}
    assert states["Wait for carrier"] == ("done", False)
    assert states["Quote"] == ("expired", False)
    assert states["Escalate"] == ("open", True)
    assert session.exec(select(OutboxMessage).where(OutboxMessage.to_addr == "noc@t.test")).first() is not None
    session.rollback()


def test_overdue_report(session, world, calendar):
    admin = world["admin"]
    pid = _design(session, admin)
    process_design.edit(session, principal=admin, process_id=pid, now=NOW, change=lambda d: e.upsert_task(
        d, "ph1", p.TaskDef("t1", "Confirm order", user_id=admin.user_id, alarm_hours=4,
                            on_complete=p.OnComplete.CONFIRM_ORDER)))
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    process_run.start_run(session, principal=world["op"], entity_kind="order", entity_id=world["order"].id,
                  process_id=pid, now=NOW, calendar=calendar)
    assert process_run.overdue_tasks(session, principal=world["op"], now=NOW + timedelta(hours=3)) == ()
    report = process_run.overdue_tasks(session, principal=world["op"], now=NOW + timedelta(hours=5))
    assert [(r.name, r.overdue_by) for r in report] == [("Confirm order", "1 h")]


def test_route_to_another_process(session, world, calendar):
    admin = world["admin"]
    install = process_design.create_process(session, principal=admin, name="Installation", type="Order", now=NOW)
    process_design.edit(session, principal=admin, process_id=install, now=NOW, change=lambda d: e.upsert_task(
        e.add_phase(d, "Install"), "ph1", p.TaskDef("", "Install", user_id=1)))
    process_design.activate(session, principal=admin, process_id=install, now=NOW)
    sales = process_design.create_process(session, principal=admin, name="Sales", type="Order", now=NOW)
    process_design.edit(session, principal=admin, process_id=sales, now=NOW, change=lambda d: e.add_route(e.upsert_task(
        e.add_phase(d, "Sell"), "ph1", p.TaskDef("", "Sign", user_id=1)), "ph1",
        p.RouteDef("", "Hand over", "ph1", process_id=install)))
    process_design.activate(session, principal=admin, process_id=sales, now=NOW)
    process_run.start_run(session, principal=world["op"], entity_kind="order", entity_id=world["order"].id,
                  process_id=sales, now=NOW, calendar=calendar)
    task = session.exec(select(TaskInstance)).first()
    process_run.finish_task(session, principal=world["op"], task_instance_id=task.id, skip=False, now=NOW, calendar=calendar)
    session.commit()
    runs = session.exec(select(ProcessRun).order_by(ProcessRun.id)).all()
    assert [r.status for r in runs] == ["switched", "running"]
    assert process_run.run_view(session, entity_kind="order", entity_id=world["order"].id).process_name == "Installation"


def test_versions_are_listed_diffed_and_restored_as_a_new_draft(session, world):
    admin = world["admin"]
    pid = _design(session, admin)
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    process_design.edit(session, principal=admin, process_id=pid, change=lambda d: e.rename_phase(d, "ph2", "Install"), now=NOW)
    process_design.activate(session, principal=admin, process_id=pid, now=NOW + timedelta(days=1))
    rows = process_design.versions(session, principal=admin, process_id=pid)
    assert [(r.version, r.current, r.activated_by) for r in rows] == [(2, True, admin.display_name),
                                                                       (1, False, admin.display_name)]
    assert process_design.diff_versions(session, principal=admin, process_id=pid, old="1", new="2") == [
        "Phase renamed: “Provisioning” → “Install”"]
    process_design.restore_version(session, principal=admin, process_id=pid, version="1", now=NOW)
    draft = process_design.load_draft(session, principal=admin, process_id=pid)
    assert draft.definition.phases[1].name == "Provisioning" and draft.changed_since_activation
    assert process_design.activate(session, principal=admin, process_id=pid, now=NOW) == 3
    with pytest.raises(Forbidden):
        process_design.versions(session, principal=world["op"], process_id=pid)


def test_drafts_are_deleted_activated_processes_archived(session, world):
    admin = world["admin"]
    draft = process_design.create_process(session, principal=admin, name="Scratch", type="Order", now=NOW)
    process_design.delete_process(session, principal=admin, process_id=draft)
    pid = _design(session, admin)
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    with pytest.raises(BadInput, match="archive it instead"):
        process_design.delete_process(session, principal=admin, process_id=pid)
    process_design.archive(session, principal=admin, process_id=pid)
    summary = {s.name: s for s in process_design.list_processes(session, principal=admin)}
    assert "Scratch" not in summary
    assert summary["New Voice Service"].archived and not summary["New Voice Service"].active
    assert process_design.startable(session, type="Order") == ()
    with pytest.raises(BadInput, match="archived"):
        process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    process_design.archive(session, principal=admin, process_id=pid, archived=False)
    assert process_design.activate(session, principal=admin, process_id=pid, now=NOW) == 1


def test_moving_phases_on_the_graph_is_kept_but_needs_no_new_version(session, world):
    admin = world["admin"]
    pid = _design(session, admin)
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    process_design.edit(session, principal=admin, process_id=pid, change=lambda d: e.place_phase(d, "ph2", 300, 40), now=NOW)
    process_design.edit(session, principal=admin, process_id=pid, change=lambda d: e.place_node(d, "end", 80, 400, keep={"end"}),
             now=NOW)
    draft = process_design.load_draft(session, principal=admin, process_id=pid)
    assert (draft.definition.phase("ph2").x, draft.definition.phase("ph2").y) == (300, 40)
    assert draft.definition.places == (("end", 80, 400),)
    assert not draft.changed_since_activation
    assert process_design.diff_versions(session, principal=admin, process_id=pid, old="1", new="draft") == []
