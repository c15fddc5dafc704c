"""Urgency colours (seed 04)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ordertrack.domain.colours import (
    DEFAULT_RULES,
    Colour,
    UrgencyRule,
    blinking,
    colour,
    next_change,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
EQUIPPED = UrgencyRule("equipped", Colour.BLUE, 72, 192)


def test_blue_then_yellow_then_red():
    assert colour(EQUIPPED, status_since=T0, now=T0 + timedelta(hours=71)) is Colour.BLUE
    assert colour(EQUIPPED, status_since=T0, now=T0 + timedelta(hours=72)) is Colour.YELLOW
    assert colour(EQUIPPED, status_since=T0, now=T0 + timedelta(hours=192)) is Colour.RED
    assert next_change(EQUIPPED, status_since=T0, now=T0) == T0 + timedelta(hours=72)
    assert next_change(EQUIPPED, status_since=T0, now=T0 + timedelta(hours=100)) == T0 + timedelta(hours=192)


def test_checked_and_permanent_statuses_stay_green():
    rules = {r.status: r for r in DEFAULT_RULES}
    for status in ("active", "decommissioned", "canceled"):
        assert colour(rules[status], status_since=T0, now=T0 + timedelta(days=900)) is Colour.GREEN
    assert len(rules) == 15


def test_verified_blinks_only_during_the_clients_eight_days():
    assert blinking("verified", status_since=T0, now=T0 + timedelta(days=8))
    assert not blinking("verified", status_since=T0, now=T0 + timedelta(days=8, seconds=1))
    assert not blinking("active", status_since=T0, now=T0)
