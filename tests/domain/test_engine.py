"""The engine: every rule (role, comment, window, terminal, auto-after, auto-on-event)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordertrack.domain import engine
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import (
    CLIENT_WORKFLOW,
    OBJECT_WORKFLOW,
    ORDER_WORKFLOW,
    Auto,
    AutoKind,
    Status,
    Transition,
    Workflow,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
C = frozenset({Role.CUSTOMER})
MOD = frozenset({Role.MODERATOR})
OP = frozenset({Role.OPERATOR})


def check(wf, current, target, roles, *, since=T0, now=T0, comment="", automatic=False):
    return engine.check(wf, current=current, target=target, roles=roles, status_since=since, now=now,
                        comment=comment, automatic=automatic)


def test_allowed_role_passes_and_other_role_is_refused_with_who_may():
    assert check(ORDER_WORKFLOW, "planning", "execution", OP).allowed
    d = check(ORDER_WORKFLOW, "planning", "execution", C)
    assert not d.allowed
    assert d.reason == "Only Administrator or Operator or Support may change Planning and Provisioning to Execution"


def test_decide_raises_with_the_reason():
    with pytest.raises(engine.TransitionRefused, match="Only .* may change"):
        engine.decide(ORDER_WORKFLOW, current="planning", target="execution", roles=C, status_since=T0, now=T0)


@pytest.mark.parametrize("comment", ["", "   ", "\n\t"])
def test_comment_required_blank_counts_as_missing(comment):
    d = check(CLIENT_WORKFLOW, "new", "potential", frozenset({Role.PARTNER}), comment=comment)
    assert (d.allowed, d.reason) == (False, "A comment is required to change New to Potential")
    assert check(CLIENT_WORKFLOW, "new", "potential", frozenset({Role.PARTNER}), comment="met them").allowed


def test_customer_window_inside_eight_days():
    assert check(OBJECT_WORKFLOW, "verified", "active", C, now=T0 + timedelta(days=8)).allowed
    assert check(OBJECT_WORKFLOW, "verified", "equipped", C, now=T0 + timedelta(days=7)).allowed


def test_customer_window_closed_after_eight_days_moderator_still_may():
    d = check(OBJECT_WORKFLOW, "verified", "active", C, now=T0 + timedelta(days=8, seconds=1))
    assert not d.allowed
    assert "after 8 days in Verified" in d.reason and "Server moderator" in d.reason
    assert check(OBJECT_WORKFLOW, "verified", "active", MOD, now=T0 + timedelta(days=30)).allowed


def test_terminal_status_nothing_leaves():
    d = check(OBJECT_WORKFLOW, "decommissioned", "active", frozenset({Role.ADMIN}))
    assert d.reason == "Decommissioned is permanent: nothing can leave it"
    assert engine.available(OBJECT_WORKFLOW, current="decommissioned", roles={Role.ADMIN}, status_since=T0,
                            now=T0) == ()


def test_unknown_status_and_missing_move_and_same_status():
    assert check(ORDER_WORKFLOW, "limbo", "closed", OP).reason == "Unknown status 'limbo' in workflow Order"
    assert check(ORDER_WORKFLOW, "planning", "nowhere", OP).reason == "Unknown status 'nowhere' in workflow Order"
    assert check(OBJECT_WORKFLOW, "new", "active", frozenset({Role.ADMIN})).reason == "There is no move from New to Active"
    assert check(ORDER_WORKFLOW, "planning", "planning", OP).reason == "Already Planning and Provisioning"


def test_auto_after_timer_and_automatic_move():
    t, due = engine.next_timer(ORDER_WORKFLOW, current="validation", entered_at=T0, calendar=None)
    assert (t.target, due) == ("closed", T0 + timedelta(days=2))
    assert t.auto.note == "approved automatically after 2 days"
    assert check(ORDER_WORKFLOW, "validation", "closed", frozenset(), automatic=True).allowed
    assert engine.next_timer(ORDER_WORKFLOW, current="planning", entered_at=T0, calendar=None) is None


def test_automatic_is_refused_for_a_manual_only_move():
    d = check(ORDER_WORKFLOW, "planning", "execution", frozenset(), automatic=True)
    assert d.reason == "Planning and Provisioning to Execution cannot happen automatically"


def test_business_time_timer_needs_and_uses_the_calendar():
    wf = Workflow("t", "Ticket", (Status("open", "Open"), Status("escalated", "Escalated")),
                  (Transition("open", "escalated", frozenset(),
                              auto=Auto(AutoKind.AFTER, after=timedelta(hours=2), business=True)),), "open")
    friday_1630 = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        engine.next_timer(wf, current="open", entered_at=friday_1630, calendar=None)
    _, due = engine.next_timer(wf, current="open", entered_at=friday_1630, calendar=BusinessCalendar())
    assert due == datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    assert "only happens automatically" in check(wf, "open", "escalated", frozenset({Role.ADMIN})).reason


def test_auto_on_event():
    t = engine.on_event(OBJECT_WORKFLOW, current="out_of_service", event="object.in_service")
    assert t is not None and t.target == "active"
    assert engine.on_event(OBJECT_WORKFLOW, current="out_of_service", event="object.exploded") is None
    assert engine.on_event(OBJECT_WORKFLOW, current="active", event="object.in_service") is None


def test_available_lists_exactly_the_permitted_moves():
    moves = engine.available(OBJECT_WORKFLOW, current="verified", roles=C, status_since=T0, now=T0)
    assert {t.target for t in moves} == {"active", "equipped", "diagnostics"}
    late = engine.available(OBJECT_WORKFLOW, current="verified", roles=C, status_since=T0,
                            now=T0 + timedelta(days=9))
    assert {t.target for t in late} == {"diagnostics"}
    assert {t.target for t in engine.available(ORDER_WORKFLOW, current="validation", roles=C,
                                               status_since=T0, now=T0)} == {"closed"}


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError):
        check(ORDER_WORKFLOW, "planning", "execution", OP, now=datetime(2026, 1, 1))
