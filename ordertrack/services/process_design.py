"""Designing processes: the designer's drafts, their validation and activated versions.

Drafts are edited freely; activation validates and freezes a new version (running subjects
keep theirs). Also here: which processes may be started on a subject (``startable``) and
which order queue receives a service type's new orders (``process_for_service``, with the
default queue). Running a process on a subject lives in ``process_run``; the queue an order
follows on the board, in ``process_queue``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ordertrack.clock import get_clock
from ordertrack.db.mapping import process_from_json, process_to_json
from ordertrack.db.process_models import Process, ProcessRun, ProcessVersion
from ordertrack.domain import process as p
from ordertrack.domain.access import Principal
from ordertrack.domain.process_edit import EditRefused
from ordertrack.domain.process_edit import diff as edit_diff
from ordertrack.domain.roles import Role
from ordertrack.i18n import _
from ordertrack.services import process_groups
from ordertrack.services import service_types as service_type_table
from ordertrack.services.errors import BadInput, Forbidden, NotFound

DESIGNERS = frozenset({Role.ADMIN, Role.MANAGER})


@dataclass(frozen=True, slots=True)
class ProcessSummary:
    id: int
    name: str
    type: str
    active: bool
    version: int
    phases: int
    tasks: int
    changed_since_activation: bool
    service_types: str
    archived: bool = False
    runs: int = 0


@dataclass(frozen=True, slots=True)
class Draft:
    definition: p.ProcessDef
    version: int
    active: bool
    changed_since_activation: bool
    problems: tuple[p.Problem, ...]
    service_types: str


def _designer(principal: Principal) -> None:
    if principal.role not in DESIGNERS:
        raise Forbidden("Only administrators and managers may design processes.")


def _row(session: Session, process_id: int) -> Process:
    row = session.get(Process, process_id)
    if row is None:
        raise NotFound("Process not found.")
    return row


def _latest(session: Session, process_id: int) -> ProcessVersion | None:
    return session.exec(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                        .order_by(col(ProcessVersion.version).desc())).first()


def _changed(session: Session, row: Process) -> bool:
    latest = _latest(session, row.id)
    # Moving phases on the graph alone is not a change that needs a new version.
    return latest is None or (_normalized(latest.definition, row.id, layout=False)
                              != _normalized(row.draft, row.id, layout=False))


def _normalized(draft: str, process_id: int, *, layout: bool = True) -> str:
    d = process_from_json(draft, process_id=process_id)
    return process_to_json(p.ProcessDef(**{**{f: getattr(d, f) for f in d.__dataclass_fields__}, "active": True}),
                           layout=layout)


def list_processes(session: Session, *, principal: Principal) -> tuple[ProcessSummary, ...]:
    """Every process with its state (designers)."""
    _designer(principal)
    out = []
    runs = dict(session.exec(select(ProcessVersion.process_id, func.count(ProcessRun.id))
                             .join(ProcessRun, ProcessRun.process_version_id == ProcessVersion.id)
                             .group_by(ProcessVersion.process_id)).all())
    for row in session.exec(select(Process).order_by(Process.name)).all():
        d = process_from_json(row.draft, process_id=row.id)
        out.append(ProcessSummary(
            id=row.id, name=row.name, type=row.type, active=row.active, version=row.current_version,
            phases=len(d.phases), tasks=sum(len(ph.tasks) for ph in d.phases),
            changed_since_activation=row.current_version > 0 and _changed(session, row),
            service_types=row.service_types, archived=row.archived, runs=runs.get(row.id, 0),
        ))
    return tuple(out)


def create_process(session: Session, *, principal: Principal, name: str, type: str, now: datetime) -> int:
    """A new, inactive process with no phases."""
    _designer(principal)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise BadInput("The process needs a name (200 characters at most).")
    try:
        ptype = p.ProcessType(type)
    except ValueError:
        raise BadInput("Type must be Order, Request or Ticket.") from None
    draft = p.ProcessDef(id=0, name=name, type=ptype)
    row = Process(name=name, type=ptype.value, draft=process_to_json(draft), updated_at=now)
    session.add(row)
    session.flush()
    return row.id


def others(session: Session, exclude: int | None = None) -> dict[int, p.ProcessDef]:
    """Latest activated definition of every other process, with its current active flag."""
    result = {}
    for row in session.exec(select(Process)).all():
        if row.id == exclude:
            continue
        latest = _latest(session, row.id)
        base = process_from_json(latest.definition if latest else row.draft, process_id=row.id)
        result[row.id] = p.ProcessDef(**{**{f: getattr(base, f) for f in base.__dataclass_fields__},
                                         "active": row.active and latest is not None})
    return result


def load_draft(session: Session, *, principal: Principal, process_id: int) -> Draft:
    """The draft as the designer shows it, with what stops its activation."""
    _designer(principal)
    row = _row(session, process_id)
    d = process_from_json(row.draft, process_id=row.id)
    return Draft(definition=d, version=row.current_version, active=row.active,
                 changed_since_activation=row.current_version > 0 and _changed(session, row),
                 problems=tuple(p.validate(d, others=others(session, exclude=row.id),
                                             groups=process_groups.member_counts(session))),
                 service_types=row.service_types)


def edit(session: Session, *, principal: Principal, process_id: int, change: Callable[[p.ProcessDef], p.ProcessDef],
         now: datetime) -> p.ProcessDef:
    """Apply one designer edit to the draft (the caller commits)."""
    _designer(principal)
    row = _row(session, process_id)
    try:
        new = change(process_from_json(row.draft, process_id=row.id))
    except EditRefused as exc:
        raise BadInput(str(exc)) from None
    row.draft = process_to_json(new)
    row.name, row.type, row.updated_at = new.name, new.type.value, now
    session.add(row)
    session.flush()
    return new


def set_service_types(session: Session, *, principal: Principal, process_id: int, service_types: str) -> None:
    """The service types whose new orders this (Order) process receives ("orders routed here"):
    keys of the service type table (``*``: every type without a queue of its own).

    Raises:
        Forbidden: not a designer.
        NotFound: no such process.
        BadInput: an unknown key, or an inactive type the process did not have (named in the message).
    """
    _designer(principal)
    row = _row(session, process_id)
    kinds = service_type_table.check_routing(session, (service_types or "").split(","),
                                             kept=row.service_types.split(","), default_mark=DEFAULT_QUEUE)
    if len(",".join(kinds)) > 500:
        raise BadInput(_("Too many service types for one process: split them over two queues."))
    row.service_types = ",".join(kinds)
    session.add(row)
    session.flush()


def activate(session: Session, *, principal: Principal, process_id: int, now: datetime) -> int:
    """Validate and activate; a changed draft becomes a new version. Returns the active version."""
    _designer(principal)
    row = _row(session, process_id)
    if row.archived:
        raise BadInput("An archived process cannot be activated: restore it first.")
    d = process_from_json(row.draft, process_id=row.id)
    problems = p.validate(d, others=others(session, exclude=row.id), groups=process_groups.member_counts(session))
    if problems:
        raise BadInput("Cannot activate: " + " ".join(pr.message for pr in problems))
    if _changed(session, row):
        row.current_version += 1
        session.add(ProcessVersion(process_id=row.id, version=row.current_version,
                                   definition=_normalized(row.draft, row.id), activated_at=now,
                                   activated_by=principal.display_name))
    row.active = True
    session.add(row)
    session.flush()
    return row.current_version


def deactivate(session: Session, *, principal: Principal, process_id: int) -> None:
    """No new subjects start it; running ones go on."""
    _designer(principal)
    row = _row(session, process_id)
    if DEFAULT_QUEUE in row.service_types.split(",") and row.type == "Order":
        raise BadInput("This is the default order queue: orders of every service type without a queue of "
                       "their own go here, so it stays active. Make another queue the default first.")
    row.active = False
    session.add(row)
    session.flush()


def archive(session: Session, *, principal: Principal, process_id: int, archived: bool = True) -> None:
    """Archive a process (inactive, out of the list and of every choice; orders running on it
    go on) or bring it back (inactive)."""
    _designer(principal)
    row = _row(session, process_id)
    if archived and DEFAULT_QUEUE in row.service_types.split(","):
        raise BadInput("The default order queue cannot be archived.")
    row.archived, row.active = archived, False
    session.add(row)
    session.flush()


def delete_process(session: Session, *, principal: Principal, process_id: int) -> None:
    """Delete a draft that was never activated (an activated one is archived instead)."""
    _designer(principal)
    row = _row(session, process_id)
    if row.current_version > 0 or _latest(session, row.id) is not None:
        raise BadInput(_("“{name}” was activated, so orders may have run on it: archive it instead.").format(name=row.name))
    session.delete(row)
    session.flush()


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: int
    activated_at: datetime
    activated_by: str
    current: bool
    runs: int


def versions(session: Session, *, principal: Principal, process_id: int) -> tuple[VersionRow, ...]:
    """Every activated version, newest first, with its date, author and running subjects."""
    _designer(principal)
    row = _row(session, process_id)
    runs = dict(session.exec(select(ProcessRun.process_version_id, func.count())
                             .where(col(ProcessRun.status).in_(("running", "complete")))
                             .group_by(ProcessRun.process_version_id)).all())
    rows = session.exec(select(ProcessVersion).where(ProcessVersion.process_id == row.id)
                        .order_by(col(ProcessVersion.version).desc())).all()
    return tuple(VersionRow(v.version, v.activated_at, v.activated_by or "—", v.version == row.current_version,
                            runs.get(v.id, 0)) for v in rows)


def _version_definition(session: Session, row: Process, which: str) -> p.ProcessDef:
    if which == "draft":
        return process_from_json(row.draft, process_id=row.id)
    if not str(which).isdigit():
        raise BadInput("Choose a version.")
    pv = session.exec(select(ProcessVersion).where(ProcessVersion.process_id == row.id,
                                                   ProcessVersion.version == int(which))).first()
    if pv is None:
        raise NotFound("Version not found.")
    return process_from_json(pv.definition, process_id=row.id)


def diff_versions(session: Session, *, principal: Principal, process_id: int, old: str, new: str) -> list[str]:
    """What changed between two versions (a number, or "draft")."""
    _designer(principal)
    row = _row(session, process_id)
    return edit_diff(_version_definition(session, row, old), _version_definition(session, row, new))


def restore_version(session: Session, *, principal: Principal, process_id: int, version: str,
                    now: datetime) -> None:
    """Restore an older version as the new draft (activate it to make it current)."""
    _designer(principal)
    row = _row(session, process_id)
    restored = _version_definition(session, row, version)
    row.draft = process_to_json(restored)
    row.name, row.updated_at = restored.name, now
    session.add(row)
    session.flush()


@dataclass(frozen=True, slots=True)
class Startable:
    id: int
    name: str


def startable(session: Session, *, type: str) -> tuple[Startable, ...]:
    """Active, activated processes of a type (to start on a subject)."""
    rows = session.exec(select(Process).where(col(Process.active).is_(True), Process.type == type,
                                              col(Process.archived).is_(False),
                                              Process.current_version > 0).order_by(Process.name)).all()
    return tuple(Startable(id=r.id, name=r.name) for r in rows)


DEFAULT_QUEUE = "*"  # in service_types: the queue of every service type without its own


DEFAULT_QUEUE_NAME = "Default order queue"


def process_for_service(session: Session, *, service_type: str, now: datetime | None = None) -> int | None:
    """The active Order process (queue) that receives orders of ``service_type``: its own
    queue, else the default queue (``*``), created when no process was ever marked default —
    so every order, colocation included, belongs to a queue."""
    key = (service_type or "").strip().lower()
    rows = session.exec(select(Process).where(col(Process.active).is_(True), Process.type == "Order",
                                              Process.current_version > 0).order_by(Process.id)).all()
    for row in rows:
        if key and key in row.service_types.split(","):
            return row.id
    for row in rows:
        if DEFAULT_QUEUE in row.service_types.split(","):
            return row.id
    if session.exec(select(Process.id).where(col(Process.service_types).contains(DEFAULT_QUEUE))).first():
        return None  # the default queue exists but is inactive: the intake reports "order queue missing"
    return ensure_default_queue(session, now=now or get_clock().now())


def ensure_default_queue(session: Session, *, now: datetime) -> int:
    """The default queue (two steps: review, then fulfilment), active; created once."""
    row = session.exec(select(Process).where(col(Process.service_types).contains(DEFAULT_QUEUE))).first()
    if row is not None:
        return row.id
    definition = p.ProcessDef(
        id=0, name=DEFAULT_QUEUE_NAME, type=p.ProcessType.ORDER, auto_group="Support",
        phases=(p.PhaseDef("ph1", "Order Review", tasks=(
                    p.TaskDef("t1", "Review the order", subject="Review the order",
                              body="Check the customer, the items and the requested date; confirm the order.",
                              on_complete=p.OnComplete.CONFIRM_ORDER),)),
                p.PhaseDef("ph2", "Fulfilment", tasks=(
                    p.TaskDef("t2", "Deliver the service", subject="Deliver the service",
                              body="Provision and hand over every item, then send the order to the customer "
                                   "for validation.", on_complete=p.OnComplete.COMPLETE_ORDER),))))
    row = Process(name=DEFAULT_QUEUE_NAME, type="Order", draft=process_to_json(definition), updated_at=now,
                  service_types=DEFAULT_QUEUE, active=True, current_version=1)
    session.add(row)
    session.flush()
    session.add(ProcessVersion(process_id=row.id, version=1, definition=_normalized(row.draft, row.id),
                               activated_at=now, activated_by="System"))
    session.flush()
    return row.id

