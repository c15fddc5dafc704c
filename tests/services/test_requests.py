"""Service requests with a Request process, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from ordertrack.domain import process as p
from ordertrack.domain import process_edit as e
from ordertrack.services import process_design, process_run
from ordertrack.services import requests as svc
from ordertrack.services.errors import BadInput
from tests import factories as f
from tests.conftest import NOW


def test_customer_files_and_staff_runs_a_request_process(session, calendar):
    mine, other = f.customer(session, now=NOW), f.customer(session, now=NOW)
    _, cust = f.user(session, role="customer", customer_id=mine.id)
    _, stranger = f.user(session, role="customer", customer_id=other.id)
    _, admin = f.user(session, role="admin")
    rid = svc.create(session, principal=cust, subject="Extra IP", body="One more /29", now=NOW)
    with pytest.raises(BadInput):
        svc.create(session, principal=cust, subject="", body="x", now=NOW)
    assert [r.subject for r in svc.visible(session, principal=cust)] == ["Extra IP"]
    assert svc.visible(session, principal=stranger) == ()
    pid = process_design.create_process(session, principal=admin, name="Service request", type="Request", now=NOW)
    process_design.edit(session, principal=admin, process_id=pid, now=NOW, change=lambda d: e.upsert_task(
        e.add_phase(d, "Assess"), "ph1", p.TaskDef("", "Assess", group="Sales")))
    process_design.activate(session, principal=admin, process_id=pid, now=NOW)
    process_run.start_run(session, principal=admin, entity_kind="request", entity_id=rid, process_id=pid, now=NOW,
                        calendar=calendar)
    view = process_run.run_view(session, entity_kind="request", entity_id=rid)
    process_run.finish_task(session, principal=admin, task_instance_id=view.phases[0].tasks[0].id, skip=False,
                          now=NOW, calendar=calendar)
    assert process_run.run_view(session, entity_kind="request", entity_id=rid).status == "complete"
