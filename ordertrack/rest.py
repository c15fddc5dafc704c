"""The REST API (FastAPI, mounted by ``rx.App(api_transformer=...)``; OpenAPI at /docs).

Authenticated by per-reseller API keys (``Authorization: Bearer <key>``). A key of reseller
A never sees reseller B's orders (404, as for an order that does not exist). POST requests
with an ``Idempotency-Key`` header are safe to retry: the first answer is stored and repeated.

When the database refuses connections or does not answer, every endpoint answers 503 with
``{"detail": "The database is not answering; nothing was changed. Try again in a moment."}``
and ``Retry-After``, and logs one line (no traceback). ``GET /health`` is the readiness check
(ordertrack.health); Reflex's ``/ping`` stays the liveness probe.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import Cookie, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field, field_validator
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import select

from ordertrack import health as checks
from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope, unavailable
from ordertrack.db.intake_models import IdempotencyRecord
from ordertrack.db.models import Customer, Order
from ordertrack.domain.workflows import OBJECT_WORKFLOW, ORDER_WORKFLOW, OrderStatus
from ordertrack.live import publish
from ordertrack.services import intake, provisioning, status_moves
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput, DatabaseUnavailable, NotFound
from ordertrack.settings import get_settings

log = logging.getLogger(__name__)
api = FastAPI(title="ordertrack API", version="1", docs_url="/docs", openapi_url="/openapi.json")


@api.exception_handler(RequestValidationError)
async def _invalid(_request, exc: RequestValidationError) -> JSONResponse:
    """422 with each field's location and message. What was sent is not echoed back: it may
    not even be encodable (a lone surrogate), and the client has it anyway."""
    detail = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")).encode("utf-8", "replace").decode(),
               "type": e.get("type", "value_error")} for e in exc.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


async def _database_unavailable_answer(request: Request, exc: Exception) -> JSONResponse:
    """503 with the one message people see everywhere, and one log line instead of a traceback."""
    if not unavailable(exc):
        raise exc
    first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0][:200]
    log.warning("REST %s %s: database unavailable (%s: %s)", getattr(request, "method", "WEBSOCKET"),
                request.url.path, type(exc).__name__, first)
    return JSONResponse({"detail": DatabaseUnavailable().message}, status_code=503, headers={"Retry-After": "5"})


for _kind in (OperationalError, PoolTimeout, DatabaseUnavailable):
    api.add_exception_handler(_kind, _database_unavailable_answer)


@api.api_route("/health", methods=["GET", "HEAD"], include_in_schema=False)
async def health() -> JSONResponse:
    """Readiness: 200 when the database and Redis (if configured) answer, else 503 saying which
    does not; within 3 s whatever they do."""
    healthy, states = await checks.check(checks.redis_url())
    return JSONResponse(states, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"})


# A key of Settings → Service types (rows an administrator edits): the intake refuses one that is
# not offered, with 422 naming it.
ServiceType = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$",
                                   description="A service type key (Settings → Service types), e.g. server.")]


MAX_ID = 2**31 - 1
Id = Annotated[int, PathParam(ge=1, le=MAX_ID)]
FURTHEST_YEARS = 5


def _encodable(value: str) -> str:
    """Text that can be stored and sent as UTF-8 (a lone surrogate cannot)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains characters that are not valid text") from None
    return value


