"""The change relay between workers survives Redis dropping its connection, and a worker's
own changes never wait for Redis (real Redis at REDIS_URL; skipped locally without it, fails in CI)."""

from __future__ import annotations

import asyncio
import threading

from ordertrack.live import bus


def _run(coro):
    """Run a coroutine in a thread of its own (Playwright keeps a loop in the main thread)."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", asyncio.run(coro)))
    thread.start()
    thread.join(60)
    return box.get("r")


async def _received(inbox: list[str], what: str, seconds: float) -> float | None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < seconds:
        if what in inbox:
            return loop.time() - start
        await asyncio.sleep(0.05)
    return None


def test_relay_carries_changes_to_other_workers_but_not_back_to_the_sender(redis_url):
    async def scenario():
        inbox_a, inbox_b = [], []
        a = bus.Relay(redis_url, origin="worker-a", wake=inbox_a.append)
        b = bus.Relay(redis_url, origin="worker-b", wake=inbox_b.append)
        tasks = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
        await asyncio.wait_for(asyncio.gather(a.connected.wait(), b.connected.wait()), 5)
        await asyncio.sleep(0.2)
        a.send("17,18")
        got = await _received(inbox_b, "17,18", 5)
        await asyncio.sleep(0.3)
        for t in tasks:
            t.cancel()
        return got, inbox_a

    got, inbox_a = _run(scenario())
    assert got is not None, "worker b never heard of worker a's change"
    assert "17,18" not in inbox_a, "a worker must not be woken twice by its own change"


def test_relay_reconnects_after_redis_kills_its_connection(redis_url):
    import redis

    async def scenario():
        inbox_b: list[str] = []
        a = bus.Relay(redis_url, origin="worker-a", wake=lambda _p: None)
        b = bus.Relay(redis_url, origin="worker-b", wake=inbox_b.append)
        tasks = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
        await asyncio.wait_for(asyncio.gather(a.connected.wait(), b.connected.wait()), 5)
        await asyncio.sleep(0.2)
        killed = await asyncio.to_thread(
            lambda: redis.Redis.from_url(redis_url).execute_command("CLIENT", "KILL", "TYPE", "pubsub"))
        loop = asyncio.get_running_loop()
        start = loop.time()
        resumed = None
        n = 0
        while loop.time() - start < 8:  # keep publishing, as users keep moving orders
            n += 1
            a.send(f"change-{n}")
            if any(p.startswith("change-") for p in inbox_b):
                resumed = loop.time() - start
                break
            await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()
        return killed, resumed, a.outages + b.outages

    killed, resumed, outages = _run(scenario())
    assert killed >= 2, "the test must really cut the relay's subscriptions"
    assert outages >= 1
    assert resumed is not None and resumed < 5, f"pushes across workers resumed after {resumed} s"


def test_publish_wakes_this_worker_even_when_redis_is_unreachable():
    async def scenario():
        loop = asyncio.get_running_loop()
        bus._loop = loop
        relay = bus.Relay("redis://127.0.0.1:1/0", origin="lonely", wake=bus._wake)
        bus._relay = relay
        task = asyncio.create_task(relay.run())
        try:
            seen = bus.current()
            threading.Thread(target=bus.publish, args=([42],)).start()  # as a handler thread does
            after = await bus.wait_change(seen, 5)
            return after > seen
        finally:
            task.cancel()
            bus._loop, bus._relay = None, None

    assert _run(scenario()) is True
