"""Tables of installed objects (equipment) and the editable urgency rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from ordertrack.db.types import UtcDateTime


class InstalledObject(SQLModel, table=True):
    """Equipment installed at a client's site, moving through the object workflow."""

    __tablename__ = "installed_object"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=300)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    installer_id: int | None = Field(default=None, foreign_key="user.id")
    status: str = Field(default="new", max_length=40, index=True)
    status_since: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    version: int = 1


class UrgencyRuleRow(SQLModel, table=True):
    """Base colour and yellow/red thresholds of one object status (administrators edit them)."""

    __tablename__ = "urgency_rule"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(max_length=40, unique=True)
    base: str = Field(max_length=10)
    yellow_after_hours: float = 0.0
    red_after_hours: float = 0.0
