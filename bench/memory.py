"""Server memory per connected viewer and idle-state expiry (issue 17, item 7).

Run by hand: `python -m bench.memory [--viewers 100 1000] [--expiry 60]`. Prints a table.

The production build (`reflex run --env prod`, one worker, the default disk-backed state
manager, SQLite, 300 active orders) is started once. Viewers are raw socket clients (one per
browser tab: own client token, the operator's session cookie), each opening the board and
staying connected (answering pings). We read the resident memory (VmRSS) of the server's
process tree after a warm-up viewer, after N viewers and after they all disconnect, and report
(RSS with N − RSS warm) / N. Then we wait for Reflex's state expiry (`redis_token_expiration`,
shortened to --expiry seconds for the run; production uses 600 s, rxconfig.py) and count the
state files and in-memory states left: an idle tab's state must be gone once it expires.

`--floor` measures what a connection costs before ordertrack: a bare websocket under granian and
a tab of a minimal Reflex app, the same way.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.board import start_server, stop  # noqa: E402
from tests.wsclient import ReflexSocket, sign_in  # noqa: E402


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants (kB)."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


class Viewers:
    """N board tabs kept alive by one thread that answers the server's pings."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url, self.cookie, self.socks = url, cookie, []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._keepalive, daemon=True)
        self._thread.start()

    def open(self, n: int) -> None:
        from ordertrack.pages.board import BoardState

        for _ in range(n):
            sock = ReflexSocket(self.url, cookie=self.cookie)
            sock.emit(f"{BoardState.get_full_name()}.load", {}, path="/board", wait=20, quiet=0.05)
            sock.deltas.clear()
            with self._lock:
                self.socks.append(sock)

    def _keepalive(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                socks = list(self.socks)
            for sock in socks:
                try:
                    while True:
                        if sock.ws.recv(timeout=0) == "2":
                            sock.ws.send("3")
                except TimeoutError:
                    continue
                except Exception:
                    continue
            time.sleep(0.5)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.socks:
            try:
                sock.close()
            except Exception:
                pass
        self.socks = []


def state_files(states_dir: Path) -> int:
    return sum(1 for p in states_dir.rglob("*.pkl")) if states_dir.exists() else 0


def _per_socket(pid: int, counts: list[int], open_one) -> list[tuple[int, int, int]]:
    """(n, RSS before, RSS with n sockets open) for each n; sockets opened by ``open_one``."""
    rows = []
    for n in counts:
        base = rss_kb(pid)
        socks = [open_one() for _ in range(n)]
        time.sleep(3)
        rows.append((n, base, rss_kb(pid)))
        for sock in socks:
            try:
                sock.close()
            except Exception:
                pass
        time.sleep(2)
    return rows


def floors(counts: list[int]) -> None:
    """What a connection costs before ordertrack: a bare websocket under granian (the production
    server, ``bench.fanout_floor``'s ASGI app) and a tab of a minimal Reflex app
    (``bench/fanout_app``: one small state per tab)."""
    import signal

    from websockets.sync.client import connect

    from bench import fanout, fanout_floor

    def bare(url: str):
        sock = connect(url)
        sock.send("ping")
        sock.recv()
        return sock

    def reflex_tab(url: str):
        sock = ReflexSocket(url)
        sock.emit(f"{fanout.TAB}.ping", {}, wait=10, quiet=0.02)
        return sock

    results = {}
    for name, start, open_one in (("bare websocket, granian", fanout_floor.start_server, bare),
                                  ("minimal Reflex app", fanout.start_server, reflex_tab)):
        proc, url = start(Path(tempfile.mkdtemp(prefix="ordertrack-mem-floor-")))
        try:
            warm = [open_one(url) for _ in range(3)]
            time.sleep(1)
            results[name] = _per_socket(proc.pid, counts, lambda url=url, open_one=open_one: open_one(url))
            for sock in warm:
                sock.close()
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(20)
    print("\nThe floor: server memory per connection before ordertrack (one worker)")
    print("| server | connections | RSS before (MB) | RSS with them (MB) | per connection (KB) |")
    print("|---|---|---|---|---|")
    for name, rows in results.items():
        for n, base, loaded in rows:
            print(f"| {name} | {n:,} | {base / 1024:.0f} | {loaded / 1024:.0f} | {(loaded - base) / n:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--expiry", type=int, default=60, help="state expiry for this run, seconds")
    parser.add_argument("--redis", metavar="URL",
                        help="Reflex's Redis state manager (as in cluster mode) on this Redis database, which is "
                             "flushed: the worker's memory and Redis's used_memory per viewer")
    parser.add_argument("--floor", action="store_true",
                        help="instead: a bare granian websocket and a minimal Reflex app's tab, per connection")
    args = parser.parse_args()
    if args.floor:
        floors(args.viewers)
        return
    os.environ["REFLEX_REDIS_TOKEN_EXPIRATION"] = str(args.expiry)
    redis = None
    if args.redis:
        import redis as redis_lib

        redis = redis_lib.Redis.from_url(args.redis)
        redis.flushdb()
        os.environ["REFLEX_REDIS_URL"] = args.redis
    tmp = Path(tempfile.mkdtemp(prefix="ordertrack-mem-"))
    proc, url, _ = start_server(tmp, 300)
    states_dir = ROOT / ".states-bench"

    def redis_kb() -> int:
        return redis.info("memory")["used_memory"] // 1024 if redis is not None else 0

    def stored() -> int:  # state files, or state keys in Redis
        return redis.dbsize() if redis is not None else state_files(states_dir)

    rows = []
    try:
        cookie = sign_in(url, "operator")
        warm = Viewers(url, cookie)
        warm.open(3)
        time.sleep(2)
        for n in args.viewers:
            base, redis_base = rss_kb(proc.pid), redis_kb()
            viewers = Viewers(url, cookie)
            t0 = time.perf_counter()
            viewers.open(n)
            opened = time.perf_counter() - t0
            time.sleep(3)
            loaded, redis_loaded = rss_kb(proc.pid), redis_kb()
            viewers.close()
            time.sleep(3)
            after_close = rss_kb(proc.pid)
            rows.append((n, base, loaded, after_close, opened, redis_loaded - redis_base))
        warm.close()
        files_before = stored()
        t_wait = args.expiry + 45
        print(f"waiting {t_wait} s for idle states to expire ...", file=sys.stderr, flush=True)
        time.sleep(t_wait)
        files_after = stored()
        idle_rss = rss_kb(proc.pid)
    finally:
        stop(proc)
    manager = "Redis state manager" if redis is not None else "disk state manager"
    print(f"\nServer memory per connected board viewer (production build, 1 worker, {manager}, 300 active orders)")
    print("| viewers | RSS before (MB) | RSS with viewers (MB) | per viewer (KB) | after disconnect (MB) | open s "
          "| Redis per viewer (KB) |")
    print("|---|---|---|---|---|---|---|")
    for n, base, loaded, after, opened, in_redis in rows:
        print(f"| {n:,} | {base / 1024:.0f} | {loaded / 1024:.0f} | {(loaded - base) / n:.0f} | {after / 1024:.0f} "
              f"| {opened:.1f} | {in_redis / n:.0f} |")
    where = "state keys in Redis" if redis is not None else "state files"
    print(f"\nIdle-state expiry (set to {args.expiry} s for this run; production: 600 s):")
    print(f"  {where} after the viewers left: {files_before}; {t_wait} s later: {files_after}; "
          f"RSS then {idle_rss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
