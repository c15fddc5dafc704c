"""SLA tables: targets per service type and priority, the policy (thresholds, pause rules),
each order's SLA clock with its next warning deadline, its pauses and the warnings sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ordertrack.db.types import UtcDateTime


def _ts(*, nullable: bool = False):
    return Field(sa_column=Column(UtcDateTime(), nullable=nullable))


class SlaTarget(SQLModel, table=True):
    """The resolution target (business hours) of new orders of one service type and priority.

    A missing row means the built-in default (``services.sla.DEFAULT_TARGETS``).
    """

    __tablename__ = "sla_target"
    __table_args__ = (UniqueConstraint("service_type", "priority", name="uq_sla_target"),)

    id: int | None = Field(default=None, primary_key=True)
    service_type: str = Field(max_length=40)
    priority: str = Field(max_length=20)
    target_hours: float
    updated_at: datetime = _ts()
    updated_by: str = Field(default="", max_length=200)


class SlaPolicy(SQLModel, table=True):
    """The one policy row: warning thresholds ("50,75,100") and pause rules ("phase:validation,...").

    No row means the defaults. ``version`` guards concurrent edits.
    """

    __tablename__ = "sla_policy"

    id: int | None = Field(default=None, primary_key=True)
    thresholds: str = Field(max_length=200)
    pause_rules: str = Field(max_length=1000)
    version: int = 1
    updated_at: datetime = _ts()
    updated_by: str = Field(default="", max_length=200)


class OrderSla(SQLModel, table=True):
    """An order's SLA clock: its target (fixed at creation), state and next warning deadline.

    ``next_threshold``/``due_at`` is the timer the sweep applies (partial index on ``due_at``,
    like the other timers); ``version`` numbers the clock's history rows.
    """

    __tablename__ = "order_sla"
    __table_args__ = (
        Index("ix_order_sla_due_at", "due_at", sqlite_where=text("due_at IS NOT NULL"),
              postgresql_where=text("due_at IS NOT NULL")),
    )

    order_id: int = Field(foreign_key="orders.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    service_type: str = Field(max_length=40, index=True)
    priority: str = Field(max_length=20)
    target_hours: float
    started_at: datetime = _ts()
    state: str = Field(default="running", max_length=20)  # running | paused | stopped
    pause_reason: str = Field(default="", max_length=80)  # the pause rule's code while paused
    on_hold: bool = False
    phase: str = Field(max_length=40)
    stopped_at: datetime | None = _ts(nullable=True)
    elapsed_hours: float | None = None  # business hours counted, set when the clock stops
    next_threshold: int | None = None
    due_at: datetime | None = _ts(nullable=True)
    version: int = 1


class SlaPause(SQLModel, table=True):
    """One pause of an order's SLA clock (``ended_at`` None while it lasts)."""

    __tablename__ = "sla_pause"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    started_at: datetime = _ts()
    ended_at: datetime | None = _ts(nullable=True)
    reason: str = Field(max_length=80)


class SlaWarning(SQLModel, table=True):
    """A threshold an order's clock crossed, warned about once: ``UNIQUE(order, threshold)``."""

    __tablename__ = "sla_warning"
    __table_args__ = (UniqueConstraint("order_id", "threshold", name="uq_sla_warning"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    threshold: int
    crossed_at: datetime = _ts()
    fired_at: datetime = _ts()
