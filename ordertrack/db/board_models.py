"""Board tables: the WIP limit of a board column, per board scope (all staff, or one reseller), and
the daily snapshots of the board that time travel starts from (``services.board_snapshots``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ordertrack.db.types import UtcDateTime


class WipLimit(SQLModel, table=True):
    """At most ``max_cards`` orders in ``column`` (a board column key) for the scope: the whole
    board (``reseller_id`` None: what staff see) or one reseller's orders. ``hard`` refuses a
    move into a full column; otherwise (soft) the mover gives a reason, which goes to history."""

    __tablename__ = "board_wip_limit"
    __table_args__ = (UniqueConstraint("scope_key", "column", name="uq_board_wip_limit"),)

    id: int | None = Field(default=None, primary_key=True)
    scope_key: str = Field(max_length=40)  # "all" or "reseller:<id>" (unique with NULLs on every database)
    reseller_id: int | None = Field(default=None, foreign_key="reseller.id")
    column: str = Field(max_length=20)
    max_cards: int
    hard: bool = False
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_by: str = Field(default="", max_length=200)


class BoardSnapshot(SQLModel, table=True):
    """An order as it stood at the start of a UTC ``day`` (its last history row up to then): every
    order open then, and those closed or canceled in the 30 days before (the done column's month).
    ``recorded`` False: the row then predates kept owners and priorities (read today's instead)."""

    __tablename__ = "board_snapshot"
    __table_args__ = (
        # a day's column counted and windowed in the column's order from the index alone
        Index("ix_board_snapshot_window", "day", "phase", "phase_since", "order_id"),
        # SQLite: the rows stored in their key's order (no rowid and separate key index to keep)
        {"sqlite_with_rowid": False},
    )

    day: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    order_id: int = Field(primary_key=True)
    phase: str = Field(max_length=40)
    status: str = Field(max_length=40)
    owner_id: int | None = None
    priority: str | None = Field(default=None, max_length=20)
    recorded: bool = True
    phase_since: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class BoardSnapshotDay(SQLModel, table=True):
    """A day whose snapshot is complete (written in the same transaction as its rows)."""

    __tablename__ = "board_snapshot_day"

    day: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    built_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    orders: int = 0
