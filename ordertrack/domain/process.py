"""Processes as data (seed 05): phases of tasks, routes between phases and processes, e-mail
notifications; and the pure engine that runs one on an order, request or ticket.

Flow: entering a phase opens its tasks. A phase completes when every task is done or
skipped, except tasks marked "phase can complete while task is open". A completed phase
follows its route (one route: taken; several: the user picks; none: the next phase by
position; none after the last phase: the process is complete). Actions on task completion
or cancel, and on order completion/cancel, come back as effects for the services to apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from ordertrack.i18n import N_, _

if TYPE_CHECKING:
    from ordertrack.domain.calendar import BusinessCalendar


class ProcessType(StrEnum):
    ORDER = "Order"
    REQUEST = "Request"
    TICKET = "Ticket"


class TaskType(StrEnum):
    WAIT_24H = "24 Hour Wait"
    AUTO_EXPIRE_48H = "48 Hour Auto Expire"
    ACTIVATION = "Activation"
    ASSIGN_INVENTORY = "Assign Inventory"
    BILLING_COMPLETION = "Billing Completion"
    CARRIER_CONFIRM_ESCALATE = "Carrier Confirm Escalate"
    CARRIER_CONFIRMATION = "Carrier Confirmation"
    CHECK_CUSTOMER_CREDIT = "Check Customer Credit"
    CONFORM_INVENTORY_AVAILABLE = "Conform Inventory Available"
    CUSTOMER_ORDER_CONFIRMATION = "Customer Order Confirmation"
    DISPATCH_TEST = "Dispatch Test"
    ESCALATION_2H = "Escalation 2 Hours"
    LNP_REQUEST = "LNP Request"
    LNP_REQUEST_ESCALATE = "LNP Request Escalate"
    ORDER_SERVICE_FROM_CARRIER = "Order Service from Carrier"
    OUTAGE = "Outage"
    PRE_TEST = "Pre-Test"
    PROVISION_SERVICE = "Provision Service"
    REVIEW_SERVICE_ADDRESS = "Review Service Address"
    SHIP_NEW_EQUIPMENT = "Ship New Equipment"
    STANDARD = "Standard"
    TICKET = "Ticket"


class TaskStep(StrEnum):
    NOT_STARTED = "Not Started"
    IN_PROGRESS = "In Progress"
    WAITING = "Waiting on someone else"
    DEFERRED = "Deferred"
    DONE = "Done"


class OnComplete(StrEnum):
    NOTHING = "Do nothing"
    COMPLETE_ORDER = "Complete order"
    CONFIRM_ORDER = "Confirm order"


class OnCancel(StrEnum):
    NOTHING = "Do nothing"
    HOLD_ORDER = "Hold order"
    ERROR_ORDER = "Error order"


class NotifyEvent(StrEnum):
    TASK_COMPLETED = "Task completed"
    PHASE_COMPLETED = "Phase completed"
    ORDER_COMPLETED = "Order completed"
    ORDER_CANCELED = "Order canceled"
    TASK_OVERDUE = "Task past its alarm hours"


class NotifyTo(StrEnum):
    ME = "Me"
    CUSTOMER = "The customer"
    USER = "A team member"
    GROUP = "A user group"


# The events and recipients above as the designer shows them (message ids of the catalog).
NOTIFY_LABELS = (N_("Task completed"), N_("Phase completed"), N_("Order completed"), N_("Order canceled"),
                 N_("Task past its alarm hours"), N_("Me"), N_("The customer"), N_("A team member"),
                 N_("A user group"))


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"
    CANCELED = "canceled"
    EXPIRED = "expired"


CLOSED_TASK = frozenset({TaskStatus.DONE, TaskStatus.SKIPPED, TaskStatus.CANCELED, TaskStatus.EXPIRED})
ALREADY = {  # a closed task's refusal, one whole sentence per state
    TaskStatus.DONE: N_("Task “{name}” is already done."),
    TaskStatus.SKIPPED: N_("Task “{name}” is already skipped."),
    TaskStatus.CANCELED: N_("Task “{name}” is already canceled."),
    TaskStatus.EXPIRED: N_("Task “{name}” is already expired."),
}


@dataclass(frozen=True, slots=True)
class TaskDef:
    id: str
    name: str
    subject: str = ""
    body: str = ""
    type: TaskType = TaskType.STANDARD
    step: TaskStep = TaskStep.NOT_STARTED
    user_id: int | None = None
    group: str = ""
    alarm_hours: float = 0.0
    on_complete: OnComplete = OnComplete.NOTHING
    on_cancel: OnCancel = OnCancel.NOTHING
    assign_to_order_user: bool = False
    phase_can_complete_while_open: bool = False
    order_can_complete_while_open: bool = False
    complete_with_order: bool = False
    cancel_with_order: bool = False


@dataclass(frozen=True, slots=True)
class RouteDef:
    id: str
    description: str
    next_phase_id: str
    process_id: int | None = None  # None: this process


@dataclass(frozen=True, slots=True)
class PhaseDef:
    id: str
    name: str
    tasks: tuple[TaskDef, ...] = ()
    routes: tuple[RouteDef, ...] = ()
    x: float | None = None  # where the graph draws it (None: laid out by its position in the list)
    y: float | None = None


@dataclass(frozen=True, slots=True)
class NotificationDef:
    id: str
    event: NotifyEvent
    to: NotifyTo
    target: str = ""  # user id or group name


@dataclass(frozen=True, slots=True)
class ProcessDef:
    id: int
    name: str
    type: ProcessType = ProcessType.ORDER
    active: bool = False
    auto_user_id: int | None = None
    auto_group: str = ""
    phases: tuple[PhaseDef, ...] = ()
    notifications: tuple[NotificationDef, ...] = ()
    # Where the graph draws its other nodes, dragged there by the designer: (node key, x, y), sorted
    # by key; "end" is the completion node, "x:<process id>:<phase id>" a phase of another process.
    places: tuple[tuple[str, float, float], ...] = ()

    def phase(self, phase_id: str) -> PhaseDef | None:
        return next((p for p in self.phases if p.id == phase_id), None)

    def task(self, task_id: str) -> tuple[PhaseDef, TaskDef] | None:
        for p in self.phases:
            for t in p.tasks:
                if t.id == task_id:
                    return p, t
        return None


@dataclass(frozen=True, slots=True)
class Problem:
    """A reason the process cannot be activated, pointing at the phase/task to fix."""

    message: str
    phase_id: str = ""
    task_id: str = ""


def successors(process: ProcessDef, phase: PhaseDef) -> list[str]:
    """Phases of the same process that can follow ``phase`` ("" stands for the end)."""
    if phase.routes:
        return [r.next_phase_id for r in phase.routes if r.process_id in (None, process.id)]
    index = process.phases.index(phase)
    return [process.phases[index + 1].id] if index + 1 < len(process.phases) else [""]


def _ways_out(process: ProcessDef, phase: PhaseDef) -> list[str]:
    """Where a completed phase goes: phase ids of this process, "" for the end or another process."""
    if phase.routes:
        return ["" if r.process_id not in (None, process.id) else r.next_phase_id for r in phase.routes]
    return successors(process, phase)


def dead_ends(process: ProcessDef) -> dict[str, tuple[str, ...]]:
    """Phases from which the process can never complete (loops included), each with the
    phases it can still reach. A phase without tasks never completes."""
    finishing: set[str] = set()
    changed = True
    while changed:
        changed = False
        for ph in process.phases:
            if ph.id not in finishing and ph.tasks and any(w == "" or w in finishing
                                                          for w in _ways_out(process, ph)):
                finishing.add(ph.id)
                changed = True
    out = {}
    for ph in process.phases:
        if ph.id in finishing or not ph.tasks:
            continue
        seen, todo = [], [w for w in _ways_out(process, ph) if w]
        while todo:
            nxt = todo.pop(0)
            if nxt in seen or process.phase(nxt) is None:
                continue
            seen.append(nxt)
            todo += [w for w in _ways_out(process, process.phase(nxt)) if w]
        out[ph.id] = tuple(process.phase(x).name for x in seen)
    return out


def validate(process: ProcessDef, *, others: dict[int, ProcessDef] | None = None,
             groups: dict[str, int] | None = None) -> list[Problem]:
    """Everything that stops ``process`` from being activated, in words.

    Args:
        process: the draft.
        others: the other processes by id (for routes to other processes).
        groups: the user groups by name with their number of members (None: not checked).
    """
    others = others or {}
    problems: list[Problem] = []
    if not process.name.strip():
        problems.append(Problem("The process needs a name."))
    if not process.phases:
        return problems + [Problem("Add at least one phase.")]
    ids = {p.id for p in process.phases}
    reachable, todo = set(), [process.phases[0].id]
    while todo:
        pid = todo.pop()
        if pid in reachable or pid not in ids:
            continue
        reachable.add(pid)
        todo += [s for s in successors(process, process.phase(pid)) if s]
    for phase in process.phases:
        if phase.id not in reachable:
            problems.append(Problem(f"Phase “{phase.name}” cannot be reached from the first phase.", phase.id))
        if not phase.tasks:
            problems.append(Problem(f"Phase “{phase.name}” has no tasks, so it has no way forward.", phase.id))
        for route in phase.routes:
            if route.process_id in (None, process.id):
                if route.next_phase_id not in ids:
                    problems.append(Problem(f"Route “{route.description}” of phase “{phase.name}” goes to a "
                                            "phase that does not exist.", phase.id))
            else:
                target = others.get(route.process_id)
                if target is None:
                    problems.append(Problem(f"Route “{route.description}” of phase “{phase.name}” goes to a "
                                            "process that does not exist.", phase.id))
                elif not target.active:
                    problems.append(Problem(f"Route “{route.description}” of phase “{phase.name}” goes to the "
                                            f"inactive process “{target.name}”.", phase.id))
                elif target.phase(route.next_phase_id) is None:
                    problems.append(Problem(f"Route “{route.description}” of phase “{phase.name}” goes to a "
                                            f"phase that “{target.name}” does not have.", phase.id))
        for task in phase.tasks:
            unassigned = task.user_id is None and not task.group and not task.assign_to_order_user
            if unassigned and process.auto_user_id is None and not process.auto_group:
                problems.append(Problem(f"Task “{task.name}” in phase “{phase.name}” has no assignee and the "
                                        "process has no auto-assign.", phase.id, task.id))
            if task.group and groups is not None and not groups.get(task.group):
                what = "has no members" if task.group in groups else "does not exist"
                problems.append(Problem(f"Task “{task.name}” in phase “{phase.name}” is assigned to group "
                                        f"“{task.group}”, which {what}.", phase.id, task.id))
    for phase_id, reach in dead_ends(process).items():
        name = process.phase(phase_id).name
        where = (" (it only leads to " + ", ".join(f"“{n}”" for n in reach) + ")") if reach else ""
        problems.append(Problem(f"From phase “{name}” the process can never complete: every way from it "
                                f"loops back{where}.", phase_id))
    if process.auto_group and groups is not None and not groups.get(process.auto_group):
        what = "has no members" if process.auto_group in groups else "does not exist"
        problems.append(Problem(f"The process auto-assigns to group “{process.auto_group}”, which {what}."))
    return problems


@dataclass(frozen=True, slots=True)
class TaskRun:
    """One instance of a task on a run. ``key`` identifies the stored instance (0: opened by
    this outcome, not stored yet); a phase entered again opens new instances of its tasks."""

    task_id: str
    status: TaskStatus = TaskStatus.OPEN
    step: TaskStep = TaskStep.NOT_STARTED
    key: int = 0


@dataclass(frozen=True, slots=True)
class Run:
    """The state of a process on one subject. ``phase_id`` "" means complete."""

    phase_id: str
    tasks: tuple[TaskRun, ...] = ()
    awaiting_route: bool = False

    @property
    def complete(self) -> bool:
        return self.phase_id == ""

    def task(self, task_id: str, key: int | None = None) -> TaskRun | None:
        """The latest instance of ``task_id`` (or the one with ``key``)."""
        found = [t for t in self.tasks if t.task_id == task_id and (key is None or t.key == key)]
        return found[-1] if found else None


class EffectKind(StrEnum):
    TASK_OPENED = "task_opened"
    ORDER_ACTION = "order_action"  # value: complete | confirm | hold | error
    NOTIFY = "notify"  # value: a NotifyEvent
    SWITCH_PROCESS = "switch_process"  # value: "process_id:phase_id"
    PROCESS_COMPLETED = "process_completed"


@dataclass(frozen=True, slots=True)
class Effect:
    kind: EffectKind
    value: str = ""
    task_id: str = ""
    phase_id: str = ""


@dataclass(slots=True)
class Outcome:
    run: Run
    effects: list[Effect] = field(default_factory=list)


class ProcessRefused(Exception):
    """A process move that is not possible; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _enter(process: ProcessDef, phase_id: str, keep: tuple[TaskRun, ...], out: Outcome) -> Run:
    phase = process.phase(phase_id)
    if phase is None:
        raise ProcessRefused("That phase does not exist.")
    again = {t.id for t in phase.tasks}
    # Entering a phase again (a loop): instances of its tasks still open from the last visit
    # are superseded by the new ones.
    keep = tuple(replace(t, status=TaskStatus.CANCELED) if t.task_id in again and t.status is TaskStatus.OPEN
                 else t for t in keep)
    opened = tuple(TaskRun(t.id, TaskStatus.OPEN, t.step) for t in phase.tasks)
    out.effects += [Effect(EffectKind.TASK_OPENED, task_id=t.id, phase_id=phase.id) for t in phase.tasks]
    return Run(phase_id=phase.id, tasks=keep + opened)


