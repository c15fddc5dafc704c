"""Order intake (seed 03): orders from the online form or the REST API are created and routed
to the order queue (process) of their service type. A service type without a queue still
creates the order and opens an "order queue missing" item that support and administrators see."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from ordertrack.db.intake_models import ApiKey, DraftOrder
from ordertrack.db.models import Customer, Order, OrderItem, Reseller, StatusChange
from ordertrack.domain.access import SYSTEM
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.i18n import N_
from ordertrack.i18n.notes import note_template
from ordertrack.services import process_design, process_run, provisioning, service_types, sla
from ordertrack.services.errors import BadInput, NotFound
from ordertrack.services.order_moves import add_note, next_order_timer

RECEIVED_NOTE = N_("Order received.")  # the first history row of every order
KNOWN_EMAIL_NOTE = note_template(N_(
    "Placed through the web form with the e-mail of existing client {clients}. "
    "The e-mail is not verified: use Associate With Client if the order is theirs."))

NO_QUEUE = "no_order_queue"
LINK_DAYS = 14


@dataclass(frozen=True, slots=True)
class NewOrder:
    number: str
    id: int
    queue: str


@dataclass(frozen=True, slots=True)
class KeyPrincipal:
    key_id: int
    name: str
    reseller_id: int | None
    scope: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, *, name: str, reseller_id: int | None, scope: str, now: datetime,
                   secret: str | None = None) -> str:
    """A new key (shown once); the table keeps only its hash."""
    secret = secret or "otk_" + secrets.token_urlsafe(24)
    session.add(ApiKey(name=name, key_hash=_hash(secret), reseller_id=reseller_id, scope=scope, created_at=now))
    session.flush()
    return secret


def authenticate(session: Session, *, secret: str) -> KeyPrincipal | None:
    """The key's principal, or None."""
    if not secret or len(secret) > 200:
        return None
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == _hash(secret))).first()
    if row is None or row.revoked:
        return None
    return KeyPrincipal(key_id=row.id, name=row.name, reseller_id=row.reseller_id, scope=row.scope)


def create_order(
    session: Session,
    *,
    customer_id: int,
    name: str,
    service_type: str,
    items: list[tuple[str, str]],
    now: datetime,
    calendar: BusinessCalendar,
    source: str,
    requested_completion: date | None = None,
    support: str = "",
    base_url: str = "",
) -> NewOrder:
    """Create an order in Planning and route it to its queue (the caller commits)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise BadInput("The order needs a name (200 characters at most).")
    service_type = service_types.check(session, service_type)  # an active type of the table
    kinds = {str(kind).strip().lower() for kind, _name in items or () if kind}
    for kind in sorted(kinds - {service_type})[:50]:
        service_types.check(session, kind)  # each item's kind too
    if not items or len(items) > 50:
        raise BadInput("An order needs between 1 and 50 items.")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("Customer not found.")
    order = Order(number=f"tmp-{secrets.token_hex(8)}", name=name, customer_id=customer.id, phase="planning",
                  status="on_track", phase_since=now, status_since=now, requested_completion=requested_completion,
                  planned_completion=requested_completion, created_at=now)
    session.add(order)
    session.flush()
    order.number = f"SO-{20260100 + order.id}"
    order.due_kind, order.due_at = next_order_timer(phase="planning", phase_since=now, status="on_track",
                                                    planned=order.planned_completion, calendar=calendar)
    for kind, item_name in items:
        session.add(OrderItem(order_id=order.id, kind=(str(kind or "").strip().lower() or service_type)[:40],
                              name=(item_name or name)[:200]))
    session.add(StatusChange(entity_kind="order", entity_id=order.id, from_version=0, to_state="planning",
                             to_tracking="on_track", actor_name=source[:200], at=now, comment=RECEIVED_NOTE,
                             owner_id=order.owner_id, priority=order.priority))
    session.add(order)
    session.flush()
    sla.start_clock(session, order_id=order.id, service_type=service_type, now=now, calendar=calendar)
    queue = ""
    process_id = process_design.process_for_service(session, service_type=service_type)
    if process_id is not None:
        process_run.start_run(session, principal=SYSTEM, entity_kind="order", entity_id=order.id,
                            process_id=process_id, now=now, calendar=calendar, base_url=base_url, support=support)
        queue = process_design.others(session)[process_id].name
    else:
        provisioning.ensure_remedies(session)
        provisioning.record_attempt(
            session, actor_name=source, order_number=order.number, succeeded=False, reason_code=NO_QUEUE,
            details=f"No active order queue handles service type “{service_type}”.", now=now, calendar=calendar,
            recipients=provisioning.Recipients(support=support, base_url=base_url),
        )
    return NewOrder(number=order.number, id=order.id, queue=queue)


def orders_of_reseller(session: Session, *, reseller_id: int, offset: int, limit: int) -> tuple[int, list[Order]]:
    """(total, page) of a reseller's orders, newest first."""
    base = select(Order).join(Customer, Customer.id == Order.customer_id).where(Customer.reseller_id == reseller_id)
    rows = session.exec(base.order_by(col(Order.id).desc()).offset(offset).limit(limit)).all()
    total = len(session.exec(base).all()) if offset or len(rows) == limit else offset + len(rows)
    return total, list(rows)


