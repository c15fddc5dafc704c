"""Every public handler of every ordertrack State carries the guard (so none can be forgotten)."""

from __future__ import annotations

import reflex as rx

import ordertrack.ordertrack  # noqa: F401  (imports every page and its State)
from ordertrack.auth import GUARD_ATTR


def _all_states(cls: type[rx.State]) -> list[type[rx.State]]:
    found = [cls]
    for sub in cls.get_substates():
        found += _all_states(sub)
    return found


def _our_handlers():
    for state in _all_states(rx.State):
        if not state.__module__.startswith("ordertrack"):
            continue
        for name, handler in state.event_handlers.items():
            fn = handler.fn
            if getattr(fn, "__module__", "").startswith("ordertrack") or hasattr(fn, GUARD_ATTR):
                yield state, name, fn


def test_there_are_handlers_to_check():
    names = {f"{s.__name__}.{n}" for s, n, _ in _our_handlers()}
    assert {"LoginState.redirect_if_signed_in", "MovesState.confirm_move", "OrdersState.set_search"} <= names


def test_every_handler_is_guarded():
    unguarded = [f"{s.__module__}.{s.__name__}.{n}" for s, n, fn in _our_handlers() if not hasattr(fn, GUARD_ATTR)]
    assert unguarded == [], f"handlers without @guard: {unguarded}"


def test_only_the_login_handlers_are_public():
    public = {f"{s.__name__}.{n}" for s, n, fn in _our_handlers() if getattr(fn, GUARD_ATTR)["public"]}
    assert public <= {"LoginState.redirect_if_signed_in", "AppState.set_language"} | {
        f"OrderFormState.{n}" for n in ("load", "save_service", "save_contact", "back", "submit")}
