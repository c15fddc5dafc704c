"""Breach forecast backtest (issue 14): replay the last 3 months of closed demo orders.

Run by hand: ``python -m bench.forecast_backtest [--now 2026-11-24T10:00:00Z] [--months 3]``.

A scratch SQLite database gets the demo data (a year of closed orders, realistic phase
durations per service type; seed 7) as of ``--now``. Every order closed in the last
``--months`` months is replayed: its forecast model is built only from the orders that were
closed before the order was created (what was known at its start), then it is forecast

- at its creation (Planning, nothing spent): the median completion against the real close
  gives the absolute error, in business days (8 working hours);
- every working morning (09:00) of its life, from what was known then (its phase, the time
  spent in it, its SLA clock): a breach counts as predicted a day or more ahead when a
  forecast said "likely late" at least one business day before the SLA target ran out.

False alarms are the orders that met their target but were called "likely late" at least
once. The model is run twice: per service type with the learned priority speed (as shipped)
and per service type alone, to show what the priority adds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, SQLModel, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ordertrack import db  # noqa: E402,F401  (registers the tables)
from ordertrack.db.engine import make_engine  # noqa: E402
from ordertrack.db.models import Order, StatusChange  # noqa: E402
from ordertrack.db.sla_models import OrderSla, SlaPause  # noqa: E402
from ordertrack.domain import forecast as fc  # noqa: E402
from ordertrack.domain import sla as clock  # noqa: E402
from ordertrack.services import demo  # noqa: E402
from ordertrack.services.calendars import business_calendar  # noqa: E402
from ordertrack.services.forecast import closed_history  # noqa: E402

DAY = timedelta(hours=8)


@dataclass
class Case:
    order_id: int
    service: str
    priority: str
    created: datetime
    closed: datetime
    target: timedelta
    pauses: list[clock.Pause]
    steps: list[tuple[datetime, str]]  # (when, phase entered)


def load(now: datetime) -> tuple[list[fc.ClosedOrder], list[Case], object]:
    """Demo data as of ``now`` in a scratch database; the closed history and the cases."""
    calendar = business_calendar()
    path = Path(tempfile.mkdtemp()) / "backtest.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    started = time.perf_counter()
    with Session(engine) as session:
        demo.load(session, now=now, calendar=calendar)
        session.commit()
    print(f"demo data loaded in {time.perf_counter() - started:.1f} s")
    with Session(engine) as session:
        history = closed_history(session, calendar=calendar)
        clocks = session.exec(select(OrderSla, Order.created_at).join(Order, Order.id == OrderSla.order_id)
                              .where(Order.phase == "closed")).all()
        pauses: dict[int, list[clock.Pause]] = {}
        for p in session.exec(select(SlaPause)).all():
            pauses.setdefault(p.order_id, []).append(clock.Pause(p.started_at, p.ended_at, p.reason))
        steps: dict[int, list[tuple[datetime, str]]] = {}
        for oid, at, phase in session.exec(select(StatusChange.entity_id, StatusChange.at, StatusChange.to_state)
                                           .where(StatusChange.entity_kind == "order")
                                           .order_by(StatusChange.entity_id, StatusChange.at, StatusChange.id)):
            steps.setdefault(oid, []).append((at, phase))
    cases = [Case(row.order_id, row.service_type, row.priority, created, row.stopped_at,
                  timedelta(hours=row.target_hours), pauses.get(row.order_id, []), steps.get(row.order_id, []))
             for row, created in clocks]
    engine.dispose()
    return history, cases, calendar


def mornings(start: datetime, end: datetime, calendar) -> list[datetime]:
    """Every working day's opening between ``start`` and ``end``."""
    out, day = [], start.astimezone(calendar.zone).date() + timedelta(days=1)
    while True:
        opening = datetime.combine(day, calendar.start, tzinfo=calendar.zone).astimezone(UTC)
        if opening >= end:
            return out
        if calendar.is_working_day(day):
            out.append(opening)
        day += timedelta(days=1)


