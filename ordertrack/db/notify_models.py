"""Tables of provisioning failures and notifications: attempts, failures, remedies,
templates and the transactional outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ordertrack.db.types import UtcDateTime


def _ts(*, nullable: bool = False):
    return Field(sa_column=Column(UtcDateTime(), nullable=nullable))


class ProvisioningAttempt(SQLModel, table=True):
    """One attempt to provision an order (or one item), reported by an integration or an operator."""

    __tablename__ = "provisioning_attempt"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="order_item.id")
    at: datetime = _ts()
    succeeded: bool
    reason_code: str = Field(default="", max_length=80)
    details: str = Field(default="", max_length=2000)
    actor_name: str = Field(max_length=200)


class OrderFailure(SQLModel, table=True):
    """A failed provisioning that support works on; ``due_at`` is the 2-business-hour deadline."""

    __tablename__ = "order_failure"
    __table_args__ = (Index("ix_order_failure_state_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    reason_code: str = Field(max_length=80)
    details: str = Field(default="", max_length=2000)
    state: str = Field(default="open", max_length=20)  # open | claimed | resolved
    opened_at: datetime = _ts()
    due_at: datetime = _ts()
    claimed_by_id: int | None = Field(default=None, foreign_key="user.id")
    claimed_by_name: str = Field(default="", max_length=200)
    resolved_at: datetime | None = _ts(nullable=True)
    resolution: str = Field(default="", max_length=2000)
    escalated_at: datetime | None = _ts(nullable=True)
    retries: int = 0
    next_retry_at: datetime | None = _ts(nullable=True)
    version: int = 1


class Remedy(SQLModel, table=True):
    """The remedy table: issue (reason code) -> steps to remedy. Editable by administrators."""

    id: int | None = Field(default=None, primary_key=True)
    reason_code: str = Field(max_length=80, unique=True, index=True)
    issue: str = Field(max_length=200)
    steps: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class NotificationTemplate(SQLModel, table=True):
    """An e-mail template per event and language (Jinja2 source: ``{{ name }}`` variables are
    filled when the event happens)."""

    __tablename__ = "notification_template"
    __table_args__ = (UniqueConstraint("event", "language", name="uq_notification_template_event_language"),)

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=60, index=True)
    language: str = Field(default="en", max_length=8)
    name: str = Field(max_length=120)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))


class OutboxMessage(SQLModel, table=True):
    """An e-mail written in the same transaction as its event; the sender delivers it once."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _ts()
    event: str = Field(max_length=60)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    recipient_kind: str = Field(max_length=20)  # support | reseller | customer | user
    to_addr: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="pending", max_length=20)  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    lease_until: datetime | None = _ts(nullable=True)
    last_error: str = Field(default="", max_length=1000)
    sent_at: datetime | None = _ts(nullable=True)
    attachments: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON files
    language: str = Field(default="en", max_length=8)  # the recipient's: the HTML part's lang