def customers_of_reseller(session: Session, *, reseller_id: int, offset: int, limit: int) -> tuple[int, list[Customer]]:
    """(total, page) of a reseller's customers, by name."""
    where = Customer.reseller_id == reseller_id
    total = session.exec(select(func.count()).select_from(Customer).where(where)).one()
    rows = session.exec(select(Customer).where(where).order_by(Customer.name, Customer.id).offset(offset)
                        .limit(limit)).all()
    return total, list(rows)


def _mac(payload: str, secret: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


LINK_INVALID = "This link is invalid or has expired."


def sign_link(draft_id: int, *, secret: str, now: datetime) -> str:
    """A token that lets the client continue draft ``draft_id`` until it expires (HMAC-SHA256
    over id and expiry with the deployment's secret key)."""
    expires = int((now + timedelta(days=LINK_DAYS)).timestamp())
    payload = f"{draft_id}.{expires}"
    return f"{payload}.{_mac(payload, secret)}"


def open_link(token: str, *, secret: str, now: datetime) -> int:
    """The draft id of a valid, unexpired token.

    Raises:
        BadInput: tampered, forged, malformed or expired links, all with one message (nothing
            tells a forger which part was wrong).
    """
    try:
        draft_id, expires, mac = str(token or "").split(".")
        payload = f"{int(draft_id)}.{int(expires)}"
        good = hmac.compare_digest(_mac(payload, secret).encode(), mac.encode("utf-8", "surrogatepass"))
    except (ValueError, TypeError, UnicodeError):
        raise BadInput(LINK_INVALID) from None
    if not good or now.timestamp() > int(expires):
        raise BadInput(LINK_INVALID)
    return int(draft_id)


def save_draft(session: Session, *, draft_id: int | None, data: dict, step: int, now: datetime) -> int:
    """Create or update an unfinished web order (the caller commits)."""
    text = json.dumps(data, sort_keys=True)
    if len(text) > 20000:
        raise BadInput("The order is too large.")
    row = session.get(DraftOrder, draft_id) if draft_id else None
    if row is not None and row.submitted_order_id is not None:
        raise BadInput("This order was already submitted.")
    if row is None:
        row = DraftOrder(data=text, step=step, created_at=now, updated_at=now)
    row.data, row.step, row.updated_at = text, step, now
    row.email = str(data.get("email", ""))[:320]
    session.add(row)
    session.flush()
    return row.id


def load_draft(session: Session, *, draft_id: int) -> tuple[dict, int, int | None]:
    """(data, step, submitted order id) of a draft."""
    row = session.get(DraftOrder, draft_id)
    if row is None:
        raise NotFound("This order no longer exists.")
    return json.loads(row.data), row.step, row.submitted_order_id


def submit_draft(session: Session, *, draft_id: int, now: datetime, calendar: BusinessCalendar, support: str,
                 base_url: str) -> NewOrder:
    """Turn a complete web order into an order (a new customer when the e-mail is unknown)."""
    data, _, submitted = load_draft(session, draft_id=draft_id)
    if submitted is not None:
        raise BadInput("This order was already submitted.")
    company = str(data.get("company", "")).strip()
    email = str(data.get("email", "")).strip()
    if not company or "@" not in email:
        raise BadInput("Company and contact e-mail are required.")
    # A typed e-mail proves nothing: the order always goes to a new, unverified client, and staff
    # associate it with an existing one (seed 03's Associate With Client) when it is theirs.
    customer = Customer(name=company[:200], contact_email=email[:320], status="new", status_since=now)
    session.add(customer)
    session.flush()
    known = session.exec(select(Customer.id, Customer.name).where(
        func.lower(Customer.contact_email) == email.lower(), Customer.id != customer.id).limit(3)).all()
    service_type = str(data.get("service_type", ""))
    quantity = max(1, min(int(data.get("quantity", 1) or 1), 50))
    label = service_types.english_label(session, service_type)
    items = [(service_type, f"{label} #{i + 1}") for i in range(quantity)]
    created = create_order(session, customer_id=customer.id, name=f"{label} for {company}"[:200],
                           service_type=service_type, items=items, now=now, calendar=calendar,
                           source="Online order form", support=support, base_url=base_url)
    row = session.get(DraftOrder, draft_id)
    row.submitted_order_id = created.id
    session.add(row)
    session.flush()
    if known:
        clients = ", ".join(f"{name} (#{cid})" for cid, name in known)
        order = session.get(Order, created.id)
        add_note(session, principal=SYSTEM, order_id=created.id, expected_version=order.version, now=now,
                 calendar=calendar, internal=True,
                 comment=KNOWN_EMAIL_NOTE.format(clients=clients))
    return created


def customer_of_reseller(session: Session, *, reseller_id: int | None, customer_id: int) -> Customer:
    """The customer, when the key's reseller owns it (integration keys see all)."""
    customer = session.get(Customer, customer_id)
    if customer is None or (reseller_id is not None and customer.reseller_id != reseller_id):
        raise NotFound("Customer not found.")
    return customer


def reseller_exists(session: Session, reseller_id: int) -> bool:
    return session.get(Reseller, reseller_id) is not None


@dataclass(frozen=True, slots=True)
class DraftView:
    id: int
    company: str
    email: str
    service: str
    step: int
    updated_at: datetime


def unfinished(session: Session, *, principal) -> tuple[DraftView, ...]:
    """Web orders started and not submitted (staff)."""
    if not principal.is_staff:
        raise BadInput("Only staff see unfinished orders.")
    rows = session.exec(select(DraftOrder).where(col(DraftOrder.submitted_order_id).is_(None))
                        .order_by(col(DraftOrder.updated_at).desc()).limit(100)).all()
    out = []
    for r in rows:
        data = json.loads(r.data)
        out.append(DraftView(id=r.id, company=str(data.get("company", "—")), email=r.email,
                             service=service_types.label(session, str(data.get("service_type", ""))) or "—",
                             step=r.step,
                             updated_at=r.updated_at))
    return tuple(out)


def send_link(session: Session, *, principal, draft_id: int, sender: str, subject: str, message: str, now: datetime,
              secret: str, base_url: str, files: list[dict[str, str]] | None = None) -> str:
    """E-mail the client a signed link to continue its unfinished order (through the outbox)."""
    from ordertrack.services import notifications

    if not principal.is_staff:
        raise BadInput("Only staff send order links.")
    row = session.get(DraftOrder, draft_id)
    if row is None or row.submitted_order_id is not None:
        raise NotFound("That unfinished order is gone.")
    if "@" not in row.email:
        raise BadInput("This unfinished order has no e-mail address yet.")
    subject, message = (subject or "").strip()[:300], (message or "").strip()[:5000]
    if not subject or not message:
        raise BadInput("Subject and message are required.")
    link = f"{base_url.rstrip('/')}/order-form?resume={sign_link(draft_id, secret=secret, now=now)}"
    notifications.enqueue(session, event="order_link", order_id=None, recipients=[("customer", row.email)],
                          now=now, variables={"subject": subject, "message": message, "sender": sender,
                                              "company": str(json.loads(row.data).get("company", "")),
                                              "order_link": link},
                          files=[{k: f[k] for k in ("path", "name", "type")} for f in files or []])
    return link
