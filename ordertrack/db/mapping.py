"""Row <-> domain mapping: process definitions as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict

from ordertrack.domain import process as p


def process_to_json(definition: p.ProcessDef, *, layout: bool = True) -> str:
    """A stable JSON text of a process definition (enums as their values). Phase positions on the
    graph (and of its other nodes, ``places``) are left out when unset (so older definitions keep their text) or when ``layout`` is False."""
    data = asdict(definition)
    for ph in data.get("phases", ()):
        for k in ("x", "y"):
            if not layout or ph.get(k) is None:
                ph.pop(k, None)
    places = data.pop("places", ())
    if layout and places:
        data["places"] = {k: [x, y] for k, x, y in places}
    return json.dumps(data, sort_keys=True, default=str)


def process_from_json(text: str, *, process_id: int) -> p.ProcessDef:
    """The process definition stored as ``text``."""
    data = json.loads(text)
    phases = tuple(
        p.PhaseDef(
            id=ph["id"], name=ph["name"],
            tasks=tuple(
                p.TaskDef(**{**t, "type": p.TaskType(t["type"]), "step": p.TaskStep(t["step"]),
                             "on_complete": p.OnComplete(t["on_complete"]), "on_cancel": p.OnCancel(t["on_cancel"])})
                for t in ph.get("tasks", ())
            ),
            routes=tuple(p.RouteDef(**r) for r in ph.get("routes", ())),
            x=ph.get("x"), y=ph.get("y"),
        )
        for ph in data.get("phases", ())
    )
    notes = tuple(p.NotificationDef(id=n["id"], event=p.NotifyEvent(n["event"]), to=p.NotifyTo(n["to"]),
                                    target=n.get("target", "")) for n in data.get("notifications", ()))
    return p.ProcessDef(id=process_id, name=data["name"], type=p.ProcessType(data["type"]), active=data["active"],
                        auto_user_id=data.get("auto_user_id"), auto_group=data.get("auto_group", ""),
                        phases=phases, notifications=notes,
                        places=tuple((k, float(x), float(y)) for k, (x, y) in sorted(data.get("places", {}).items())))
