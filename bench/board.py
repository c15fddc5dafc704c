"""Board benchmark (issue 4), printed as tables — run by hand: `make bench` (or `--quick`).

1. First load of /board in headless Chromium as `operator` with 100 vs 10,000 active orders:
   time until the first card is visible and websocket bytes received (median of N runs).
2. Cross-viewer latency: 1, 25, 100 other clients watch the board over raw sockets; one staff
   client moves an order; time until each viewer receives its board delta, next to the round
   trip of a trivial event (toggling a boolean: one session check, no query) in the same run.
Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, create_engine, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import pct  # noqa: E402
from tests.server_fixtures import CHROMIUM, CHROMIUM_ARGS, _free_port, _wait_up  # noqa: E402
from tests.wsclient import ReflexSocket, sign_in  # noqa: E402


def start_server(tmp: Path, active: int):
    import subprocess

    port = _free_port()
    db_url = f"sqlite:///{tmp / f'bench-{active}.db'}"
    env = {**os.environ, "PORT": str(port), "ORDERTRACK_DATABASE_URL": db_url,
           "ORDERTRACK_PUBLIC_URL": f"http://127.0.0.1:{port}", "REFLEX_CHECK_LATEST_VERSION": "false",
           "REFLEX_WEB_WORKDIR": str(ROOT / ".web-bench"), "REFLEX_STATES_WORKDIR": str(ROOT / ".states-bench"),
           "ORDERTRACK_MAIL_DIR": str(tmp / "mail"), "ORDERTRACK_SECRET_KEY": secrets.token_hex(32)}
    venv = Path(sys.executable).parent
    subprocess.run([str(venv / "reflex"), "db", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "ordertrack.cli", "bootstrap", "--orders", "0"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    add_orders(db_url, active)
    log = tmp / f"server-{active}.log"
    proc = subprocess.Popen([str(venv / "reflex"), "run", "--env", "prod", "--frontend-port", str(port),
                             "--backend-port", str(port)], cwd=ROOT, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    _wait_up(url, proc, log, 600)
    return proc, url, db_url


def stop(proc) -> None:
    import signal

    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(20)
    except Exception:
        os.killpg(proc.pid, signal.SIGKILL)


def add_orders(db_url: str, n: int) -> None:
    from ordertrack.db.models import Customer, Order, OrderItem

    rng = random.Random(1)
    now = datetime.now(UTC)
    engine = create_engine(db_url)
    with Session(engine) as s:
        customers = [c.id for c in s.exec(select(Customer)).all()]
        start = 1_000_000
        rows = []
        for i in range(n):
            phase = rng.choice(["planning", "execution", "validation"])
            since = now - timedelta(hours=rng.uniform(1, 400))
            rows.append(dict(number=f"SO-B{start + i}", name=f"Bench order {i}", customer_id=rng.choice(customers),
                             phase=phase, status="validation" if phase == "validation" else "on_track",
                             phase_since=since, status_since=since, priority="normal", version=1,
                             due_kind="order:closed" if phase == "validation" else None,
                             due_at=since + timedelta(days=30) if phase == "validation" else None,
                             created_at=since))
        for chunk in range(0, len(rows), 2000):
            s.execute(insert(Order), rows[chunk:chunk + 2000])
        s.commit()
        ids = [o.id for o in s.exec(select(Order).where(Order.number.like("SO-B%"))).all()]
        s.execute(insert(OrderItem), [dict(order_id=i, kind="server", name="Server", status="pending") for i in ids])
        s.commit()


def first_load(url: str, runs: int) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    times, sizes = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(runs):
            ctx = browser.new_context(base_url=url)
            page = ctx.new_page()
            page.goto("/login")
            page.get_by_label("Username").fill("operator")
            page.get_by_label("Password").fill("demo")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda u: "login" not in u)
            received = [0]

            def count(payload, received=received) -> None:
                received[0] += len(payload if isinstance(payload, (str, bytes)) else str(payload))

            page.on("websocket", lambda ws, count=count: ws.on("framereceived", count))
            t0 = time.perf_counter()
            page.goto("/board")
            page.locator("[data-testid=order-card]").first.wait_for(timeout=60_000)
            times.append(time.perf_counter() - t0)
            page.wait_for_timeout(300)
            sizes.append(received[0])
            ctx.close()
        browser.close()
    return statistics.median(times) * 1000, statistics.median(sizes)


_COOKIES: dict[tuple[str, str], str] = {}


def _login(url: str, user: str) -> ReflexSocket:
    """A tab of ``user`` (signed in once through the sign-in endpoint; every tab sends the cookie)."""
    if (url, user) not in _COOKIES:
        _COOKIES[url, user] = sign_in(url, user)
    return ReflexSocket(url, cookie=_COOKIES[url, user])


def latency(url: str, db_url: str, viewers: int, moves: int) -> tuple[list[float], list[float], list[float]]:
    from ordertrack.db.models import Order
    from ordertrack.pages.board import BoardState
    from ordertrack.pages.order import OrderState
    from ordertrack.pages.order.moves import MovesState
    from ordertrack.pages.order_manager import OrderManagerState

    board = BoardState.get_full_name()
    socks = [_login(url, "manager") for _ in range(viewers)]
    for s in socks:
        s.emit(f"{board}.load", {}, path="/board", wait=5)  # registers the tab for live pushes
    time.sleep(1.0)
    arrivals: list[list[float]] = [[] for _ in socks]
    stop_flag = threading.Event()

    def reader(i: int, sock: ReflexSocket) -> None:
        while not stop_flag.is_set():
            try:
                frame = sock.ws.recv(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:
                return
            if frame == "2":
                sock.ws.send("3")
            elif board in frame and ("cards" in frame or "total" in frame):  # a move outside the window
                # changes only the columns' totals (one var per column: cards_<column>, total_<column>)
                arrivals[i].append(time.perf_counter())

    threads = [threading.Thread(target=reader, args=(i, s), daemon=True) for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    staff = _login(url, "operator")
    engine = create_engine(db_url)
    with Session(engine) as s:
        numbers = [o.number for o in s.exec(select(Order).where(Order.phase == "planning").limit(moves)).all()]
    samples: list[float] = []
    own: list[float] = []
    for number in numbers:
        path = f"/orders/{number}"
        staff.emit(f"{OrderState.get_full_name()}.load", {}, path=path, query={"number": number}, wait=5)
        staff.emit(f"{MovesState.get_full_name()}.open_move", {"target": "execution"}, path=path,
                   query={"number": number}, wait=5)
        before = [len(a) for a in arrivals]
        t0 = time.perf_counter()
        staff.emit(f"{MovesState.get_full_name()}.confirm_move", {"form_data": {"comment": "bench"}}, path=path,
                   query={"number": number}, wait=5, quiet=0.001)
        own.append((time.perf_counter() - t0) * 1000)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(len(a) <= b for a, b in zip(arrivals, before, strict=True)):
            time.sleep(0.002)
        samples += [(a[b] - t0) * 1000 for a, b in zip(arrivals, before, strict=True) if len(a) > b]
        time.sleep(0.2)
    trivial: list[float] = []
    for _ in range(50):
        t0 = time.perf_counter()
        staff.emit(f"{OrderManagerState.get_full_name()}.toggle_panel", {}, path="/manager", wait=5, quiet=0.001)
        trivial.append((time.perf_counter() - t0) * 1000)
    stop_flag.set()
    for s in [*socks, staff]:
        s.close()
    return samples, trivial, own


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 2 if args.quick else 5
    moves = 3 if args.quick else 8
    tmp = Path(tempfile.mkdtemp(prefix="ordertrack-bench-"))
    loads = {}
    lat = {}
    for active in (100, 10_000):
        proc, url, db_url = start_server(tmp, active)
        try:
            loads[active] = first_load(url, runs)
            if active == 10_000:
                for viewers in (1, 25, 100):
                    lat[viewers] = latency(url, db_url, viewers, moves)
        finally:
            stop(proc)
    print("\nBoard first load (operator, headless Chromium, median of", runs, "runs)")
    print(f"{'active orders':>14} {'time to cards (ms)':>20} {'ws bytes received':>20}")
    for active, (ms, size) in loads.items():
        print(f"{active:>14,} {ms:>20.0f} {size:>20,.0f}")
    print(f"{'ratio':>14} {loads[10_000][0] / loads[100][0]:>20.2f} {loads[10_000][1] / loads[100][1]:>20.2f}")
    print("\nCross-viewer latency (a staff move seen by other boards; 10,000 active orders)")
    print(f"{'viewers':>8} {'samples':>8} {'p50 ms':>8} {'p95 ms':>8} {'trivial p50':>12} {'trivial p95':>12} "
          f"{'p95/trivial':>12} {'mover p50':>10} {'mover p95':>10} {'p95/mover':>10}")
    for viewers, (samples, trivial, own) in lat.items():
        print(f"{viewers:>8} {len(samples):>8} {pct(samples, .5):>8.1f} {pct(samples, .95):>8.1f} "
              f"{pct(trivial, .5):>12.1f} {pct(trivial, .95):>12.1f} {pct(samples, .95) / pct(trivial, .95):>12.1f}"
              f" {pct(own, .5):>10.1f} {pct(own, .95):>10.1f} {pct(samples, .95) / pct(own, .95):>10.2f}")
    print("(mover: the staff client's own round trip of the move - transaction, history, its page re-read;"
          " viewers cannot see the change sooner. The mechanism alone: bench/fanout.py)")


if __name__ == "__main__":
    main()
