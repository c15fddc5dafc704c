"""Dry-run of a process draft on past orders (read-only): the last N orders of its service
types, their real task timings and SLA targets, replayed by ``domain.simulate`` through the
draft and through the active version, for comparison. Nothing is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ordertrack.db.mapping import process_from_json
from ordertrack.db.models import Order, OrderItem, StatusChange
from ordertrack.db.process_models import Process, ProcessRun, ProcessVersion, TaskInstance
from ordertrack.domain import process as p
from ordertrack.domain import simulate as sim
from ordertrack.domain.access import Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.i18n import N_, _
from ordertrack.services import sla
from ordertrack.services.errors import BadInput
from ordertrack.services.process_design import DEFAULT_QUEUE, _designer, _latest, _row

COUNT = N_("Choose how many past orders to replay (1 to {n}).")


@dataclass(frozen=True, slots=True)
class Simulation:
    process_name: str
    service_types: tuple[str, ...]
    draft: tuple[sim.OrderResult, ...]
    draft_totals: sim.Totals
    active_version: int  # 0: never activated
    active: tuple[sim.OrderResult, ...]  # same orders through the active version (empty when none)
    active_totals: sim.Totals | None


def _count(count: object) -> int:
    if isinstance(count, bool) or not isinstance(count, int | str):
        raise BadInput(_(COUNT).format(n=sim.MAX_ORDERS))
    try:
        n = int(str(count).strip())
    except ValueError:
        raise BadInput(_(COUNT).format(n=sim.MAX_ORDERS)) from None
    if not 1 <= n <= sim.MAX_ORDERS:
        raise BadInput(_(COUNT).format(n=sim.MAX_ORDERS))
    return n


def _kinds(session: Session, order_ids: list[int]) -> dict[int, str]:
    kinds: dict[int, str] = {}
    if not order_ids:
        return kinds
    for oid, kind in session.exec(select(OrderItem.order_id, OrderItem.kind)
                                  .where(col(OrderItem.order_id).in_(order_ids)).order_by(col(OrderItem.id))).all():
        kinds.setdefault(oid, kind)
    return kinds


def past_orders(session: Session, *, service_types: tuple[str, ...], count: int) -> list[sim.PastOrder]:
    """The last ``count`` orders of ``service_types`` (every order for the default queue), with
    their real task timings, SLA targets and when they really reached customer validation, oldest first."""
    query = select(Order).order_by(col(Order.created_at).desc(), col(Order.id).desc())
    if DEFAULT_QUEUE not in service_types:
        if not service_types:
            return []
        # An order's service type is the kind of its first item (as intake routes it).
        first_items = select(func.min(OrderItem.id)).group_by(OrderItem.order_id)
        query = query.where(col(Order.id).in_(
            select(OrderItem.order_id).where(col(OrderItem.kind).in_(service_types),
                                             col(OrderItem.id).in_(first_items))))
    found = list(session.exec(query.limit(count)).all())
    ids = [o.id for o in found]
    kinds = _kinds(session, ids)
    runs: dict[int, ProcessRun] = {}
    if ids:
        for run in session.exec(select(ProcessRun).where(ProcessRun.entity_kind == "order",
                                                         col(ProcessRun.entity_id).in_(ids))
                                .order_by(col(ProcessRun.id))).all():
            runs.setdefault(run.entity_id, run)  # the first run: where the order's queue began
    tasks: dict[int, list[TaskInstance]] = {}
    run_ids = [r.id for r in runs.values()]
    if run_ids:
        for t in session.exec(select(TaskInstance).where(col(TaskInstance.run_id).in_(run_ids))
                              .order_by(col(TaskInstance.opened_at), col(TaskInstance.id))).all():
            tasks.setdefault(t.run_id, []).append(t)
    reached: dict[int, datetime] = {}  # history: when the order really reached customer validation
    if ids:
        for oid, at in session.exec(select(StatusChange.entity_id, StatusChange.at)
                                    .where(StatusChange.entity_kind == "order", col(StatusChange.entity_id).in_(ids),
                                           col(StatusChange.to_state).in_(("validation", "closed")))
                                    .order_by(col(StatusChange.at))).all():
            reached.setdefault(oid, at)
    targets: dict[tuple[str, str], float] = {}
    out = []
    for order in reversed(found):
        kind = kinds.get(order.id, "")
        key = (kind, order.priority)
        if key not in targets:
            targets[key] = sla.target_for(session, service_type=kind, priority=order.priority)
        run = runs.get(order.id)
        # The order's life starts when it is created (a queue adopted later still counts from there).
        started = min(order.created_at, run.started_at) if run else order.created_at
        past = tuple(sim.PastTask(t.task_id, t.name, t.phase_id, t.closed_at - t.opened_at, t.status)
                     for t in (tasks.get(run.id, []) if run else []) if t.closed_at is not None)
        out.append(sim.PastOrder(order.id, order.number, order.name, started, past, targets[key],
                                 reached.get(order.id)))
    return out


def simulate(session: Session, *, principal: Principal, process_id: int, count: object,
             calendar: BusinessCalendar, default_hours: float = 1.0) -> Simulation:
    """Replay the last ``count`` orders of the process's service types through its draft and its
    active version. Reads only."""
    _designer(principal)
    n = _count(count)
    row: Process = _row(session, process_id)
    if row.type != p.ProcessType.ORDER.value:
        raise BadInput(_("Only order processes can be simulated on past orders."))
    draft = process_from_json(row.draft, process_id=row.id)
    if not draft.phases:
        raise BadInput(_("Add at least one phase before simulating."))
    kinds = tuple(k for k in row.service_types.split(",") if k)
    orders = past_orders(session, service_types=kinds, count=n)
    results = tuple(sim.simulate(draft, orders, calendar=calendar, default_hours=default_hours))
    latest: ProcessVersion | None = _latest(session, row.id)
    active: tuple[sim.OrderResult, ...] = ()
    if latest is not None:
        active_def = process_from_json(latest.definition, process_id=row.id)
        active = tuple(sim.simulate(active_def, orders, calendar=calendar, default_hours=default_hours))
    return Simulation(row.name, kinds, results, sim.totals(list(results)), latest.version if latest else 0,
                      active, sim.totals(list(active)) if latest is not None else None)
