"""Tracking status (seed 01) and durations in words."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.tracking import tracking_status

TODAY = date(2026, 11, 24)


def status(phase, planned=None, items=()):
    return tracking_status(phase=phase, planned_completion=planned, today=TODAY, item_states=items).label


def test_statuses_by_phase_and_dates():
    assert status("planning", TODAY) == "On Track"
    assert status("execution", TODAY - timedelta(days=1)) == "Delayed"
    assert status("validation", TODAY - timedelta(days=9)) == "Validation"
    assert status("closed", TODAY - timedelta(days=9)) == "Closed"
    assert status("canceled") == "Canceled"


def test_eti_wins_while_an_item_waits_but_colocation_never_counts():
    assert status("execution", TODAY, [("server", "eti_approval")]) == "Approve ETI"
    assert status("execution", TODAY, [("colocation", "eti_approval")]) == "On Track"


@pytest.mark.parametrize(
    ("delta", "words"),
    [(timedelta(days=1, hours=3, minutes=5), "1 day 3 h"), (timedelta(days=2), "2 days"),
     (timedelta(hours=5, minutes=15), "5 h 15 min"), (timedelta(minutes=45), "45 min"),
     (timedelta(seconds=20), "less than a minute"), (timedelta(hours=-2), "2 h")],
)
def test_duration_words(delta, words):
    assert duration_words(delta) == words