def start(process: ProcessDef, *, phase_id: str | None = None) -> Outcome:
    """Start ``process`` at its first phase (or ``phase_id``, when a route leads here)."""
    if not process.phases:
        raise ProcessRefused(_("Process “{name}” has no phases.").format(name=process.name))
    out = Outcome(Run(""))
    out.run = _enter(process, phase_id or process.phases[0].id, (), out)
    return out


def _phase_done(process: ProcessDef, run: Run) -> bool:
    phase = process.phase(run.phase_id)
    by_id = {t.id: t for t in phase.tasks}
    return all(
        tr.status in CLOSED_TASK or by_id[tr.task_id].phase_can_complete_while_open
        for tr in run.tasks if tr.task_id in by_id
    )


def open_tasks(process: ProcessDef, run: Run, phase_id: str | None = None) -> list[TaskRun]:
    """Open task instances (of ``phase_id`` only, when given)."""
    phase = process.phase(phase_id) if phase_id else None
    ids = {t.id for t in phase.tasks} if phase else None
    return [t for t in run.tasks if t.status is TaskStatus.OPEN and (ids is None or t.task_id in ids)]


def _advance(process: ProcessDef, run: Run, out: Outcome, route_id: str | None = None) -> Run:
    phase = process.phase(run.phase_id)
    if phase.routes and route_id is None and len(phase.routes) > 1:
        return replace(run, awaiting_route=True)
    out.effects.append(Effect(EffectKind.NOTIFY, NotifyEvent.PHASE_COMPLETED.value, phase_id=phase.id))
    if phase.routes:
        route = phase.routes[0] if route_id is None else next((r for r in phase.routes if r.id == route_id), None)
        if route is None:
            raise ProcessRefused("That route does not exist.")
        if route.process_id not in (None, process.id):
            out.effects.append(Effect(EffectKind.SWITCH_PROCESS, f"{route.process_id}:{route.next_phase_id}"))
            return Run(phase_id="", tasks=run.tasks)
        return _enter(process, route.next_phase_id, run.tasks, out)
    nxt = successors(process, phase)[0]
    if not nxt:
        out.effects.append(Effect(EffectKind.PROCESS_COMPLETED))
        return Run(phase_id="", tasks=run.tasks)
    return _enter(process, nxt, run.tasks, out)


