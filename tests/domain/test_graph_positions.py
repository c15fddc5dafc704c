"""Phase positions on the process graph: kept in the definition and through its JSON."""

from __future__ import annotations

import pytest

from ordertrack.db.mapping import process_from_json, process_to_json
from ordertrack.domain import process as p
from ordertrack.domain import process_edit as e
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
