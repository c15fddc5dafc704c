"""The injected clock. Nothing else reads the time: services take ``now`` from here."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time (always aware UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, optionally shifted (``ORDERTRACK_CLOCK_OFFSET_HOURS``, for demos)."""

    def __init__(self, offset: timedelta = timedelta()) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


_clock: Clock = SystemClock(timedelta(hours=float(os.environ.get("ORDERTRACK_CLOCK_OFFSET_HOURS", "0"))))


def get_clock() -> Clock:
    """The process clock."""
    return _clock


def set_clock(clock: Clock) -> None:
    """Replace the process clock (tests)."""
    global _clock
    _clock = clock
