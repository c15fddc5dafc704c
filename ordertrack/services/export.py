"""CSV export (issue 15.4): the board's filtered orders, the Closed tab, an order's history and
the orders of an Order Manager step, each in the viewer's tenant scope.

Exports are generators of text chunks: rows are read from the database in batches
(``yield_per``: a server-side cursor on PostgreSQL) and written out a batch at a time, so 100,000
rows never sit in memory at once (``tests/services/test_board_export.py`` holds that to a
ceiling). They read through their own session, outside the writers' lock. UTF-8 with a header
row; instants in ISO 8601 with their UTC offset, dates as YYYY-MM-DD; ``bom=True`` starts the
file with a byte-order mark so that spreadsheet programs read it as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ordertrack.db import engine as _db
from ordertrack.db.models import Customer, Order, User
from ordertrack.domain.access import Principal
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.services import board as board_service
from ordertrack.services import order_manager, order_views

BATCH = 1000
ORDER_HEADER = ("number", "name", "customer", "phase", "status", "priority", "owner", "phase_since",
                "planned_completion", "requested_completion", "created_at", "provisioning_failed")
HISTORY_HEADER = ("at", "actor", "from_phase", "to_phase", "from_status", "to_status", "comment")
MEDIA_TYPE = "text/csv; charset=utf-8"


def iso(value: datetime | date | None) -> str:
    """ISO 8601: instants in UTC with their offset, dates as they are, "" for none."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return value.isoformat()


def _clean(value: object) -> str:
    """A cell: text that a spreadsheet will not run as a formula (a leading = + - @ is quoted
    with an apostrophe, as OWASP advises against CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_rows(header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = False) -> Iterator[str]:
    """CSV text in chunks of ``BATCH`` rows: the header first, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow([_clean(v) for v in row])
        n += 1
        if n % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _order_row(o: Order, customer: str, owner: str | None, failed: bool) -> tuple:
    return (o.number, o.name, customer, ORDER_WORKFLOW.label(o.phase), OrderStatus(o.status).label, o.priority,
            owner or "", iso(o.phase_since), iso(o.planned_completion), iso(o.requested_completion),
            iso(o.created_at), "yes" if failed else "no")


def _stream_orders(query, engine: Engine | None) -> Iterator[tuple]:
    with Session(engine or _db.get_engine()) as session:
        for o, customer, failed, owner in session.exec(query.execution_options(yield_per=BATCH)):
            yield _order_row(o, customer, owner, failed)
            session.expunge(o)


def _orders_query(principal: Principal, filters: board_service.BoardFilters):
    query = (select(Order, Customer.name, order_views.has_open_failure().label("failed"), User.display_name)
             .join(Customer, Customer.id == Order.customer_id).outerjoin(User, User.id == Order.owner_id))
    return board_service.filtered(query, principal, filters.validated())


def board_csv(*, principal: Principal, filters: board_service.BoardFilters, now: datetime, bom: bool = False,
              engine: Engine | None = None) -> Iterator[str]:
    """Every order the board shows under ``filters`` (not only the cards on screen): the open
    phases, and the orders closed or canceled within the last month; by phase, oldest first."""
    query = _orders_query(principal, filters).where(
        col(Order.phase).not_in(board_service.DONE_PHASES)
        | (col(Order.phase_since) >= now - board_service.ON_BOARD_AFTER_DONE))
    query = query.order_by(col(Order.phase), col(Order.phase_since), col(Order.id))
    return write_rows(ORDER_HEADER, _stream_orders(query, engine), bom=bom)


def closed_csv(*, principal: Principal, filters: board_service.BoardFilters, bom: bool = False,
               engine: Engine | None = None) -> Iterator[str]:
    """The Closed tab under ``filters``: every closed and canceled order, most recent first."""
    query = _orders_query(principal, filters).where(col(Order.phase).in_(board_service.DONE_PHASES)).order_by(
        col(Order.phase_since).desc(), col(Order.id).desc())
    return write_rows(ORDER_HEADER, _stream_orders(query, engine), bom=bom)


def history_rows(session: Session, *, principal: Principal, number: str, now: datetime) -> list[tuple]:
    """An order's history as its page shows it to this viewer (staff see internal rows and the
    SLA clock's), newest first, one tuple per ``HISTORY_HEADER``.

    Raises:
        NotFound: no such order, or the viewer may not see it.
    """
    detail = order_views.get_order(session, principal=principal, number=number, now=now)
    return [(iso(h.at), h.actor_name, h.from_label, h.to_label, h.from_status_label, h.to_status_label, h.comment)
            for h in detail.history]


def history_csv(session: Session, *, principal: Principal, number: str, now: datetime,
                bom: bool = False) -> Iterator[str]:
    """``history_rows`` as CSV.

    Raises:
        NotFound: no such order, or the viewer may not see it.
    """
    return write_rows(HISTORY_HEADER, history_rows(session, principal=principal, number=number, now=now), bom=bom)


def step_csv(*, principal: Principal, view: str, node: str, step: str, bom: bool = False,
             engine: Engine | None = None) -> Iterator[str]:
    """The orders of one Order Manager step (staff), page by page.

    Raises:
        Forbidden: not staff.  BadInput: unknown view.
    """
    with Session(engine or _db.get_engine()) as session:  # refuse before the first byte is sent
        first = order_manager.orders_in(session, principal=principal, view=view, node=node, step=step, limit=200)

    def rows() -> Iterator[tuple]:
        page, offset = first, 0
        while page.cards:
            for c in page.cards:
                yield (c.number, c.name, c.customer_name, c.phase_label, c.status_label, c.priority, "",
                       iso(c.phase_since), "", "", "", "yes" if c.failed else "no")
            offset += len(page.cards)
            if offset >= page.total:
                return
            with Session(engine or _db.get_engine()) as session:
                page = order_manager.orders_in(session, principal=principal, view=view, node=node, step=step,
                                               offset=offset, limit=200)

    return write_rows(ORDER_HEADER, rows(), bom=bom)
