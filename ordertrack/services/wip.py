"""WIP limits of the board's columns (issue 15.3), set by admins per board scope: the whole
board (what staff see) or one reseller's orders.

A column at its limit shows amber, above it red. A move into a full column (as many orders as
the limit, not counting the one moving) is refused under a hard limit; under a soft limit the
mover gives a reason, which is written into the move's history row. ``guard_move`` is called by
``order_moves.move_order`` for every manual move (board drag, bulk move, order page, REST); timers
and events are never held back by a limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from ordertrack.db.board_models import WipLimit
from ordertrack.db.models import Customer, Order, Reseller
from ordertrack.domain.access import Principal
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import ORDER_WORKFLOW
from ordertrack.i18n import N_, _
from ordertrack.services.errors import BadInput, Forbidden

WIP_COLUMNS = ("planning", "execution", "validation")  # board column key = its one phase
MAX_LIMIT = 100_000
ADMIN_ONLY = N_("Only administrators set WIP limits.")
BAD_LIMIT = N_("A WIP limit is a whole number from 1 to 100000 (empty: no limit).")
UNKNOWN_COLUMN = N_("WIP limits apply to Planning and Provisioning, Execution and Customer Validation.")
HARD_FULL = N_("{column} is full: {count} of {limit} orders (hard WIP limit{scope}). Move another order out first.")
SOFT_FULL = N_("{column} is at its WIP limit: {count} of {limit} orders{scope}. Give a reason to move it anyway.")
OVER_NOTE = N_("Over the WIP limit of {column} ({count} of {limit}{scope}): {reason}")


class WipReasonNeeded(BadInput):
    """A soft WIP limit is reached and the mover gave no reason."""


@dataclass(frozen=True, slots=True)
class WipView:
    """A column's WIP state as the header shows it: count / limit and how full."""

    column: str
    count: int
    limit: int | None
    hard: bool
    level: str  # "" (no limit) | ok | at (amber) | over (red)


@dataclass(frozen=True, slots=True)
class LimitRow:
    """One column's limit in a scope, as the admin form shows it."""

    column: str
    column_label: str
    limit: int | None
    hard: bool


def scope_key(reseller_id: int | None) -> str:
    """The scope's key: "all" (the whole board) or "reseller:<id>"."""
    return "all" if reseller_id is None else f"reseller:{int(reseller_id)}"


def level_of(count: int, limit: int | None) -> str:
    """"" without a limit, "ok" below it, "at" at it (amber), "over" above it (red)."""
    if limit is None:
        return ""
    return "ok" if count < limit else "at" if count == limit else "over"


def _counts(session: Session, reseller_id: int | None) -> dict[str, int]:
    query = select(Order.phase, func.count()).where(col(Order.phase).in_(WIP_COLUMNS))
    if reseller_id is not None:
        query = query.join(Customer, Customer.id == Order.customer_id).where(Customer.reseller_id == reseller_id)
    return dict(session.exec(query.group_by(Order.phase)).all())


def _limits(session: Session, reseller_id: int | None) -> dict[str, WipLimit]:
    rows = session.exec(select(WipLimit).where(WipLimit.scope_key == scope_key(reseller_id))).all()
    return {r.column: r for r in rows}


def viewer_scope(principal: Principal) -> tuple[bool, int | None]:
    """(has a board scope, its reseller id): staff see the whole board, resellers and partners
    their reseller's; customers have no WIP view."""
    if principal.is_staff:
        return True, None
    if principal.role in (Role.RESELLER, Role.PARTNER) and principal.reseller_id is not None:
        return True, principal.reseller_id
    return False, None


def usage(session: Session, *, principal: Principal) -> dict[str, WipView]:
    """Each WIP column's count and limit in the viewer's board scope (empty for customers).
    Counts are of every order in the scope, whatever the board's filters."""
    has, reseller_id = viewer_scope(principal)
    if not has:
        return {}
    counts, limits = _counts(session, reseller_id), _limits(session, reseller_id)
    out = {}
    for column in WIP_COLUMNS:
        row = limits.get(column)
        limit = row.max_cards if row else None
        out[column] = WipView(column=column, count=counts.get(column, 0), limit=limit, hard=bool(row and row.hard),
                              level=level_of(counts.get(column, 0), limit))
    return out


def limits_of(session: Session, *, principal: Principal, reseller_id: int | None) -> tuple[LimitRow, ...]:
    """The limits of one scope for the admin form."""
    if principal.role is not Role.ADMIN:
        raise Forbidden(_(ADMIN_ONLY))
    limits = _limits(session, reseller_id)
    return tuple(LimitRow(column=c, column_label=ORDER_WORKFLOW.label(c), limit=limits[c].max_cards if c in limits
                          else None, hard=bool(c in limits and limits[c].hard)) for c in WIP_COLUMNS)


def scopes(session: Session) -> tuple[tuple[str, str], ...]:
    """(value, label) of every scope an admin may set limits for: the whole board, each reseller."""
    rows = session.exec(select(Reseller.id, Reseller.name).order_by(Reseller.name)).all()
    return (("all", _("All staff (whole board)")),) + tuple((scope_key(i), n) for i, n in rows)


def parse_scope(value: str) -> int | None:
    """The reseller id of a scope key ("all": None).

    Raises:
        BadInput: not a scope key.
    """
    value = (value or "").strip()
    if value == "all":
        return None
    head, _sep, tail = value.partition(":")
    if head != "reseller" or not tail.isdigit() or len(tail) > 9:
        raise BadInput(_("Unknown board scope."))
    return int(tail)


