"""The SLA clock: business time counted towards an order's resolution target.

The clock runs on the business calendar from the order's creation until it is closed or
canceled, and pauses while the order waits on the customer (which situations pause it is
data: ``PauseRule``). ``read_clock`` turns the clock's start, its pauses and ``now`` into
elapsed, paused and remaining business time, the share of the target used, and the instant
each warning threshold was or will be crossed (given no further pauses).
``pauses_from_history`` derives the pauses from an order's history of situations (phase,
tracking status, tickets, hold), for data that was not recorded live.

Pure: no clock reads, no I/O; times are aware datetimes, durations ``timedelta``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.workflows import ORDER_WORKFLOW

DEFAULT_THRESHOLDS: tuple[int, ...] = (50, 75, 100)
MAX_THRESHOLD = 500


class PauseKind(StrEnum):
    """What a pause rule looks at."""

    PHASE = "phase"  # the order's phase, e.g. validation (Customer Validation)
    STATUS = "status"  # the order's tracking status, e.g. approve_eti
    TICKET = "ticket"  # one of the order's unclosed tickets is in this status, e.g. on_hold
    HOLD = "hold"  # the order is on hold (a process task put it on hold); key "hold"


HOLD_KEY = "hold"
_KIND_ORDER = {PauseKind.PHASE: 0, PauseKind.STATUS: 1, PauseKind.HOLD: 2, PauseKind.TICKET: 3}


@dataclass(frozen=True, slots=True)
class PauseRule:
    """The clock pauses while the order's ``kind`` has the value ``key``."""

    kind: PauseKind
    key: str

    @property
    def code(self) -> str:
        """``kind:key``, the rule as stored."""
        return f"{self.kind.value}:{self.key}"

    @classmethod
    def parse(cls, code: str) -> PauseRule:
        """The rule of a ``kind:key`` code; raises ValueError for a malformed one."""
        kind, sep, key = (code or "").strip().partition(":")
        if not sep or not key:
            raise ValueError(f"A pause rule looks like kind:key, not {code!r}")
        return cls(PauseKind(kind), key)


DEFAULT_PAUSE_RULES: frozenset[PauseRule] = frozenset({
    PauseRule(PauseKind.PHASE, "validation"),
    PauseRule(PauseKind.HOLD, HOLD_KEY),
    PauseRule(PauseKind.TICKET, "on_hold"),
})


@dataclass(frozen=True, slots=True)
class Situation:
    """What the pause rules look at, at one moment of an order's life."""

    phase: str
    status: str = ""
    ticket_statuses: frozenset[str] = frozenset()
    on_hold: bool = False

    @property
    def stopped(self) -> bool:
        """The order is closed or canceled: its clock has stopped for good."""
        return ORDER_WORKFLOW.has(self.phase) and ORDER_WORKFLOW.is_terminal(self.phase)


def pause_rule(situation: Situation, rules: Iterable[PauseRule]) -> PauseRule | None:
    """The rule that pauses the clock in ``situation``, or None while it runs.

    When several rules match, the phase wins over the status, the status over a hold and a
    hold over a ticket (so the reason shown is the most visible one).
    """
    matches = []
    for rule in rules:
        if (
            (rule.kind is PauseKind.PHASE and situation.phase == rule.key)
            or (rule.kind is PauseKind.STATUS and situation.status == rule.key)
            or (rule.kind is PauseKind.HOLD and situation.on_hold)
            or (rule.kind is PauseKind.TICKET and rule.key in situation.ticket_statuses)
        ):
            matches.append(rule)
    return min(matches, key=lambda r: (_KIND_ORDER[r.kind], r.key), default=None)


@dataclass(frozen=True, slots=True)
class Pause:
    """The clock stood still from ``start`` to ``end`` (None: it still does)."""

    start: datetime
    end: datetime | None = None
    reason: str = ""


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Crossing:
    """When the clock used ``percent`` % of the target.

    ``at`` is in the past when ``reached``; a future instant when the clock runs (given no
    further pauses); None when it is paused or stopped before reaching it.
    """

    percent: int
    at: datetime | None
    reached: bool


@dataclass(frozen=True, slots=True)
class ClockReading:
    """The SLA clock at one instant."""

    state: ClockState
    target: timedelta
    elapsed: timedelta
    paused: timedelta
    crossings: tuple[Crossing, ...]
    deadline: datetime | None

    @property
    def remaining(self) -> timedelta:
        """Business time left before the target is missed; negative when it was."""
        return self.target - self.elapsed

    @property
    def percent(self) -> float:
        """Share of the target used, in percent (above 100 once breached)."""
        return 100.0 * (self.elapsed / self.target)

    @property
    def breached(self) -> bool:
        """The target has been used up."""
        return self.elapsed >= self.target


def validate_thresholds(values: Iterable[int]) -> tuple[int, ...]:
    """Sorted, distinct thresholds in percent; raises ValueError with a readable reason."""
    out = set()
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_THRESHOLD:
            raise ValueError(f"A threshold is a whole percentage from 1 to {MAX_THRESHOLD}.")
        out.add(v)
    if not out:
        raise ValueError("Keep at least one threshold.")
    return tuple(sorted(out))


