"""Factories for service tests: small, explicit rows."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from sqlmodel import Session

from ordertrack.db.models import Customer, Order, OrderItem, Reseller, StatusChange, User
from ordertrack.domain.access import Principal
from ordertrack.services.accounts import hash_password, principal_of

_seq = itertools.count(1)
_HASH = None


def _pw_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password("secret")
    return _HASH


def reseller(session: Session, **kw) -> Reseller:
    row = Reseller(name=kw.pop("name", f"Reseller {next(_seq)}"), **kw)
    session.add(row)
    session.flush()
    return row


def customer(session: Session, *, now: datetime, reseller_id: int | None = None, **kw) -> Customer:
    row = Customer(name=kw.pop("name", f"Customer {next(_seq)}"), reseller_id=reseller_id, status_since=now, **kw)
    session.add(row)
    session.flush()
    return row


def user(session: Session, *, role: str, password: str | None = None, **kw) -> tuple[User, Principal]:
    n = next(_seq)
    row = User(
        username=kw.pop("username", f"{role}{n}"),
        display_name=kw.pop("display_name", f"{role.title()} {n}"),
        role=role,
        password_hash=hash_password(password) if password else _pw_hash(),
        **kw,
    )
    session.add(row)
    session.flush()
    return row, principal_of(row)


def order(
    session: Session,
    *,
    customer_id: int,
    now: datetime,
    phase: str = "planning",
    status: str = "on_track",
    planned: date | None = None,
    items: tuple[tuple[str, str], ...] = (("server", "pending"),),
    **kw,
) -> Order:
    n = next(_seq)
    row = Order(
        number=kw.pop("number", f"SO-T{n:05d}"),
        name=kw.pop("name", f"Test order {n}"),
        customer_id=customer_id,
        phase=phase,
        status=status,
        phase_since=kw.pop("phase_since", now),
        status_since=now,
        planned_completion=planned or (now + timedelta(days=30)).date(),
        created_at=now,
        **kw,
    )
    session.add(row)
    session.flush()
    for kind, st in items:
        session.add(OrderItem(order_id=row.id, kind=kind, name=f"{kind} item", status=st))
    session.add(StatusChange(entity_kind="order", entity_id=row.id, from_version=0, to_state=phase,
                             to_tracking=status, actor_name="factory", at=now, owner_id=row.owner_id,
                             priority=row.priority))
    session.flush()
    return row