def set_limit(session: Session, *, principal: Principal, reseller_id: int | None, column: str,
              limit: int | str | None, hard: bool, now: datetime) -> LimitRow:
    """Set (or, with an empty ``limit``, remove) one column's WIP limit in a scope (admins;
    the caller commits).

    Raises:
        Forbidden: not an administrator.  BadInput: unknown column or reseller, bad limit.
    """
    if principal.role is not Role.ADMIN:
        raise Forbidden(_(ADMIN_ONLY))
    if column not in WIP_COLUMNS:
        raise BadInput(_(UNKNOWN_COLUMN))
    if reseller_id is not None and session.get(Reseller, reseller_id) is None:
        raise BadInput(_("Unknown board scope."))
    text = str(limit).strip() if limit is not None else ""
    if text and (not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT):
        raise BadInput(_(BAD_LIMIT))
    row = _limits(session, reseller_id).get(column)
    if not text:
        if row is not None:
            session.delete(row)
            session.flush()
        return LimitRow(column=column, column_label=ORDER_WORKFLOW.label(column), limit=None, hard=False)
    if row is None:
        row = WipLimit(scope_key=scope_key(reseller_id), reseller_id=reseller_id, column=column, max_cards=0,
                       updated_at=now)
    row.max_cards, row.hard, row.updated_at, row.updated_by = int(text), bool(hard), now, principal.display_name
    session.add(row)
    session.flush()
    return LimitRow(column=column, column_label=ORDER_WORKFLOW.label(column), limit=row.max_cards, hard=row.hard)


@dataclass(frozen=True, slots=True)
class Breach:
    """A limit a move into ``column`` would break."""

    column: str
    count: int
    limit: int
    hard: bool
    reseller_name: str  # "" for the whole board's limit

    def _scope(self) -> str:
        return _(" for {reseller}").format(reseller=self.reseller_name) if self.reseller_name else ""

    def message(self) -> str:
        """What the mover reads."""
        return _(HARD_FULL if self.hard else SOFT_FULL).format(
            column=ORDER_WORKFLOW.label(self.column), count=self.count, limit=self.limit, scope=self._scope())

    def note(self, reason: str) -> str:
        """The history comment of a move over a soft limit."""
        return _(OVER_NOTE).format(column=ORDER_WORKFLOW.label(self.column), count=self.count + 1,
                                   limit=self.limit, scope=self._scope(), reason=reason)


def _target_limits(session: Session, scopes: tuple[int | None, ...], column: str,
                   lock: bool) -> dict[int | None, WipLimit]:
    """``column``'s limit rows of ``scopes`` (one query); ``lock``: FOR UPDATE, so that every
    move into the column waits here until the one before it commits (issue 15: two moves into
    the last free slot cannot both count it free; SQLite serialises writers anyway)."""
    keys = {scope_key(s): s for s in scopes}
    query = _LIMITS_LOCKED if lock else _LIMITS
    return {keys[r.scope_key]: r for r in session.exec(query, params={"keys": list(keys), "column": column}).all()}


# Built once (every manual move asks): the limit rows of some scopes in one column.
_LIMITS = select(WipLimit).where(col(WipLimit.scope_key).in_(bindparam("keys", expanding=True)),
                                 WipLimit.column == bindparam("column"))
_LIMITS_LOCKED = _LIMITS.with_for_update().execution_options(populate_existing=True)


def breaches(session: Session, *, reseller_id: int | None, current: str, target: str,
             lock: bool = False) -> tuple[Breach, ...]:
    """The limits a move of an order (of ``reseller_id``'s customer) from ``current`` into
    ``target`` would break: the whole board's and its reseller's, hard ones first.

    ``lock``: lock the target column's limit rows for the rest of the transaction before
    counting (the move itself; see ``_target_limits``)."""
    if target not in WIP_COLUMNS or target == current:
        return ()
    found = []
    scopes = (None, reseller_id) if reseller_id is not None else (None,)
    limits = _target_limits(session, scopes, target, lock)
    for scope in scopes:
        row = limits.get(scope)
        if row is None:
            continue
        count = _counts(session, scope).get(target, 0)
        if count >= row.max_cards:
            name = session.get(Reseller, scope).name if scope is not None else ""
            found.append(Breach(column=target, count=count, limit=row.max_cards, hard=row.hard, reseller_name=name))
    return tuple(sorted(found, key=lambda b: not b.hard))


def breaches_for_order(session: Session, *, order_id: int, target: str) -> tuple[Breach, ...]:
    """``breaches`` for an order by id (the board asks before opening its move dialog)."""
    row = session.exec(select(Order.phase, Customer.reseller_id).join(Customer, Customer.id == Order.customer_id)
                       .where(Order.id == order_id)).first()
    if row is None:
        return ()
    return breaches(session, reseller_id=row[1], current=row[0], target=target)


def guard_move(session: Session, *, reseller_id: int | None, current: str, target: str, comment: str) -> str:
    """Check a manual move against the WIP limits; the comment to write (annotated when a soft
    limit is passed with a reason). Called in the move's transaction: a limit of the target
    column stays locked until it commits, so concurrent moves into it count one after another.

    Raises:
        BadInput: a hard limit is reached.
        WipReasonNeeded: a soft limit is reached and ``comment`` is empty.
    """
    found = breaches(session, reseller_id=reseller_id, current=current, target=target, lock=True)
    if not found:
        return comment
    if found[0].hard:
        raise BadInput(found[0].message())
    if not comment.strip():
        raise WipReasonNeeded(found[0].message())
    return "; ".join(b.note(comment) for b in found)[:4000]