def _set(run: Run, task_id: str, status: TaskStatus, step: TaskStep | None = None, key: int | None = None) -> Run:
    """Set the status of the latest instance of ``task_id`` (or the one with ``key``)."""
    return _set_instance(run, run.task(task_id, key), status, step)


def _set_instance(run: Run, target: TaskRun | None, status: TaskStatus, step: TaskStep | None = None) -> Run:
    return replace(run, tasks=tuple(
        replace(t, status=status, step=step or t.step) if t is target else t for t in run.tasks))


def set_step(process: ProcessDef, run: Run, task_id: str, step: TaskStep, *, key: int | None = None) -> Run:
    """Change the step (seed 05's five) of an open task; "Done" is reached by processing it."""
    current = run.task(task_id, key)
    if current is None or current.status is not TaskStatus.OPEN:
        raise ProcessRefused("Only an open task can change its step.")
    if step is TaskStep.DONE:
        raise ProcessRefused("A task is done when it is processed: use Process.")
    return replace(run, tasks=tuple(replace(t, step=step) if t is current else t for t in run.tasks))


def finish_task(process: ProcessDef, run: Run, task_id: str, *, skip: bool = False,
                status: TaskStatus | None = None, key: int | None = None) -> Outcome:
    """Process (complete) or skip an open task; advance when the current phase is done.

    A task left open in an earlier phase ("phase can complete while task is open") can still
    be processed or skipped, also after the process completed; that advances nothing.
    """
    out = Outcome(run)
    found = process.task(task_id)
    current = run.task(task_id, key)
    if found is None:
        raise ProcessRefused("That task is not part of this process.")
    phase, task = found
    if current is not None and current.status is not TaskStatus.OPEN:
        raise ProcessRefused(_(ALREADY[current.status]).format(name=task.name))
    if current is None:
        raise ProcessRefused(_("Task “{task}” belongs to phase “{phase}”, not the current one.").format(task=task.name, phase=phase.name))
    leftover = run.complete or phase.id != run.phase_id
    new_status = status or (TaskStatus.SKIPPED if skip else TaskStatus.DONE)
    run = _set_instance(run, current, new_status, TaskStep.DONE)
    if new_status is TaskStatus.DONE:
        out.effects.append(Effect(EffectKind.NOTIFY, NotifyEvent.TASK_COMPLETED.value, task_id=task_id))
        if task.on_complete is OnComplete.COMPLETE_ORDER:
            out.effects.append(Effect(EffectKind.ORDER_ACTION, "complete", task_id=task_id))
        elif task.on_complete is OnComplete.CONFIRM_ORDER:
            out.effects.append(Effect(EffectKind.ORDER_ACTION, "confirm", task_id=task_id))
    if new_status is TaskStatus.DONE and task.on_complete is OnComplete.COMPLETE_ORDER and not run.complete:
        # "Complete order": the queue is done, the order goes to the customer's validation.
        # Open tasks that may stay open on a completed order stay (to be processed later);
        # the others are skipped.
        tasks = tuple(replace(t, status=TaskStatus.SKIPPED) if t.status is TaskStatus.OPEN and not (
            process.task(t.task_id) and (process.task(t.task_id)[1].order_can_complete_while_open
                                         or process.task(t.task_id)[1].complete_with_order
                                         or process.task(t.task_id)[1].phase_can_complete_while_open))
            else t for t in run.tasks)
        out.effects.append(Effect(EffectKind.PROCESS_COMPLETED))
        out.run = Run(phase_id="", tasks=tasks)
        return out
    if not leftover and not run.awaiting_route and _phase_done(process, run):
        run = _advance(process, run, out)
    out.run = run
    return out


