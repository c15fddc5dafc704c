"""Service requests (seed 05: processes are followed on requests, orders and tickets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from ordertrack.db.message_models import ServiceRequest
from ordertrack.db.models import Customer
from ordertrack.domain.access import Principal
from ordertrack.domain.roles import Role
from ordertrack.services.errors import BadInput, Forbidden, NotFound


@dataclass(frozen=True, slots=True)
class RequestView:
    id: int
    subject: str
    body: str
    customer: str
    status: str
    created_by: str
    created_at: datetime


def create(session: Session, *, principal: Principal, subject: str, body: str, now: datetime,
           customer_id: int | None = None) -> int:
    """A customer files a request for itself; staff file one for any customer."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise BadInput("A request needs a subject and a description.")
    if len(subject) > 300 or len(body) > 20000:
        raise BadInput("The request is too long.")
    if principal.role is Role.CUSTOMER:
        customer_id = principal.customer_id
    elif not principal.is_staff:
        raise Forbidden("Only customers and staff file requests.")
    if customer_id is None or session.get(Customer, customer_id) is None:
        raise NotFound("Customer not found.")
    row = ServiceRequest(customer_id=customer_id, subject=subject, body=body, created_by=principal.display_name,
                         created_at=now)
    session.add(row)
    session.flush()
    return row.id


def visible(session: Session, *, principal: Principal) -> tuple[RequestView, ...]:
    """Requests the principal may see, newest first (at most 100)."""
    query = select(ServiceRequest, Customer.name).join(Customer, Customer.id == ServiceRequest.customer_id)
    if principal.role is Role.CUSTOMER:
        query = query.where(ServiceRequest.customer_id == (principal.customer_id or -1))
    elif principal.role in (Role.RESELLER, Role.PARTNER):
        query = query.where(Customer.reseller_id == (principal.reseller_id or -1))
    elif not principal.is_staff:
        return ()
    rows = session.exec(query.order_by(col(ServiceRequest.id).desc()).limit(100)).all()
    return tuple(RequestView(r.id, r.subject, r.body, name, r.status, r.created_by, r.created_at) for r, name in rows)
