"""SQLModel tables. Rows never leave the services layer: services return frozen views."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Integer, UniqueConstraint, func, text
from sqlmodel import Field, SQLModel

from ordertrack.db.types import UtcDateTime


def _ts(*, nullable: bool = False, index: bool = False):
    return Field(sa_column=Column(UtcDateTime(), nullable=nullable, index=index))


class Reseller(SQLModel, table=True):
    """A partner company that sells to customers (a tenant)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    contact_email: str = Field(default="", max_length=320)
    language: str = Field(default="en", max_length=8)  # its customers' e-mails unless they choose
    notify_reseller_on_failure: bool = True
    notify_customer_on_failure: bool = False


class Customer(SQLModel, table=True):
    """A client (tenant): its orders, contact e-mail and client status (seed 04)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=200)
    reseller_id: int | None = Field(default=None, foreign_key="reseller.id", index=True)
    contact_email: str = Field(default="", max_length=320)
    language: str | None = Field(default=None, max_length=8)  # its contact's e-mails; None: the reseller's
    status: str = Field(default="new", max_length=40)
    status_since: datetime = _ts()
    version: int = 1


class User(SQLModel, table=True):
    """A person who logs in. ``role`` is a domain Role value; tenant ids scope what it sees."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=80)
    display_name: str = Field(max_length=200)
    email: str = Field(default="", max_length=320)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20, index=True)
    reseller_id: int | None = Field(default=None, foreign_key="reseller.id")
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    active: bool = True
    language: str | None = Field(default=None, max_length=8)  # None: the browser's language
    failed_logins: int = 0
    last_failed_at: datetime | None = _ts(nullable=True)


# Mail finds its recipient's language by e-mail address, case-insensitively
# (notifications.recipient_language, on every customer e-mail of a move): index lower(address).
Index("ix_user_email_lower", func.lower(User.email))
Index("ix_customer_contact_email_lower", func.lower(Customer.contact_email))
Index("ix_reseller_contact_email_lower", func.lower(Reseller.contact_email))


class UserSession(SQLModel, table=True):
    """A server-side login session; the browser holds only the secret, we store its hash."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    revoked: bool = False


class Order(SQLModel, table=True):
    """A customer order moving through phases (the order workflow) with a tracking status.

    ``due_kind``/``due_at`` hold the next automatic move (a timer lives in the row).
    """

    __tablename__ = "orders"
    # Partial index on the deadline alone: the sweep's `due_at <= now` reads exactly the due
    # rows, however many timers lie ahead (bench/sweep.py); closed orders have none.
    __table_args__ = (
        Index("ix_orders_due_at", "due_at", sqlite_where=text("due_at IS NOT NULL"),
              postgresql_where=text("due_at IS NOT NULL")),
        # The board's columns: a phase's window in order without sorting the whole phase.
        Index("ix_orders_phase_since", "phase", "phase_since"),
        Index("ix_orders_phase_due", "phase", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(index=True, unique=True, max_length=40)
    name: str = Field(max_length=200)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    phase: str = Field(max_length=40)  # indexed with phase_since / due_at (board columns)
    status: str = Field(max_length=40, index=True)
    phase_since: datetime = _ts()
    status_since: datetime = _ts()
    requested_completion: date | None = None
    planned_completion: date | None = None
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    priority: str = Field(default="normal", max_length=20)
    version: int = 1
    due_kind: str | None = Field(default=None, max_length=40)
    due_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()


def _list_price_of_row(context) -> int:
    from ordertrack.domain.pricing import list_price

    return list_price(context.get_current_parameters().get("kind") or "")


class OrderItem(SQLModel, table=True):
    """A line of an order. Items of excluded kinds (colocation) never drive tracking status."""

    __tablename__ = "order_item"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: str = Field(max_length=40)
    name: str = Field(max_length=200)
    status: str = Field(default="pending", max_length=40)
    # The unit price in cents of domain.pricing.CURRENCY; an item inserted without one (web order, API,
    # staff, demo) takes its kind's list price.
    price_cents: int | None = Field(default=None, sa_column=Column(Integer, nullable=False, server_default="0",
                                                                   default=_list_price_of_row))
    quantity: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))


_PHASE_ENTERED = "from_state IS NULL OR from_state <> to_state"


class StatusChange(SQLModel, table=True):
    """History: one row per version of an entity (order, customer, object).

    ``UNIQUE(entity_kind, entity_id, from_version)`` makes a doubled move impossible.
    """

    __tablename__ = "status_change"
    __table_args__ = (
        UniqueConstraint("entity_kind", "entity_id", "from_version", name="uq_status_change_version"),
        Index("ix_status_change_entity", "entity_kind", "entity_id", "at"),
        # The board as of a moment (services.time_travel): each order's last row up to then,
        # read from the index alone.
        Index("ix_status_change_asof", "entity_kind", "at", "entity_id", "from_version"),
        # ... and for each order changed since, its version then and when it entered its phase then
        # (a partial index of the rows that changed the phase), both from the index alone.
        Index("ix_status_change_then", "entity_kind", "entity_id", "at", "from_version"),
        Index("ix_status_change_entered", "entity_kind", "entity_id", "at", "from_state", "to_state",
              sqlite_where=text(_PHASE_ENTERED), postgresql_where=text(_PHASE_ENTERED)),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity_kind: str = Field(max_length=20)
    entity_id: int
    from_version: int
    from_state: str | None = Field(default=None, max_length=40)
    to_state: str = Field(max_length=40)
    from_tracking: str | None = Field(default=None, max_length=40)
    to_tracking: str | None = Field(default=None, max_length=40)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    actor_name: str = Field(max_length=200)
    at: datetime = _ts()  # effective time: a timer's move takes effect at its deadline
    comment: str = Field(default="", max_length=4000)
    internal: bool = False  # staff only: never shown to customers, resellers or partners
    applied_at: datetime | None = _ts(nullable=True)  # timers: when the sweep wrote it (after downtime: later)
    owner_id: int | None = Field(default=None)  # orders: the owner and priority from this version on
    priority: str | None = Field(default=None, max_length=20)  # (None in rows written before they were kept)

