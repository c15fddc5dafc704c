"""Business calendar: working hours in a time zone, working weekdays, public holidays.

``add`` moves an instant forward by business time; ``between`` measures business time.
Both work a day at a time, so durations of weeks cost a few dozen steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MAX_DAYS = 366 * 50


def _aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Working hours ``start``-``end`` (local to ``tz``) on ``workdays`` except ``holidays``."""

    tz: str = "UTC"
    start: time = time(9)
    end: time = time(17)
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError("working hours must start before they end")
        if not self.workdays or not self.workdays <= set(range(7)):
            raise ValueError("workdays must be a non-empty set of weekday numbers 0-6 (Monday=0)")
        ZoneInfo(self.tz)  # raises for an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.tz)

    def is_working_day(self, d: date) -> bool:
        """Whether the local date ``d`` has working hours."""
        return d.weekday() in self.workdays and d not in self.holidays

    def _hours(self, d: date) -> tuple[datetime, datetime] | None:
        if not self.is_working_day(d):
            return None
        zone = self.zone
        opens = datetime.combine(d, self.start, tzinfo=zone).astimezone(UTC)
        closes = datetime.combine(d, self.end, tzinfo=zone).astimezone(UTC)
        return opens, closes

    def is_business_time(self, at: datetime) -> bool:
        """Whether ``at`` falls inside working hours."""
        _aware(at, "at")
        hours = self._hours(at.astimezone(self.zone).date())
        return hours is not None and hours[0] <= at < hours[1]

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which ``duration`` of business time has passed since ``start``.

        Args:
            start: an aware instant; outside working hours counting begins at the next opening.
            duration: business time to add (not negative).

        Returns:
            An aware UTC datetime; ``start`` itself when ``duration`` is zero.
        """
        _aware(start, "start")
        if duration < timedelta():
            raise ValueError("duration must not be negative")
        start = start.astimezone(UTC)
        if duration == timedelta():
            return start
        remaining = duration
        day = start.astimezone(self.zone).date()
        for _ in range(_MAX_DAYS):
            hours = self._hours(day)
            if hours is not None:
                begin = max(hours[0], start)
                if begin < hours[1]:
                    available = hours[1] - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("no working time found within 50 years")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time in ``[a, b)``; negative when ``b`` is before ``a``."""
        _aware(a, "a")
        _aware(b, "b")
        if b < a:
            return -self.between(b, a)
        a, b = a.astimezone(UTC), b.astimezone(UTC)
        total = timedelta()
        day = a.astimezone(self.zone).date()
        last = b.astimezone(self.zone).date()
        while day <= last:
            hours = self._hours(day)
            if hours is not None:
                lo, hi = max(hours[0], a), min(hours[1], b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total
