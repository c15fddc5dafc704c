"""Urgency colours of seed 04, computed when read (never stored): green (checked and
permanent), blue (needs checking or work), yellow (the normal time in this status has
expired), red (must be changed urgently)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ordertrack.domain.workflows import CLIENT_WINDOW_DAYS


class Colour(StrEnum):
    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True, slots=True)
class UrgencyRule:
    """Per status: its base colour and after how many hours it turns yellow, then red (0 = never)."""

    status: str
    base: Colour
    yellow_after_hours: float = 0.0
    red_after_hours: float = 0.0


DEFAULT_RULES: tuple[UrgencyRule, ...] = (
    UrgencyRule("new", Colour.BLUE, 24 * 7, 24 * 30),
    UrgencyRule("canceled", Colour.GREEN),
    UrgencyRule("equipped", Colour.BLUE, 24 * 3, 24 * 8),
    UrgencyRule("verified", Colour.BLUE, 24 * CLIENT_WINDOW_DAYS, 24 * 14),
    UrgencyRule("faulty", Colour.BLUE, 24 * 2, 24 * 5),
    UrgencyRule("active", Colour.GREEN),
    UrgencyRule("out_of_service", Colour.BLUE, 24 * 7, 24 * 30),
    UrgencyRule("diagnostics", Colour.BLUE, 24, 24 * 3),
    UrgencyRule("service", Colour.BLUE, 24 * 2, 24 * 5),
    UrgencyRule("dismantling", Colour.BLUE, 24 * 2, 24 * 5),
    UrgencyRule("mounting", Colour.BLUE, 24 * 2, 24 * 5),
    UrgencyRule("reorder", Colour.BLUE, 24 * 5, 24 * 14),
    UrgencyRule("serviced", Colour.BLUE, 24 * 2, 24 * 7),
    UrgencyRule("blocked", Colour.BLUE, 24 * 14, 24 * 60),
    UrgencyRule("decommissioned", Colour.GREEN),
)


def colour(rule: UrgencyRule, *, status_since: datetime, now: datetime) -> Colour:
    """The colour an object in ``rule.status`` since ``status_since`` shows at ``now``."""
    age = now - status_since
    if rule.red_after_hours and age >= timedelta(hours=rule.red_after_hours):
        return Colour.RED
    if rule.yellow_after_hours and age >= timedelta(hours=rule.yellow_after_hours):
        return Colour.YELLOW
    return rule.base


def next_change(rule: UrgencyRule, *, status_since: datetime, now: datetime) -> datetime | None:
    """When the colour changes next by itself (for the live push), if ever."""
    for hours in (rule.yellow_after_hours, rule.red_after_hours):
        if hours and status_since + timedelta(hours=hours) > now:
            return status_since + timedelta(hours=hours)
    return None


def blinking(status: str, *, status_since: datetime, now: datetime) -> bool:
    """A Verified object blinks while the client's 8-day window to choose Active is open."""
    return status == "verified" and now - status_since <= timedelta(days=CLIENT_WINDOW_DAYS)