Text = Annotated[str, AfterValidator(_encodable)]
OrderNumber = Annotated[str, PathParam(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]


class ItemIn(BaseModel):
    kind: ServiceType
    name: Text = Field(min_length=1, max_length=200)


class OrderIn(BaseModel):
    customer_id: int = Field(gt=0, le=MAX_ID)
    name: Text = Field(min_length=1, max_length=200)
    service_type: ServiceType
    items: list[ItemIn] = Field(min_length=1, max_length=50)
    requested_completion: date | None = Field(
        default=None, description=f"Today or later, at most {FURTHEST_YEARS} years ahead (business time zone).")

    @field_validator("requested_completion")
    @classmethod
    def _not_in_the_past(cls, value: date | None) -> date | None:
        if value is None:
            return value
        today = get_clock().now().astimezone(ZoneInfo(get_settings().business_tz)).date()
        if value < today:
            raise ValueError(f"must be today ({today.isoformat()}) or later")
        if value > today.replace(year=today.year + FURTHEST_YEARS):
            raise ValueError(f"must be within {FURTHEST_YEARS} years")
        return value


class OrderOut(BaseModel):
    number: str
    name: str
    customer: str
    phase: str
    status: str
    provisioning_failed: bool = False
    queue: str = ""


class OrderList(BaseModel):
    total: int
    orders: list[OrderOut]


class AttemptIn(BaseModel):
    succeeded: bool
    item_id: int | None = Field(default=None, gt=0, le=MAX_ID)
    reason_code: Text = Field(default="", max_length=80)
    details: Text = Field(default="", max_length=2000)


def key_principal(authorization: Annotated[str | None, Header()] = None) -> intake.KeyPrincipal:
    """The API key of the request (401 without a valid one)."""
    secret = (authorization or "").removeprefix("Bearer ").strip()
    with session_scope() as session:
        principal = intake.authenticate(session, secret=secret)
    if principal is None:
        raise HTTPException(401, "A valid API key is required (Authorization: Bearer <key>).",
                            headers={"WWW-Authenticate": "Bearer"})
    return principal


Key = Annotated[intake.KeyPrincipal, Depends(key_principal)]


def _out(session, order: Order, queue: str = "") -> OrderOut:
    customer = session.get(Customer, order.customer_id)
    failed = provisioning.open_failure_exists(session, order_id=order.id)
    return OrderOut(number=order.number, name=order.name, customer=customer.name,
                    phase=ORDER_WORKFLOW.label(order.phase), status=OrderStatus(order.status).label,
                    provisioning_failed=failed, queue=queue)


def _visible(session, key: intake.KeyPrincipal, number: str) -> Order:
    row = session.exec(select(Order, Customer).join(Customer, Customer.id == Order.customer_id)
                       .where(Order.number == number[:40])).first()
    if row is None or (key.reseller_id is not None and row[1].reseller_id != key.reseller_id):
        raise HTTPException(404, "Order not found.")
    return row[0]


@api.post("/api/v1/orders", status_code=201, response_model=OrderOut, tags=["orders"])
def create_order(body: OrderIn, key: Key, idempotency_key: Annotated[str | None, Header()] = None):
    """Create an order for one of your customers; it is routed to the queue of its service type."""
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise HTTPException(422, "Idempotency-Key must have 1 to 200 characters.")
    settings = get_settings()
    try:
        with session_scope() as session:
            if idempotency_key:
                seen = session.exec(select(IdempotencyRecord).where(
                    IdempotencyRecord.api_key_id == key.key_id, IdempotencyRecord.idem_key == idempotency_key)).first()
                if seen is not None:
                    if seen.request_hash != digest:
                        raise HTTPException(422, "This Idempotency-Key was used with a different request.")
                    return JSONResponse(json.loads(seen.response), status_code=seen.status_code,
                                        headers={"Idempotent-Replayed": "true"})
            try:
                intake.customer_of_reseller(session, reseller_id=key.reseller_id, customer_id=body.customer_id)
                created = intake.create_order(
                    session, customer_id=body.customer_id, name=body.name, service_type=body.service_type,
                    items=[(i.kind, i.name) for i in body.items], requested_completion=body.requested_completion,
                    now=get_clock().now(), calendar=business_calendar(), source=f"API ({key.name})",
                    support=settings.support_email, base_url=settings.public_url)
            except NotFound as exc:
                raise HTTPException(422, [{"loc": ["body", "customer_id"], "msg": exc.message,
                                           "type": "value_error"}]) from None
            except BadInput as exc:
                raise HTTPException(422, [{"loc": ["body"], "msg": exc.message, "type": "value_error"}]) from None
            payload = _out(session, session.get(Order, created.id), created.queue).model_dump()
            if idempotency_key:
                session.add(IdempotencyRecord(api_key_id=key.key_id, idem_key=idempotency_key, request_hash=digest,
                                              status_code=201, response=json.dumps(payload),
                                              created_at=get_clock().now()))
    except IntegrityError:  # a concurrent retry with the same key committed first: answer as it did
        with session_scope() as session:
            seen = session.exec(select(IdempotencyRecord).where(
                IdempotencyRecord.api_key_id == key.key_id, IdempotencyRecord.idem_key == idempotency_key)).one()
            return JSONResponse(json.loads(seen.response), status_code=seen.status_code,
                                headers={"Idempotent-Replayed": "true"})
    publish()
    return JSONResponse(payload, status_code=201)


class EventIn(BaseModel):
    event: Literal["object.in_service"]


class ObjectOut(BaseModel):
    id: int
    status: str


@api.post("/api/v1/objects/{object_id}/events", response_model=ObjectOut, tags=["objects"])
def object_event(object_id: Id, body: EventIn, key: Key):
    """A device or integration reports an event; e.g. ``object.in_service`` moves an object that is
    Out of service back to Active (history names the system and the key)."""
    if key.scope != "integration":
        raise HTTPException(403, "Only an integration key reports device events.")
    with session_scope() as session:
        try:
            status = status_moves.report_event(session, object_id=object_id, event=body.event, actor=key.name,
                                               now=get_clock().now())
        except NotFound:
            raise HTTPException(404, "Object not found.") from None
        except BadInput as exc:
            raise HTTPException(409, exc.message) from None
    publish()
    return ObjectOut(id=object_id, status=OBJECT_WORKFLOW.label(status))


@api.get("/attachments/{attachment_id}", include_in_schema=False)
def download(attachment_id: Id, ot_session: Annotated[str | None, Cookie()] = None):
    """An attachment, for a signed-in user who may see its message (session cookie)."""
    from fastapi.responses import FileResponse

    from ordertrack.services import accounts, attachments

    settings = get_settings()
    with session_scope() as session:
        principal = accounts.resolve(session, secret=ot_session or "", now=get_clock().now())
        if principal is None:
            raise HTTPException(401, "Sign in to download attachments.")
        try:
            path, name, kind = attachments.for_download(session, principal=principal, attachment_id=attachment_id,
                                                        folder=Path(settings.attachments_dir))
        except NotFound:
            raise HTTPException(404, "Attachment not found.") from None
    if not path.is_file():
        raise HTTPException(404, "Attachment not found.")
    return FileResponse(path, media_type=kind, filename=name)


@api.get("/api/v1/orders/{number}", response_model=OrderOut, tags=["orders"])
def read_order(number: OrderNumber, key: Key):
    """The status of one of your orders."""
    with session_scope() as session:
        return _out(session, _visible(session, key, number))


@api.get("/api/v1/orders", response_model=OrderList, tags=["orders"])
def list_orders(key: Key, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """Your customers' orders, newest first."""
    if key.reseller_id is None:
        raise HTTPException(403, "Only a reseller's key lists orders.")
    with session_scope() as session:
        total, rows = intake.orders_of_reseller(session, reseller_id=key.reseller_id, offset=offset, limit=limit)
        return OrderList(total=total, orders=[_out(session, o) for o in rows])


class CustomerOut(BaseModel):
    id: int
    name: str
    status: str


class CustomerList(BaseModel):
    total: int
    customers: list[CustomerOut]


@api.get("/api/v1/customers", response_model=CustomerList, tags=["customers"])
def list_customers(key: Key, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                   limit: Annotated[int, Query(ge=1, le=200)] = 100):
    """Your customers (their ``id`` is what ``POST /api/v1/orders`` takes as ``customer_id``), by name."""
    if key.reseller_id is None:
        raise HTTPException(403, "Only a reseller's key lists customers.")
    with session_scope() as session:
        total, rows = intake.customers_of_reseller(session, reseller_id=key.reseller_id, offset=offset, limit=limit)
        return CustomerList(total=total, customers=[CustomerOut(id=c.id, name=c.name, status=c.status) for c in rows])


@api.post("/api/v1/orders/{number}/provisioning", response_model=OrderOut, tags=["provisioning"])
def record_attempt(number: OrderNumber, body: AttemptIn, key: Key):
    """An integration reports a provisioning attempt: a failure opens the support queue item and
    notifies per settings; a success resolves an open failure. Needs an integration key."""
    if key.scope != "integration":
        raise HTTPException(403, "Only an integration key reports provisioning attempts.")
    settings = get_settings()
    with session_scope() as session:
        order = _visible(session, key, number)
        try:
            provisioning.record_attempt(
                session, actor_name=f"API ({key.name})", order_number=order.number, succeeded=body.succeeded,
                reason_code=body.reason_code, details=body.details, now=get_clock().now(), item_id=body.item_id,
                calendar=business_calendar(),
                recipients=provisioning.Recipients(support=settings.support_email, base_url=settings.public_url))
        except BadInput as exc:
            raise HTTPException(422, [{"loc": ["body", "reason_code"], "msg": exc.message,
                                       "type": "value_error"}]) from None
        except NotFound as exc:
            raise HTTPException(422, [{"loc": ["body", "item_id"], "msg": exc.message,
                                       "type": "value_error"}]) from None
        result = _out(session, order)
    publish()
    return result


# --- Order items and the technical interview (issue #18.5; helper orderui) ---------------------

class ItemOut(BaseModel):
    id: int
    kind: str
    name: str
    status: str
    quantity: int
    unit_price: str = Field(description="Decimal amount in `currency`, e.g. \"49.00\".")
    currency: str
    awaiting_technical_interview: bool


class ItemList(BaseModel):
    order: OrderOut
    value: str = Field(description="The order's value: the sum of its items' quantity × unit price.")
    currency: str
    items: list[ItemOut]


class InterviewIn(BaseModel):
    required: bool = Field(description="true: the item needs a technical interview (the order shows Approve ETI); "
                                       "false: the interview was approved (the item goes on).")


def _items(session, order: Order) -> ItemList:
    from ordertrack.db.models import OrderItem
    from ordertrack.domain.tracking import ETI_WAITING
    from ordertrack.services import customer_view

    priced = customer_view.prices(session, order_id=order.id)
    rows = session.exec(select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)).all()
    return ItemList(
        order=_out(session, order), value=f"{priced.total_cents / 100:.2f}", currency=priced.currency,
        items=[ItemOut(id=r.id, kind=r.kind, name=r.name, status=r.status, quantity=r.quantity,
                       unit_price=f"{(r.price_cents or 0) / 100:.2f}", currency=priced.currency,
                       awaiting_technical_interview=r.status == ETI_WAITING) for r in rows])


@api.get("/api/v1/orders/{number}/items", response_model=ItemList, tags=["orders"])
def read_items(number: OrderNumber, key: Key):
    """The order's items with their prices and the order's value."""
    with session_scope() as session:
        return _items(session, _visible(session, key, number))


@api.put("/api/v1/orders/{number}/items/{item_id}/technical-interview", response_model=ItemList, tags=["orders"])
def technical_interview(number: OrderNumber, item_id: Id, body: InterviewIn, key: Key):
    """Staff systems (an integration key) say an item needs a technical interview (the order's status
    becomes Approve ETI) or that its interview was approved (the status follows the other items).
    Answers 422 when the item cannot need one (delivered, not counted, the order ended) or is not
    waiting for an approval."""
    from ordertrack.domain.access import Principal
    from ordertrack.domain.roles import Role
    from ordertrack.services import order_items, order_moves
    from ordertrack.services.errors import Conflict

    if key.scope != "integration":
        raise HTTPException(403, "Only an integration key changes an item's technical interview.")
    actor = Principal(user_id=None, username=f"api-key-{key.key_id}", display_name=f"API ({key.name})",
                      role=Role.SYSTEM)
    with session_scope() as session:
        order = _visible(session, key, number)
        change = order_items.require_eti if body.required else order_moves.approve_item_eti
        try:
            change(session, principal=actor, order_id=order.id, item_id=item_id, expected_version=order.version,
                   now=get_clock().now(), calendar=business_calendar())
        except NotFound as exc:
            raise HTTPException(404, exc.message) from None
        except (BadInput, Conflict) as exc:
            raise HTTPException(422, [{"loc": ["body", "required"], "msg": exc.message,
                                       "type": "value_error"}]) from None
        session.expire_all()
        result = _items(session, session.get(Order, order.id))
    publish()
    return result


from ordertrack import board_api  # noqa: E402 - the board's endpoints (JSON and CSV), after the API's own

api.include_router(board_api.router)
