"""Durations in words ("1 day 3 h", "2 дня 3 ч"), in the current language (``ordertrack.i18n``)."""

from __future__ import annotations

from datetime import timedelta

from ordertrack.i18n import _, ngettext


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
        day = ngettext("{n} day", "{n} days", days).format(n=days)
        return _("{days} {hours} h").format(days=day, hours=hours) if hours else day
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes) if minutes else \
            _("{hours} h").format(hours=hours)
    if minutes:
        return _("{minutes} min").format(minutes=minutes)
    return _("less than a minute")
