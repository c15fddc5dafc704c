"""The order page's own State: the order's header and timeline, and the loading of the whole page.

Each section of the page (planning, moves, process, messages, tickets, client, items) is a
substate of ``OrderState`` in its own module: it holds only its vars and handlers, reads the
parent's (``self._order_id``, ``self._version``, ...) and provides ``_read`` (its vars from a
``Snapshot``). ``load``, ``refresh`` and the live ``watch`` read the header and every section in
ONE transaction and hand each section its slice. An event on ``OrderState`` loads all its
substates whatever the state manager (memory, disk or Redis), so this runs in one trip to the
blocking-work pool, session check included. An event of a section loads only that section and
its parents, so a section handler that changes what other sections show returns
``OrderState.refresh`` (``_changed``): Reflex queues it on the server as the handler returns, ahead
of whatever the tab sends after seeing the change.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from sqlmodel import Session

from ordertrack.auth import AppState, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.db.models import Order
from ordertrack.domain.timefmt import duration_words
from ordertrack.i18n.notes import localize
from ordertrack.live import change_number, publish, watch
from ordertrack.pages.order.common import Snapshot, fmt
from ordertrack.services import customer_view, order_views
from ordertrack.services.errors import BadInput, NotFound

AUTO_APPROVES_IN = "Auto-approves in {duration}"
AUTO_APPROVAL_DUE = "Auto-approval is due now"


# Sections that hold staff work (the process's Order Actions with staff and team names, client
# search): a customer's, reseller's or partner's tab never reads them, so nothing of theirs is in
# its state deltas (issue #18 "what customers see").
STAFF_ONLY_SECTIONS = frozenset({"ProcessState", "ClientState"})


def _history(session: Session, snap: Snapshot) -> list[dict[str, str]]:
    """The timeline: all of it for staff; for tenant users without staff names or internal notes."""
    if snap.principal.is_staff:
        return [{"at": fmt(h.at), "who": h.actor_name, "from": h.from_label or "—", "to": h.to_label,
                 "status": h.to_status_label, "comment": localize(h.comment)} for h in snap.detail.history]
    return [{"at": fmt(h.at), "who": h.who, "from": h.from_label or "—", "to": h.to_label, "status": h.status_label,
             "comment": localize(h.comment)}
            for h in customer_view.customer_history(session, principal=snap.principal, order_id=snap.order_id)]


def read_header(snap: Snapshot, history: list[dict[str, str]]) -> dict[str, Any]:
    """The header and timeline of the order in ``snap``."""
    card, now = snap.detail.card, snap.now
    deadline = ""
    if card.due_at is not None and card.due_kind == "order:closed":
        remaining = card.due_at - now
        deadline = AUTO_APPROVES_IN.format(duration=duration_words(remaining)) \
            if remaining.total_seconds() > 0 else AUTO_APPROVAL_DUE
    return {
        "_order_id": snap.order_id, "_version": card.version, "_customer_id": snap.customer_id,
        "number": card.number, "name": card.name, "customer": card.customer_name,
        "phase_label": card.phase_label, "status": card.status, "status_label": card.status_label,
        "in_phase": duration_words(now - card.phase_since), "next_deadline": deadline,
        "can_edit": snap.principal.is_staff,
        "history": history,
    }


# The page's tabs (``?tab=`` in the URL); Provisioning is staff work.
TABS = ("overview", "messages", "tickets", "provisioning", "history")
STAFF_TABS = frozenset({"provisioning"})


def tab_for(value: object, *, staff: bool) -> str:
    """The tab named by ``value`` if this viewer has it, else Overview."""
    return value if isinstance(value, str) and value in TABS and (staff or value not in STAFF_TABS) \
        else "overview"


class OrderState(AppState):
    """One order, loaded only by the guarded ``load`` (starts empty: nothing leaks on hydrate)."""

    state: str = "loading"  # loading | found | missing
    tab: str = "overview"
    number: str = ""
    name: str = ""
    customer: str = ""
    phase_label: str = ""
    status: str = ""
    status_label: str = ""
    in_phase: str = ""
    next_deadline: str = ""
    history: list[dict[str, str]] = []
    can_edit: bool = False
    _order_id: int = 0
    _version: int = 0
    _customer_id: int = 0
    _watcher: str = ""
    _watch_path: str = ""
    _read_at: int = -1  # live.change_number() when the page was last read (the watcher skips older changes)

    # What a section substate overrides (the page itself has none of its own).
    def _read(self, session: Session, snap: Snapshot) -> dict[str, Any]:
        """This section's vars for the order in ``snap`` (inside the page's transaction)."""
        return {}

    def _show(self, values: dict[str, Any]) -> None:
        """Set the vars read by ``_read``."""
        for name, value in values.items():
            setattr(self, name, value)

    def _opened(self) -> None:
        """The page was (re)opened: close what must not stay open."""

    def _busy(self) -> bool:
        """Whether a form of this section is bound to the version shown (no live refresh then)."""
        return False

    def _changed(self, notice: str) -> list:
        """After a change to the order: tell every open view of it, then read this page again and
        say ``notice``."""
        publish(customers=[self._customer_id], orders=[self._order_id])
        return [OrderState.refresh, rx.toast.success(notice)]

    def _sections(self) -> list[OrderState]:
        """Every section of the page (an event of ``OrderState`` has them all loaded)."""
        return [self.substates[section.get_name()] for section in OrderState.get_substates()]

    def _fetch(self, number: str) -> None:
        """The header and every section, read in one transaction (one consistent snapshot)."""
        sections = self._sections()
        now, principal = get_clock().now(), current_principal()
        read_at = change_number()  # every change up to this one is committed: this read sees it
        with session_scope() as session:
            detail = order_views.get_order(session, principal=principal, number=number, now=now)
            customer_id = session.get(Order, detail.card.id).customer_id
            snap = Snapshot(principal=principal, detail=detail, order_id=detail.card.id, customer_id=customer_id,
                            now=now)
            staff = principal.is_staff
            slices = [(section, section._read(session, snap) if staff or type(section).__name__
                       not in STAFF_ONLY_SECTIONS else None) for section in sections]
            history = _history(session, snap)
        self._show(read_header(snap, history))
        for section, values in slices:
            if values is None:
                section.reset()
            else:
                section._show(values)
        self.state = "found"
        self._read_at = read_at

    def _clear(self) -> None:
        self._order_id = self._version = self._customer_id = 0
        self.number = self.name = self.customer = self.phase_label = self.status = self.status_label = ""
        self.in_phase = self.next_deadline = ""
        self.history = []
        for section in self._sections():
            section.reset()

    @rx.event
    @guard()
    def load(self):
        """Load the order named in the URL; another tenant's order is simply "not found"."""
        for section in self._sections():
            section._opened()
        number = coerce_str(self.router.page.params.get("number", ""), name="Order number", max_len=40)
        self.tab = tab_for(self.router.page.params.get("tab"), staff=current_principal().is_staff)
        try:
            self._fetch(number)
        except NotFound:
            self._clear()
            self.state = "missing"

    @rx.event
    @guard()
    async def set_tab(self, tab: str):
        """Show another tab; the address follows (``?tab=``), so it can be shared and reloaded."""
        tab = coerce_str(tab, name="Tab", max_len=20)
        if tab_for(tab, staff=current_principal().is_staff) != tab:
            raise BadInput("Unknown tab.")
        self.tab = tab
        query = "" if tab == "overview" else f"?tab={tab}"
        return rx.call_script(f"window.history.replaceState(window.history.state, '', window.location.pathname"
                              f" + {json.dumps(query)})")

    @rx.event
    @guard()
    def refresh(self):
        """Read the whole page again (a section returns this after a change others show)."""
        if self.number:
            self._fetch(self.number)

    def _refresh_if_idle(self) -> None:
        if self.number and not any(section._busy() for section in self._sections()):
            self._fetch(self.number)

    @rx.event(background=True)
    @guard(background=True)
    async def watch(self):
        """Keep this tab's order current while it is open (changes by others appear live)."""
        await watch(self, refresh=self._refresh_if_idle, customer=lambda: self._customer_id,
                    order=lambda: self._order_id, read_at=lambda: self._read_at)
