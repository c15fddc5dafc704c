"""The rate-limit counters shared by every worker when no Redis is configured."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from ordertrack.db.types import UtcDateTime


class RateLimitCounter(SQLModel, table=True):
    """One fixed window per key (e.g. ``login:user:alice``): hits admitted and the window's end.

    Written only by ``ordertrack/services/ratelimit.py`` in one atomic upsert; rows whose
    window has ended are pruned through the index on ``reset_at``.
    """

    __tablename__ = "rate_limit_counter"

    bucket: str = Field(primary_key=True, max_length=200)
    hits: int = 0
    reset_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
