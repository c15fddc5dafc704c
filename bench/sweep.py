"""Timer sweep benchmark (issue 4): 100,000 vs 1,000,000 orders with the same 1,000 due.

Run by hand: `python -m bench.sweep` (100k vs 1M; about 3 minutes, mostly building the
databases) or `--quick` (10k vs 100k); `--database-url postgresql+psycopg://...` runs it on
PostgreSQL (a scratch database is created and dropped there).

Each database gets the production schema (Alembic), the demo accounts, and N orders: exactly
1,000 whose 2-day approval is due, the rest not due — a third in validation with the deadline
ahead, a third planning/execution with a Delayed timer ahead, a third closed with no timer —
one item each. We time the due query alone (median of 7) and one full sweep applying the
1,000 approvals (each its own compare-and-set transaction with a history row), check every
one is closed and that a second sweep applies nothing, and print the due query's plan.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, text
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DUE = 1_000
CHUNK = 5_000


def prepare(url: str) -> None:
    """Production schema and demo accounts (no demo orders)."""
    env = {**os.environ, "ORDERTRACK_DATABASE_URL": url, "REFLEX_CHECK_LATEST_VERSION": "false"}
    venv = Path(sys.executable).parent
    subprocess.run([str(venv / "reflex"), "db", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "ordertrack.cli", "bootstrap", "--orders", "0"], cwd=ROOT, env=env,
                   check=True, capture_output=True)


def fill(engine, n: int, now: datetime) -> None:
    """N orders, exactly DUE of them due now; one item each."""
    from ordertrack.db.models import Customer, Order, OrderItem

    rng = random.Random(n)
    with Session(engine) as s:
        customers = [c.id for c in s.exec(select(Customer)).all()]
    rows, made = [], 0

    def flush(session: Session) -> None:
        nonlocal rows, made
        if rows:
            session.execute(insert(Order), rows)
            made += len(rows)
            rows = []

    with Session(engine) as s:
        for i in range(n):
            since = now - timedelta(hours=rng.uniform(1, 24 * 40))
            row = dict(number=f"SO-S{i:07d}", name=f"Sweep order {i}", customer_id=rng.choice(customers),
                       priority="normal", version=1, created_at=since - timedelta(days=3), phase_since=since,
                       status_since=since, due_kind=None, due_at=None)
            if i < DUE:
                row.update(phase="validation", status="validation", due_kind="order:closed",
                           due_at=now - timedelta(minutes=rng.uniform(1, 600)))
            elif i % 3 == 0:
                row.update(phase="validation", status="validation", due_kind="order:closed",
                           due_at=now + timedelta(hours=rng.uniform(1, 47)))
            elif i % 3 == 1:
                row.update(phase=rng.choice(["planning", "execution"]), status="on_track",
                           due_kind="status:delayed", due_at=now + timedelta(days=rng.uniform(1, 60)))
            else:
                row.update(phase="closed", status="closed")
            rows.append(row)
            if len(rows) >= CHUNK:
                flush(s)
                if made % 100_000 == 0:
                    print(f"  {made:,} orders", file=sys.stderr, flush=True)
        flush(s)
        s.commit()
        first, last = s.exec(select(func.min(Order.id), func.max(Order.id))).one()
        for start in range(first, last + 1, CHUNK):
            s.execute(insert(OrderItem), [dict(order_id=oid, kind="server", name="Server", status="active")
                                          for oid in range(start, min(start + CHUNK, last + 1))])
        s.commit()


def plan(engine, now: datetime) -> str:
    from ordertrack.services.timers import due_orders

    with Session(engine) as s:
        stmt_text = []

        from sqlalchemy import event

        def grab(conn, cursor, statement, parameters, context, executemany):
            if "due_kind" in statement and "ORDER BY" in statement:
                stmt_text.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", grab)
        due_orders(s, now=now, limit=500)
        event.remove(engine, "before_cursor_execute", grab)
        statement, params = stmt_text[0]
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        raw = s.connection().connection.cursor()
        raw.execute(prefix + statement, params)
        captured = [" ".join(str(c) for c in row) for row in raw.fetchall()]
    return "\n".join(captured)


def measure(url: str, n: int) -> dict:
    from ordertrack.db.engine import make_engine
    from ordertrack.db.models import Order
    from ordertrack.services.calendars import business_calendar
    from ordertrack.services.timers import due_orders, sweep

    now = datetime.now(UTC)
    t0 = time.perf_counter()
    prepare(url)
    engine = make_engine(url)
    fill(engine, n, now)
    built = time.perf_counter() - t0
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    query_ms = []
    for _ in range(7):
        with Session(engine) as s:
            q0 = time.perf_counter()
            due = due_orders(s, now=now, limit=500)
            query_ms.append((time.perf_counter() - q0) * 1000)
    assert len(due) == 500
    explain = plan(engine, now)
    s0 = time.perf_counter()
    result = sweep(engine, now=now, calendar=business_calendar())
    sweep_ms = (time.perf_counter() - s0) * 1000
    again = sweep(engine, now=now, calendar=business_calendar())
    idle_ms = []
    for _ in range(9):  # the scheduler runs a sweep every second: its cost when nothing is due
        i0 = time.perf_counter()
        sweep(engine, now=now, calendar=business_calendar())
        idle_ms.append((time.perf_counter() - i0) * 1000)
    with Session(engine) as s:
        closed = s.exec(select(func.count()).select_from(Order)
                        .where(Order.number < f"SO-S{DUE:07d}", Order.phase == "closed")).one()
    assert len(result.applied) == DUE and closed == DUE, (len(result.applied), closed, result)
    assert again.applied == [], "a second sweep must apply nothing"
    engine.dispose()
    return {"n": n, "query": statistics.median(query_ms), "sweep": sweep_ms, "idle": statistics.median(idle_ms),
            "built": built, "plan": explain}


def scratch_databases(base_url: str | None, sizes: tuple[int, ...], tmp: Path) -> list[str]:
    if not base_url:
        return [f"sqlite:///{tmp / f'sweep-{n}.db'}" for n in sizes]
    from sqlalchemy import create_engine

    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    urls = []
    with admin.connect() as c:
        for n in sizes:
            name = f"ordertrack_sweep_{n}_{os.getpid()}"
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
            urls.append(base_url.rsplit("/", 1)[0] + "/" + name)
    admin.dispose()
    return urls


def drop_databases(base_url: str | None, urls: list[str]) -> None:
    if not base_url:
        return
    from sqlalchemy import create_engine

    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        for url in urls:
            c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", help="a PostgreSQL URL; scratch databases are made beside it")
    args = parser.parse_args()
    sizes = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    tmp = Path(tempfile.mkdtemp(prefix="ordertrack-sweep-"))
    urls = scratch_databases(args.database_url, sizes, tmp)
    results = []
    try:
        for n, url in zip(sizes, urls, strict=True):
            print(f"building {n:,} orders ...", file=sys.stderr, flush=True)
            results.append(measure(url, n))
    finally:
        drop_databases(args.database_url, urls)
        for f in tmp.glob("*"):
            f.unlink()
        tmp.rmdir()
    dialect = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\nTimer sweep, {DUE:,} due approvals among N orders ({dialect})")
    print(f"{'orders':>12} {'due':>6} {'due query ms':>13} {'sweep ms':>10} {'per due ms':>11} "
          f"{'idle sweep ms':>14} {'build s':>8}")
    for r in results:
        print(f"{r['n']:>12,} {DUE:>6,} {r['query']:>13.2f} {r['sweep']:>10.0f} {r['sweep'] / DUE:>11.2f}"
              f" {r['idle']:>14.2f} {r['built']:>8.0f}")
    small, big = results
    ratio_q, ratio_s, ratio_i = big["query"] / small["query"], big["sweep"] / small["sweep"], big["idle"] / small["idle"]
    print(f"{'ratio':>12} {'':>6} {ratio_q:>13.2f} {ratio_s:>10.2f} {'':>11} {ratio_i:>14.2f}")
    print(f"goal: sweep within 1.5x ({'met' if ratio_s <= 1.5 else 'NOT met'}); the sweep's cost is the 1,000"
          f" transactions, so also: due query and idle sweep bounded by what is due "
          f"({'yes' if max(ratio_q, ratio_i) <= 1.5 else 'NO: they grow with the table'})")
    print(f"\nDue query plan at {big['n']:,} orders:\n{big['plan']}")


if __name__ == "__main__":
    main()
