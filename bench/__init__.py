"""Benchmarks, run by hand (see README): board.py, fanout.py, sweep.py."""


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` by rank; NaN when empty."""
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")
