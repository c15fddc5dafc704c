"""Time travel benchmark (issue 15.1), printed as a table — run by hand:
`.venv/bin/python bench/board_asof.py [--orders 10000] [--runs 7] [--pg] [--database-url URL]`.

The board as of a moment 1, 7, 30 and 90 days back (``services.time_travel.board_as_of``:
the daily board snapshot of the moment's day, written first as the sweep does, and the orders
changed since that day began rebuilt from history rows) against the live board's first load
(``services.board.load_board``, the same 25-card windows) for the same staff viewer, with 10,000
active orders and their history
(4-5 rows each) plus closed ones, on SQLite (and PostgreSQL with ``--pg``: a uniquely named
scratch schema in the database of ``--database-url``, default the local ``test`` database,
dropped afterwards). Each round calls the live board and every as-of moment once, in turn, in
fresh sessions, so a ratio compares calls made under the same load; the figures are the medians
over ``--runs`` rounds (milliseconds, and each ratio's median).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert, text
from sqlmodel import Session, SQLModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ordertrack.db  # noqa: E402,F401 - registers every table
from ordertrack.db.engine import make_engine  # noqa: E402
from ordertrack.db.models import Customer, Order, StatusChange, User  # noqa: E402
from ordertrack.domain.access import Principal  # noqa: E402
from ordertrack.domain.calendar import BusinessCalendar  # noqa: E402
from ordertrack.domain.roles import Role  # noqa: E402
from ordertrack.services import board, board_snapshots, time_travel  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LIMITS = {"planning": 25, "execution": 25, "validation": 25, "done": 25}
PATH = ("planning", "execution", "validation", "closed")


def fill(engine, active: int, closed: int, seed: int = 7) -> int:
    """Customers, owners, ``active`` open and ``closed`` done orders with their history rows."""
    rng = random.Random(seed)
    with Session(engine) as s:
        customers = [Customer(name=f"Customer {i}", status_since=NOW) for i in range(50)]
        owners = [User(username=f"owner{i}", display_name=f"Owner {i}", role="operator", password_hash="x")
                  for i in range(8)]
        s.add_all(customers + owners)
        s.commit()
        cids, oids = [c.id for c in customers], [u.id for u in owners]
    orders, history, n = [], [], 0
    for i in range(active + closed):
        created = NOW - timedelta(days=rng.uniform(1, 85))
        steps = rng.randint(0, 2) if i < active else 3
        times = sorted(created + timedelta(days=rng.uniform(0, (NOW - created).days or 1)) for _ in range(steps))
        owner, priority = rng.choice(oids), rng.choice(("low", "normal", "high", "urgent"))
        rows = [(None, "planning", created)] + [(PATH[k], PATH[k + 1], t) for k, t in enumerate(times)]
        rows += [(rows[-1][1], rows[-1][1], rows[-1][2] + timedelta(hours=1))]  # a note (owner change)
        n += 1
        orders.append({"id": n, "number": f"SO-B{n:06d}", "name": f"Bench order {n}", "customer_id": rng.choice(cids),
                       "phase": rows[-1][1], "status": "closed" if rows[-1][1] == "closed" else "on_track",
                       "phase_since": rows[-1][2], "status_since": rows[-1][2], "priority": priority,
                       "owner_id": owner, "version": len(rows), "created_at": created})
        for v, (src, dst, at) in enumerate(rows):
            history.append({"entity_kind": "order", "entity_id": n, "from_version": v, "from_state": src,
                            "to_state": dst, "to_tracking": "closed" if dst == "closed" else "on_track",
                            "actor_name": "bench", "at": at, "comment": "", "internal": False,
                            "owner_id": owner, "priority": priority})
    with engine.begin() as conn:
        for start in range(0, len(orders), 5000):
            conn.execute(insert(Order), orders[start:start + 5000])
        for start in range(0, len(history), 5000):
            conn.execute(insert(StatusChange), history[start:start + 5000])
    return len(history)


MOMENTS = {"1 day": 1, "7 days": 7, "30 days": 30, "90 days": 89.9}  # 90 days: the oldest moment allowed


def snapshots(engine) -> dict[str, float]:
    """Build the daily board snapshots as the sweep does (``board_snapshots.take_due``): the
    backfill of the last 90 days (the first from history alone, each next from the day before),
    then today's again from yesterday's, as the sweep writes it each night (ms)."""
    t, days = time.perf_counter(), 0
    while written := board_snapshots.take_due(engine, now=NOW):  # as many sweeps as it takes
        days += written
    backfill = (time.perf_counter() - t) * 1000
    with Session(engine) as s:
        board_snapshots.forget(s, since=board_snapshots.day_of(NOW))
        s.commit()
    t = time.perf_counter()
    board_snapshots.take_due(engine, now=NOW)
    night = (time.perf_counter() - t) * 1000
    print(f"{engine.dialect.name}: snapshots of {days} days written in {backfill:,.0f} ms; "
          f"a night's (today's from yesterday's) in {night:,.0f} ms")
    return {"snapshot backfill (all days)": backfill, "snapshot of a day (nightly)": night}


def measure(engine, runs: int) -> dict[str, float]:
    """Medians (ms) of the live board and of the board as of each moment, and of each ratio to the
    live board within a round."""
    staff = Principal(user_id=None, username="bench", display_name="Bench", role=Role.MANAGER)
    cal = BusinessCalendar(tz="Europe/London")
    calls = {"live first load": lambda s: board.load_board(s, principal=staff, now=NOW, limits=LIMITS, calendar=cal)}
    for label, days in MOMENTS.items():
        moment = NOW - timedelta(days=days)
        calls[f"as of {label} ago"] = lambda s, m=moment: time_travel.board_as_of(
            s, principal=staff, at=m, now=NOW, limits=LIMITS)
        with Session(engine) as s:
            def changed(start, end=NOW):
                naive = engine.dialect.name == "sqlite"
                return s.exec(text("SELECT COUNT(DISTINCT entity_id) FROM status_change WHERE entity_kind = 'order' "
                                   "AND at > :start AND at <= :end").bindparams(
                    start=start.replace(tzinfo=None) if naive else start,
                    end=end.replace(tzinfo=None) if naive else end)).one()[0]
            n, rebuilt = changed(moment), changed(board_snapshots.day_of(moment), moment)
        print(f"{engine.dialect.name}: orders changed in the last {label}: {n:,}; "
              f"rebuilt (changed between the start of its day and the moment): {rebuilt:,}")
    calls["as of 7 days + changes since"] = lambda s: time_travel.board_as_of(
        s, principal=staff, at=NOW - timedelta(days=7), now=NOW, limits=LIMITS, changes=True)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs + 1):  # the first round warms the caches and is dropped
        for name, fn in calls.items():
            with Session(engine) as s:
                t = time.perf_counter()
                fn(s)
                samples[name].append((time.perf_counter() - t) * 1000)
    out = {name: statistics.median(v[1:]) for name, v in samples.items()}
    live = samples["live first load"][1:]
    for name in calls:
        if name != "live first load":
            out[f"ratio {name}"] = statistics.median(a / b for a, b in zip(samples[name][1:], live, strict=True))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--closed", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL (a scratch schema, dropped)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="the PostgreSQL database for --pg (default: the local test database)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'asof.db'}")
        SQLModel.metadata.create_all(engine)
        rows = fill(engine, args.orders, args.closed)
        built = snapshots(engine)
        results["SQLite"] = measure(engine, args.runs) | built
        engine.dispose()
    if args.pg:
        schema = f"bench_asof_{uuid.uuid4().hex[:12]}"
        admin = make_engine(args.database_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(args.database_url)

        @event.listens_for(engine, "connect")
        def _search_path(dbapi_connection, _record):  # every table in the scratch schema, never in public
            cur = dbapi_connection.cursor()
            cur.execute(f'SET search_path TO "{schema}"')
            cur.close()
            dbapi_connection.commit()

        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT current_schema()")).scalar() == schema
            SQLModel.metadata.create_all(engine)
            fill(engine, args.orders, args.closed)
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            built = snapshots(engine)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                # what autovacuum does to tables just written (inserts alone trigger it since
                # PostgreSQL 13): statistics, and a visibility map for index-only scans
                conn.execute(text("VACUUM ANALYZE orders, status_change, board_snapshot, board_snapshot_day"))
            results["PostgreSQL"] = measure(engine, args.runs) | built
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    print(f"\nBoard as of a moment vs live first load: {args.orders:,} active + {args.closed:,} closed orders, "
          f"{rows:,} history rows, median of {args.runs} (ms)")
    names = [n for n in next(iter(results.values())) if not n.startswith("ratio ")]
    print(f"{'':>38}" + "".join(f"{db:>22}" for db in results))
    for name in names:
        print(f"{name:>38}" + "".join(
            f"{results[db][name]:>12.1f}" + (f" ({results[db]['ratio ' + name]:.2f}x)" if "ratio " + name
                                               in results[db] else " " * 8).rjust(10)
            for db in results))


if __name__ == "__main__":
    main()
