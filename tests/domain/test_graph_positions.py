"""Phase positions on the process graph: kept in the definition and through its JSON."""

from __future__ import annotations

import pytest

from ordertrack.db.mapping import process_from_json, process_to_json
from ordertrack.domain import process as p
from ordertrack.domain import process_edit as e
from ordertrack.pages import graph_layout as gl
from ordertrack.pages.process_graph import flow_elements


def _two() -> p.ProcessDef:
    return p.ProcessDef(1, "Build", phases=(p.PhaseDef("ph1", "Survey"), p.PhaseDef("ph2", "Install")))


def test_a_placed_phase_keeps_its_position_through_json():
    placed = e.place_phase(_two(), "ph2", 250.04, -40)
    back = process_from_json(process_to_json(placed), process_id=1)
    assert (back.phase("ph2").x, back.phase("ph2").y) == (250.0, -40)
    assert back.phase("ph1").x is None
    nodes, _edges, _key, _bounds = flow_elements(back, {}, [])
    assert next(n for n in nodes if n["id"] == "ph2")["position"] == {"x": 250.0, "y": -40}


def test_positions_off_the_graph_or_unknown_phases_are_refused():
    with pytest.raises(e.EditRefused):
        e.place_phase(_two(), "ph2", 1e9, 0)
    with pytest.raises(e.EditRefused):
        e.place_phase(_two(), "nope", 0, 0)


def test_problem_phases_are_red_and_routes_labelled():
    d = _two()
    d = e.add_route(d, "ph2", p.RouteDef("", "Back to survey", "ph1"))
    nodes, edges, _key, _bounds = flow_elements(d, {}, p.validate(d))
    assert {n["id"] for n in nodes if "problem" in n.get("className", "")} == {"ph1", "ph2"}
    assert any(x["label"] == "Back to survey" and x["source"] == "ph2" and x["target"] == "ph1" for x in edges)


def test_unplaced_phases_keep_the_old_json_text_and_layout_can_be_left_out():
    text = process_to_json(_two())
    assert '"x"' not in text
    placed = process_to_json(e.place_phase(_two(), "ph1", 10, 20))
    assert '"x": 10' in placed
    assert process_to_json(e.place_phase(_two(), "ph1", 10, 20), layout=False) == text


def test_routes_to_another_process_end_at_a_node_naming_its_process_and_phase():
    other = p.ProcessDef(7, "New Voice Service", phases=(p.PhaseDef("ph3", "Porting"),))
    d = e.add_route(_two(), "ph2", p.RouteDef("", "Hand over to voice", "ph3", 7))
    nodes, edges, _key, _bounds = flow_elements(d, {7: other}, [])
    node = next(n for n in nodes if n["id"] == "x:7:ph3")
    assert node["data"]["label"] == "New Voice Service → Porting"
    assert any(x["target"] == "x:7:ph3" and x["label"] == "Hand over to voice" for x in edges)
    assert not any(n["id"] == "end" for n in nodes), "nothing reaches completion: no floating node"


def _four() -> p.ProcessDef:
    """Four phases: routes both ways between the first two (a long Russian label back), a
    back-route from the third over the second, a route to another process and one to completion."""
    task = p.TaskDef("t1", "Work")
    return p.ProcessDef(1, "Build", phases=(
        p.PhaseDef("ph1", "Survey", tasks=(task,), routes=(p.RouteDef("r1", "Design it", "ph2"),)),
        p.PhaseDef("ph2", "Design", tasks=(task,), routes=(
            p.RouteDef("r2", "Вернуться на обследование для повторного замера", "ph1"),
            p.RouteDef("r3", "Install", "ph3"))),
        p.PhaseDef("ph3", "Install", tasks=(task,), routes=(
            p.RouteDef("r4", "Back to survey when the customer changed the plan", "ph1"),
            p.RouteDef("r5", "Hand over to voice", "ph3", 7), p.RouteDef("r6", "Check", "ph4"),
            p.RouteDef("r7", "Cancelled", ""))),
        p.PhaseDef("ph4", "Check"),
    ))


