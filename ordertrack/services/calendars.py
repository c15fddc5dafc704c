"""The business calendar of this installation, with public holidays from ``holidays``."""

from __future__ import annotations

from datetime import time
from functools import lru_cache

import holidays

from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.settings import get_settings


@lru_cache(maxsize=8)
def business_calendar(
    tz: str | None = None, country: str | None = None, start_hour: int | None = None, end_hour: int | None = None
) -> BusinessCalendar:
    """The configured calendar (defaults from settings), holidays 2020-2040 included."""
    s = get_settings()
    country = country or s.holiday_country
    days = holidays.country_holidays(country, years=range(2020, 2041)) if country else {}
    return BusinessCalendar(
        tz=tz or s.business_tz,
        start=time(start_hour if start_hour is not None else s.business_start_hour),
        end=time(end_hour if end_hour is not None else s.business_end_hour),
        holidays=frozenset(days),
    )
