"""Board tables: the WIP limit of a board column, per board scope (all staff, or one reseller)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
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
