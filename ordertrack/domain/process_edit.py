"""Designer edits: pure functions from one process draft to the next."""

from __future__ import annotations

from dataclasses import replace

from ordertrack.domain import process as p
from ordertrack.i18n import N_, _


class EditRefused(ValueError):
    """An edit that makes no sense (unknown phase, empty name…)."""


def _next_id(prefix: str, existing: set[str]) -> str:
    n = 1
    while f"{prefix}{n}" in existing:
        n += 1
    return f"{prefix}{n}"


_NAME_REFUSALS = {  # what -> (empty, too long): whole sentences, so each language words them its own way
    "phase": (N_("The phase needs a name."), N_("The phase name is too long (200 characters at most).")),
    "task": (N_("The task needs a name."), N_("The task name is too long (200 characters at most).")),
    "route": (N_("The route needs a name."), N_("The route name is too long (200 characters at most).")),
}


def _name(name: str, what: str) -> str:
    name = (name or "").strip()
    empty, too_long = _NAME_REFUSALS[what]
    if not name:
        raise EditRefused(_(empty))
    if len(name) > 200:
        raise EditRefused(_(too_long))
    return name


def _phase_index(proc: p.ProcessDef, phase_id: str) -> int:
    for i, ph in enumerate(proc.phases):
        if ph.id == phase_id:
            return i
    raise EditRefused("That phase does not exist.")


def place_phase(proc: p.ProcessDef, phase_id: str, x: float, y: float) -> p.ProcessDef:
    """Where the graph draws a phase (dragged there by the designer)."""
    if not (-100_000 <= x <= 100_000 and -100_000 <= y <= 100_000):
        raise EditRefused("That position is off the graph.")
    return _with_phase(proc, phase_id, x=round(x, 1), y=round(y, 1))


def place_node(proc: p.ProcessDef, key: str, x: float, y: float, *, keep: frozenset[str] | set[str]) -> p.ProcessDef:
    """Where the graph draws a node that is not a phase of this process (the completion node, a
    phase of another process), keyed by ``key``; places of nodes not in ``keep`` (no longer drawn)
    are dropped."""
    if key not in keep:
        raise EditRefused("That node is not on the graph.")
    if not (-100_000 <= x <= 100_000 and -100_000 <= y <= 100_000):
        raise EditRefused("That position is off the graph.")
    places = {k: (px, py) for k, px, py in proc.places if k in keep}
    places[key] = (round(x, 1), round(y, 1))
    return replace(proc, places=tuple((k, *places[k]) for k in sorted(places)))


def _with_phase(proc: p.ProcessDef, phase_id: str, **changes) -> p.ProcessDef:
    i = _phase_index(proc, phase_id)
    phases = list(proc.phases)
    phases[i] = replace(phases[i], **changes)
    return replace(proc, phases=tuple(phases))


def add_phase(proc: p.ProcessDef, name: str) -> p.ProcessDef:
    new = p.PhaseDef(id=_next_id("ph", {ph.id for ph in proc.phases}), name=_name(name, "phase"))
    return replace(proc, phases=proc.phases + (new,))


def rename_phase(proc: p.ProcessDef, phase_id: str, name: str) -> p.ProcessDef:
    return _with_phase(proc, phase_id, name=_name(name, "phase"))


def move_phase(proc: p.ProcessDef, phase_id: str, delta: int) -> p.ProcessDef:
    i = _phase_index(proc, phase_id)
    j = max(0, min(len(proc.phases) - 1, i + delta))
    phases = list(proc.phases)
    phases.insert(j, phases.pop(i))
    return replace(proc, phases=tuple(phases))


def delete_phase(proc: p.ProcessDef, phase_id: str) -> p.ProcessDef:
    i = _phase_index(proc, phase_id)
    return replace(proc, phases=proc.phases[:i] + proc.phases[i + 1:])


def all_task_ids(proc: p.ProcessDef) -> set[str]:
    return {t.id for ph in proc.phases for t in ph.tasks}


def upsert_task(proc: p.ProcessDef, phase_id: str, task: p.TaskDef) -> p.ProcessDef:
    """Add ``task`` (empty id: a new one) or replace the task with its id."""
    task = replace(task, name=_name(task.name, "task"))
    if task.alarm_hours < 0 or task.alarm_hours > 24 * 365:
        raise EditRefused("Alarm hours must be between 0 and 8760.")
    phase = proc.phases[_phase_index(proc, phase_id)]
    if not task.id:
        task = replace(task, id=_next_id("t", all_task_ids(proc)))
        return _with_phase(proc, phase_id, tasks=phase.tasks + (task,))
    if not any(t.id == task.id for t in phase.tasks):
        raise EditRefused("That task does not exist in this phase.")
    return _with_phase(proc, phase_id, tasks=tuple(task if t.id == task.id else t for t in phase.tasks))


