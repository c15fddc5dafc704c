"""User groups as data (issue #16.4): kept by administrators and managers; only a group task's
assignee, the group's members or a manager may work it; validation finds groups without
members; process-level auto-assign sets the owner of new orders."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ordertrack.db.models import Order
from ordertrack.db.process_models import TaskInstance
from ordertrack.domain import process as p
from ordertrack.domain import process_edit as e
from ordertrack.services import intake, process_design, process_run
from ordertrack.services import process_groups as groups
from ordertrack.services.errors import BadInput, Forbidden
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(session):
    _, admin = f.user(session, role="admin")
    member, op = f.user(session, role="operator", email="member@t.test")
    outsider_row, outsider = f.user(session, role="operator")
    _, manager = f.user(session, role="manager")
    customer = f.customer(session, now=NOW)
    session.commit()
    return dict(admin=admin, op=op, member=member, outsider=outsider, manager=manager, customer=customer)


def _process(session, admin, *, group="Sales", auto_group=""):
    pid = process_design.create_process(session, principal=admin, name="Sales queue", type="Order", now=NOW)
    process_design.edit(session, principal=admin, process_id=pid, now=NOW, change=lambda d: e.upsert_task(
        e.add_phase(p.ProcessDef(**{**{k: getattr(d, k) for k in d.__dataclass_fields__}, "auto_group": auto_group}),
                    "Review"), "ph1", p.TaskDef("", "Check credit", group=group)))
    process_design.set_service_types(session, principal=admin, process_id=pid, service_types="server")
    return pid


def test_groups_are_kept_by_admins_and_managers_with_staff_members(session, world):
    with pytest.raises(Forbidden):
        groups.save_group(session, principal=world["op"], group_id=None, name="Sales", member_ids=[])
    gid = groups.save_group(session, principal=world["manager"], group_id=None, name="Sales",
                            member_ids=[world["member"].id])
    with pytest.raises(BadInput, match="already a group"):
        groups.save_group(session, principal=world["admin"], group_id=None, name="sales", member_ids=[])
    _, cust = f.user(session, role="customer", customer_id=world["customer"].id)
    with pytest.raises(BadInput, match="Only staff"):
        groups.save_group(session, principal=world["admin"], group_id=gid, name="Sales", member_ids=[cust.user_id])
    assert [(g.name, [m[0] for m in g.members]) for g in groups.list_groups(session)] == [
        ("Sales", [world["member"].id])]


def test_activation_is_refused_for_a_group_without_members(session, world):
    groups.save_group(session, principal=world["admin"], group_id=None, name="Sales", member_ids=[])
    pid = _process(session, world["admin"])
    with pytest.raises(BadInput, match="group “Sales”, which has no members"):
        process_design.activate(session, principal=world["admin"], process_id=pid, now=NOW)
    pid2 = _process(session, world["admin"], group="Nobody")
    assert any("does not exist" in pr.message
               for pr in process_design.load_draft(session, principal=world["admin"], process_id=pid2).problems)


def test_only_members_the_assignee_or_a_manager_work_a_group_task(session, world, calendar):
    groups.save_group(session, principal=world["admin"], group_id=None, name="Sales", member_ids=[world["member"].id])
    pid = _process(session, world["admin"])
    process_design.activate(session, principal=world["admin"], process_id=pid, now=NOW)
    created = intake.create_order(session, customer_id=world["customer"].id, name="X", service_type="server",
                                  items=[("server", "x")], now=NOW, calendar=calendar, source="test")
    session.commit()
    task = session.exec(select(TaskInstance).where(TaskInstance.name == "Check credit")).one()
    for act in (lambda who: process_run.finish_task(session, principal=who, task_instance_id=task.id, skip=False, now=NOW,
                                            calendar=calendar),
                lambda who: process_run.cancel_task(session, principal=who, task_instance_id=task.id, now=NOW,
                                            calendar=calendar),
                lambda who: process_run.set_task_step(session, principal=who, task_instance_id=task.id,
                                              step="In Progress", now=NOW, calendar=calendar)):
        with pytest.raises(Forbidden, match="Only members of group “Sales”"):
            act(world["outsider"])
    process_run.set_task_step(session, principal=world["op"], task_instance_id=task.id, step="In Progress", now=NOW,
                      calendar=calendar)
    process_run.finish_task(session, principal=world["manager"], task_instance_id=task.id, skip=False, now=NOW,
                    calendar=calendar)
    session.commit()
    session.expire_all()
    assert session.get(TaskInstance, task.id).closed_by == world["manager"].display_name
    assert session.get(Order, created.id).phase == "validation"


def test_process_auto_assign_sets_the_owner_of_new_orders(session, world, calendar):
    _, second = f.user(session, role="operator")
    groups.save_group(session, principal=world["admin"], group_id=None, name="Sales",
                      member_ids=[world["member"].id, second.user_id])
    pid = _process(session, world["admin"], auto_group="Sales")
    process_design.activate(session, principal=world["admin"], process_id=pid, now=NOW)
    owners = []
    for n in range(3):
        created = intake.create_order(session, customer_id=world["customer"].id, name=f"Order {n}",
                                      service_type="server", items=[("server", "x")], now=NOW, calendar=calendar,
                                      source="test")
        owners.append(session.get(Order, created.id).owner_id)
    assert owners == [world["member"].id, second.user_id, world["member"].id], "the least loaded member"
