"""Fan-out mechanisms compared (issue 4: "Reflex shared state or token fan-out: measure which
is faster"), printed as a table — run by hand: `python -m bench.fanout [--quick]`.

A minimal Reflex app (``bench/fanout_app``, production backend, one worker) pushes the same
payload — a board window of 4 columns x 25 cards, ~30 KB — in four ways:

- ``watch``:  a background watcher per tab sets its own state (lock + delta + encode per tab);
- ``shared``: ``rx.SharedState`` linked to one token (Reflex's own fan-out: per linked tab a
  state lock, a delta and an encode);
- ``room``:   the update is encoded once and written to every tab (``ordertrack.live.push``), the
  whole window each time;
- ``delta``:  as ``room`` with one var per column, sending only the column that changed (what
  ``ordertrack.live.fanout`` and the board do).

For 1, 25 and 100 viewers one more client makes a trivial change (it sets a number) and we
time how long until each viewer has it, next to the round trip of a trivial event (toggling a
bool) in the same run. Clients are asyncio websockets in one process; only 127.0.0.1.
`--viewers 100 --modes delta` runs one case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from websockets.asyncio.client import connect

from bench import pct, wait_up

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "bench" / "fanout_app"
NS = "/_event"
STATE = "reflex___state____state.fanoutbench___fanoutbench"
TAB = f"{STATE}____tab"
BOARD = "reflex___state____state.reflex___istate___shared____shared_state_base_internal.fanoutbench___fanoutbench____board"
N_RE = re.compile(r'"n_rx_state_":(\d+)')
MODES = {"watch": (f"{TAB}.watch", f"{TAB}.change_watch"),
         "shared": (f"{BOARD}.join", f"{BOARD}.change_shared"),
         "room": (f"{TAB}.join_room", f"{TAB}.change_room"),
         "delta": (f"{TAB}.join_room", f"{TAB}.change_delta")}


def start_server(tmp: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "REFLEX_CHECK_LATEST_VERSION": "false", "REFLEX_TELEMETRY_ENABLED": "false",
           "REFLEX_WEB_WORKDIR": str(tmp / "web"), "REFLEX_STATES_WORKDIR": str(tmp / "states"),
           "PYTHONPATH": f"{APP}{os.pathsep}{ROOT}"}
    log = tmp / "server.log"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "reflex"), "run", "--env", "prod", "--backend-only",
                             "--backend-port", str(port), "--loglevel", "warning"], cwd=APP, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_up(proc, log, lambda: urllib.request.urlopen(f"{url}/ping", timeout=2).close(), seconds=300)
    return proc, url


class Client:
    """One tab: a socket, its reader task, the time each change number arrived."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.arrived: dict[int, float] = {}
        self.frames: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str) -> Client:
        ws = await connect(url.replace("http", "ws", 1) + f"/_event/?token={uuid.uuid4()}&EIO=4&transport=websocket",
                           max_size=None)
        await ws.recv()
        await ws.send(f"40{NS},")
        while not (await ws.recv()).startswith(f"40{NS}"):
            pass
        return cls(ws)

    async def _read(self) -> None:
        async for frame in self.ws:
            now = time.perf_counter()
            if frame == "2":
                await self.ws.send("3")
                continue
            for m in N_RE.finditer(frame):
                self.arrived.setdefault(int(m.group(1)), now)
            self.frames.put_nowait((now, frame))

    async def emit(self, name: str, payload: dict | None = None) -> float:
        """Send an event; the time until the first update comes back (ms)."""
        while not self.frames.empty():
            self.frames.get_nowait()
        t0 = time.perf_counter()
        event = {"name": name, "payload": payload or {}, "router_data": {"pathname": "/", "asPath": "/"}}
        await self.ws.send(f"42{NS}," + json.dumps(["event", event]))
        while True:
            at, frame = await asyncio.wait_for(self.frames.get(), 10)
            if frame.startswith(f"42{NS}"):
                return (at - t0) * 1000

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


async def run_mode(url: str, mode: str, viewers: int, changes: int, base: int) -> tuple[list, list, list]:
    join, change = MODES[mode]
    mover = await Client.open(url)
    views = [await Client.open(url) for _ in range(viewers)]
    for c in views + ([mover] if mode == "shared" else []):
        if mode == "watch":  # a background event: no reply to wait for
            await c.ws.send(f"42{NS}," + json.dumps(["event", {"name": join, "payload": {},
                                                               "router_data": {"pathname": "/", "asPath": "/"}}]))
        else:
            await c.emit(join)
    await asyncio.sleep(1.0)
    seen, own, trivial = [], [], []
    for i in range(changes):
        n = base + i
        t0 = time.perf_counter()
        own.append(await mover.emit(change, {"n": n}))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(n not in v.arrived for v in views):
            await asyncio.sleep(0.0005)
        seen += [(v.arrived[n] - t0) * 1000 for v in views if n in v.arrived]
        await asyncio.sleep(0.05)
        trivial.append(await mover.emit(f"{TAB}.ping"))
        await asyncio.sleep(0.02)
    for c in [mover, *views]:
        await c.close()
    return seen, trivial, own


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 25, 100])
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    args = parser.parse_args()
    changes = 10 if args.quick else 30
    tmp = Path(tempfile.mkdtemp(prefix="ordertrack-fanout-"))
    proc, url = start_server(tmp)
    rows = []
    try:
        base = 1
        for viewers in args.viewers:
            for mode in args.modes:
                print(f"{mode} x {viewers} ...", file=sys.stderr, flush=True)
                try:
                    seen, trivial, own = asyncio.run(run_mode(url, mode, viewers, changes, base))
                except TimeoutError:
                    print((tmp / "server.log").read_text()[-3000:], file=sys.stderr)
                    raise
                base += changes
                rows.append((mode, viewers, seen, trivial, own))
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(20)
    print(f"\nFan-out of one change to N viewers ({changes} changes each; payload 4 x 25 cards; one worker)")
    print(f"{'mechanism':>10} {'viewers':>8} {'samples':>8} {'p50 ms':>8} {'p95 ms':>8} {'trivial p50':>12} "
          f"{'trivial p95':>12} {'p95/trivial':>12} {'mover p50':>10}")
    for mode, viewers, seen, trivial, own in rows:
        expected = viewers * changes
        print(f"{mode:>10} {viewers:>8} {len(seen):>5}/{expected:<3} {pct(seen, .5):>7.1f} {pct(seen, .95):>8.1f} "
              f"{pct(trivial, .5):>12.1f} {pct(trivial, .95):>12.1f} {pct(seen, .95) / pct(trivial, .95):>12.1f}"
              f" {statistics.median(own):>10.1f}")
    print("(goal: p95 within 1.5x of the trivial event's p95)")


if __name__ == "__main__":
    main()
