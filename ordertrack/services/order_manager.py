"""The Order Manager's side panel (seed 03): orders counted by order queue (the process and
its steps) or by order status (phase and tracking status), and the orders of one step."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from ordertrack.db.mapping import process_from_json
from ordertrack.db.models import Customer, Order
from ordertrack.db.process_models import Process, ProcessRun, ProcessVersion
from ordertrack.domain.access import Principal
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.i18n import _
from ordertrack.services.errors import BadInput, Forbidden
from ordertrack.services.order_views import OrderPage, card_view, has_open_failure, scope_orders

COMPLETE = "__complete__"


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Node:
    key: str
    label: str
    total: int
    steps: tuple[Step, ...]


def _staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("Only staff use the Order Manager.")


def _latest_runs():
    return (select(func.max(ProcessRun.id).label("run_id"))
            .where(ProcessRun.entity_kind == "order").group_by(ProcessRun.entity_id).subquery())


ACTIVE = ("planning", "execution", "validation")


def _in_queues(query, principal: Principal):
    """Active orders the principal may see, joined to their queue run (the latest) and its
    process: the one base of the tree's counts and of the lists behind them, so both agree."""
    latest = _latest_runs()
    query = scope_orders(query, principal)
    return (query.join(ProcessRun, (ProcessRun.entity_id == Order.id) & (ProcessRun.entity_kind == "order"))
            .join(latest, latest.c.run_id == ProcessRun.id)
            .join(ProcessVersion, ProcessVersion.id == ProcessRun.process_version_id)
            .where(col(Order.phase).in_(ACTIVE), col(ProcessRun.status).in_(("running", "complete"))))


def by_queue(session: Session, *, principal: Principal) -> tuple[Node, ...]:
    """Every order queue (Order process) with its steps and how many active orders stand in
    each (the same orders the step lists)."""
    _staff(principal)
    counts = session.exec(_in_queues(
        select(ProcessVersion.process_id, ProcessRun.phase_id, ProcessRun.status, func.count(Order.id))
        .select_from(Order).join(Customer, Customer.id == Order.customer_id), principal)
        .group_by(ProcessVersion.process_id, ProcessRun.phase_id, ProcessRun.status)).all()
    by_process: dict[int, dict[str, int]] = {}
    for process_id, phase_id, status, n in counts:
        key = phase_id if status == "running" else COMPLETE
        by_process.setdefault(process_id, {}).setdefault(key, 0)
        by_process[process_id][key] += n
    nodes = []
    for row in session.exec(select(Process).where(Process.type == "Order").order_by(Process.name)).all():
        d = process_from_json(row.draft, process_id=row.id)
        numbers = by_process.get(row.id, {})
        steps = [Step(ph.id, ph.name, numbers.get(ph.id, 0)) for ph in d.phases]
        known = {ph.id for ph in d.phases} | {COMPLETE}
        steps += [Step(k, _("{step} (older version)").format(step=k), n) for k, n in numbers.items() if k not in known]
        steps.append(Step(COMPLETE, _("Complete: awaiting the customer"), numbers.get(COMPLETE, 0)))
        nodes.append(Node(str(row.id), row.name + ("" if row.active else " " + _("(inactive)")),
                          sum(s.count for s in steps), tuple(steps)))
    return tuple(nodes)


def by_status(session: Session, *, principal: Principal) -> tuple[Node, ...]:
    """Every phase with its tracking statuses and counts."""
    _staff(principal)
    counts = dict(((phase, status), n) for phase, status, n in session.exec(
        select(Order.phase, Order.status, func.count()).group_by(Order.phase, Order.status)).all())
    nodes = []
    for phase in ORDER_WORKFLOW.statuses:
        steps = tuple(Step(s.value, s.label, counts.get((phase.key, s.value), 0)) for s in OrderStatus
                      if counts.get((phase.key, s.value)))
        nodes.append(Node(phase.key, phase.label, sum(st.count for st in steps), steps))
    return tuple(nodes)


def orders_in(session: Session, *, principal: Principal, view: str, node: str, step: str, offset: int = 0,
              limit: int = 50) -> OrderPage:
    """The orders of one step of the panel."""
    _staff(principal)
    query = select(Order, Customer.name, has_open_failure().label("failed")).join(
        Customer, Customer.id == Order.customer_id)
    if view == "queue":
        query = _in_queues(query, principal).where(ProcessVersion.process_id == int(node) if node.isdigit()
                                                   else False)
        query = query.where(ProcessRun.status == "complete") if step == COMPLETE else query.where(
            ProcessRun.status == "running", ProcessRun.phase_id == step)
    elif view == "status":
        query = scope_orders(query, principal).where(Order.phase == node, Order.status == step)
    else:
        raise BadInput(_("Unknown view."))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Order.id).desc()).offset(max(0, offset)).limit(max(1, min(limit, 200))))
    return OrderPage(cards=tuple(card_view(o, n, f) for o, n, f in rows), total=total, offset=offset, limit=limit)
