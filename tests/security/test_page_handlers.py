"""Every page's ``on_load`` starts with one guarded page handler: it decides whether the frame
shows the page or the "no access" panel (``pages/frame.py``), so a page cannot forget it."""

from __future__ import annotations

import ordertrack.ordertrack as app_module
from ordertrack.auth import GUARD_ATTR

NOT_FRAMED = {"login"}  # signs in; its handler only redirects a signed-in user


def _page_handlers(handlers) -> list[str]:
    return [h.fn.__qualname__ for h in handlers if getattr(h.fn, GUARD_ATTR, {}).get("page")]


def test_every_page_load_is_marked_as_the_page_handler():
    routes = app_module.app._load_events
    assert len(routes) > 10
    wrong = {route: _page_handlers(handlers) for route, handlers in routes.items()
             if route not in NOT_FRAMED and len(_page_handlers(handlers)) != 1}
    assert wrong == {}, f"pages whose on_load has no (or several) page handlers: {wrong}"


def test_only_page_loads_are_page_handlers():
    """A refused button must keep its "not allowed" toast; only loads render the panel."""
    on_load = {h.fn.__qualname__ for handlers in app_module.app._load_events.values() for h in handlers}
    from tests.security.test_guard_coverage import _our_handlers

    marked = {fn.__qualname__ for _s, _n, fn in _our_handlers() if getattr(fn, GUARD_ATTR)["page"]}
    assert marked <= on_load, f"page handlers that no page loads: {marked - on_load}"
