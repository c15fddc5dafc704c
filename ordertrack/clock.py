"""The injected clock. Nothing else reads the time: services take ``now`` from here."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
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


class OffsetFileClock:
    """Wall-clock time shifted by the hours written in a file (``ORDERTRACK_CLOCK_FILE``).

    Lets end-to-end tests and demos move a running server's time forward ("two days later")
    without restarting it. Never set in production. The file is re-read when it changes.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stamp: int | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError:
            stamp = None
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._offset = timedelta(hours=float(self.path.read_text().strip() or 0))
            except (OSError, ValueError):
                self._offset = timedelta()
        return datetime.now(UTC) + self._offset


def _from_environment() -> Clock:
    if path := os.environ.get("ORDERTRACK_CLOCK_FILE"):
        return OffsetFileClock(path)
    return SystemClock(timedelta(hours=float(os.environ.get("ORDERTRACK_CLOCK_OFFSET_HOURS", "0"))))


_clock: Clock = _from_environment()


def get_clock() -> Clock:
    """The process clock."""
    return _clock


def set_clock(clock: Clock) -> None:
    """Replace the process clock (tests)."""
    global _clock
    _clock = clock