def replay(history: list[fc.ClosedOrder], cases: list[Case], calendar, *, since: datetime,
           by_priority: bool) -> dict[str, float]:
    """Forecast every case closed after ``since`` from the history closed before its start."""
    cases = sorted((c for c in cases if c.closed >= since), key=lambda c: c.created)
    models: dict[datetime, fc.ForecastModel] = {}
    errors, breaches, predicted_start, predicted_daily, met, false_alarms = [], 0, 0, 0, 0, 0
    for case in cases:
        known = [h for h in history if h.closed_at < case.created]
        key = known[-1].closed_at if known else case.created
        if key not in models:
            models[key] = fc.ForecastModel.build(known, by_priority=by_priority)
        model = models[key]
        final = clock.read_clock(started_at=case.created, target=case.target, pauses=case.pauses, now=case.closed,
                                 calendar=calendar, stopped_at=case.closed)
        breach_at = final.deadline if final.breached else None
        first = model.forecast(service_type=case.service, phase="planning", spent_hours=0, elapsed_sla_hours=0,
                               target_hours=case.target / timedelta(hours=1), now=case.created, calendar=calendar,
                               priority=case.priority)
        if first.completion is not None:
            errors.append(abs(calendar.between(first.completion[1], case.closed)) / DAY)
        flagged_ahead = flagged_ever = False
        start_ahead = first.outlook is fc.Outlook.LIKELY_LATE and (
            breach_at is not None and calendar.between(case.created, breach_at) >= DAY)
        for at in [case.created, *mornings(case.created, case.closed, calendar)]:
            if breach_at is not None and at > breach_at:
                break
            phase, since_phase = next((p, t) for t, p in reversed(case.steps) if t <= at) \
                if any(t <= at for t, _ in case.steps) else ("planning", case.created)
            if phase not in fc.PHASES:
                break
            reading = clock.read_clock(started_at=case.created, target=case.target, pauses=case.pauses, now=at,
                                       calendar=calendar)
            f = model.forecast(service_type=case.service, phase=phase,
                               spent_hours=calendar.between(since_phase, at) / timedelta(hours=1),
                               elapsed_sla_hours=reading.elapsed / timedelta(hours=1),
                               target_hours=case.target / timedelta(hours=1), now=at, calendar=calendar,
                               priority=case.priority)
            if f.outlook is fc.Outlook.LIKELY_LATE:
                flagged_ever = True
                if breach_at is not None and calendar.between(at, breach_at) >= DAY:
                    flagged_ahead = True
        if breach_at is not None:
            breaches += 1
            predicted_daily += flagged_ahead
            predicted_start += start_ahead
        else:
            met += 1
            false_alarms += flagged_ever
    return {
        "orders": len(cases), "breaches": breaches,
        "mae": statistics.median(errors) if errors else float("nan"),
        "start": predicted_start / breaches if breaches else float("nan"),
        "daily": predicted_daily / breaches if breaches else float("nan"),
        "false": false_alarms / met if met else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--now", default="2026-11-24T10:00:00+00:00", help="the demo's 'now' (ISO 8601)")
    parser.add_argument("--months", type=int, default=3)
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")).astimezone(UTC)
    history, cases, calendar = load(now)
    since = now - timedelta(days=round(args.months * 30.4))
    print(f"closed orders in the history: {len(history)}; replaying those closed since {since:%Y-%m-%d}")
    print()
    print(f"{'model':<34} {'orders':>6} {'breaches':>8} {'median abs error':>17} {'predicted >=1 day ahead':>24}"
          f" {'(at start only)':>15} {'false alarms':>12}")
    for label, by_priority in (("service type + priority speed", True), ("service type only", False)):
        started = time.perf_counter()
        r = replay(history, cases, calendar, since=since, by_priority=by_priority)
        print(f"{label:<34} {r['orders']:>6} {r['breaches']:>8} {r['mae']:>12.2f} bdays {r['daily']:>23.0%}"
              f" {r['start']:>15.0%} {r['false']:>12.0%}   ({time.perf_counter() - started:.1f} s)")
    print()
    print("median abs error: |forecast median close - real close| at the order's creation, in business days;")
    print("predicted: breaches some forecast called 'likely late' >= 1 business day before the target ran out;")
    print("false alarms: orders that met their target but were called 'likely late' at least once.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
