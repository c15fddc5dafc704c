"""The transition engine: is this move allowed for these roles now, and if not, why.

Guards have no side effects. Refusals carry a sentence a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import AutoKind, Transition, Workflow
from ordertrack.i18n import _

if TYPE_CHECKING:
    from ordertrack.domain.calendar import BusinessCalendar


class TransitionRefused(Exception):
    """A move the engine refused; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer."""

    allowed: bool
    reason: str
    transition: Transition | None


def _aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _labels(roles: Iterable[Role]) -> str:
    return _(" or ").join(sorted(Role(r).label for r in roles))


def _refuse(reason: str, transition: Transition | None = None) -> Decision:
    return Decision(False, reason, transition)


def _role_reason(workflow: Workflow, t: Transition, roles: frozenset[Role], elapsed: timedelta) -> str:
    """Empty when ``roles`` may make ``t`` by hand after ``elapsed`` in the source; else why not."""
    src, dst = workflow.label(t.source), workflow.label(t.target)
    if not roles & t.roles:
        if t.window and roles & t.window.roles_after:
            return ""
        if not t.roles:
            return _("{src} to {dst} only happens automatically").format(src=src, dst=dst)
        allowed = t.roles | (t.window.roles_after if t.window else frozenset())
        return _("Only {roles} may change {src} to {dst}").format(roles=_labels(allowed), src=src, dst=dst)
    if t.window and elapsed > timedelta(days=t.window.days) and not roles & t.window.roles_after:
        return _("Only {roles} may set {dst} after {days} days in {src}").format(
            roles=_labels(t.window.roles_after), dst=dst, days=f"{t.window.days:g}", src=src)
    return ""


def check(
    workflow: Workflow,
    *,
    current: str,
    target: str,
    roles: Iterable[Role],
    status_since: datetime,
    now: datetime,
    comment: str = "",
    automatic: bool = False,
) -> Decision:
    """Decide whether a move from ``current`` to ``target`` is allowed.

    Args:
        workflow: the workflow the subject follows.
        current: the subject's status.
        target: the wanted status.
        roles: the mover's roles (ignored when ``automatic``).
        status_since: when the subject entered ``current`` (time windows count from here).
        now: the time of the move.
        comment: the mover's comment; blank counts as missing.
        automatic: a timer or an event makes the move (the transition must be automatic).
    """
    _aware(status_since, "status_since")
    _aware(now, "now")
    if not workflow.has(current):
        return _refuse(f"Unknown status {current!r} in workflow {workflow.name}")
    if not workflow.has(target):
        return _refuse(f"Unknown status {target!r} in workflow {workflow.name}")
    src, dst = workflow.label(current), workflow.label(target)
    if current == target:
        return _refuse(_("Already {status}").format(status=src))
    if workflow.is_terminal(current):
        return _refuse(_("{status} is permanent: nothing can leave it").format(status=src))
    t = workflow.transition(current, target)
    if t is None:
        return _refuse(_("There is no move from {src} to {dst}").format(src=src, dst=dst))
    if automatic:
        if t.auto is None:
            return _refuse(_("{src} to {dst} cannot happen automatically").format(src=src, dst=dst), t)
        return Decision(True, "", t)
    reason = _role_reason(workflow, t, frozenset(Role(r) for r in roles), now - status_since)
    if reason:
        return _refuse(reason, t)
    if t.needs_comment and not (comment or "").strip():
        return _refuse(_("A comment is required to change {src} to {dst}").format(src=src, dst=dst), t)
    return Decision(True, "", t)


def decide(
    workflow: Workflow,
    *,
    current: str,
    target: str,
    roles: Iterable[Role],
    status_since: datetime,
    now: datetime,
    comment: str = "",
    automatic: bool = False,
) -> Transition:
    """Like :func:`check`, but returns the transition or raises TransitionRefused."""
    decision = check(
        workflow, current=current, target=target, roles=roles, status_since=status_since,
        now=now, comment=comment, automatic=automatic,
    )
    if not decision.allowed:
        raise TransitionRefused(decision.reason)
    assert decision.transition is not None
    return decision.transition


def available(
    workflow: Workflow, *, current: str, roles: Iterable[Role], status_since: datetime, now: datetime
) -> tuple[Transition, ...]:
    """The moves ``roles`` may make by hand from ``current`` now (comments not considered)."""
    _aware(status_since, "status_since")
    _aware(now, "now")
    role_set = frozenset(Role(r) for r in roles)
    if not workflow.has(current):
        return ()
    return tuple(
        t for t in workflow.outgoing(current)
        if not _role_reason(workflow, t, role_set, now - status_since)
    )


def next_timer(
    workflow: Workflow, *, current: str, entered_at: datetime, calendar: BusinessCalendar | None
) -> tuple[Transition, datetime] | None:
    """The earliest automatic AFTER move out of ``current`` and when it is due.

    Raises:
        ValueError: a business-time transition and no calendar.
    """
    _aware(entered_at, "entered_at")
    best: tuple[Transition, datetime] | None = None
    for t in workflow.outgoing(current):
        if t.auto is None or t.auto.kind is not AutoKind.AFTER or t.auto.after is None:
            continue
        if t.auto.business:
            if calendar is None:
                raise ValueError("a business-time timer needs a calendar")
            due = calendar.add(entered_at, t.auto.after)
        else:
            due = entered_at + t.auto.after
        if best is None or due < best[1]:
            best = (t, due)
    return best


def on_event(workflow: Workflow, *, current: str, event: str) -> Transition | None:
    """The automatic move out of ``current`` that ``event`` triggers, if any."""
    if not workflow.has(current):
        return None
    return next(
        (
            t for t in workflow.outgoing(current)
            if t.auto is not None and t.auto.kind is AutoKind.EVENT and t.auto.event == event
        ),
        None,
    )
