"""The editable process graph on the designer page (React Flow): phases as nodes with their
task count, routes as labelled edges, problems in red. Connect two phases to add a route (a small
dialog asks for its description), click a route to delete it (after asking). The forms beside it
edit the same draft; every change goes through the designer State's guarded handlers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import reflex as rx

from ordertrack.components import flow
from ordertrack.domain import process as p
from ordertrack.i18n import _, ngettext
from ordertrack.i18n.ui import T

ROW = 110
PHASE_STYLE = {"background": "#eef2ff", "border": "1px solid #4f46e5", "borderRadius": "8px", "width": 200}
PROBLEM_STYLE = {"background": "#fee2e2", "border": "2px solid #dc2626", "borderRadius": "8px", "width": 200,
                 "color": "#991b1b"}
OTHER_STYLE = {"background": "#fff7ed", "border": "1px dashed #b45309", "borderRadius": "8px", "width": 220,
               "color": "#92400e"}
END_STYLE = {"background": "#dcfce7", "border": "1px solid #16a34a", "borderRadius": "20px", "width": 120}


def flow_elements(d: p.ProcessDef, others: dict[int, p.ProcessDef],
                  problems: tuple[p.Problem, ...] | list[p.Problem]) -> tuple[list[dict], list[dict], str]:
    """React Flow nodes and edges for a draft, and a key that changes whenever they do."""
    bad = {pr.phase_id for pr in problems if pr.phase_id}
    bad |= {ph.id for ph in d.phases for t in ph.tasks for pr in problems if pr.task_id == t.id}
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    index = {ph.id: i for i, ph in enumerate(d.phases)}
    for i, ph in enumerate(d.phases):
        count = ngettext_tasks(len(ph.tasks))
        nodes.append({"id": ph.id, "position": {"x": ph.x if ph.x is not None else 0,
                                                "y": ph.y if ph.y is not None else i * ROW},
                      "data": {"label": f"{ph.name}\n{count}" + ("\n⚠ " + _("problem") if ph.id in bad else "")},
                      "style": {**(PROBLEM_STYLE if ph.id in bad else PHASE_STYLE), "whiteSpace": "pre-line"},
                      "className": "phase-node problem" if ph.id in bad else "phase-node"})
    ends = False
    outside: dict[str, int] = {}
    for i, ph in enumerate(d.phases):
        if not ph.routes:
            nxt = d.phases[i + 1].id if i + 1 < len(d.phases) else "end"
            ends |= nxt == "end"
            edges.append({"id": f"auto:{ph.id}", "source": ph.id, "target": nxt, "label": "",
                          "style": {"strokeDasharray": "4 3", "stroke": "#888"}, "markerEnd": {"type": "arrowclosed"}})
            continue
        for r in ph.routes:
            if r.process_id not in (None, d.id):
                other = others.get(r.process_id)
                target_phase = other.phase(r.next_phase_id) if other else None
                key = f"x:{r.process_id}:{r.next_phase_id}"
                if key not in outside:
                    outside[key] = len(outside)
                    name = (f"{other.name} → {target_phase.name if target_phase else _('missing phase')}"
                            if other else _("missing process"))
                    nodes.append({"id": key, "position": {"x": 320, "y": outside[key] * ROW + ROW // 2},
                                  "data": {"label": name}, "style": OTHER_STYLE, "connectable": False})
                target = key
            elif r.next_phase_id in index:
                target = r.next_phase_id
            elif not r.next_phase_id:
                target, ends = "end", True
            else:
                target = "missing"
                if not any(n["id"] == "missing" for n in nodes):
                    nodes.append({"id": "missing", "position": {"x": -300, "y": 0},
                                  "data": {"label": _("missing phase")}, "style": PROBLEM_STYLE})
            edges.append({"id": f"r:{ph.id}:{r.id}", "source": ph.id, "target": target, "label": r.description,
                          "type": "smoothstep", "labelBgPadding": [4, 2], "labelBgStyle": {"fill": "#fff"},
                          "markerEnd": {"type": "arrowclosed"}, "className": "route-edge"})
    if ends:
        nodes.append({"id": "end", "position": {"x": 40, "y": len(d.phases) * ROW}, "data": {"label": _("complete")},
                      "style": END_STYLE, "connectable": False})
    key = hashlib.sha1(json.dumps([nodes, edges], sort_keys=True).encode()).hexdigest()[:12]
    return nodes, edges, key


def ngettext_tasks(n: int) -> str:
    """'1 task' / 'N tasks'."""
    return ngettext("{n} task", "{n} tasks", n).format(n=n)


def graph_section(s) -> rx.Component:
    """The graph, its legend and the 'new route' dialog, for the designer State ``s``."""
    return rx.vstack(
        rx.heading(T("Process graph"), size="3"),
        rx.text(T("Drag from a phase's lower handle to another phase to add a route; click a route to delete it. "
                  "Red phases have problems."), size="1", color_scheme="gray"),
        rx.box(
            flow.react_flow(
                flow.background(),
                flow.controls(),
                key=s.flow_key,
                default_nodes=s.flow_nodes,
                default_edges=s.flow_edges,
                fit_view=True,
                fit_view_options={"maxZoom": 1},
                delete_key_code=rx.Var("null"),
                on_connect=s.graph_connect,
                on_edge_click=s.graph_edge_click,
                on_node_drag_stop=s.graph_node_moved,
            ),
            id="process-graph",
            width="100%",
            height="520px",
            border="1px solid var(--gray-6)",
            border_radius="8px",
        ),
        rx.dialog.root(
            rx.dialog.content(
                rx.dialog.title(T("New route")),
                rx.text(s.connect_text, size="2"),
                rx.form(
                    rx.vstack(
                        rx.el.input(type="hidden", name="phase_id", value=s.connect_source),
                        rx.el.input(type="hidden", name="target", value=s.connect_target),
                        rx.input(name="description", placeholder=T("Description"), required=True, max_length=200,
                                 id="graph-route-description", width="100%"),
                        rx.hstack(
                            rx.button(T("Cancel"), type="button", variant="soft", color_scheme="gray",
                                      on_click=s.graph_connect_cancel),
                            rx.button(T("Add route"), type="submit", id="graph-route-add"),
                            justify="end", width="100%",
                        ),
                        spacing="3",
                    ),
                    on_submit=[s.add_route, s.graph_connect_cancel],
                    reset_on_submit=True,
                ),
            ),
            open=s.connect_source != "",
        ),
        position="sticky", top="1em", width="100%",
    )
