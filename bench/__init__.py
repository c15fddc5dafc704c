"""Benchmarks, run by hand (see README): board.py, fanout.py, sweep.py."""


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` by rank; NaN when empty."""
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def cpu_yardstick() -> float:
    """Seconds this machine takes for ten million additions in a Python loop: how fast its CPU
    was during a run (the shared 2-CPU machines vary by 2-3x from hour to hour), printed beside
    the figures so that runs on different days compare."""
    import time

    start, total = time.process_time(), 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - start


def wait_up(proc, log, ready, *, seconds: float) -> None:
    """Wait until ``ready()`` (it raises OSError until the server answers); RuntimeError with the
    server's log when it exits or ``seconds`` pass."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        try:
            ready()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("server not up:\n" + log.read_text()[-3000:])