def choose_route(process: ProcessDef, run: Run, route_id: str) -> Outcome:
    """Take one of several routes of a completed phase."""
    if not run.awaiting_route:
        raise ProcessRefused("No route is waiting to be chosen.")
    out = Outcome(run)
    out.run = _advance(process, replace(run, awaiting_route=False), out, route_id)
    return out


def cancel_task(process: ProcessDef, run: Run, task_id: str, *, key: int | None = None) -> Outcome:
    """Cancel an open task: its on-cancel action (hold/error the order) comes back as an effect.
    A canceled task no longer holds its phase: when it was the last open one, the phase
    advances — unless the cancel held the order or set it to error (then the step waits for
    ``continue_step``)."""
    found = process.task(task_id)
    current = run.task(task_id, key)
    if found is None or current is None or current.status is not TaskStatus.OPEN:
        raise ProcessRefused("Only an open task of this process can be canceled.")
    out = Outcome(_set_instance(run, current, TaskStatus.CANCELED))
    action = {OnCancel.HOLD_ORDER: "hold", OnCancel.ERROR_ORDER: "error"}.get(found[1].on_cancel)
    if action:
        out.effects.append(Effect(EffectKind.ORDER_ACTION, action, task_id=task_id))
    elif found[0].id == run.phase_id and not run.complete and not out.run.awaiting_route \
            and _phase_done(process, out.run):
        out.run = _advance(process, out.run, out)
    return out


