"""Tables of order intake: API keys, idempotency records, unfinished web-form orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ordertrack.db.types import UtcDateTime


class ApiKey(SQLModel, table=True):
    """A key for the REST API, stored hashed. ``reseller_id`` scopes what it may see and create."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    reseller_id: int | None = Field(default=None, foreign_key="reseller.id")
    scope: str = Field(default="reseller", max_length=20)  # reseller | integration
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    revoked: bool = False


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to (key, Idempotency-Key): a retry gets the same answer."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("api_key_id", "idem_key", name="uq_idempotency"),)

    id: int | None = Field(default=None, primary_key=True)
    api_key_id: int = Field(foreign_key="api_key.id")
    idem_key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class DraftOrder(SQLModel, table=True):
    """An order started in the online form and not submitted yet (resumable from a link)."""

    __tablename__ = "draft_order"

    id: int | None = Field(default=None, primary_key=True)
    data: str = Field(sa_column=Column(Text, nullable=False))
    step: int = 1
    email: str = Field(default="", max_length=320)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    submitted_order_id: int | None = Field(default=None, foreign_key="orders.id")
