"""React Flow (@xyflow/react) wrapped for Reflex: an editable node graph.

Nodes and edges are passed uncontrolled (default_nodes/default_edges); give the component a
``key`` that changes with the data so it redraws after every server-side change.

Edges of type ``route`` are drawn by ``OtRouteEdge`` (JavaScript below): ``data.mode`` "direct" is
a rounded step from the source's lower handle to the target's upper one; "lane" leaves the side
of the source, runs down or up a vertical line at ``data.laneX`` and enters the side of the target
(so a back-route loops around the phases between), at ``data.sf``/``data.tf`` of the source's and
target's height (the lanes on one side of a node are spread along it). ``data.lines`` is the label, one string per
line, drawn on a white box at the path's middle (direct) or on the lane at ``data.labelY``; the
label is part of the edge, so clicking it is clicking the edge. ``OtControls`` are the zoom
buttons with translated names; ``OtFitBounds`` fits the given bounds (labels included, which
React Flow's own fitView leaves out) on open, never below a readable zoom, and keeps the view when
the graph is redrawn after an edit; ``OtKeyMoves`` saves nodes moved with the arrow keys.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var
from reflex.vars.object import ObjectVar

VERSION = "12.3.6"
LIBRARY = f"@xyflow/react@{VERSION}"

_EDGE_JS = r"""
const otBox = (n) => ({x: n.internals.positionAbsolute.x, y: n.internals.positionAbsolute.y,
  w: (n.measured && n.measured.width) || n.width || 0, h: (n.measured && n.measured.height) || n.height || 0});
