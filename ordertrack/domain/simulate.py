"""Dry-run of a process definition on past orders: a pure replay with a virtual clock.

Each past order starts the process at the time its own run started. Every task opened on the
way closes after the time that order really took for that task (matched by task id, else by
name), with the outcome it really had (done or skipped); a task the order never had closes by
its own timer (24 Hour Wait: completes after 24 h, 48 Hour Auto Expire: expires after 48 h)
or else after its alarm hours (or ``default_hours``). Where a phase has several routes, the
route to the phase the order really went to next is taken (else the first one). Nothing is
stored: the result says when the process would complete, which timers would fire, which
notifications would go out and whether the SLA target (business hours) would be breached.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ordertrack.domain import process as p
from ordertrack.i18n import N_

if TYPE_CHECKING:
    from ordertrack.domain.calendar import BusinessCalendar

MAX_ORDERS = 500
DEFAULT_ORDERS = 50
ESCALATED = N_("Task escalated after 2 business hours")  # the sweep tells the assignee and group
MAX_STEPS = 500  # task closings per order before a replay counts as looping


@dataclass(frozen=True, slots=True)
class PastTask:
    """How a past order really went through one task."""

    task_id: str
    name: str
    phase_id: str
    duration: timedelta
    status: str  # done | skipped | expired | canceled


@dataclass(frozen=True, slots=True)
class PastOrder:
    order_id: int
    number: str
    name: str
    started_at: datetime
    tasks: tuple[PastTask, ...] = ()
    sla_hours: float | None = None  # business hours; None: no target
    actual_end: datetime | None = None  # when the order really reached customer validation (history)


@dataclass(frozen=True, slots=True)
class Fired:
    """A timer that would fire: ``kind`` is complete | expire | escalate | alarm."""

    kind: str
    task: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Sent:
    """A notification that would go out."""

    event: str
    to: str
    detail: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OrderResult:
    order_id: int
    number: str
    name: str
    started_at: datetime
    outcome: str  # completed | switched | stuck | looping
    ended_at: datetime | None  # completion (or the switch to another process)
    business_hours: float | None
    timers: tuple[Fired, ...]
    notifications: tuple[Sent, ...]
    sla_hours: float | None
    sla_breached: bool | None  # None: no target, or the process does not complete
    assumed: int  # tasks timed by their definition (the order had no timing for them)
    actual_end: datetime | None = None

    @property
    def completed(self) -> bool:
        return self.outcome == "completed"


@dataclass(frozen=True, slots=True)
class Totals:
    orders: int
    completed: int
    not_completed: int
    average_hours: float | None  # business hours to completion, over completed orders
    timers: int
    notifications: int
    sla_breaches: int


def _timing(order: PastOrder, task: p.TaskDef) -> PastTask | None:
    by_id = [t for t in order.tasks if t.task_id == task.id]
    by_name = by_id or [t for t in order.tasks if t.name == task.name]
    return by_name[0] if by_name else None


def _plan(task: p.TaskDef, order: PastOrder, opened: datetime, *, default_hours: float,
          calendar: BusinessCalendar) -> tuple[datetime, p.TaskStatus, list[Fired], bool]:
    """When the task closes, how, the timers that fire before, and whether it was assumed."""
    past = _timing(order, task)
    timer = p.task_timer(task, opened_at=opened, calendar=calendar)
    fired: list[Fired] = []
    if past is not None:
        closes = opened + max(past.duration, timedelta(0))
        status = {"skipped": p.TaskStatus.SKIPPED, "canceled": p.TaskStatus.SKIPPED,
                  "expired": p.TaskStatus.EXPIRED}.get(past.status, p.TaskStatus.DONE)
        assumed = False
        if timer and timer[0] in ("complete", "expire") and timer[1] < closes:
            # The timer would have closed it first.
            closes = timer[1]
            status = p.TaskStatus.EXPIRED if timer[0] == "expire" else p.TaskStatus.DONE
            fired.append(Fired(timer[0], task.name, closes))
    elif timer and timer[0] in ("complete", "expire"):
        closes, assumed = timer[1], True
        status = p.TaskStatus.EXPIRED if timer[0] == "expire" else p.TaskStatus.DONE
        fired.append(Fired(timer[0], task.name, closes))
    else:
        hours = task.alarm_hours if task.alarm_hours > 0 else default_hours
        closes, status, assumed = opened + timedelta(hours=hours), p.TaskStatus.DONE, True
    if timer and timer[0] == "escalate" and timer[1] < closes:
        fired.append(Fired("escalate", task.name, timer[1]))
    alarm = p.alarm_at(task, opened_at=opened)
    if alarm is not None and alarm < closes:
        fired.append(Fired("alarm", task.name, alarm))
    return closes, status, fired, assumed


def _route(process: p.ProcessDef, run: p.Run, order: PastOrder) -> str:
    phase = process.phase(run.phase_id)
    visited = [t.phase_id for t in order.tasks]
    later = visited[visited.index(phase.id) + 1:] if phase.id in visited else visited
    for nxt in later:
        for route in phase.routes:
            if route.next_phase_id == nxt and nxt != phase.id:
                return route.id
    return phase.routes[0].id


def _notifications(process: p.ProcessDef, effect: p.Effect, at: datetime) -> list[Sent]:
    detail = ""
    if effect.task_id and process.task(effect.task_id):
        detail = process.task(effect.task_id)[1].name
    elif effect.phase_id and process.phase(effect.phase_id):
        detail = process.phase(effect.phase_id).name
    return [Sent(n.event.value, n.to.value, detail, at) for n in process.notifications if n.event.value == effect.value]


def simulate_order(process: p.ProcessDef, order: PastOrder, *, calendar: BusinessCalendar,
                   default_hours: float = 1.0) -> OrderResult:
    """Replay one past order through ``process`` (see the module docstring).

    Long because: the replay loop of the virtual clock keeps its state (time, open tasks, fired
    timers) in locals; the per-event work is already in helpers.
    """
    now = order.started_at
    timers: list[Fired] = []
    sent: list[Sent] = []
    schedule: dict[int, tuple[datetime, p.TaskStatus, list[Fired]]] = {}
    counter = [0]
    assumed = 0

    def absorb(out: p.Outcome) -> p.Run:
        nonlocal assumed
        tasks = []
        for tr in out.run.tasks:
            if tr.key == 0:
                counter[0] += 1
                tr = replace(tr, key=counter[0])
                task = process.task(tr.task_id)[1]
                closes, status, fired, guessed = _plan(task, order, now, default_hours=default_hours,
                                                       calendar=calendar)
                schedule[tr.key] = (closes, status, fired)
                assumed += guessed
            tasks.append(tr)
        for effect in out.effects:
            if effect.kind is p.EffectKind.NOTIFY:
                sent.extend(_notifications(process, effect, now))
        return replace(out.run, tasks=tuple(tasks))

    def result(outcome: str, ended: datetime | None) -> OrderResult:
        hours = calendar.between(order.started_at, ended) / timedelta(hours=1) if ended else None
        breached = None if hours is None or order.sla_hours is None else hours > order.sla_hours
        return OrderResult(order.order_id, order.number, order.name, order.started_at, outcome, ended,
                           hours, tuple(sorted(timers, key=lambda f: f.at)),
                           tuple(sorted(sent, key=lambda n: n.at)), order.sla_hours,
                           breached, assumed, order.actual_end)

    try:
        run = absorb(p.start(process))
        for _step in range(MAX_STEPS):
            if run.complete:
                return result("completed", now)
            if run.awaiting_route:
                out = p.choose_route(process, run, _route(process, run, order))
                run = absorb(out)
                if any(e.kind is p.EffectKind.SWITCH_PROCESS for e in out.effects):
                    return result("switched", now)
                continue
            current = p.open_tasks(process, run, run.phase_id)
            if not current:
                return result("stuck", None)
            tr = min(current, key=lambda t: (schedule[t.key][0], t.key))
            closes, status, fired = schedule.pop(tr.key)
            now = max(now, closes)
            timers.extend(fired)
            for f in fired:
                if f.kind == "alarm":
                    sent.extend(Sent(n.event.value, n.to.value, f.task, f.at) for n in process.notifications
                                if n.event is p.NotifyEvent.TASK_OVERDUE)
                elif f.kind == "escalate":
                    sent.append(Sent(ESCALATED, p.NotifyTo.GROUP.value, f.task, f.at))
            out = p.finish_task(process, run, tr.task_id, status=status, key=tr.key)
            run = absorb(out)
            if any(e.kind is p.EffectKind.SWITCH_PROCESS for e in out.effects):
                return result("switched", now)
    except p.ProcessRefused:  # a draft may route to a phase that does not exist (yet)
        return result("stuck", None)
    return result("looping", None)


def simulate(process: p.ProcessDef, orders: list[PastOrder] | tuple[PastOrder, ...], *,
             calendar: BusinessCalendar, default_hours: float = 1.0) -> list[OrderResult]:
    """Replay every order (at most ``MAX_ORDERS``) through ``process``."""
    return [simulate_order(process, o, calendar=calendar, default_hours=default_hours)
            for o in list(orders)[:MAX_ORDERS]]


def totals(results: list[OrderResult]) -> Totals:
    done = [r for r in results if r.completed]
    hours = [r.business_hours for r in done if r.business_hours is not None]
    return Totals(
        orders=len(results), completed=len(done), not_completed=len(results) - len(done),
        average_hours=round(sum(hours) / len(hours), 1) if hours else None,
        timers=sum(len(r.timers) for r in results), notifications=sum(len(r.notifications) for r in results),
        sla_breaches=sum(1 for r in results if r.sla_breached),
    )
