"""Breach forecast: when an open order will likely be closed, with an 80 % band, and whether
its SLA target will likely be missed ("likely late by 2 days").

Model (empirical conditional resampling, per service type). The history is the closed
orders of the order's service type, each reduced to the business time it spent in each phase
(Planning and Provisioning, Execution, Customer Validation; repeated visits add up). For an
open order that has spent ``s`` business hours in its current phase, the candidates are the
closed orders that also spent at least ``s`` there (they "survived" as long); each one gives
one possible future: the rest of its time in that phase plus its own time in every later
phase. The 10th, 50th and 90th percentiles of these futures are the band and the median.

Why this model: phase durations here are skewed and heavy-tailed (a fibre line waits weeks
for a carrier, a licence takes an hour), so a normal or log-normal fit would misplace the
band; empirical quantiles need no distributional assumption and are easy to explain
("orders like this one took between X and Y"). Conditioning on the time already spent is
what makes the forecast move as an order gets stuck: a long wait predicts a longer rest when
durations are heavy-tailed. Keeping each historical order's phases together keeps their
correlation (an order that is slow to plan is usually slow to execute) without modelling
it. Priority changes the pace of the work (urgent work is expedited), but splitting each
service type by priority leaves too few orders per group; so each priority gets one speed
factor learned across all service types (the median ratio of its orders' work time to
their service type's median), and the service type's work phases are scaled by it. In the
backtest (bench/forecast_backtest.py) this roughly halves the false "likely late" alarms for
a few points fewer breaches caught; the bench prints both variants. When fewer than ``min_samples`` orders of the service type survived as long, the
longest ones are used with the rest of the current phase taken as zero, and the forecast
says so (``basis`` "tail": this order is slower than almost all of its history).

The SLA part counts only the phases the SLA clock runs in (not Customer Validation by
default): the median counted time at completion past the target means "likely late"; the
band's upper end past it means "at risk". Lateness is in business days of the calendar.

Pure: the caller passes the history, the calendar and ``now``.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.sla import business_day

PHASES: tuple[str, ...] = ("planning", "execution", "validation")
COUNTED_PHASES: frozenset[str] = frozenset({"planning", "execution"})
MIN_SAMPLES = 10
MIN_PRIORITY_SAMPLES = 20  # closed orders of a priority needed to learn its speed


def phase_hours(changes: Sequence[tuple[datetime, str]], *, until: datetime,
                calendar: BusinessCalendar) -> dict[str, float]:
    """Business hours spent in each phase, from an order's (when, phase) changes.

    Args:
        changes: (when, phase entered), oldest first; repeated phases (notes) are fine.
        until: the end of the last phase (the close, or now).
        calendar: the business calendar.

    Returns:
        Hours per phase key (every visit added up); phases never entered are absent.
    """
    out: dict[str, float] = {}
    for (at, phase), nxt in zip(changes, [*changes[1:], (until, "")], strict=True):
        end = min(nxt[0], until)
        if end > at:
            out[phase] = out.get(phase, 0.0) + calendar.between(at, end) / timedelta(hours=1)
        else:
            out.setdefault(phase, 0.0)
    return out


@dataclass(frozen=True, slots=True)
class ClosedOrder:
    """One closed order of the history: service type, close time, hours per phase, priority."""

    service_type: str
    closed_at: datetime
    hours: tuple[float, ...]  # business hours in each of PHASES
    priority: str = ""

    @classmethod
    def of(cls, service_type: str, closed_at: datetime, hours: Mapping[str, float],
           priority: str = "") -> ClosedOrder:
        """From a mapping phase -> hours (missing phases count as zero)."""
        return cls(service_type, closed_at, tuple(float(hours.get(p, 0.0)) for p in PHASES), priority)


class Outlook(StrEnum):
    ON_TRACK = "on_track"  # even the band's upper end meets the target
    AT_RISK = "at_risk"  # the band passes the target, the median does not
    LIKELY_LATE = "likely_late"  # the median passes the target
    BREACHED = "breached"  # the target is already used up
    NO_DATA = "no_data"  # no closed order of this service type yet


@dataclass(frozen=True, slots=True)
class Forecast:
    """The forecast of one open order.

    ``completion`` is (early, likely, late): the 10th, 50th and 90th percentile close dates.
    ``sla_hours`` is the same band for the SLA business hours used at completion.
    """

    outlook: Outlook
    completion: tuple[datetime, datetime, datetime] | None
    sla_hours: tuple[float, float, float] | None
    target_hours: float
    late_by_days: int  # business days the median passes the target (0 when it does not)
    samples: int
    basis: str  # "service type" | "tail" | "" (no data)


def _median(values: Sequence[float]) -> float:
    return band(values)[1] if values else 0.0


def band(values: Sequence[float]) -> tuple[float, float, float]:
    """The 10th, 50th and 90th percentiles of ``values``: linear interpolation between order
    statistics (numpy's default, "type 7"). Written out rather than ``statistics.quantiles``,
    whose weighted average of two equal values can come out a hair off and unorder the band."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    last = len(ordered) - 1
    out = []
    for p in (0.1, 0.5, 0.9):
        pos = p * last
        lo = math.floor(pos)
        hi = min(lo + 1, last)
        value = ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
        out.append(max(value, out[-1]) if out else value)
    return out[0], out[1], out[2]


@dataclass
class ForecastModel:
    """The closed orders grouped by service type, with each priority's speed (build once, reuse)."""

    by_service: dict[str, list[ClosedOrder]]
    factors: dict[str, float] = field(default_factory=dict)  # priority -> speed factor of its work
    min_samples: int = MIN_SAMPLES
    counted_phases: frozenset[str] = COUNTED_PHASES
    _scaled: dict[tuple[str, str], list[ClosedOrder]] = field(default_factory=dict, repr=False)
    _sorted: dict[tuple, tuple[list[float], list[ClosedOrder]]] = field(default_factory=dict, repr=False)
    _memo: dict[tuple, tuple] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, history: Iterable[ClosedOrder], *, min_samples: int = MIN_SAMPLES, by_priority: bool = True,
              counted_phases: Iterable[str] = COUNTED_PHASES) -> ForecastModel:
        """Group ``history`` by service type and learn how fast each priority's work goes.

        A priority's factor is the median, over its closed orders of every service type, of
        their work time (the counted phases) divided by the median work time of their service
        type; priorities with fewer than ``MIN_PRIORITY_SAMPLES`` orders get none.

        Args:
            min_samples: survivors needed before falling back to the longest orders ("tail").
            by_priority: learn priority factors (False: the service type alone).
            counted_phases: the phases the SLA clock counts (the work).
        """
        by: dict[str, list[ClosedOrder]] = {}
        for c in history:
            by.setdefault(c.service_type, []).append(c)
        counted = frozenset(counted_phases)
        factors: dict[str, float] = {}
        if by_priority:
            work = [i for i, p in enumerate(PHASES) if p in counted]
            ratios: dict[str, list[float]] = {}
            for rows in by.values():
                usual = _median([sum(c.hours[i] for i in work) for c in rows])
                if usual > 0:
                    for c in rows:
                        ratios.setdefault(c.priority, []).append(sum(c.hours[i] for i in work) / usual)
            factors = {p: _median(r) for p, r in ratios.items()
                       if p and len(r) >= MIN_PRIORITY_SAMPLES and _median(r) > 0}
        return cls(by_service=by, factors=factors, min_samples=min_samples, counted_phases=counted)

    def samples(self, service_type: str) -> int:
        """How many closed orders of ``service_type`` the model knows."""
        return len(self.by_service.get(service_type, ()))

    def _group(self, service_type: str, priority: str) -> tuple[tuple, list[ClosedOrder], str]:
        """The service type's history, its work scaled to ``priority``'s speed when known."""
        rows = self.by_service.get(service_type, [])
        factor = self.factors.get(priority)
        if factor is None:
            return (service_type,), rows, "service type"
        key = (service_type, priority)
        if key not in self._scaled:
            self._scaled[key] = [
                ClosedOrder(c.service_type, c.closed_at, tuple(h * factor if PHASES[i] in self.counted_phases else h
                                                               for i, h in enumerate(c.hours)), c.priority)
                for c in rows]
        return key, self._scaled[key], "service type and priority"

    def _by_phase(self, key: tuple, rows: list[ClosedOrder], index: int) -> tuple[list[float], list[ClosedOrder]]:
        if (key, index) not in self._sorted:
            ordered = sorted(rows, key=lambda c: c.hours[index])
            self._sorted[(key, index)] = ([c.hours[index] for c in ordered], ordered)
        return self._sorted[(key, index)]

    def remaining(self, service_type: str, phase: str, spent_hours: float,
                  priority: str = "") -> tuple[tuple, tuple, int, str]:
        """Quantiles of the remaining (total, counted) business hours of an order in ``phase``.

        Returns:
            ((total q10, q50, q90), (counted q10, q50, q90), samples used, basis); empty
            tuples when the service type has no history.
        """
        if phase not in PHASES:
            raise ValueError(f"not an open phase: {phase!r}")
        index = PHASES.index(phase)
        spent = max(0.0, spent_hours)
        key, group, basis = self._group(service_type, priority)
        memo_key = (key, index, round(spent, 2))
        if memo_key in self._memo:
            return self._memo[memo_key]
        hours, rows = self._by_phase(key, group, index)
        if not rows:
            out: tuple = ((), (), 0, "")
            self._memo[memo_key] = out
            return out
        start = bisect_left(hours, spent)
        if len(rows) - start < self.min_samples:
            start = max(0, len(rows) - self.min_samples)
            basis = "tail"
        later = range(index + 1, len(PHASES))
        counted_now = PHASES[index] in self.counted_phases
        totals, counted = [], []
        for c in rows[start:]:
            rest = max(c.hours[index] - spent, 0.0)
            after = [c.hours[i] for i in later]
            after_counted = [c.hours[i] for i in later if PHASES[i] in self.counted_phases]
            totals.append(rest + sum(after))
            counted.append((rest if counted_now else 0.0) + sum(after_counted))
        out = (band(totals), band(counted), len(totals), basis)
        self._memo[memo_key] = out
        return out

    def forecast(self, *, service_type: str, phase: str, spent_hours: float, elapsed_sla_hours: float,
                 target_hours: float, now: datetime, calendar: BusinessCalendar, priority: str = "") -> Forecast:
        """Forecast one open order.

        Args:
            service_type: the order's service type.
            phase: its current phase (planning, execution or validation).
            spent_hours: business hours it has spent in that phase so far.
            elapsed_sla_hours: business hours its SLA clock has counted so far.
            target_hours: its SLA target in business hours.
            now: the time of the forecast.
            calendar: the business calendar.
            priority: its priority (used when enough history of that priority exists).
        """
        total, counted, n, basis = self.remaining(service_type, phase, spent_hours, priority)
        day_hours = business_day(calendar) / timedelta(hours=1)
        if n == 0:
            outlook = Outlook.BREACHED if elapsed_sla_hours >= target_hours else Outlook.NO_DATA
            late = math.ceil((elapsed_sla_hours - target_hours) / day_hours) if outlook is Outlook.BREACHED else 0
            return Forecast(outlook, None, None, target_hours, late, 0, "")
        completion = tuple(calendar.add(now, timedelta(hours=h)) for h in total)
        sla = tuple(elapsed_sla_hours + h for h in counted)
        if elapsed_sla_hours >= target_hours:
            outlook = Outlook.BREACHED
        elif sla[1] > target_hours:
            outlook = Outlook.LIKELY_LATE
        elif sla[2] > target_hours:
            outlook = Outlook.AT_RISK
        else:
            outlook = Outlook.ON_TRACK
        late = 0
        if outlook in (Outlook.BREACHED, Outlook.LIKELY_LATE) and sla[1] > target_hours:
            late = max(1, math.ceil(round((sla[1] - target_hours) / day_hours, 6)))
        return Forecast(outlook, completion, sla, target_hours, late, n, basis)  # type: ignore[arg-type]
