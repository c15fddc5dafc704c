"""The seed's graphs as data: exactly the moves and roles of seeds 01 and 04."""

from __future__ import annotations

import pytest

from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import (
    CLIENT_WORKFLOW,
    OBJECT_WORKFLOW,
    ORDER_WORKFLOW,
    Status,
    Transition,
    Workflow,
)

MOD, TS, INS, MGR, USR, ADM = (Role.MODERATOR, Role.TECH_SUPPORT, Role.INSTALLER, Role.MANAGER, Role.CUSTOMER,
                               Role.ADMIN)

SEED_CLIENT_MOVES = {
    ("new", "potential"), ("new", "refusal"), ("potential", "in_development"), ("in_development", "test"),
    ("test", "for_registration"), ("test", "refusal"), ("for_registration", "implementation"),
    ("implementation", "works"), ("works", "have_worked"), ("have_worked", "lost"), ("lost", "potential"),
    ("refusal", "potential"),
}

# The seed's "Status change process" table, rows for the same move merged.
SEED_OBJECT_TABLE = {
    ("new", "canceled"): {MOD, TS},
    ("new", "decommissioned"): {MOD, TS},
    ("new", "equipped"): {INS, TS, MGR},
    ("canceled", "new"): {MOD, TS},
    ("equipped", "new"): {MOD, TS},
    ("equipped", "verified"): {TS, MOD},
    ("equipped", "faulty"): {TS, MGR},
    ("verified", "equipped"): {MOD, USR},
    ("verified", "active"): {MOD, USR},
    ("verified", "diagnostics"): {MOD, USR},
    ("faulty", "diagnostics"): {TS, MOD, USR},
    ("active", "out_of_service"): {TS, MOD, USR},
    ("active", "diagnostics"): {TS, MOD},
    ("active", "reorder"): {TS, MOD},
    ("active", "blocked"): {TS, MOD},
    ("out_of_service", "active"): {TS, MOD, USR},
    ("diagnostics", "verified"): {TS, MGR},
    ("diagnostics", "service"): {TS, MGR},
    ("service", "dismantling"): {INS, TS, MGR},
    ("service", "serviced"): {INS, TS, MGR},
    ("dismantling", "mounting"): {INS, TS, MGR},
    ("mounting", "serviced"): {INS, TS, MGR},
    ("reorder", "service"): {TS, MGR},
    ("serviced", "verified"): {TS, MGR},
    ("serviced", "faulty"): {TS, MGR},
    ("serviced", "service"): {TS, MGR},
    ("blocked", "active"): {TS, MGR, USR},
    ("blocked", "diagnostics"): {TS, MGR, USR},
    ("blocked", "decommissioned"): {TS, MGR},
}


def test_client_workflow_has_exactly_the_seed_moves_for_admin_and_partner():
    assert {(t.source, t.target) for t in CLIENT_WORKFLOW.transitions} == SEED_CLIENT_MOVES
    assert all(t.roles == {Role.ADMIN, Role.PARTNER} and t.needs_comment for t in CLIENT_WORKFLOW.transitions)
    assert [s.label for s in CLIENT_WORKFLOW.statuses] == [
        "New", "Potential", "In development", "Test", "For registration", "Implementation", "Works",
        "Have worked", "Lost", "Refusal"]


@pytest.mark.parametrize(("move", "roles"), sorted(SEED_OBJECT_TABLE.items()))
def test_object_move_has_exactly_the_roles_the_seed_names(move, roles):
    t = OBJECT_WORKFLOW.transition(*move)
    assert t is not None, move
    assert t.roles == roles | {ADM}


def test_object_workflow_has_no_move_outside_the_table():
    assert {(t.source, t.target) for t in OBJECT_WORKFLOW.transitions} == set(SEED_OBJECT_TABLE)
    assert OBJECT_WORKFLOW.transition("new", "active") is None


def test_decommissioned_is_the_only_terminal_object_status():
    assert [s.key for s in OBJECT_WORKFLOW.statuses if s.terminal] == ["decommissioned"]


def test_order_phases_follow_seed_01():
    assert [s.label for s in ORDER_WORKFLOW.statuses] == [
        "Planning and Provisioning", "Execution", "Customer Validation", "Closed", "Canceled"]
    assert {s.key for s in ORDER_WORKFLOW.statuses if s.terminal} == {"closed", "canceled"}


@pytest.mark.parametrize(
    ("transitions", "message"),
    [
        ((Transition("a", "zzz", frozenset()),), "unknown status 'zzz'"),
        ((Transition("b", "a", frozenset()),), "'b' is terminal"),
        ((Transition("a", "b", frozenset()), Transition("a", "b", frozenset())), "duplicate transition"),
    ],
)
def test_workflow_validation(transitions, message):
    with pytest.raises(ValueError, match=message):
        Workflow("x", "X", (Status("a", "A"), Status("b", "B", terminal=True)), transitions, "a")