const otLanePath = (sx, sy, x, tx, ty) => {
  const r = Math.max(0, Math.min(8, Math.abs(ty - sy) / 2, Math.abs(x - sx), Math.abs(x - tx)));
  const a = Math.sign(x - sx) || 1, b = Math.sign(ty - sy) || 1, c = Math.sign(tx - x) || 1;
  return `M ${sx} ${sy} L ${x - a * r} ${sy} Q ${x} ${sy} ${x} ${sy + b * r} ` +
    `L ${x} ${ty - b * r} Q ${x} ${ty} ${x + c * r} ${ty} L ${tx} ${ty}`;
};
function OtEdgeLabel({x, y, lines}) {
  const ref = useRef(null);
  const [box, setBox] = useState(null);
  useLayoutEffect(() => {
    if (ref.current) { const b = ref.current.getBBox(); setBox({w: b.width, h: b.height}); }
  }, [lines.join("\n")]);
  const w = (box ? box.w : lines.reduce((m, l) => Math.max(m, l.length), 0) * 7) + 12;
  const h = lines.length * 15 + 6;
  return <g className="route-label" transform={`translate(${x},${y})`} style={{pointerEvents: "all", cursor: "pointer"}}>
    <rect x={-w / 2} y={-h / 2} width={w} height={h} rx={4} fill="#ffffff" stroke="#94a3b8" strokeWidth={1}/>
    <text ref={ref} textAnchor="middle" fontSize={12} fill="#0f172a" style={{userSelect: "none"}}>
      {lines.map((l, i) => <tspan key={i} x={0} y={-h / 2 + 3 + 12 + i * 15 - 2}>{l}</tspan>)}
    </text>
  </g>;
}
function OtRouteEdge(props) {
  const {id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data,
    markerEnd, style} = props;
  const s = useInternalNode(source), t = useInternalNode(target);
  const d = data || {};
  let path, lx, ly;
  if (d.mode === "lane" && s && t) {
    const x = d.laneX, sb = otBox(s), tb = otBox(t);
    const sx = x < sb.x + sb.w / 2 ? sb.x - 3 : sb.x + sb.w + 3, sy = sb.y + sb.h * (d.sf || 0.5);
    const tx = x < tb.x + tb.w / 2 ? tb.x - 2 : tb.x + tb.w + 2, ty = tb.y + tb.h * (d.tf || 0.5);
    path = otLanePath(sx, sy, x, tx, ty);
    lx = x;
    ly = Math.min(Math.max(d.labelY, Math.min(sy, ty)), Math.max(sy, ty));
  } else {
    [path, lx, ly] = getSmoothStepPath({sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition,
      borderRadius: 8});
  }
  const lines = d.lines || [];
  return <>
    <BaseEdge id={id} path={path} markerEnd={markerEnd} style={style} interactionWidth={16}/>
    {lines.length ? <OtEdgeLabel x={lx} y={ly} lines={lines}/> : null}
  </>;
}
const otEdgeTypes = {route: OtRouteEdge};
function OtControls({labels}) {
  const {zoomIn, zoomOut, fitView} = useReactFlow();
  const l = labels || {};
  return <Controls showZoom={false} showFitView={false} showInteractive={false} aria-label={l.panel}>
    <ControlButton onClick={() => zoomIn()} title={l.zoomIn} aria-label={l.zoomIn}>+</ControlButton>
    <ControlButton onClick={() => zoomOut()} title={l.zoomOut} aria-label={l.zoomOut}>−</ControlButton>
    <ControlButton onClick={() => fitView({padding: 0.1})} title={l.fit} aria-label={l.fit}>⤢</ControlButton>
  </Controls>;
}
let otRefocus = null;
function OtKeyMoves({onMoved}) {
  const {getNodes, setNodes} = useReactFlow();
  const domNode = useStore((st) => st.domNode);
  const ready = useNodesInitialized();
  const timer = useRef(null);
  useEffect(() => {  // after a redraw, the node moved with the keys is selected and focused again
    if (!domNode || !ready || !otRefocus) return;
    const id = otRefocus;
    otRefocus = null;
    setNodes((nodes) => nodes.map((n) => (n.id === id ? {...n, selected: true} : n)));
    const node = domNode.querySelector(`.react-flow__node[data-id="${CSS.escape(id)}"]`);
    if (node) node.focus();
  }, [domNode, ready]);
  useEffect(() => {
    if (!domNode || !onMoved) return;
    const keyUp = (event) => {
      if (!event.key.startsWith("Arrow") || !event.target.closest(".react-flow__node")) return;
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        const moved = getNodes().filter((n) => n.selected);
        if (moved.length) otRefocus = moved[0].id;
        moved.forEach((n) => onMoved(n.id, n.position.x, n.position.y));
      }, 700);
    };
    domNode.addEventListener("keyup", keyUp);
    return () => { domNode.removeEventListener("keyup", keyUp); clearTimeout(timer.current); };
  }, [domNode, onMoved]);
  return null;
}
const otViews = {};
function OtFitBounds({bounds, minZoom, maxZoom, viewKey}) {
  const {setViewport} = useReactFlow();
  useOnViewportChange({onEnd: (vp) => { if (viewKey) otViews[viewKey] = vp; }});
  const width = useStore((st) => st.width), height = useStore((st) => st.height);
  const ready = useNodesInitialized();
  const done = useRef(false);
  useEffect(() => {
    if (done.current || !ready || !width || !height || !bounds) return;
    done.current = true;
    if (viewKey && otViews[viewKey]) { setViewport(otViews[viewKey]); return; }
    const pad = 16;
    let zoom = Math.min((width - 2 * pad) / bounds.width, (height - 2 * pad) / bounds.height, maxZoom);
    if (zoom < minZoom) {
      zoom = minZoom;
      setViewport({x: pad - bounds.x * zoom, y: pad - bounds.y * zoom, zoom});
    } else {
      setViewport({x: (width - bounds.width * zoom) / 2 - bounds.x * zoom,
        y: (height - bounds.height * zoom) / 2 - bounds.y * zoom, zoom});
    }
  }, [ready, width, height, bounds, viewKey]);
  return null;
}
"""


def _connect(connection: ObjectVar[dict]) -> tuple[Var[str], Var[str]]:
    """onConnect(connection): the source and target node ids."""
    return (connection["source"].to(str), connection["target"].to(str))


def _edge_click(_event: ObjectVar[dict], edge: ObjectVar[dict]) -> tuple[Var[str]]:
    """onEdgeClick(event, edge): the edge id."""
    return (edge["id"].to(str),)


def _node_drag(_event: ObjectVar[dict], node: ObjectVar[dict]) -> tuple[Var[str], Var[float], Var[float]]:
    """onNodeDragStop(event, node): the node id and where it was dropped."""
    return (node["id"].to(str), node["position"].to(dict)["x"].to(float), node["position"].to(dict)["y"].to(float))


class ReactFlow(rx.Component):
    """The React Flow canvas."""

    library = LIBRARY
    tag = "ReactFlow"

    default_nodes: rx.Var[list[dict[str, Any]]]
    default_edges: rx.Var[list[dict[str, Any]]]
    fit_view: rx.Var[bool]
    fit_view_options: rx.Var[dict[str, Any]]
    nodes_connectable: rx.Var[bool]
    delete_key_code: rx.Var[Any]
    color_mode: rx.Var[str]
    edge_types: rx.Var[dict[str, Any]]
    min_zoom: rx.Var[float]
    max_zoom: rx.Var[float]

    on_connect: rx.EventHandler[_connect]
    on_edge_click: rx.EventHandler[_edge_click]
    on_node_drag_stop: rx.EventHandler[_node_drag]

    def add_imports(self) -> dict:
        """The library's stylesheet and what the route edge and the controls use."""
        return {"": "@xyflow/react/dist/style.css",
                LIBRARY: ["BaseEdge", "getSmoothStepPath", "useInternalNode", "Controls", "ControlButton",
                          "useReactFlow", "useStore", "useNodesInitialized", "useOnViewportChange"],
                "react": ["useRef", "useState", "useLayoutEffect", "useEffect"]}

    def add_custom_code(self) -> list[str]:
        """The route edge, the translated controls and the fit on open."""
        return [_EDGE_JS]

    @classmethod
    def create(cls, *children, **props) -> rx.Component:
        """The canvas, with the route edge type."""
        props.setdefault("edge_types", rx.Var("otEdgeTypes"))
        return super().create(*children, **props)