def delete_task(proc: p.ProcessDef, phase_id: str, task_id: str) -> p.ProcessDef:
    phase = proc.phases[_phase_index(proc, phase_id)]
    return _with_phase(proc, phase_id, tasks=tuple(t for t in phase.tasks if t.id != task_id))


def add_route(proc: p.ProcessDef, phase_id: str, route: p.RouteDef) -> p.ProcessDef:
    phase = proc.phases[_phase_index(proc, phase_id)]
    route = replace(route, id=_next_id("r", {r.id for ph in proc.phases for r in ph.routes}),
                    description=_name(route.description, "route"))
    if not route.next_phase_id:
        raise EditRefused("Choose the next phase of the route.")
    return _with_phase(proc, phase_id, routes=phase.routes + (route,))


def delete_route(proc: p.ProcessDef, phase_id: str, route_id: str) -> p.ProcessDef:
    phase = proc.phases[_phase_index(proc, phase_id)]
    return _with_phase(proc, phase_id, routes=tuple(r for r in phase.routes if r.id != route_id))


def add_notification(proc: p.ProcessDef, note: p.NotificationDef) -> p.ProcessDef:
    if note.to in (p.NotifyTo.USER, p.NotifyTo.GROUP) and not note.target.strip():
        raise EditRefused("Choose the team member or group to notify.")
    note = replace(note, id=_next_id("n", {n.id for n in proc.notifications}))
    return replace(proc, notifications=proc.notifications + (note,))


def delete_notification(proc: p.ProcessDef, note_id: str) -> p.ProcessDef:
    return replace(proc, notifications=tuple(n for n in proc.notifications if n.id != note_id))


def diff(old: p.ProcessDef, new: p.ProcessDef) -> list[str]:
    """What changed from ``old`` to ``new``, one line each: phases, tasks, routes,
    notifications and the process's own settings (empty: the same)."""
    lines: list[str] = []
    if old.name != new.name:
        lines.append(f"Name: “{old.name}” → “{new.name}”")
    for attr, label in (("auto_user_id", "Auto-assign user"), ("auto_group", "Auto-assign group")):
        if getattr(old, attr) != getattr(new, attr):
            lines.append(f"{label}: {getattr(old, attr) or '—'} → {getattr(new, attr) or '—'}")
    old_phases, new_phases = {ph.id: ph for ph in old.phases}, {ph.id: ph for ph in new.phases}
    for ph in new.phases:
        if ph.id not in old_phases:
            lines.append(f"Phase added: “{ph.name}”")
    for ph in old.phases:
        if ph.id not in new_phases:
            lines.append(f"Phase removed: “{ph.name}”")
    if [ph.id for ph in old.phases if ph.id in new_phases] != [ph.id for ph in new.phases if ph.id in old_phases]:
        lines.append("Phases reordered: " + " → ".join(f"“{ph.name}”" for ph in new.phases))
    for ph in new.phases:
        before = old_phases.get(ph.id)
        if before is None:
            continue
        if before.name != ph.name:
            lines.append(f"Phase renamed: “{before.name}” → “{ph.name}”")
        old_tasks, new_tasks = {t.id: t for t in before.tasks}, {t.id: t for t in ph.tasks}
        for t in ph.tasks:
            if t.id not in old_tasks:
                lines.append(f"Task added to “{ph.name}”: “{t.name}”")
            else:
                changed = [f for f in t.__dataclass_fields__ if getattr(t, f) != getattr(old_tasks[t.id], f)]
                for f in changed:
                    was, now = getattr(old_tasks[t.id], f), getattr(t, f)
                    lines.append(f"Task “{t.name}” in “{ph.name}”: {f.replace('_', ' ')} "
                                 f"{getattr(was, 'value', was)!s} → {getattr(now, 'value', now)!s}")
        for t in before.tasks:
            if t.id not in new_tasks:
                lines.append(f"Task removed from “{ph.name}”: “{t.name}”")
        old_routes, new_routes = {r.id: r for r in before.routes}, {r.id: r for r in ph.routes}
        for r in ph.routes:
            if r.id not in old_routes:
                lines.append(f"Route added to “{ph.name}”: “{r.description}”")
            elif old_routes[r.id] != r:
                lines.append(f"Route “{r.description}” of “{ph.name}” changed")
        for r in before.routes:
            if r.id not in new_routes:
                lines.append(f"Route removed from “{ph.name}”: “{r.description}”")
    old_notes, new_notes = {n.id: n for n in old.notifications}, {n.id: n for n in new.notifications}
    for n in new.notifications:
        if n.id not in old_notes or old_notes[n.id] != n:
            lines.append(f"Notification: {n.event.value} → {n.to.value}{' ' + n.target if n.target else ''}")
    for n in old.notifications:
        if n.id not in new_notes:
            lines.append(f"Notification removed: {n.event.value} → {n.to.value}")
    return lines
