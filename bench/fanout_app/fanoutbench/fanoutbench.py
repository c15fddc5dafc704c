"""Three fan-out mechanisms with the same payload (a board window: 4 columns x 25 cards).

- ``watch``: every tab runs a background watcher that wakes on a change and sets its own
  state (a state lock, a delta and an encode per tab): ordertrack's design before ``fanout``.
- ``shared``: ``rx.SharedState`` linked to one token; Reflex fans the change out itself.
- ``room``: the change is encoded once and written to every tab (``ordertrack.live.push``): the
  whole board window every time.
- ``delta``: as ``room``, but the board is one var per column and only what changed is sent
  (one card moved within a column), as ``ordertrack.live.fanout`` and the board do now.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ordertrack.live.push import send

CARD = {"number": "SO-1000000", "href": "/orders/SO-1000000", "name": "Bench order with a name",
        "customer": "Northwind Traders", "phase": "Execution", "status": "on_track", "status_label": "On Track",
        "in_phase": "in phase 3 days", "deadline": "auto-approves in 1 day 3 h", "version": "4", "failed": ""}
PAYLOAD = {col: [dict(CARD, number=f"SO-{col[:2]}{i}") for i in range(25)]
           for col in ("planning", "execution", "validation", "done")}

_version = 0
_changed = asyncio.Event()
_room: set[str] = set()


class Tab(rx.State):
    """A viewer's own state (modes watch and room)."""

    n: int = 0
    cards: dict[str, list[dict[str, str]]] = {}
    flag: bool = False
    sent: int = 0
    planning: list[dict[str, str]] = []
    execution: list[dict[str, str]] = []
    validation: list[dict[str, str]] = []
    done: list[dict[str, str]] = []

    @rx.event
    def ping(self):
        """The trivial event: one bool."""
        self.flag = not self.flag

    @rx.event(background=True)
    async def watch(self):
        """Mode watch: refresh this tab after every change."""
        global _changed
        seen = _version
        while True:
            event = _changed
            if _version == seen:
                await event.wait()
            seen = _version
            async with self:
                self.n, self.cards = seen, PAYLOAD

    @rx.event
    def change_watch(self, n: int):
        """Mode watch: a change wakes every watcher."""
        global _version, _changed
        _version = self.sent = int(n)
        event, _changed = _changed, asyncio.Event()
        event.set()

    @rx.event
    def join_room(self):
        """Mode room: this tab gets the pushes."""
        _room.add(self.router.session.client_token)
        self.sent = 0  # a reply, so the client knows it joined

    @rx.event
    def change_room(self, n: int):
        """Mode room: one packet for every tab, sent after this event, like ordertrack.fanout."""
        self.sent = int(n)
        asyncio.get_running_loop().create_task(_broadcast(int(n)))


    @rx.event
    def change_delta(self, n: int):
        """Mode delta: one card of one column changed; one packet with that column only."""
        self.sent = int(n)
        column = [dict(PAYLOAD["execution"][0], deadline=f"changed {n}"), *PAYLOAD["execution"][1:]]
        asyncio.get_running_loop().create_task(_broadcast(int(n), {"execution": column}))


async def _broadcast(n: int, changed: dict | None = None) -> None:
    from reflex.utils.prerequisites import get_and_validate_app

    token_to_sid = get_and_validate_app().app.event_namespace.token_to_sid
    values = {"n": n, **changed} if changed is not None else {"n": n, "cards": PAYLOAD}
    await send(Tab.get_full_name(), values, [token_to_sid[t] for t in _room if t in token_to_sid])


class Board(rx.SharedState):
    """Mode shared: one state linked to the token ``board``."""

    n: int = 0
    cards: dict[str, list[dict[str, str]]] = {}

    @rx.event
    async def join(self):
        """Link this tab to the shared board."""
        await self._link_to("board")

    @rx.event
    def change_shared(self, n: int):
        """A linked tab changes the shared board; Reflex fans it out."""
        self.n, self.cards = int(n), PAYLOAD


def index() -> rx.Component:
    return rx.vstack(rx.text(Tab.n), rx.text(Board.n), rx.text(Tab.flag))


app = rx.App()
app.add_page(index)
