"""One computation shared by every tab (and every live push) that asks for the same thing
since the last change: keyed by what the caller names, the changes this worker has seen and
the minute (so "in phase 2 days" moves on)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from ordertrack.clock import get_clock
from ordertrack.live import bus

T = TypeVar("T")
MAX_ENTRIES = 256
_entries: dict[tuple, tuple] = {}
_lock = threading.Lock()


def shared(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or the result another caller got for ``key`` since the last change and
    within the same minute. ``key`` must decide everything ``compute`` reads (tenant scope,
    filters, window)."""
    now = get_clock().now()
    full = (key, bus.version(), now.replace(second=0, microsecond=0))
    hit = _entries.get(full)
    if hit is not None:
        return hit[0]
    value = compute()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[full] = (value,)
    return value
