"""Dates, times and numbers for the viewer: in the current language (``ordertrack.i18n``) and
the business time zone (or a user's own). Babel does the work."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel import numbers as babel_numbers

from ordertrack.i18n import current

_LOCALES = {"en": "en_GB", "ru": "ru_RU"}


def locale() -> str:
    """The Babel locale of the current language."""
    return _LOCALES.get(current(), "en_GB")


def date_text(day: date | None, *, style: str = "medium") -> str:
    """A date ("1 Dec 2026", "1 дек. 2026 г."); "—" for none."""
    return "—" if day is None else babel_dates.format_date(day, format=style, locale=locale())


def datetime_text(at: datetime | None, *, tz: str, style: str = "short") -> str:
    """A moment in ``tz`` ("01/12/2026, 14:30", "01.12.2026, 14:30"); "" for none."""
    if at is None:
        return ""
    return babel_dates.format_datetime(at, format=style, tzinfo=ZoneInfo(tz), locale=locale())


def number_text(value: int | float | Decimal) -> str:
    """A number with the language's grouping and decimal marks ("1,234.5", "1 234,5")."""
    return babel_numbers.format_decimal(value, locale=locale())


def money_text(value: Decimal | float, currency: str) -> str:
    """An amount of money ("£1,234.50", "1 234,50 £")."""
    return babel_numbers.format_currency(value, currency, locale=locale())


def moment_text(at: datetime | None, *, now: datetime, tz: str) -> str:
    """A moment near ``now`` as people say it: the time alone on the same day in ``tz``
    ("14:30"), else the date and time ("02/12/2026, 09:15"); "" for none."""
    if at is None:
        return ""
    zone = ZoneInfo(tz)
    if at.astimezone(zone).date() == now.astimezone(zone).date():
        return babel_dates.format_time(at, format="short", tzinfo=zone, locale=locale())
    return datetime_text(at, tz=tz)