def _intervals(pauses: Iterable[Pause], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Pauses clipped to [start, end], sorted and merged (an open pause lasts until ``end``)."""
    clipped = []
    for p in pauses:
        a = max(p.start, start)
        b = min(p.end if p.end is not None else end, end)
        if b > a:
            clipped.append((a, b))
    clipped.sort()
    merged: list[tuple[datetime, datetime]] = []
    for a, b in clipped:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def read_clock(
    *,
    started_at: datetime,
    target: timedelta,
    pauses: Sequence[Pause],
    now: datetime,
    calendar: BusinessCalendar,
    stopped_at: datetime | None = None,
    thresholds: Iterable[int] = DEFAULT_THRESHOLDS,
) -> ClockReading:
    """Read the SLA clock at ``now``.

    Args:
        started_at: when the clock started (the order's creation).
        target: the resolution target in business time (positive).
        pauses: when the clock stood still; an open pause (``end`` None) lasts until now.
        now: the instant of the reading.
        calendar: the business calendar (working hours, time zone, holidays).
        stopped_at: when the order was closed or canceled, if it was.
        thresholds: percentages of the target whose crossing instants are wanted.

    Returns:
        The reading: elapsed and paused business time, crossings, and the deadline (the
        instant the target is used up: past when breached, future while running, None
        while paused or stopped before it).
    """
    if target <= timedelta():
        raise ValueError("the target must be positive")
    for name, at in (("started_at", started_at), ("now", now)):
        if at.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")
    end = now if stopped_at is None else min(now, stopped_at)
    end = max(end, started_at)
    paused_spans = _intervals(pauses, started_at, end)
    running: list[tuple[datetime, datetime]] = []
    cursor = started_at
    for a, b in paused_spans:
        if a > cursor:
            running.append((cursor, a))
        cursor = b
    if end > cursor:
        running.append((cursor, end))
    run_times = [calendar.between(a, b) for a, b in running]
    elapsed = sum(run_times, timedelta())
    paused = sum((calendar.between(a, b) for a, b in paused_spans), timedelta())
    if stopped_at is not None and stopped_at <= now:
        state = ClockState.STOPPED
    elif any(p.start <= now and (p.end is None or p.end > now) for p in pauses):
        state = ClockState.PAUSED
    else:
        state = ClockState.RUNNING

    def crossing_at(need: timedelta) -> tuple[datetime | None, bool]:
        if need <= elapsed:
            used = timedelta()
            for (a, _), spent in zip(running, run_times, strict=True):
                if used + spent >= need:
                    return calendar.add(a, need - used), True
                used += spent
            return end, True  # need == elapsed == 0 cannot happen: thresholds are positive
        if state is ClockState.RUNNING:
            return calendar.add(end, need - elapsed), False
        return None, False

    crossings = []
    for pct in sorted(set(thresholds)):
        at, reached = crossing_at(target * pct / 100)
        crossings.append(Crossing(pct, at, reached))
    deadline, _ = crossing_at(target)
    return ClockReading(state=state, target=target, elapsed=elapsed, paused=paused, crossings=tuple(crossings),
                        deadline=deadline)


@dataclass(frozen=True, slots=True)
class ClockHistory:
    """The pauses and the stop derived from an order's history."""

    pauses: tuple[Pause, ...]
    stopped_at: datetime | None
    rules: tuple[PauseRule | None, ...]  # the rule of each pause (None never appears today)


def pauses_from_history(
    changes: Sequence[tuple[datetime, Situation]], rules: Iterable[PauseRule]
) -> ClockHistory:
    """Replay an order's situations (oldest first) through the pause rules.

    Args:
        changes: (when, situation) for every change of phase, status, tickets or hold.
        rules: the pause rules in force.

    Returns:
        The pauses (the last one open when the order is still paused) and when the order
        stopped (closed or canceled), if it did. A stop ends an open pause.
    """
    rules = tuple(rules)
    pauses: list[Pause] = []
    reasons: list[PauseRule | None] = []
    open_since: datetime | None = None
    open_rule: PauseRule | None = None
    for at, situation in changes:
        if situation.stopped:
            if open_since is not None:
                pauses.append(Pause(open_since, at, open_rule.code if open_rule else ""))
                reasons.append(open_rule)
            return ClockHistory(tuple(pauses), at, tuple(reasons))
        rule = pause_rule(situation, rules)
        if rule is not None and open_since is None:
            open_since, open_rule = at, rule
        elif rule is None and open_since is not None:
            pauses.append(Pause(open_since, at, open_rule.code if open_rule else ""))
            reasons.append(open_rule)
            open_since, open_rule = None, None
    if open_since is not None:
        pauses.append(Pause(open_since, None, open_rule.code if open_rule else ""))
        reasons.append(open_rule)
    return ClockHistory(tuple(pauses), None, tuple(reasons))


def business_day(calendar: BusinessCalendar) -> timedelta:
    """The length of one working day of ``calendar`` (e.g. 8 hours for 9:00-17:00)."""
    return datetime.combine(datetime.min.date(), calendar.end) - datetime.combine(datetime.min.date(), calendar.start)


def next_threshold(thresholds: Iterable[int], fired: Iterable[int]) -> int | None:
    """The lowest threshold that has not fired yet, or None when all have."""
    done = set(fired)
    return min((t for t in thresholds if t not in done), default=None)
