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
from ordertrack.pages import graph_layout as gl

ROW = 150
PHASE_W, OTHER_W, END_W = 200, 220, 120
PHASE_STYLE = {"background": "#eef2ff", "border": "1px solid #4f46e5", "borderRadius": "8px", "width": PHASE_W,
               "color": "#1e1b4b"}
PROBLEM_STYLE = {"background": "#fee2e2", "border": "2px solid #dc2626", "borderRadius": "8px", "width": PHASE_W,
                 "color": "#7f1d1d"}
OTHER_STYLE = {"background": "#fff7ed", "border": "1px dashed #b45309", "borderRadius": "8px", "width": OTHER_W,
               "color": "#78350f"}
END_STYLE = {"background": "#dcfce7", "border": "1px solid #16a34a", "borderRadius": "20px", "width": END_W,
             "color": "#14532d"}
MINIMAP_COLOR = ("(n) => (n.className || '').includes('problem') ? '#dc2626' : (n.className || '')"
                 ".includes('other') ? '#f59e0b' : (n.id === 'end' ? '#16a34a' : '#6366f1')")
ROUTE_STROKE = {"stroke": "#475569", "strokeWidth": 1.5}
AUTO_STROKE = {"strokeDasharray": "4 3", "stroke": "#64748b", "strokeWidth": 1.5}


def _node(key: str, label: str, x: float, y: float, style: dict, **extra: Any) -> dict[str, Any]:
    return {"id": key, "position": {"x": x, "y": y}, "data": {"label": label}, "ariaLabel": label.replace("\n", ", "),
            "style": {**style, "whiteSpace": "pre-line", "lineHeight": f"{gl.NODE_LINE_H:g}px"}, **extra}


def _height(label: str, width: int) -> float:
    return gl.node_height(gl.wrapped_count(label, int((width - 20) / gl.CHAR_W)))


def _bad_phases(d: p.ProcessDef, problems) -> set[str]:
    bad = {pr.phase_id for pr in problems if pr.phase_id}
    return bad | {ph.id for ph in d.phases for t in ph.tasks for pr in problems if pr.task_id == t.id}


def _arrows(d: p.ProcessDef, others: dict[int, p.ProcessDef]) -> tuple[list[tuple[str, str, str, str]], dict[str, str]]:
    """(edge id, source, target, label) of every arrow, and the nodes outside the phases they need
    (key: label); the default next-phase arrows have an empty label and an id starting "auto:"."""
    index = {ph.id for ph in d.phases}
    arrows: list[tuple[str, str, str, str]] = []
    extra: dict[str, str] = {}
    for i, ph in enumerate(d.phases):
        if not ph.routes:
            nxt = d.phases[i + 1].id if i + 1 < len(d.phases) else "end"
            arrows.append((f"auto:{ph.id}", ph.id, nxt, ""))
            if nxt == "end":
                extra["end"] = _("complete")
            continue
        for r in ph.routes:
            if r.process_id not in (None, d.id):
                other = others.get(r.process_id)
                target_phase = other.phase(r.next_phase_id) if other else None
                target = f"x:{r.process_id}:{r.next_phase_id}"
                extra[target] = (f"{other.name} → {target_phase.name if target_phase else _('missing phase')}"
                                 if other else _("missing process"))
            elif r.next_phase_id in index:
                target = r.next_phase_id
            elif not r.next_phase_id:
                target = "end"
                extra["end"] = _("complete")
            else:
                target = "missing"
                extra["missing"] = _("missing phase")
            arrows.append((f"r:{ph.id}:{r.id}", ph.id, target, r.description))
    return arrows, extra


