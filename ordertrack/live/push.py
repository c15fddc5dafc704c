"""Send one state update, encoded once, to many browser tabs (no app imports: benchmarks use it)."""

from __future__ import annotations

from typing import Any


async def send(state: str, values: dict[str, Any], sids: list[str]) -> None:
    """Set ``values`` (var name → value) of the State named ``state`` in every tab of ``sids``.

    One Socket.IO packet is built and JSON-encoded once, then written to each socket; no tab's
    server-side state is locked or diffed.
    """
    from reflex.state import StateUpdate
    from reflex.utils.prerequisites import get_and_validate_app
    from reflex_base.constants.event import SocketEvent
    from reflex_base.constants.state import FIELD_MARKER

    namespace = get_and_validate_app().app.event_namespace
    if namespace is None or not sids:
        return
    update = StateUpdate(delta={state: {name + FIELD_MARKER: value for name, value in values.items()}})
    await namespace.emit(SocketEvent.EVENT, update, to=sids)
