"""A sliding-window limit: at most ``limit`` events per ``window`` for each key (e.g. an IP)."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class SlidingWindow:
    """In memory, per process; the caller passes ``now`` (the injected clock)."""

    def __init__(self, limit: int, window: timedelta, *, max_keys: int = 10_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._events: dict[str, deque[datetime]] = {}

    def allow(self, key: str, now: datetime) -> bool:
        """Record one event for ``key`` and say whether it is within the limit (a refused
        event is not recorded)."""
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._prune(now)
            events = self._events[key] = deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def _prune(self, now: datetime) -> None:
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.window]:
            del self._events[key]
        while len(self._events) >= self.max_keys:  # still full: forget the oldest keys
            del self._events[next(iter(self._events))]