class OtControls(rx.Component):
    """Zoom in, zoom out and fit, named in the page's language: ``labels`` has ``panel``,
    ``zoomIn``, ``zoomOut`` and ``fit``."""

    tag = "OtControls"
    labels: rx.Var[dict[str, Any]]


class OtFitBounds(rx.Component):
    """Fits ``bounds`` ({x, y, width, height}, graph coordinates) into the view once the nodes are
    measured; below ``min_zoom`` it shows the top left corner at that zoom instead. When the graph
    of the same ``view_key`` is redrawn (after an edit) it keeps the view the designer left instead
    (until the page is reloaded)."""

    tag = "OtFitBounds"
    bounds: rx.Var[dict[str, Any]]
    view_key: rx.Var[str]
    min_zoom: rx.Var[float]
    max_zoom: rx.Var[float]


def _key_move(node_id: Var[str], x: Var[float], y: Var[float]) -> tuple[Var[str], Var[float], Var[float]]:
    """OtKeyMoves' onMoved(id, x, y): the node id and where the arrow keys left it."""
    return (node_id.to(str), x.to(float), y.to(float))


class OtKeyMoves(rx.Component):
    """Saves a node moved with the arrow keys as a drag is saved: ``on_moved`` (node id, x, y) once
    the keys have rested for 0.7 s (React Flow moves a selected node with the arrow keys, Enter
    selects the focused one, but it tells only drags); after the redraw that follows, that node is
    selected and has the focus again, so the keys go on moving it."""

    tag = "OtKeyMoves"
    on_moved: rx.EventHandler[_key_move]


class MiniMap(rx.Component):
    """The overview map (pannable, zoomable)."""

    library = LIBRARY
    tag = "MiniMap"
    aria_label: rx.Var[str]
    pannable: rx.Var[bool]
    zoomable: rx.Var[bool]
    node_color: rx.Var[Any]
    node_stroke_width: rx.Var[float]


class Background(rx.Component):
    """The dotted background."""

    library = LIBRARY
    tag = "Background"


class Controls(rx.Component):
    """Zoom and fit buttons."""

    library = LIBRARY
    tag = "Controls"


react_flow = ReactFlow.create
background = Background.create
controls = Controls.create
ot_controls = OtControls.create
ot_fit_bounds = OtFitBounds.create
ot_key_moves = OtKeyMoves.create
minimap = MiniMap.create
