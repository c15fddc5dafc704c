"""Live pages: one background watcher per browser tab refreshes the page's own window of
data after every change (see ``bus``), re-checking the session each time."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ordertrack import i18n, offload, sessions
from ordertrack.db.errors import DatabaseUnavailable
from ordertrack.live import bus
from ordertrack.live.fanout import SESSION_ENDED
from ordertrack.principal import acting_as

PROCESS_ID = f"{os.getpid()}-{id(bus)}"


async def watch(state: Any, *, refresh: Callable[[], None], idle_seconds: float = 60.0,
                customer: Callable[[], int] | None = None, order: Callable[[], int] | None = None,
                read_at: Callable[[], int] | None = None) -> None:
    """Run in a background handler: refresh ``state`` after each change while the tab stays on
    the page it started on and its session is valid (when it ends, the shell says so).

    ``customer``: the one customer whose data the page shows (0: not known yet); changes of
    other customers' data only are then skipped (one order's page among many staff tabs).
    ``order``: the one order the page shows (0: not known yet); changes that name only other
    orders (``publish(orders=...)``) are skipped.
    ``read_at``: the change number (``live.change_number()``) when the tab last began reading
    its data; a change it has read since is skipped (the tab that made it has just re-read
    the page).

    The state must have the backend vars ``_watch_path`` and ``_watcher`` (str).
    """
    async with state:
        path = state.router.page.path
        if state._watcher == PROCESS_ID and state._watch_path == path:
            return  # this tab already has a watcher in this process
        state._watcher, state._watch_path = PROCESS_ID, path
        token = state.router.session.client_token

    def blocking_step() -> bool:  # the session check and the refresh query the database
        principal = sessions.resolve(state._secret())
        if principal is None:
            return False
        with acting_as(principal), i18n.use(state.lang):
            refresh()
        return True

    def concerns(since: int) -> bool:  # under the state lock: the ids the tab shows now
        if customer is not None and customer():
            changed = bus.changed_since(since)
            if changed is not None and customer() not in changed:
                return False  # other customers' data only
        if order is not None and order():
            orders = bus.orders_changed_since(since)
            if orders is not None and order() not in orders:
                return False  # other orders only
        return read_at is None or read_at() < bus.current()  # else read after these changes

    async def step(since: int | None) -> bool:
        async with state:
            if state._watch_path != path or state.router.page.path != path:
                return False
            if since is not None and not concerns(since):
                return True
            try:
                alive = await offload.run(blocking_step)
            except DatabaseUnavailable:
                return True  # keep watching: the next change or tick tries again
            if not alive:
                _tell_session_ended(state)
            return alive

    try:
        await bus.follow(token, step, idle_seconds=idle_seconds)
    finally:
        async with state:
            if state._watch_path == path:
                state._watcher = ""


def _tell_session_ended(state: Any) -> None:
    """Set ``SESSION_ENDED`` on the State (``state`` or a parent) that defines it: the shell
    says "signed out"."""
    while state is not None and SESSION_ENDED not in state.__class__.base_vars:  # (a proxy's class: the State's)
        state = state.parent_state
    if state is not None:
        setattr(state, SESSION_ENDED, True)