def continue_step(process: ProcessDef, run: Run) -> Outcome:
    """Go on from a step whose actions are all closed but which did not advance (its last
    action was canceled with "hold order" / "error order": the order waits for a person)."""
    out = Outcome(run)
    if run.complete or run.awaiting_route or not _phase_done(process, run):
        raise ProcessRefused("This step still has open actions.")
    out.run = _advance(process, run, out)
    return out


def blocking_tasks(process: ProcessDef, run: Run) -> list[str]:
    """Names of open tasks that stop the order from being completed or sent by hand."""
    names = []
    for tr in run.tasks:
        found = process.task(tr.task_id)
        if tr.status is TaskStatus.OPEN and found and not found[1].order_can_complete_while_open \
                and not found[1].complete_with_order:
            names.append(found[1].name)
    return names


def order_closed(process: ProcessDef, run: Run, *, canceled: bool) -> Outcome:
    """The order was completed or canceled: no task stays open on it. Tasks marked "complete
    task when order is completed" are done; every other open task is canceled (with or
    without the "cancel with order" option: a closed order has nothing left to do)."""
    out = Outcome(run)
    for tr in run.tasks:
        found = process.task(tr.task_id)
        if tr.status is not TaskStatus.OPEN or found is None:
            continue
        task = found[1]
        if not canceled and task.complete_with_order:
            out.run = _set_instance(out.run, tr, TaskStatus.DONE, TaskStep.DONE)
            out.effects.append(Effect(EffectKind.NOTIFY, NotifyEvent.TASK_COMPLETED.value, task_id=tr.task_id))
        else:
            out.run = _set_instance(out.run, tr, TaskStatus.CANCELED)
    out.effects.append(Effect(EffectKind.NOTIFY, (NotifyEvent.ORDER_CANCELED if canceled
                                                  else NotifyEvent.ORDER_COMPLETED).value))
    return out


