"""The board's REST endpoints (mounted by ``ordertrack.rest``): the board, the Closed tab, an
order's history and an Order Manager step's orders, as JSON or, with ``Accept: text/csv`` (or
``?format=csv``, for links), as a streamed CSV file (``services.export``).

Who asks: a reseller's API key (``Authorization: Bearer <key>``: that reseller's customers), or
a signed-in browser (the session cookie: the user's own scope, staff see every tenant).
Filters are the board's URL parameters: ``q``, ``customer``, ``status``, ``owner``, ``priority``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.domain.access import Principal
from ordertrack.domain.roles import Role
from ordertrack.services import accounts, export, intake, order_manager
from ordertrack.services import board as board_service
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput, Forbidden, NotFound

router = APIRouter(tags=["board"])
CSV = "text/csv"


def viewer(authorization: Annotated[str | None, Header()] = None,
           ot_session: Annotated[str | None, Cookie()] = None) -> Principal:
    """The principal of the request: a reseller's API key, else the browser's session (401)."""
    with session_scope() as session:
        if authorization:
            key = intake.authenticate(session, secret=authorization.removeprefix("Bearer ").strip())
            if key is None:
                raise HTTPException(401, "A valid API key is required (Authorization: Bearer <key>).",
                                    headers={"WWW-Authenticate": "Bearer"})
            if key.reseller_id is None:
                raise HTTPException(403, "Only a reseller's key reads the board.")
            return Principal(user_id=None, username=f"api-key-{key.key_id}", display_name=f"API ({key.name})",
                             role=Role.RESELLER, reseller_id=key.reseller_id)
        principal = accounts.resolve(session, secret=ot_session or "", now=get_clock().now())
    if principal is None:
        raise HTTPException(401, "Sign in, or send an API key (Authorization: Bearer <key>).",
                            headers={"WWW-Authenticate": "Bearer"})
    return principal


def wants_csv(request: Request) -> bool:
    """``Accept: text/csv`` or ``?format=csv``."""
    return CSV in request.headers.get("accept", "").lower() or request.query_params.get("format") == "csv"


def _filters(request: Request, principal: Principal) -> board_service.BoardFilters:
    return board_service.BoardFilters.from_params(dict(request.query_params), staff=principal.is_staff)


def csv_response(chunks, name: str) -> StreamingResponse:
    """A streamed CSV download named ``name``-<date>.csv."""
    day = get_clock().now().date().isoformat()
    return StreamingResponse(chunks, media_type=export.MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{name}-{day}.csv"', "Cache-Control": "no-store"})


def _card(c) -> dict[str, Any]:
    return {"number": c.number, "name": c.name, "customer": c.customer_name, "phase": c.phase,
            "phase_label": c.phase_label, "status": c.status, "status_label": c.status_label,
            "priority": c.priority, "owner": c.owner_name, "in_phase": c.in_phase, "deadline": c.deadline,
            "version": c.version, "provisioning_failed": c.failed}


@router.get("/api/v1/board", responses={200: {"content": {"application/json": {}, CSV: {}}}})
def board(request: Request, q: str = "", customer: int | None = None, status: str | None = None,
          owner: int | None = None, priority: str | None = None, bom: bool = False):
    """The board under the filters: JSON (each column's total and its first 50 cards), or with
    ``Accept: text/csv`` every order it shows, as CSV (UTF-8, header row, ISO 8601)."""
    principal = viewer(request.headers.get("authorization"), request.cookies.get("ot_session"))
    filters = _filters(request, principal)
    now = get_clock().now()
    if wants_csv(request):
        return csv_response(export.board_csv(principal=principal, filters=filters, now=now, bom=bom), "board")
    with session_scope() as session:
        columns = board_service.load_board(session, principal=principal, now=now, filters=filters,
                                           calendar=business_calendar())
    return JSONResponse({"columns": [{"key": c.key, "title": c.title, "total": c.total,
                                      "cards": [_card(k) for k in c.cards]} for c in columns]})


@router.get("/api/v1/board/closed", responses={200: {"content": {"application/json": {}, CSV: {}}}})
def closed(request: Request, q: str = "", customer: int | None = None, status: str | None = None,
           owner: int | None = None, priority: str | None = None, bom: bool = False,
           offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0, limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """The Closed tab under the filters: JSON pages, or with ``Accept: text/csv`` all of it."""
    principal = viewer(request.headers.get("authorization"), request.cookies.get("ot_session"))
    filters = _filters(request, principal)
    if wants_csv(request):
        return csv_response(export.closed_csv(principal=principal, filters=filters, bom=bom), "closed-orders")
    with session_scope() as session:
        page = board_service.closed_orders(session, principal=principal, filters=filters, offset=offset, limit=limit)
    return JSONResponse({"total": page.total, "offset": page.offset, "orders": [
        {"number": c.number, "name": c.name, "customer": c.customer_name, "phase": c.phase,
         "status": c.status, "since": export.iso(c.phase_since)} for c in page.cards]})


@router.get("/api/v1/orders/{number}/history", responses={200: {"content": {"application/json": {}, CSV: {}}}})
def history(request: Request, number: str, bom: bool = False):
    """One order's history as its page shows it to the caller, newest first."""
    principal = viewer(request.headers.get("authorization"), request.cookies.get("ot_session"))
    now = get_clock().now()
    try:
        with session_scope() as session:
            if wants_csv(request):
                chunks = list(export.history_csv(session, principal=principal, number=number[:40], now=now, bom=bom))
                return csv_response(iter(chunks), f"history-{number[:40]}")
            rows = export.history_rows(session, principal=principal, number=number[:40], now=now)
    except NotFound:
        raise HTTPException(404, "Order not found.") from None
    return JSONResponse({"number": number, "history": [dict(zip(export.HISTORY_HEADER, r, strict=True))
                                                        for r in rows]})


@router.get("/api/v1/order-manager/orders", responses={200: {"content": {"application/json": {}, CSV: {}}}})
def step_orders(request: Request, view: Annotated[str, Query(max_length=10)],
                node: Annotated[str, Query(max_length=40)], step: Annotated[str, Query(max_length=80)],
                bom: bool = False, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """The orders of one Order Manager step (staff, signed in): ``view`` is ``queue`` (``node``:
    the process id, ``step``: its phase id or ``__complete__``) or ``status`` (``node``: the
    phase, ``step``: the tracking status). CSV with ``Accept: text/csv``."""
    principal = viewer(request.headers.get("authorization"), request.cookies.get("ot_session"))
    try:
        if wants_csv(request):
            return csv_response(export.step_csv(principal=principal, view=view, node=node, step=step, bom=bom),
                                "order-manager-step")
        with session_scope() as session:
            page = order_manager.orders_in(session, principal=principal, view=view, node=node, step=step,
                                           offset=offset, limit=limit)
    except Forbidden as exc:
        raise HTTPException(403, exc.message) from None
    except BadInput as exc:
        raise HTTPException(422, exc.message) from None
    return JSONResponse({"total": page.total, "offset": page.offset, "orders": [
        {"number": c.number, "name": c.name, "customer": c.customer_name, "phase": c.phase,
         "status": c.status, "priority": c.priority} for c in page.cards]})


@router.get("/api/v1/board/snapshot")
def snapshot(request: Request, at: Annotated[str, Query(max_length=40, description="ISO 8601 with offset")],
             changes: bool = False, q: str = "", customer: int | None = None, status: str | None = None,
             owner: int | None = None, priority: str | None = None):
    """The board as it stood at ``at`` (within the last 90 days), rebuilt from history, in the
    caller's scope and filters: each column's total and first 50 cards (phase, status, time in
    phase, owner and priority then); with ``changes=true``, what moved, closed or appeared since."""
    from datetime import datetime

    from ordertrack.services import time_travel

    principal = viewer(request.headers.get("authorization"), request.cookies.get("ot_session"))
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise HTTPException(422, "at: an ISO 8601 date-time with its offset, e.g. 2026-11-20T14:30:00+00:00") from None
    try:
        with session_scope() as session:
            snap = time_travel.board_as_of(session, principal=principal, at=moment, now=get_clock().now(),
                                           filters=_filters(request, principal), changes=changes)
    except BadInput as exc:
        raise HTTPException(422, exc.message) from None
    return JSONResponse({"at": snap.at.isoformat(), "read_only": True, "columns": [
        {"key": c.key, "title": c.title, "total": c.total, "moved": c.moved, "closed": c.closed,
         "appeared": c.appeared, "cards": [
             {"number": k.number, "name": k.name, "customer": k.customer_name, "phase": k.phase, "status": k.status,
              "in_phase": k.in_phase, "owner": k.owner_name, "priority": k.priority, "change": k.change}
             for k in c.cards]} for c in snap.columns]})
