"""Guarded moves per second through the service layer (issue 17, item 5).

Run by hand: `python -m bench.moves [--moves 2000] [--database-url postgresql+psycopg://...]`.
SQLite runs always; PostgreSQL runs when --database-url is given (a scratch database is created
and dropped there). Prints a table. `--reflex` measures through the production build's order
page handlers with 10 concurrent socket clients instead.

Each database gets the production schema, the demo accounts and 300 demo orders. One worker
thread (as one Reflex worker's handler pool does per move) moves orders of the operator's
queue that no running process holds back, back and forth between Planning and Execution
exactly as the board's drop handler does:
one transaction with the process check, the engine's decision, compare-and-set, the history
row, the SLA clock, the customer's e-mail into the outbox and the process hook, then commit.
The figure is moves/s over the whole run, with the median and 95th percentile of one move,
and the SQL statements per move (counted on the engine: noise-free, unlike the timings).
`--profile` prints cProfile's top functions of the run; `--show-sql` prints one move's statements.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sweep import drop_databases, scratch_databases  # noqa: E402


def _prepare_with_orders(url: str) -> None:
    import subprocess

    env = {**os.environ, "ORDERTRACK_DATABASE_URL": url, "REFLEX_CHECK_LATEST_VERSION": "false"}
    venv = Path(sys.executable).parent
    subprocess.run([str(venv / "reflex"), "db", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "ordertrack.cli", "bootstrap", "--orders", "300"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:  # statistics, as autovacuum would have gathered on a live database
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()


def run(url: str, moves: int, *, threads: int = 1, profile: bool = False, show_sql: bool = False) -> dict:
    """``moves`` guarded moves by ``threads`` threads at once (each on its own orders), as one
    worker's handler pool makes them; the figures of the run."""
    import cProfile
    import pstats
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import event

    from ordertrack.clock import SystemClock
    from ordertrack.db.engine import make_engine, session_scope
    from ordertrack.db.models import Order, User
    from ordertrack.db.process_models import ProcessRun
    from ordertrack.services import board_moves
    from ordertrack.services.accounts import principal_of
    from ordertrack.services.calendars import business_calendar

    engine = make_engine(url)
    calendar = business_calendar()
    clock = SystemClock()
    with Session(engine) as s:
        operator = principal_of(s.exec(select(User).where(User.username == "operator")).one())
        running = select(ProcessRun.entity_id).where(ProcessRun.entity_kind == "order",
                                                     ProcessRun.status == "running")
        pool = [(o.id, o.phase, o.version) for o in s.exec(  # no process holds these back (issue 18.1)
            select(Order).where(Order.phase.in_(("planning", "execution")), Order.id.not_in(running))
            .order_by(Order.id)).all()]
    assert len(pool) >= threads, "fewer orders in planning or execution than threads"
    state = {oid: (phase, version) for oid, phase, version in pool}
    ids = list(state)
    took: list[float] = []
    refused = 0
    statements: list[str] = []
    counting = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        statements.append(statement)

    def move(oid: int) -> None:
        nonlocal refused
        phase, version = state[oid]
        target, comment = ("execution", "") if phase == "planning" else ("planning", "back for re-planning")
        t0 = time.perf_counter()
        now = clock.now()
        try:
            with session_scope(engine) as session:
                card = board_moves.move_card(session, principal=operator, order_id=oid, version=version,
                                             target=target, comment=comment, now=now, calendar=calendar)
        except Exception as exc:  # a refused move still counts as work done; say how many
            with counting:
                refused += 1
                if refused <= 3:
                    print(f"  refused {oid} {phase}->{target}: {exc}", file=sys.stderr)
            with Session(engine) as s:
                order = s.get(Order, oid)
                state[oid] = (order.phase, order.version)
            return
        with counting:
            took.append(time.perf_counter() - t0)
        state[oid] = (card.phase, card.version)

    def share(k: int) -> None:  # thread k moves the orders k, k + threads, ... in turn
        mine = ids[k::threads]
        for i in range(k, moves, threads):
            move(mine[(i // threads) % len(mine)])

    marks = []
    if show_sql:  # the second move alone (the first also creates templates on first use)
        for oid in ids[:2]:
            marks.append(len(statements))
            move(oid)
        marks.append(len(statements))
        print("\n".join(f"  {n + 1:2d}. {' '.join(st.split())[:240]}" for n, st in
                        enumerate(statements[marks[1]:marks[2]])), file=sys.stderr)
    first = len(statements)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    start, cpu = time.perf_counter(), time.process_time()
    if threads == 1:  # in this thread (the profiler sees it)
        share(0)
    else:
        with ThreadPoolExecutor(threads) as workers:
            list(workers.map(share, range(threads)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    engine.dispose()
    if not took:
        raise SystemExit(f"every move was refused ({refused}): see the reasons above")
    took.sort()
    return {"moves": moves, "threads": threads, "per_s": moves / wall, "median_ms": statistics.median(took) * 1000,
            "p95_ms": took[int(len(took) * 0.95) - 1] * 1000, "refused": refused,
            "sql_per_move": (len(statements) - first) / moves, "cpu_ms": cpu / moves * 1000}


def through_reflex(clients: int, per_client: int) -> dict:
    """Moves through the order page's handlers of the production build: ``clients`` tabs at once
    (one thread each, the operator's session), each opening its own orders and moving them
    Planning → Execution (load, open_move, confirm_move: the three events a person sends; and
    the page's live watcher, which re-reads the page after other tabs' moves of the customer)."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import create_engine

    from bench.board import start_server, stop
    from ordertrack.db.models import Order
    from ordertrack.pages.order import OrderState
    from ordertrack.pages.order.moves import MovesState
    from tests.wsclient import ReflexSocket, sign_in

    tmp = Path(tempfile.mkdtemp(prefix="ordertrack-moves-"))
    proc, url, db_url = start_server(tmp, clients * per_client * 3)
    try:
        with Session(create_engine(db_url)) as s:
            numbers = [o.number for o in s.exec(select(Order).where(Order.phase == "planning")
                                                .order_by(Order.id).limit(clients * per_client)).all()]
        cookie = sign_in(url, "operator")
        shares = [numbers[i::clients] for i in range(clients)]
        socks = [ReflexSocket(url, cookie=cookie) for _ in range(clients)]
        replies: dict[str, str] = {}

        def send_until(sock, handler: str, path: str, query: dict, done) -> str:
            """Send one event; read frames until ``done(frame)`` (the exchange this event starts:
            Reflex handles a tab's events concurrently, so the next one waits for this one)."""
            event = {"name": handler, "payload": {}, "router_data": {"pathname": path, "asPath": path,
                                                                      "query": query}}
            if handler.endswith("confirm_move"):
                event["payload"] = {"form_data": {"comment": ""}}
            elif handler.endswith("open_move"):
                event["payload"] = {"target": "execution"}
            sock.ws.send("42/_event," + json.dumps(["event", event]))
            deadline = time.monotonic() + 20
            while True:
                frame = sock._recv(max(0.01, deadline - time.monotonic()))
                if done(frame):
                    return frame

        def work(i: int) -> list[float]:
            sock, took = socks[i], []
            for number in shares[i]:
                path, query = f"/orders/{number}", {"number": number}
                send_until(sock, f"{OrderState.get_full_name()}.load", path, query,
                           lambda frame, number=number: f'"{number}"' in frame and "history_rx_state_" in frame)
                # the page's live watcher, as a browser starts it (a background event: no reply)
                sock.ws.send("42/_event," + json.dumps(["event", {
                    "name": f"{OrderState.get_full_name()}.watch", "payload": {},
                    "router_data": {"pathname": path, "asPath": path, "query": query}}]))
                send_until(sock, f"{MovesState.get_full_name()}.open_move", path, query,
                           lambda frame: '"dialog_open_rx_state_":true' in frame.replace(" ", ""))
                t0 = time.perf_counter()  # until the page shows the move (or says why not)
                reply = send_until(sock, f"{MovesState.get_full_name()}.confirm_move", path, query,
                                   lambda frame, number=number: "__toast" in frame and (
                                       f"{number}:" in frame or "error" in frame))
                took.append(time.perf_counter() - t0)
                replies[number] = reply
            return took

        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            took = sorted(t for part in pool.map(work, range(clients)) for t in part)
        wall = time.perf_counter() - start
        for sock in socks:
            sock.close()
        with Session(create_engine(db_url)) as s:
            moved_numbers = set(s.exec(select(Order.number).where(Order.number.in_(numbers),
                                                                  Order.phase == "execution")).all())
        moved = len(moved_numbers)
        for number in [n for n in numbers if n not in moved_numbers][:3]:  # why (the reply's toast)
            text = replies.get(number, "")
            at = text.find("toast")
            print(f"  not moved {number}: {text[max(at - 100, 0):at + 300] if at >= 0 else text[:300]}",
                  file=sys.stderr)
    finally:
        stop(proc)
    return {"clients": clients, "moves": len(numbers), "moved": moved, "per_s": len(numbers) / wall,
            "median_ms": statistics.median(took) * 1000, "p95_ms": took[int(len(took) * 0.95) - 1] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL (a scratch database is used)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1],
                        help="moves at once in one process (a worker's handler pool), one run each")
    parser.add_argument("--reflex", action="store_true", help="through the order page's handlers, 10 clients")
    parser.add_argument("--per-client", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of each run")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one move")
    args = parser.parse_args()
    if args.reflex:
        r = through_reflex(10, args.per_client)
        print("\n| path | clients | moves | moved | moves/s (load + open + confirm) | confirm median ms | p95 ms |")
        print("|---|---|---|---|---|---|---|")
        print(f"| order page handlers, SQLite | {r['clients']} | {r['moves']} | {r['moved']} | {r['per_s']:.0f} | "
              f"{r['median_ms']:.1f} | {r['p95_ms']:.1f} |")
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("ORDERTRACK_MAIL_DIR", str(Path(tmp) / "mail"))
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'moves.db'}")]
        scratch = scratch_databases(args.database_url, (0,), Path(tmp)) if args.database_url else []
        targets += [("PostgreSQL", url) for url in scratch]
        try:
            for name, url in targets:
                print(f"preparing {name} ...", file=sys.stderr, flush=True)
                _prepare_with_orders(url)
                for threads in args.threads:
                    rows.append((name, run(url, args.moves, threads=threads, profile=args.profile,
                                           show_sql=args.show_sql)))
        finally:
            drop_databases(args.database_url, scratch)
    from bench import cpu_yardstick

    print(f"\nCPU yardstick (10 million additions in a Python loop): {cpu_yardstick():.2f} s")
    print("\n| database | threads | moves | moves/s | median ms | p95 ms | CPU ms per move (this process) | "
          "SQL statements per move | refused |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['threads']} | {r['moves']:,} | {r['per_s']:.0f} | {r['median_ms']:.2f} | "
              f"{r['p95_ms']:.2f} | {r['cpu_ms']:.2f} | {r['sql_per_move']:.1f} | {r['refused']} |")


if __name__ == "__main__":
    main()