def flow_elements(d: p.ProcessDef, others: dict[int, p.ProcessDef],
                  problems: tuple[p.Problem, ...] | list[p.Problem]) -> tuple[list[dict], list[dict], str, dict]:
    """React Flow nodes and edges for a draft, a key that changes whenever they do, and the bounds
    of everything drawn (labels and lanes included), to fit into view on open.

    Long because: it lays out the three kinds of node (phases, the completion node, phases of
    other processes) where the designer put them or in a default place beside the phases, then
    places every arrow (see ``graph_layout``) and writes both as React Flow's dicts.
    """
    bad = _bad_phases(d, problems)
    arrows, extra = _arrows(d, others)
    places = {k: (x, y) for k, x, y in d.places}
    nodes: list[dict[str, Any]] = []
    boxes: dict[str, gl.Box] = {}
    for i, ph in enumerate(d.phases):
        label = f"{ph.name}\n{ngettext_tasks(len(ph.tasks))}" + ("\n⚠ " + _("problem") if ph.id in bad else "")
        x, y = ph.x if ph.x is not None else 0, ph.y if ph.y is not None else i * ROW
        nodes.append(_node(ph.id, label, x, y, PROBLEM_STYLE if ph.id in bad else PHASE_STYLE,
                           className="phase-node problem" if ph.id in bad else "phase-node"))
        boxes[ph.id] = gl.Box(x, y, PHASE_W, _height(label, PHASE_W))
    column_right = max((b.right for b in boxes.values()), default=PHASE_W)
    if "end" in extra:
        x, y = places.get("end", (PHASE_W / 2 - END_W / 2, max((b.y for b in boxes.values()), default=-ROW) + ROW))
        nodes.append(_node("end", extra["end"], x, y, END_STYLE, className="end-node", connectable=False))
        boxes["end"] = gl.Box(x, y, END_W, _height(extra["end"], END_W))
    side = [k for k in extra if k != "end"]
    unplaced, below = [], -1e9
    for key in side:
        first = next(boxes[s] for _i, s, t, _l in arrows if t == key)
        height = _height(extra[key], OTHER_W)
        x, y = places.get(key, (1e6, max(first.mid_y - height / 2, below + 16)))
        boxes[key] = gl.Box(x, y, OTHER_W, height)
        below = max(below, boxes[key].bottom) if key not in places else below
        if key not in places:
            unplaced.append(key)
    layout = gl.Layout(boxes, frozenset(side))
    shapes = [gl.Arrow(source, target, gl.label_lines(label), 1 if target in side else -1)
              for _id, source, target, label in arrows]
    # Inner lanes first: short spans before long ones; a route into its own phase last (outermost).
    order = sorted(range(len(arrows)), key=lambda n: (arrows[n][2] in side, arrows[n][1] == arrows[n][2],
                                                      abs(boxes[arrows[n][1]].y - boxes[arrows[n][2]].y)))
    placed: dict[int, gl.Placed] = {}
    for n in order:
        placed[n] = layout.place(shapes[n])
    lanes_right = max((pl.lane_x + (pl.label_box.w / 2 if pl.label_box else 6) for pl in placed.values()
                       if pl.mode == "lane" and pl.lane_x > column_right), default=column_right)
    for key in side:
        box = boxes[key]
        if key in unplaced:
            box = boxes[key] = gl.Box(max(lanes_right, column_right) + 40, box.y, box.w, box.h)
        nodes.append(_node(key, extra[key], box.x, box.y, PROBLEM_STYLE if key == "missing" else OTHER_STYLE,
                           className="other-node", connectable=False))
    at = gl.ports(boxes, shapes, [placed[n] for n in range(len(arrows))])
    edges = [_edge(arrows[n], placed[n], at[n]) for n in range(len(arrows))]
    key = hashlib.sha1(json.dumps([nodes, edges], sort_keys=True).encode()).hexdigest()[:12]
    return nodes, edges, key, _bounds([*boxes.values(), *layout.labels],
                                      [pl.lane_x for pl in placed.values() if pl.mode == "lane"])


def _bounds(boxes: list[gl.Box], lanes: list[float]) -> dict[str, float]:
    if not boxes:
        return {"x": 0, "y": 0, "width": 1, "height": 1}
    x0 = min([b.x for b in boxes] + lanes)
    x1 = max([b.right for b in boxes] + lanes)
    y0, y1 = min(b.y for b in boxes), max(b.bottom for b in boxes)
    return {"x": round(x0, 1), "y": round(y0, 1), "width": round(x1 - x0, 1), "height": round(y1 - y0, 1)}


def _edge(arrow: tuple[str, str, str, str], placed: gl.Placed, at: tuple[float, float]) -> dict[str, Any]:
    edge_id, source, target, label = arrow
    auto = edge_id.startswith("auto:")
    return {"id": edge_id, "source": source, "target": target, "label": label, "type": "route",
            "data": {"mode": placed.mode, "laneX": placed.lane_x, "labelY": placed.label_y, "sf": at[0], "tf": at[1],
                     "lines": gl.label_lines(label)},
            "style": AUTO_STROKE if auto else ROUTE_STROKE, "markerEnd": {"type": "arrowclosed", "color": "#475569"},
            "className": "auto-edge" if auto else "route-edge",
            "ariaLabel": _("Next phase by default") if auto else _("Route “{name}”").format(name=label)}


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
                flow.ot_controls(labels={"panel": T("Graph zoom"), "zoomIn": T("Zoom in"),
                                         "zoomOut": T("Zoom out"), "fit": T("Show the whole graph")}),
                rx.box(flow.minimap(pannable=True, zoomable=True, node_stroke_width=2,
                                    node_color=rx.Var(MINIMAP_COLOR), custom_attrs={"ariaLabel": T("Graph overview"),
                                                  "style": {"width": 140, "height": 90}}),
                       display=["none", "none", "block"]),
                flow.ot_fit_bounds(bounds=s.flow_bounds, min_zoom=0.6, max_zoom=1, view_key=s.pid.to(str)),
                flow.ot_key_moves(on_moved=s.graph_node_moved),
                key=s.flow_key,
                default_nodes=s.flow_nodes,
                default_edges=s.flow_edges,
                min_zoom=0.2,
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
