"""Tables of order communication: messages (follow-ups, replies, comments) and subscriptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ordertrack.db.types import UtcDateTime


class OrderMessage(SQLModel, table=True):
    """A follow-up or reply (sent as e-mail) or a comment (internal unless client viewable)."""

    __tablename__ = "order_message"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: str = Field(max_length=20)  # followup | reply | comment
    author_id: int | None = Field(default=None, foreign_key="user.id")
    author_name: str = Field(max_length=200)
    to_addr: str = Field(default="", max_length=320)
    subject: str = Field(default="", max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    client_viewable: bool = False
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Subscription(SQLModel, table=True):
    """A user who gets a copy of every follow-up, e-mail and comment of an order."""

    __table_args__ = (UniqueConstraint("order_id", "user_id", name="uq_subscription"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    user_id: int = Field(foreign_key="user.id")


class Ticket(SQLModel, table=True):
    """A support ticket of a client, optionally linked to an order."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    subject: str = Field(max_length=300)
    status: str = Field(default="open", max_length=20)  # open | on_hold | closed
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class TicketMessage(SQLModel, table=True):
    """One message of a ticket."""

    __tablename__ = "ticket_message"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    author_name: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Attachment(SQLModel, table=True):
    """A file attached to an order message; stored on disk under a random name."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="order_message.id", index=True)
    original_name: str = Field(max_length=200)
    stored_name: str = Field(max_length=64, unique=True)
    size: int
    content_type: str = Field(max_length=100)
    uploaded_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ServiceRequest(SQLModel, table=True):
    """A client's service request (not an order): processes of type Request run on it."""

    __tablename__ = "service_request"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=20)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
