"""Order page section: Associate With Client (staff search clients by name, e-mail or id and move
the order to the one they choose)."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import inline, select, text_input
from ordertrack.db.engine import session_scope
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.live import publish
from ordertrack.pages.order.state import OrderState
from ordertrack.services import order_moves, order_views
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput

ASSOCIATED = N_("Associated with {client}.")
SEARCH_BY = (("name", N_("Client name")), ("email", N_("E-mail")), ("id", N_("Client id")))


class ClientState(OrderState):
    """The clients found by the last search (nothing is read with the page)."""

    client_hits: list[dict[str, str]] = []

    @rx.event
    @guard(staff=True)
    def search_clients(self, form_data: dict):
        """Associate With Client: search by name, e-mail or id."""
        if not isinstance(form_data, dict):
            raise BadInput("Invalid form.")
        by = coerce_str(form_data.get("by"), name="Search", max_len=10)
        text = coerce_str(form_data.get("text"), name="For", max_len=100, required=True)
        with session_scope() as session:
            hits = order_views.search_clients(session, principal=current_principal(), by=by, text=text)
        self.client_hits = [{"id": str(h.id), "name": h.name, "email": h.email} for h in hits]
        if not hits:
            return rx.toast.info(_("No client matches."))
        return None

    @rx.event
    @guard(staff=True)
    def associate(self, customer_id: str):
        """Associate the order with the chosen client."""
        cid = coerce_int(customer_id, name="Client", minimum=1)
        if str(cid) not in {h["id"] for h in self.client_hits}:
            raise BadInput("Search for the client first.")
        with session_scope() as session:
            card = order_moves.associate_client(session, principal=current_principal(), order_id=self._order_id,
                                                customer_id=cid, expected_version=self._version,
                                                now=get_clock().now(), calendar=business_calendar())
        self.client_hits = []
        publish()
        return [OrderState.refresh, rx.toast.success(_(ASSOCIATED).format(client=card.customer_name))]


def _hit(h: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(h["name"], weight="medium"), rx.text(h["email"], color_scheme="gray", size="2"),
        rx.text("#", h["id"], color_scheme="gray", size="1"),
        rx.button(T("Associate with Client"), size="1", on_click=ClientState.associate(h["id"])),
        align="center",
    )


def associate() -> rx.Component:
    """The search form and the clients found, each with "Associate with Client"."""
    s = ClientState
    return rx.vstack(
        rx.form(
            inline(
                rx.text(T("Associate With Client"), weight="bold"),
                select("by", T("Search"), [(k, T(v)) for k, v in SEARCH_BY]),
                text_input("text", T("For"), placeholder=T("For…")),
                rx.button(T("Search"), type="submit", variant="soft"),
                spacing="3",
            ),
            on_submit=s.search_clients,
            reset_on_submit=False,
        ),
        rx.foreach(s.client_hits, _hit),
        width="100%",
        spacing="2",
    )