# Where the order stands on the board (seed 01) while its queue runs (seed 03): one truth.
# Each step (phase) of an Order process belongs to a board phase: the steps up to the one
# that confirms the order ("Confirm order" task; the first step when none does) are Planning
# and Provisioning, the later ones Execution; a complete process means Customer Validation.
# The order moves on the board when, and only when, its queue reaches a step of another phase.

BOARD_PHASES = ("planning", "execution", "validation")


def board_phases(process: ProcessDef) -> dict[str, str]:
    """The board phase of every step of ``process``."""
    confirms = [i for i, ph in enumerate(process.phases)
                if any(t.on_complete is OnComplete.CONFIRM_ORDER for t in ph.tasks)]
    last = max(confirms, default=0)
    return {ph.id: ("planning" if i <= last else "execution") for i, ph in enumerate(process.phases)}


def board_phase(process: ProcessDef, run: Run) -> str:
    """Where an order whose queue stands at ``run`` is on the board."""
    if run.complete:
        return "validation"
    return board_phases(process).get(run.phase_id, "planning")


def rank(board: str) -> int:
    """The position of a board phase (closed/canceled after validation)."""
    return BOARD_PHASES.index(board) if board in BOARD_PHASES else len(BOARD_PHASES)


@dataclass(frozen=True, slots=True)
class SkipPlan:
    """What skipping up to a board phase takes: the steps whose remaining actions get skipped."""

    steps: tuple[str, ...]  # step names, in order
    reachable: bool
    reason: str = ""