def _label_boxes(nodes, edges) -> tuple[list[gl.Box], list[gl.Box]]:
    width = {"end": 120}
    boxes = {n["id"]: gl.Box(n["position"]["x"], n["position"]["y"], width.get(n["id"], n["style"]["width"]),
                             gl.node_height(n["data"]["label"].count("\n") + 1)) for n in nodes}
    labels = []
    for x in edges:
        lines = x["data"]["lines"]
        if not lines:
            continue
        w, h = gl.label_size(lines)
        if x["data"]["mode"] == "lane":
            cx, cy = x["data"]["laneX"], x["data"]["labelY"]
        else:
            s, t = boxes[x["source"]], boxes[x["target"]]
            cx, cy = (s.x + s.w / 2 + t.x + t.w / 2) / 2, (s.bottom + t.y) / 2
        labels.append(gl.Box(cx - w / 2, cy - h / 2, w, h))
    return list(boxes.values()), labels


def test_back_routes_and_skips_run_in_lanes_beside_the_phases_and_labels_stay_clear():
    other = p.ProcessDef(7, "Voice porting", phases=(p.PhaseDef("ph3", "Porting"),))
    nodes, edges, _key, bounds = flow_elements(_four(), {7: other}, [])
    by_id = {x["id"]: x for x in edges}
    assert by_id["r:ph1:r1"]["data"]["mode"] == "direct"  # Survey → Design: straight down
    assert by_id["r:ph2:r2"]["data"]["mode"] == "lane"  # and back: a lane beside them
    back = by_id["r:ph3:r4"]["data"]
    assert back["mode"] == "lane" and back["laneX"] < 0  # loops around Design, on the left
    assert by_id["r:ph3:r7"]["data"]["mode"] == "lane"  # Install → complete skips Check
    assert by_id["r:ph3:r5"]["data"]["laneX"] > 200  # to the other process: on the right
    boxes, labels = _label_boxes(nodes, edges)
    for i, label in enumerate(labels):
        assert not any(label.hits(b) for b in boxes), f"label {i} covers a node"
        assert not any(label.hits(other) for other in labels[i + 1:]), f"label {i} covers another"
        assert bounds["x"] <= label.x and label.right <= bounds["x"] + bounds["width"]


def test_dragged_completion_and_other_process_nodes_keep_their_place_out_of_the_version():
    d = _four()
    keep = {"end", "x:7:ph3"}
    placed = e.place_node(e.place_node(d, "x:7:ph3", 500, 20, keep=keep), "end", 300.04, 700, keep=keep)
    assert placed.places == (("end", 300.0, 700), ("x:7:ph3", 500, 20))
    back = process_from_json(process_to_json(placed), process_id=1)
    assert back.places == placed.places
    nodes, _edges, _key, _bounds = flow_elements(back, {}, [])
    assert next(n for n in nodes if n["id"] == "end")["position"] == {"x": 300.0, "y": 700}
    assert process_to_json(placed, layout=False) == process_to_json(d, layout=False)
    assert '"places"' not in process_to_json(d)
    assert e.diff(d, placed) == []
    with pytest.raises(e.EditRefused):
        e.place_node(d, "ph1", 0, 0, keep=keep)
    with pytest.raises(e.EditRefused):
        e.place_node(d, "end", 0, 1e9, keep=keep)
    # A node no longer drawn (its route deleted) loses its place at the next move.
    assert e.place_node(placed, "end", 1, 2, keep={"end"}).places == (("end", 1, 2),)


def test_a_route_into_its_own_phase_and_phases_side_by_side():
    d = e.add_route(_two(), "ph1", p.RouteDef("", "Try again", "ph1"))
    d = e.add_route(e.place_phase(d, "ph2", 400, 0), "ph2", p.RouteDef("", "Back", "ph1"))
    _nodes, edges, _key, _bounds = flow_elements(d, {}, [])
    by_label = {x["label"]: x["data"] for x in edges}
    assert by_label["Try again"]["mode"] == "lane" and by_label["Try again"]["laneX"] < 0
    assert by_label["Back"]["mode"] == "lane" and 200 < by_label["Back"]["laneX"] < 400  # between the two
