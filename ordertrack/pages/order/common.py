"""What the order page's sections share: the snapshot each section reads its data from (one
transaction for the whole page), and how dates, times and file sizes are shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ordertrack.auth import coerce_str
from ordertrack.domain.access import Principal
from ordertrack.services.errors import BadInput
from ordertrack.services.order_views import OrderDetail
from ordertrack.settings import get_settings

DATE_FORMAT = "{name} must be a date (YYYY-MM-DD)."


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The order as every section reader gets it, inside the page's one transaction."""

    principal: Principal
    detail: OrderDetail
    order_id: int
    customer_id: int
    now: datetime


def fmt(at: datetime | None) -> str:
    """A moment in the business time zone, to the minute ("" for none)."""
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(get_settings().business_tz)).strftime("%Y-%m-%d %H:%M")


def size_words(size: int) -> str:
    """A file size in whole KB (at least 1)."""
    return f"{max(1, size // 1024)} KB"


def parse_date(value: object, name: str) -> date | None:
    """A date from a form field (YYYY-MM-DD, empty for none), or BadInput naming the field."""
    text = coerce_str(value, name=name, max_len=10)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(DATE_FORMAT.format(name=name)) from None
