"""React Flow (@xyflow/react) wrapped for Reflex: an editable node graph.

Nodes and edges are passed uncontrolled (default_nodes/default_edges); give the component a
``key`` that changes with the data so it redraws after every server-side change.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var
from reflex.vars.object import ObjectVar

VERSION = "12.3.6"


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

    library = f"@xyflow/react@{VERSION}"
    tag = "ReactFlow"

    default_nodes: rx.Var[list[dict[str, Any]]]
    default_edges: rx.Var[list[dict[str, Any]]]
    fit_view: rx.Var[bool]
    fit_view_options: rx.Var[dict[str, Any]]
    nodes_connectable: rx.Var[bool]
    delete_key_code: rx.Var[Any]
    color_mode: rx.Var[str]

    on_connect: rx.EventHandler[_connect]
    on_edge_click: rx.EventHandler[_edge_click]
    on_node_drag_stop: rx.EventHandler[_node_drag]

    def add_imports(self) -> dict:
        """The library's stylesheet."""
        return {"": "@xyflow/react/dist/style.css"}


class Background(rx.Component):
    """The dotted background."""

    library = f"@xyflow/react@{VERSION}"
    tag = "Background"


class Controls(rx.Component):
    """Zoom and fit buttons."""

    library = f"@xyflow/react@{VERSION}"
    tag = "Controls"


react_flow = ReactFlow.create
background = Background.create
controls = Controls.create
