"""The floor under bench/fanout.py: how fast can any server on this machine write one change
to 100 websockets? Run by hand: `python -m bench.fanout_floor [--viewers 1 25 100]`.

A bare ASGI app (no Reflex, no Socket.IO, no Engine.IO) under granian, the production server,
one worker: a mover sends ``change:N`` and the app writes the same frame as ordertrack's live
delta (one column of 25 cards, ~7 KB) to every other socket; a trivial event is an echo to the
mover. The clients are the same as bench/fanout's (asyncio websockets in one process,
127.0.0.1). Whatever a change costs here, Reflex cannot do better; if this floor's p95 is already
above 1.5x the trivial p95, so is every Reflex fan-out on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import pct, wait_up

ROOT = Path(__file__).resolve().parents[1]

CARD = {"number": "SO-1000000", "href": "/orders/SO-1000000", "name": "Bench order with a name",
        "customer": "Northwind Traders", "phase": "Execution", "status": "on_track", "status_label": "On Track",
        "in_phase": "in phase 3 days", "deadline": "auto-approves in 1 day 3 h", "version": "4", "failed": ""}
COLUMN = [dict(CARD, number=f"SO-ex{i}") for i in range(25)]
_sockets: set = set()


async def app(scope, receive, send) -> None:
    """The whole server: accept, echo ``ping``, broadcast ``change:N`` to every other socket."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    _sockets.add(send)
    try:
        while (message := await receive())["type"] == "websocket.receive":
            text = message.get("text") or ""
            if text == "ping":
                await send({"type": "websocket.send", "text": "pong"})
            elif text.startswith("change:"):
                n = int(text.split(":", 1)[1])
                frame = json.dumps({"n_rx_state_": n, "execution": [dict(COLUMN[0], deadline=f"changed {n}"),
                                                                    *COLUMN[1:]]})
                await send({"type": "websocket.send", "text": "ack"})
                t0 = time.perf_counter()
                await asyncio.gather(*(other({"type": "websocket.send", "text": frame})
                                       for other in list(_sockets) if other is not send))
                await send({"type": "websocket.send", "text": f"sent:{(time.perf_counter() - t0) * 1000}"})
    finally:
        _sockets.discard(send)


def start_server(tmp: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp / "server.log"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host",
                             "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning",
                             "bench.fanout_floor:app"], cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    wait_up(proc, log, lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(), seconds=60)
    return proc, f"ws://127.0.0.1:{port}/"


async def run(url: str, viewers: int, changes: int) -> tuple[list[float], list[float], list[float]]:
    """Each viewer's delay per change, the trivial round trips, and the server's time to write
    each change to every socket (ms)."""
    from websockets.asyncio.client import connect

    arrived: list[dict[int, float]] = [{} for _ in range(viewers)]

    async def read(ws, seen: dict[int, float]) -> None:
        async for frame in ws:
            seen.setdefault(json.loads(frame)["n_rx_state_"], time.perf_counter())

    mover = await connect(url, max_size=None)
    views = [await connect(url, max_size=None) for _ in range(viewers)]
    readers = [asyncio.create_task(read(ws, seen)) for ws, seen in zip(views, arrived, strict=True)]
    await asyncio.sleep(0.5)
    seen_ms, trivial, server_ms = [], [], []
    for n in range(changes):
        t0 = time.perf_counter()
        await mover.send(f"change:{n}")
        assert await mover.recv() == "ack"
        server_ms.append(float((await mover.recv()).split(":", 1)[1]))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(n not in seen for seen in arrived):
            await asyncio.sleep(0.0005)
        seen_ms += [(seen[n] - t0) * 1000 for seen in arrived if n in seen]
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        await mover.send("ping")
        assert await mover.recv() == "pong"
        trivial.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.02)
    for task in readers:
        task.cancel()
    for ws in [mover, *views]:
        await ws.close()
    return seen_ms, trivial, server_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 25, 100])
    parser.add_argument("--changes", type=int, default=30)
    args = parser.parse_args()
    proc, url = start_server(Path(tempfile.mkdtemp(prefix="ordertrack-floor-")))
    rows = []
    try:
        for viewers in args.viewers:
            rows.append((viewers, *asyncio.run(run(url, viewers, args.changes))))
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(20)
    print(f"\nThe floor: a bare ASGI websocket broadcast under granian ({args.changes} changes; one ~7 KB frame)")
    print(f"{'viewers':>8} {'samples':>9} {'p50 ms':>8} {'p95 ms':>8} {'trivial p50':>12} {'trivial p95':>12} "
          f"{'p95/trivial':>12} {'server writes p50':>18}")
    for viewers, seen, trivial, server in rows:
        print(f"{viewers:>8} {len(seen):>5}/{viewers * args.changes:<4} {pct(seen, .5):>7.1f} {pct(seen, .95):>8.1f} "
              f"{pct(trivial, .5):>12.1f} {pct(trivial, .95):>12.1f} {pct(seen, .95) / pct(trivial, .95):>12.1f}"
              f" {pct(server, .5):>18.1f}")
    print("(ordertrack's goal for its live board: p95 within 1.5x of the trivial event's p95)")


if __name__ == "__main__":
    main()
