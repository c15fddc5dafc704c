"""Durations and deadlines in words ("1 day 3 h", "auto-approves in 2 h")."""

from __future__ import annotations

from datetime import timedelta


def duration_words(delta: timedelta) -> str:
    """A short human duration: the two largest units, e.g. "1 day 3 h", "45 min".

    Args:
        delta: a duration; negative durations are shown by their absolute value.
    """
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        day = f"{days} day" + ("s" if days != 1 else "")
        return f"{day} {hours} h" if hours else day
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return "less than a minute"
