"""The process-task and failure-escalation sweeps: claimed in batches, one broken row set aside
(logged once, retried later) while the others go through, each effect once."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from ordertrack.db.notify_models import OrderFailure, OutboxMessage
from ordertrack.db.process_models import Process, ProcessRun, ProcessVersion, TaskInstance
from ordertrack.services import process_run, provisioning
from tests import factories as f
from tests.conftest import NOW

RCPT = provisioning.Recipients(support="support@ot.test", base_url="http://ot.test")


def _failures(session, n: int) -> list[int]:
    c = f.customer(session, now=NOW, contact_email="it@customer.test")
    ids = []
    for _ in range(n):
        o = f.order(session, customer_id=c.id, now=NOW, phase="execution")
        row = OrderFailure(order_id=o.id, reason_code="service_creation_failed", opened_at=NOW,
                           due_at=NOW + timedelta(hours=2))
        session.add(row)
        session.flush()
        ids.append(row.id)
    session.commit()
    return ids


def test_escalations_in_small_batches_each_once_and_a_broken_one_set_aside(engine, session, monkeypatch, caplog):
    ids = _failures(session, 5)
    broken = ids[2]
    real = provisioning._escalate

    def escalate(session, *, failure_id, **kw):
        real(session, failure_id=failure_id, **kw)  # its writes must be rolled back with it
        if failure_id == broken:
            raise RuntimeError("template engine exploded")

    monkeypatch.setattr(provisioning, "_escalate", escalate)
    late = NOW + timedelta(days=1)
    with caplog.at_level(logging.WARNING):
        first = provisioning.escalate_due(engine, now=late, recipients=RCPT, batch=2)
        again = provisioning.escalate_due(engine, now=late + timedelta(seconds=1), recipients=RCPT, batch=2)
    assert sorted(first) == sorted(set(ids) - {broken}) and again == []
    [line] = caplog.records
    assert f"failure {broken}" in line.getMessage() and line.exc_info is not None
    session.expire_all()
    assert session.get(OrderFailure, broken).escalated_at is None
    mails = session.exec(select(OutboxMessage.order_id).where(OutboxMessage.event == "order_failure_escalated")).all()
    assert len(mails) == 4 and session.get(OrderFailure, broken).order_id not in mails
    session.rollback()
    monkeypatch.undo()
    assert provisioning.escalate_due(engine, now=late + timedelta(minutes=1), recipients=RCPT) == [broken]


def _due_tasks(session, n: int) -> list[int]:
    process = Process(name="P", draft="{}", updated_at=NOW)
    session.add(process)
    session.flush()
    version = ProcessVersion(process_id=process.id, version=1, definition="{}", activated_at=NOW)
    session.add(version)
    session.flush()
    run = ProcessRun(entity_kind="order", entity_id=0, process_version_id=version.id, started_at=NOW)
    session.add(run)
    session.flush()
    ids = []
    for i in range(n):
        task = TaskInstance(run_id=run.id, task_id=f"t{i}", phase_id="ph1", name=f"Task {i}", type="escalation_2h",
                            opened_at=NOW, due_kind="escalate", due_at=NOW + timedelta(hours=2))
        session.add(task)
        session.flush()
        ids.append(task.id)
    session.commit()
    return ids


def test_task_timers_in_small_batches_and_a_broken_one_never_blocks_the_rest(engine, session, monkeypatch,
                                                                             caplog):
    ids = _due_tasks(session, 5)
    broken = ids[0]
    applied = []

    def apply(session, *, task_id, kind, version, now, **kw):  # the sweep's mechanics, not a process's effects
        session.exec(update(TaskInstance).where(TaskInstance.id == task_id)
                     .values(due_kind=None, due_at=None, escalated_at=now, version=version + 1))
        if task_id == broken:
            raise KeyError("no such phase")
        applied.append(task_id)
        return True

    monkeypatch.setattr(process_run, "_apply_task_timer", apply)
    with caplog.at_level(logging.WARNING):
        swept = process_run.sweep_tasks(engine, now=NOW + timedelta(hours=3), calendar=None, batch=2)
        again = process_run.sweep_tasks(engine, now=NOW + timedelta(hours=3, seconds=1), calendar=None, batch=2)
    assert sorted(swept) == sorted(applied) == sorted(ids[1:]) and again == []
    assert len(caplog.records) == 1 and f"task {broken}" in caplog.records[0].getMessage()
    session.expire_all()
    assert session.get(TaskInstance, broken).due_kind == "escalate", "its change was rolled back"
    session.rollback()
