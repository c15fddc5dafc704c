"""Live updates: how a change reaches every browser that shows it (see README.md here).

``publish`` after a commit; ``serve`` from a page handler to keep a shared view pushed to a
tab; ``watch`` from a background handler for per-tab refreshes; ``shared`` for a computation
every tab with the same key reuses; ``lifespan`` binds it all to the server's event loop.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from ordertrack.live import bus, fanout
from ordertrack.live.bus import current as change_number
from ordertrack.live.bus import publish
from ordertrack.live.cache import shared
from ordertrack.live.fanout import scope_of, serve
from ordertrack.live.watch import watch

__all__ = ["change_number", "lifespan", "publish", "scope_of", "serve", "shared", "watch"]


@asynccontextmanager
async def lifespan():
    """Bind the bus to the server's event loop, relay through Redis when configured, and run
    the pusher of shared views."""
    from reflex.config import get_config

    relay = bus.bind(asyncio.get_running_loop(), get_config().redis_url)
    pusher = asyncio.create_task(fanout.run())
    try:
        yield
    finally:
        pusher.cancel()
        if relay is not None:
            relay.cancel()
        bus.unbind()
