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
from sqlmodel import Session, col, select

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


def fill(engine, n: int, now: datetime, due: int = DUE) -> None:
    """N orders, exactly ``due`` of them due now; one item each."""
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
            if i < due:
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


MULTI_ORDERS = 10_000
MULTI_DUE = 2_000


def _clone(kind: str, template: str, name: str, tmp: Path) -> str:
    """A copy of the template database (PostgreSQL: CREATE DATABASE ... TEMPLATE)."""
    if kind == "sqlite":
        import shutil

        target = tmp / f"{name}.db"
        shutil.copyfile(template.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    from sqlalchemy import create_engine

    admin = create_engine(template, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"'))
    admin.dispose()
    return template.rsplit("/", 1)[0] + "/" + name


def sweeper_worker(url: str, now: str, start_at: float, batch: int) -> None:
    """One sweeper process: wait for the common start, sweep until nothing is due, report."""
    import json

    from ordertrack.db.engine import make_engine
    from ordertrack.services.calendars import business_calendar
    from ordertrack.services.timers import sweep

    engine = make_engine(url)
    with engine.connect() as c:  # connect before the start signal, as a running worker would be
        c.execute(text("select 1"))
    calendar = business_calendar()
    while time.time() < start_at:
        time.sleep(0.001)
    import resource

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    result = sweep(engine, now=datetime.fromisoformat(now), calendar=calendar, batch=batch)
    end, cpu1 = time.time(), resource.getrusage(resource.RUSAGE_SELF)
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    print(json.dumps({"applied": result.applied, "failed": result.failed, "end": end, "cpu": cpu}))


def run_sweepers(url: str, count: int, now: datetime, batch: int) -> dict:
    """``count`` sweeper processes started together on ``url``; wall time, doubled, missed."""
    import json

    from ordertrack.db.engine import make_engine
    from ordertrack.db.models import Order, StatusChange
    from ordertrack.db.notify_models import OutboxMessage

    start_at = time.time() + 4.0  # every process imported and connected by then
    procs = [subprocess.Popen([sys.executable, "-m", "bench.sweep", "--worker", url, "--now", now.isoformat(),
                               "--start-at", repr(start_at), "--batch", str(batch)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(count)]
    reports = []
    for proc in procs:
        out, _ = proc.communicate(timeout=1800)
        if proc.returncode:
            raise SystemExit(f"a sweeper failed (exit {proc.returncode})")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    wall = max(r["end"] for r in reports) - start_at
    applied = [oid for r in reports for oid in r["applied"]]
    engine = make_engine(url)
    with Session(engine) as s:
        due_ids = set(s.exec(select(Order.id).where(Order.number < f"SO-S{MULTI_DUE:07d}")).all())
        closed = set(s.exec(select(Order.id).where(col(Order.id).in_(due_ids), Order.phase == "closed")).all())
        history = s.exec(select(StatusChange.entity_id, func.count()).where(
            StatusChange.entity_kind == "order", StatusChange.to_state == "closed")
            .group_by(StatusChange.entity_id)).all()
        mails = s.exec(select(OutboxMessage.order_id, func.count()).where(
            OutboxMessage.event == "order_status_changed").group_by(OutboxMessage.order_id)).all()
    engine.dispose()
    doubled = ((len(applied) - len(set(applied))) + sum(n - 1 for _, n in history if n > 1)
               + sum(n - 1 for _, n in mails if n > 1))
    return {"sweepers": count, "wall": wall, "applied": len(set(applied)), "doubled": doubled,
            "missed": len(due_ids - closed), "failed": sum(r["failed"] for r in reports),
            "cpu": sum(r["cpu"] for r in reports), "load": os.getloadavg()[0],
            "per_sweeper": [len(r["applied"]) for r in reports]}


def multi(base_url: str | None, counts: tuple[int, ...], batch: int, repeat: int) -> None:
    """The multi-sweeper run: 1, 2, 4 sweepers over the same MULTI_DUE due timers (each count
    ``repeat`` times on a fresh copy; the run with the median wall time is shown)."""
    from ordertrack.db.engine import make_engine

    now = datetime.now(UTC)
    tmp = Path(tempfile.mkdtemp(prefix="ordertrack-sweepers-"))
    kind = "postgresql" if base_url else "sqlite"
    [template] = scratch_databases(base_url, (MULTI_ORDERS,), tmp)
    clones: list[str] = []
    rows = []
    try:
        print(f"building {MULTI_ORDERS:,} orders, {MULTI_DUE:,} due ...", file=sys.stderr, flush=True)
        prepare(template)
        engine = make_engine(template)
        fill(engine, MULTI_ORDERS, now, due=MULTI_DUE)
        engine.dispose()
        for count in counts:
            runs = []
            for i in range(repeat):
                url = _clone(kind, template, f"ordertrack_sweepers_{count}_{i}_{os.getpid()}", tmp)
                clones.append(url)
                print(f"{count} sweeper(s), run {i + 1} ...", file=sys.stderr, flush=True)
                runs.append(run_sweepers(url, count, now, batch))
                if base_url:
                    drop_databases(base_url, [url])
                else:
                    Path(url.removeprefix("sqlite:///")).unlink()
                clones.remove(url)
            runs.sort(key=lambda r: r["wall"])
            rows.append({**runs[len(runs) // 2], "doubled": sum(r["doubled"] for r in runs),
                         "missed": sum(r["missed"] for r in runs), "walls": [r["wall"] for r in runs]})
    finally:
        drop_databases(base_url, [template, *clones])
        for f in tmp.glob("*"):
            f.unlink()
        tmp.rmdir()
    dialect = "PostgreSQL" if base_url else "SQLite"
    print(f"\nConcurrent sweepers (separate processes), {MULTI_DUE:,} due approvals among "
          f"{MULTI_ORDERS:,} orders ({dialect}, batch {batch})")
    print(f"{'sweepers':>9} {'wall s':>8} {'per due ms':>11} {'CPU s':>7} {'applied':>8} {'doubled':>8} "
          f"{'missed':>7} {'failed':>7} {'load':>5}  per sweeper")
    for r in rows:
        print(f"{r['sweepers']:>9} {r['wall']:>8.1f} {r['wall'] * 1000 / MULTI_DUE:>11.2f} {r['cpu']:>7.1f}"
              f" {r['applied']:>8,} {r['doubled']:>8} {r['missed']:>7} {r['failed']:>7} {r['load']:>5.1f}"
              f"  {r['per_sweeper']}")
    if repeat > 1:
        print("wall s of every run: " + "; ".join(
            f"{r['sweepers']}: " + ", ".join(f"{w:.1f}" for w in r["walls"]) for r in rows))
    print(f"(CPU s: the sweepers' own CPU time; load: the machine's 1-minute load average after the run, "
          f"{os.cpu_count()} CPUs; doubled and missed summed over all runs)")
    one, most = rows[0], rows[-1]
    ok = most["wall"] < one["wall"] and all(r["doubled"] == 0 and r["missed"] == 0 for r in rows)
    print(f"goal: {most['sweepers']} sweepers faster than 1 with 0 doubled and 0 missed: "
          f"{'met' if ok else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", help="a PostgreSQL URL; scratch databases are made beside it")
    parser.add_argument("--sweepers", nargs="?", const="1,2,4", metavar="COUNTS",
                        help="the multi-sweeper run instead: 1, 2, 4 concurrent sweepers (or the given counts)")
    parser.add_argument("--batch", type=int, default=None, help="rows a sweeper claims per transaction")
    parser.add_argument("--repeat", type=int, default=1, help="runs per sweeper count (the median is shown)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from ordertrack.services.sweeping import BATCH

    batch = args.batch or BATCH
    if args.worker:
        sweeper_worker(args.worker, args.now, args.start_at, batch)
        return
    if args.sweepers:
        multi(args.database_url, tuple(int(c) for c in args.sweepers.split(",")), batch, args.repeat)
        return
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
