"""Shared live views: compute a view once, send the same bytes to every tab that shows it.

A live page registers what its tab shows (``show``): the State, a key that fully decides
the view's content (tenant scope, filters, window) and a function that computes the view's
vars. After every change (see ``bus``) and every ``IDLE_SECONDS`` one task per worker
(``run``):

1. drops tabs that disconnected or left the page (``left_page``, called by the guard on
   every event),
2. re-checks every registered tab's session in ONE query (a signed-out, expired or
   deactivated session, or a changed role or tenant, stops its pushes; a tab whose session
   ended is told so: the shell's ``session_ended``),
3. groups the tabs by (State, key), computes each view once, and emits the vars that changed
   since that key was last sent as one Socket.IO packet, encoded once and written to every
   tab of the group (a tab new to the group gets the whole view once).

No tab's server-side state is locked or diffed, so a viewer costs one socket write; the
per-tab watcher it replaces (``watch``) cost a state lock, a session query, a refresh
and a delta per tab. The tab's server copy of the pushed vars goes stale, which is harmless
because every handler that reads them recomputes them first (``BoardState._fetch``).
Measured in ``bench/board.py`` and ``bench/fanout.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from ordertrack import i18n, offload
from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.db.errors import DatabaseUnavailable
from ordertrack.db.models import Customer
from ordertrack.domain.access import Principal
from ordertrack.domain.roles import Role
from ordertrack.live import bus, push
from ordertrack.principal import acting_as, current_principal
from ordertrack.services import accounts

log = logging.getLogger(__name__)
IDLE_SECONDS = 60.0
PUSH_TIMEOUT = 30.0  # one round of computing every open view


@dataclass(frozen=True, slots=True)
class View:
    """What one tab shows: ``compute()`` (run as the tab's principal) gives the vars of
    ``state`` for ``key``; every tab with the same state and key gets the same vars."""

    state: str
    key: Hashable
    path: str
    secret: str
    principal: Principal
    compute: Callable[[], dict[str, Any]]
    language: str = i18n.DEFAULT
    serial: int = 0  # set by ``show``: a tab that registers again is new to its group
    frame: str = ""  # the State with ``session_ended`` (the shell's), told when the session ends


_views: dict[str, dict[str, View]] = {}  # client token → state full name → view
# each (state, key): its last view, and the (socket, registration) pairs that were sent it
_last: dict[tuple[str, Hashable], tuple[dict[str, Any], frozenset[tuple[str, int]]]] = {}
_serials = itertools.count(1)
pushes = 0  # packets sent (for tests and benchmarks)
_lock = threading.RLock()  # handlers register from the blocking-work pool, the pusher reads on the loop


def show(token: str, view: View) -> None:
    """Register (or replace) what a tab shows of one State."""
    if token:
        with _lock:
            _views.setdefault(token, {})[view.state] = dataclasses.replace(view, serial=next(_serials))


def serve(state: Any, key: Hashable, compute: Callable[[], dict[str, Any]], *, computed: tuple[str, ...] = ()) -> None:
    """In a guarded handler: set this tab's vars from ``compute()`` and keep pushing them.

    ``key`` must decide everything ``compute`` reads besides the principal's tenant scope,
    which is added to it here. ``computed`` names values that are computed vars of the
    State: pushed to the browser, never set on the server copy.
    """
    principal = current_principal()
    for name, value in compute().items():
        if name not in computed:
            setattr(state, name, value)
    language = i18n.current()
    show(state.router.session.client_token, View(
        state=state.get_full_name(), key=(scope_of(principal), language, key), path=state.router.page.path,
        secret=state._secret(), principal=principal, compute=compute, language=language,
        frame=_frame_of(type(state))))


def _frame_of(cls: Any) -> str:
    """The full name of the State (``cls`` or a parent) that defines ``SESSION_ENDED``, or ""."""
    while cls is not None:
        if SESSION_ENDED in cls.base_vars:
            return cls.get_full_name()
        cls = cls.get_parent_state()
    return ""


SESSION_ENDED = "session_ended"
"""The shell's var that says "you have been signed out": set in a tab whose pushes stop
because its session ended (signed out elsewhere, expired or deactivated)."""


def hide(token: str, state: str | None = None) -> None:
    """Stop pushing to a tab (one State, or all of them)."""
    with _lock:
        if state is None:
            _views.pop(token, None)
        elif (views := _views.get(token)) is not None:
            views.pop(state, None)
            if not views:
                _views.pop(token, None)


def left_page(token: str, path: str) -> None:
    """A tab's event came from ``path``: forget the views it registered on other pages."""
    with _lock:
        views = _views.get(token)
        if views and any(v.path != path for v in views.values()):
            for state in [s for s, v in views.items() if v.path != path]:
                hide(token, state)


def registered() -> int:
    """How many tabs have views (for tests and benchmarks)."""
    return len(_views)


def scope_of(p: Principal) -> tuple:
    """Who sees the same data: one role and tenant (a changed role or tenant stops the pushes)."""
    return (p.role, p.reseller_id, p.customer_id)


def _namespace():
    from reflex.utils.prerequisites import get_and_validate_app

    return get_and_validate_app().app.event_namespace


def _live_views(token_to_sid: dict[str, str]) -> tuple[list[tuple[str, View]], dict[str, set[str]]]:
    """(sid, view) of every connected tab whose session still admits what it was shown; and
    the tabs whose session ended (frame State → sids): their pushes stop here, and they are told."""
    with _lock:
        for token in [t for t in _views if t not in token_to_sid]:
            _views.pop(token, None)
        snapshot = [(token, list(views.items())) for token, views in _views.items()]
    if not snapshot:
        return [], {}
    secrets = {v.secret for _, views in snapshot for _, v in views}
    with session_scope() as session:
        alive = accounts.resolve_many(session, secret_values=secrets, now=get_clock().now())
    out, ended = [], defaultdict(set)
    for token, views in snapshot:
        for state, view in views:
            now_principal = alive.get(view.secret)
            if now_principal is None or scope_of(now_principal) != scope_of(view.principal):
                hide(token, state)
                if now_principal is None and view.frame:
                    ended[view.frame].add(token_to_sid[token])
                continue
            out.append((token_to_sid[token], view))
    return out, ended


def _unaffected(principal: Principal, changed: set[int], resellers: set[int | None]) -> bool:
    """Whether a tenant's views cannot have changed when only ``changed`` customers did."""
    if principal.is_staff:
        return False
    if principal.role is Role.CUSTOMER:
        return principal.customer_id not in changed
    if principal.role in (Role.RESELLER, Role.PARTNER):
        return principal.reseller_id not in resellers
    return False


def _resellers_of(customers: set[int]) -> set[int | None]:
    if not customers:
        return set()
    with session_scope() as session:
        return set(session.exec(select(Customer.reseller_id).where(col(Customer.id).in_(customers))).all())


def _compute(token_to_sid: dict[str, str], changed: set[int] | None) -> list[tuple[str, list[str], dict]]:
    """(state, sids, values) of every packet to send now (blocking: sessions and views query).

    Tabs that were sent the group's last view get only the vars that changed since (a move
    changes the columns it touches, not the board's filters or totals of other columns); tabs
    new to the group (a new page, a reconnected socket, a tab that registered again) get the
    whole view once.
    """
    groups: dict[tuple[str, Hashable], list[tuple[str, View]]] = defaultdict(list)
    live, ended = _live_views(token_to_sid)
    for sid, view in live:
        groups[(view.state, view.key)].append((sid, view))
    resellers = _resellers_of(changed) if changed is not None else set()
    out = [(frame, sorted(sids), {SESSION_ENDED: True}) for frame, sids in ended.items()]
    for group, members in groups.items():
        state, first = group[0], members[0][1]
        if changed is not None and _unaffected(first.principal, changed, resellers):
            continue
        try:
            with acting_as(first.principal), i18n.use(first.language):
                values = first.compute()
        except DatabaseUnavailable:
            raise
        except Exception:  # one broken view never stops the others
            log.exception("could not compute the live view of %s", state)
            continue
        tabs = [(sid, view.serial) for sid, view in members]
        before, sent_to = _last.get(group, ({}, frozenset()))
        _last[group] = (values, frozenset(tabs))
        fresh = [sid for sid, serial in tabs if (sid, serial) not in sent_to]
        if fresh:
            out.append((state, fresh, values))
        delta = {name: value for name, value in values.items() if name not in before or before[name] != value}
        current = [sid for sid, serial in tabs if (sid, serial) in sent_to]
        if delta and current:  # unchanged (e.g. another tenant's order moved): its tabs are current
            out.append((state, current, delta))
    for gone in [k for k in _last if k not in groups]:
        del _last[gone]
    return out


async def push_all(changed: set[int] | None = None) -> int:
    """Compute every registered view once per key and send it; the number of packets.

    Args:
        changed: the customers whose data changed, if known: views of other tenants are then
            left alone (staff views are always recomputed); None recomputes everything.
    """
    global pushes
    namespace = _namespace()
    if namespace is None or not _views:
        return 0
    batch = await offload.run(_compute, dict(namespace.token_to_sid), changed, timeout=PUSH_TIMEOUT)
    for state, sids, values in batch:
        await push.send(state, values, sids)
    pushes += len(batch)
    return len(batch)


async def run(idle_seconds: float = IDLE_SECONDS) -> None:
    """Push every affected view after each change, and every view at least every
    ``idle_seconds`` (time in words moves on), until cancelled."""
    seen = bus.current()
    loop = asyncio.get_running_loop()
    last_full = loop.time()
    while True:
        now_seen = await bus.wait_change(seen, idle_seconds)
        changed = bus.take_dirty()
        if now_seen == seen or loop.time() - last_full >= idle_seconds:
            changed = None
        seen = now_seen
        if changed is None:
            last_full = loop.time()
        try:
            await push_all(changed)
        except asyncio.CancelledError:
            raise
        except DatabaseUnavailable:
            pass  # logged where it failed; the next change or tick tries again
        except Exception:
            log.exception("live push failed")
