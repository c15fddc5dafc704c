"""Who the running handler acts for: set by the guard (``auth``) or by a live push acting as
a tab's user (``live``); read by pages through ``current_principal``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ordertrack.domain.access import Principal

_current: ContextVar[Principal | None] = ContextVar("ordertrack_principal", default=None)


def admitted() -> Principal | None:
    """The principal admitted for the running handler (None: anonymous, on a public handler)."""
    return _current.get()


def current_principal() -> Principal:
    """The principal the guard admitted for the running handler."""
    principal = _current.get()
    if principal is None:  # only reachable if a handler skipped the guard
        raise RuntimeError("handler ran without the guard")
    return principal


def set_admitted(principal: Principal | None):
    """Admit ``principal`` for the running handler; the token to pass to ``reset_admitted``."""
    return _current.set(principal)


def reset_admitted(token) -> None:
    """Undo ``set_admitted``."""
    _current.reset(token)


@contextmanager
def acting_as(principal: Principal) -> Iterator[None]:
    """Run a block (e.g. a background refresh) as ``principal``."""
    token = _current.set(principal)
    try:
        yield
    finally:
        _current.reset(token)


