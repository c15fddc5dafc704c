"""One truth for where an order is (issue #18.1): the running queue's step and the board
phase never disagree, whatever people do — moves on the board (forward refused until the
queue gets there, back, cancel, approval), task Process / Skip / Cancel, "skip the remaining
actions", route choices. Every active order belongs to a queue (colocation included), no
task stays open on a closed or canceled order, and the Order Manager's counts equal the
orders it lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from ordertrack.db.models import Order, StatusChange
from ordertrack.db.process_models import ProcessRun, TaskInstance
from ordertrack.domain import process as p
from ordertrack.domain import process_edit as e
from ordertrack.domain.engine import TransitionRefused
from ordertrack.services import (
    intake,
    order_manager,
    order_moves,
    process_design,
    process_queue,
    process_run,
)
from ordertrack.services.errors import BadInput, Conflict
from tests import factories as f
from tests.conftest import NOW

T = p.TaskDef


def _standard(d):
    d = e.add_phase(d, "Order Review")
    d = e.add_phase(d, "Provisioning")
    d = e.add_phase(d, "Activation")
    d = e.upsert_task(d, "ph1", T("", "Check credit", group="Sales", on_cancel=p.OnCancel.HOLD_ORDER))
    d = e.upsert_task(d, "ph1", T("", "Review address", group="Sales", on_complete=p.OnComplete.CONFIRM_ORDER))
    d = e.upsert_task(d, "ph2", T("", "Provision", group="Ops"))
    d = e.upsert_task(d, "ph2", T("", "Assign inventory", group="Ops", phase_can_complete_while_open=True,
                                  complete_with_order=True))
    d = e.upsert_task(d, "ph3", T("", "Billing", group="Billing", on_complete=p.OnComplete.COMPLETE_ORDER))
    return d


def _looping(d):
    d = e.add_phase(d, "Confirm")
    d = e.add_phase(d, "Port numbers")
    d = e.add_phase(d, "Carrier")
    d = e.upsert_task(d, "ph1", T("", "Confirm", group="Voice", on_complete=p.OnComplete.CONFIRM_ORDER))
    d = e.upsert_task(d, "ph2", T("", "LNP request", group="Voice", on_cancel=p.OnCancel.ERROR_ORDER))
    d = e.upsert_task(d, "ph3", T("", "Carrier confirmation", group="Voice"))
    d = e.add_route(d, "ph2", p.RouteDef("", "Ported", "ph3"))
    d = e.add_route(d, "ph2", p.RouteDef("", "Porting refused: confirm again", "ph1"))
    return d


@pytest.fixture
def world(session, calendar):
    _, admin = f.user(session, role="admin")
    _, op = f.user(session, role="operator")
    customer = f.customer(session, now=NOW, contact_email="it@c.test")
    for name, build, kinds in (("Standard", _standard, "server,hosting"), ("Voice", _looping, "voice")):
        pid = process_design.create_process(session, principal=admin, name=name, type="Order", now=NOW)
        process_design.edit(session, principal=admin, process_id=pid, change=build, now=NOW)
        process_design.set_service_types(session, principal=admin, process_id=pid, service_types=kinds)
        process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    session.commit()
    return dict(admin=admin, op=op, customer=customer)


def _new(session, world, calendar, kind):
    created = intake.create_order(session, customer_id=world["customer"].id, name=f"{kind} order",
                                  service_type=kind, items=[(kind, "x")], now=NOW, calendar=calendar, source="test")
    session.commit()
    return created


def _move(session, world, calendar, order_id, target, *, at=NOW):
    """What the board and the order page do: ask the queue, move, tell the queue."""
    order = session.get(Order, order_id)
    session.refresh(order)
    process_queue.before_order_move(session, order_id=order_id, target=target)
    order_moves.move_order(session, principal=world["op"], order_id=order_id, target=target,
                      expected_version=order.version, now=at, calendar=calendar, comment="by hand",
                      channel="email")
    process_queue.after_order_move(session, principal=world["op"], order_id=order_id, target=target, now=at,
                         calendar=calendar)


def assert_one_truth(session, principal):
    assert process_queue.disagreements(session) == [], "every active order has a queue whose step is its board phase"
    terminal = session.exec(
        select(TaskInstance.name, Order.number, Order.phase).join(ProcessRun, ProcessRun.id == TaskInstance.run_id)
        .join(Order, (Order.id == ProcessRun.entity_id) & (ProcessRun.entity_kind == "order"))
        .where(TaskInstance.status == "open", Order.phase.in_(("closed", "canceled")))).all()
    assert terminal == [], "no task stays open on a closed or canceled order"
    for node in order_manager.by_queue(session, principal=principal):
        for step in node.steps:
            listed = order_manager.orders_in(session, principal=principal, view="queue", node=node.key,
                                             step=step.key, limit=200)
            assert listed.total == step.count == len(listed.cards), (node.label, step.label)


def test_a_colocation_order_goes_to_the_default_queue(session, world, calendar):
    created = _new(session, world, calendar, "colocation")
    assert created.queue == "Default order queue"
    assert process_run.run_view(session, entity_kind="order", entity_id=created.id).status == "running"
    with pytest.raises(BadInput, match="default order queue"):
        default = process_design.process_for_service(session, service_type="colocation")
        process_design.deactivate(session, principal=world["admin"], process_id=default)


def test_a_move_the_queue_has_not_reached_is_refused_with_the_skip_offer(session, world, calendar):
    created = _new(session, world, calendar, "server")
    with pytest.raises(process_queue.QueueNotReached) as refused:
        _move(session, world, calendar, created.id, "execution")
    assert refused.value.steps == ("Order Review",)
    assert "skip the remaining actions of “Order Review”" in str(refused.value)
    session.rollback()
    assert process_queue.skip_to(session, principal=world["op"], order_id=created.id, target="execution", now=NOW,
                       calendar=calendar) == ("Order Review",)
    session.commit()
    assert session.get(Order, created.id).phase == "execution"
    view = process_run.run_view(session, entity_kind="order", entity_id=created.id)
    assert [ph.state for ph in view.phases] == ["done", "current", "later"]
    notes = [c.comment for c in session.exec(select(StatusChange).where(StatusChange.entity_id == created.id,
                                                                           StatusChange.entity_kind == "order"))]
    assert any("skipped (skip the remaining actions)" in n for n in notes)
    assert_one_truth(session, world["op"])


def test_finishing_the_last_action_of_a_step_moves_the_order_and_skipping_all_completes(session, world,
                                                                                         calendar):
    created = _new(session, world, calendar, "server")
    for _ in range(10):
        open_ = session.exec(select(TaskInstance).where(TaskInstance.status == "open")
                             .order_by(TaskInstance.id)).all()
        if not open_:
            break
        process_run.finish_task(session, principal=world["op"], task_instance_id=open_[0].id, skip=True, now=NOW,
                        calendar=calendar)
        session.commit()
    assert session.get(Order, created.id).phase == "validation"
    assert process_run.run_view(session, entity_kind="order", entity_id=created.id).status == "complete"
    assert_one_truth(session, world["op"])


def test_cancel_cancels_every_open_action(session, world, calendar):
    created = _new(session, world, calendar, "voice")
    _move(session, world, calendar, created.id, "canceled")
    session.commit()
    statuses = {t.status for t in session.exec(select(TaskInstance)).all()}
    assert statuses == {"canceled"}
    assert_one_truth(session, world["op"])


def test_moving_back_reopens_the_last_step_of_that_phase(session, world, calendar):
    created = _new(session, world, calendar, "server")
    process_queue.skip_to(session, principal=world["op"], order_id=created.id, target="validation", now=NOW,
                calendar=calendar)
    session.commit()
    _move(session, world, calendar, created.id, "execution")
    session.commit()
    view = process_run.run_view(session, entity_kind="order", entity_id=created.id)
    assert view.status == "running" and [ph.state for ph in view.phases][-1] == "current"
    assert_one_truth(session, world["op"])


def test_legacy_orders_without_a_queue_or_out_of_step_are_reconciled(engine, session, world, calendar):
    lost = f.order(session, customer_id=world["customer"].id, now=NOW, phase="execution")
    ahead = _new(session, world, calendar, "server")
    session.exec(select(Order).where(Order.id == ahead.id)).one().phase = "execution"  # moved before the fix
    session.commit()
    assert set(process_queue.disagreements(session)) == {lost.id, ahead.id}
    session.commit()
    fixed = process_queue.reconcile_queues(engine, now=NOW, calendar=calendar, force=True)
    assert set(fixed) == {lost.id, ahead.id}
    session.expire_all()
    assert_one_truth(session, world["op"])
    assert process_run.run_view(session, entity_kind="order", entity_id=ahead.id).phases[1].state == "current"


OPS = st.sampled_from(["new", "process", "skip", "cancel_task", "route", "skip_to", "move", "continue"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(OPS, st.integers(0, 10_000)), min_size=1, max_size=25))
def test_random_work_never_makes_queue_and_board_disagree(session, world, calendar, steps):
    at = NOW
    for op, n in steps:
        at += timedelta(minutes=5)
        active = session.exec(select(Order.id).order_by(Order.id)).all()
        open_tasks = session.exec(select(TaskInstance.id).where(TaskInstance.status == "open")
                                  .order_by(TaskInstance.id)).all()
        try:
            if op == "new" or not active:
                _new(session, world, calendar, ("server", "voice", "colocation", "backup")[n % 4])
            elif op in ("process", "skip", "cancel_task") and open_tasks:
                task_id = open_tasks[n % len(open_tasks)]
                if op == "cancel_task":
                    process_run.cancel_task(session, principal=world["op"], task_instance_id=task_id, now=at,
                                    calendar=calendar)
                else:
                    process_run.finish_task(session, principal=world["op"], task_instance_id=task_id, skip=op == "skip",
                                    now=at, calendar=calendar)
            elif op == "route":
                runs = session.exec(select(ProcessRun).where(ProcessRun.awaiting_route)).all()
                if runs:
                    run = runs[n % len(runs)]
                    view = process_run.run_view(session, entity_kind=run.entity_kind, entity_id=run.entity_id)
                    if view.routes:
                        process_run.choose_route(session, principal=world["op"], run_id=run.id,
                                         route_id=view.routes[n % len(view.routes)][0], now=at, calendar=calendar)
            elif op == "skip_to":
                process_queue.skip_to(session, principal=world["op"], order_id=active[n % len(active)],
                            target=("execution", "validation")[n % 2], now=at, calendar=calendar)
            elif op == "continue":
                order_id = active[n % len(active)]
                process_queue.continue_queue(session, principal=world["op"], order_id=order_id, now=at, calendar=calendar)
            else:
                order_id = active[n % len(active)]
                target = ("planning", "execution", "validation", "closed", "canceled")[n % 5]
                _move(session, world, calendar, order_id, target, at=at)
            session.commit()
        except (BadInput, TransitionRefused, Conflict):
            session.rollback()
        assert_one_truth(session, world["op"])