def skip_plan(process: ProcessDef, run: Run, target: str) -> SkipPlan:
    """Whether skipping the remaining actions of the current step (and the steps after it, as
    far as needed) brings the order to board phase ``target``, and which steps that skips."""
    names: list[str] = []
    for _round in range(len(process.phases) + 1):
        if rank(board_phase(process, run)) >= rank(target):
            return SkipPlan(tuple(names), True)
        step = process.phase(run.phase_id)
        if run.awaiting_route:
            return SkipPlan(tuple(names), False, _("Step “{step}” is done: choose its route first.").format(
                step=step.name))
        names.append(step.name)
        before = run.phase_id
        if not skip_order(process, run):
            out = continue_step(process, run)
            if any(e.kind is EffectKind.SWITCH_PROCESS for e in out.effects):
                return SkipPlan(tuple(names), False, _("Step “{step}” continues in another process.").format(
                    step=step.name))
            run = out.run
            continue
        for tr in skip_order(process, run):
            out = finish_task(process, run, tr.task_id, skip=True, key=tr.key)
            if any(e.kind is EffectKind.SWITCH_PROCESS for e in out.effects):
                return SkipPlan(tuple(names), False, _("Step “{step}” continues in another process.").format(
                    step=step.name))
            run = out.run
            if run.phase_id != before or run.awaiting_route:
                break
    return SkipPlan(tuple(names), False, _("Skipping does not reach that phase: the steps loop."))


def skip_order(process: ProcessDef, run: Run) -> list[TaskRun]:
    """The open actions of the current step, in the order "skip the remaining actions" skips
    them (those the step can complete without first, so that none is left behind)."""
    return sorted(open_tasks(process, run, run.phase_id),
                  key=lambda t: not process.task(t.task_id)[1].phase_can_complete_while_open)


def reopen_at(process: ProcessDef, run: Run, board: str) -> Outcome:
    """The order was moved back on the board (Execution → Planning, Validation → Execution):
    the queue goes back to the last step of that board phase; the open actions of the step it
    leaves are canceled and the step's actions open again."""
    mapping = board_phases(process)
    steps = [ph.id for ph in process.phases if mapping[ph.id] == board]
    if not steps:
        raise ProcessRefused(_("Process “{name}” has no step in that phase.").format(name=process.name))
    out = Outcome(run)
    tasks = tuple(replace(t, status=TaskStatus.CANCELED) if t.status is TaskStatus.OPEN else t for t in run.tasks)
    out.run = _enter(process, steps[-1], tasks, out)
    return out


def align(process: ProcessDef, run: Run, board: str) -> Outcome:
    """Put a queue that disagrees with its order's board phase (data from before the queue
    and the board were one) at the step of that phase: the first one when the order is
    ahead, the last one when it is behind; Validation completes the queue. Open actions of
    the step it leaves are canceled."""
    here = board_phase(process, run)
    out = Outcome(run)
    tasks = tuple(replace(t, status=TaskStatus.CANCELED) if t.status is TaskStatus.OPEN else t for t in run.tasks)
    if board == "validation":
        out.effects.append(Effect(EffectKind.PROCESS_COMPLETED))
        out.run = Run(phase_id="", tasks=tasks)
        return out
    mapping = board_phases(process)
    steps = [ph.id for ph in process.phases if mapping[ph.id] == board]
    if not steps:
        raise ProcessRefused(_("Process “{name}” has no step in that phase.").format(name=process.name))
    out.run = _enter(process, steps[0] if rank(board) > rank(here) else steps[-1], tasks, out)
    return out


TIMED = {
    TaskType.WAIT_24H: ("complete", timedelta(hours=24), False),
    TaskType.AUTO_EXPIRE_48H: ("expire", timedelta(hours=48), False),
    TaskType.ESCALATION_2H: ("escalate", timedelta(hours=2), True),
}


def task_timer(task: TaskDef, *, opened_at: datetime, calendar: BusinessCalendar) -> tuple[str, datetime] | None:
    """What a timed task type does by itself and when (business time for escalations)."""
    rule = TIMED.get(task.type)
    if rule is None:
        return None
    kind, after, business = rule
    return kind, (calendar.add(opened_at, after) if business else opened_at + after)


def alarm_at(task: TaskDef, *, opened_at: datetime) -> datetime | None:
    """When an open task goes on the overdue report (alarm hours), if it has alarm hours."""
    return opened_at + timedelta(hours=task.alarm_hours) if task.alarm_hours > 0 else None
