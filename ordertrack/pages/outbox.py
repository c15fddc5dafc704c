"""The outbox for administrators: pending, sent and failed e-mails."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState, coerce_str, guard
from ordertrack.components.tables import Column, data_table
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.i18n import N_, _
from ordertrack.i18n.format import datetime_text
from ordertrack.i18n.ui import T, Tv
from ordertrack.pages.frame import page
from ordertrack.services import notifications
from ordertrack.services.errors import BadInput
from ordertrack.settings import get_settings

STATES = ("pending", "sent", "failed")
COLORS = {"pending": "amber", "sending": "blue", "sent": "green", "failed": "red"}


class OutboxState(AppState):
    """The newest 200 messages in the chosen state."""

    state_filter: str = "pending"
    rows: list[dict[str, str]] = []
    route: str = ""

    def _fetch(self) -> None:
        zone = get_settings().business_tz
        with session_scope() as session:
            rows = notifications.list_outbox(session, state=self.state_filter, limit=200)
        self.rows = [
            {"id": str(r.id), "created": datetime_text(r.created_at, tz=zone),
             "event": r.event, "to": f"{r.to_addr} ({r.recipient_kind})", "subject": r.subject, "state": r.state,
             "attempts": str(r.attempts), "error": r.last_error}
            for r in rows
        ]

    @rx.event
    @guard(Role.ADMIN)
    def load(self):
        """Page load."""
        from ordertrack.scheduler import mail_route

        self.route = mail_route()
        self._fetch()

    @rx.event
    @guard(Role.ADMIN)
    def set_state_filter(self, value: str):
        """Show another state."""
        value = coerce_str(value, name="State", max_len=10)
        if value not in STATES:
            raise BadInput(_("Unknown state."))
        self.state_filter = value
        self._fetch()


def _state_badge(r: rx.Var) -> rx.Component:
    return rx.badge(Tv(r["state"]), color_scheme=rx.match(r["state"], *COLORS.items(), "gray"))


STATE_LABELS = {"pending": N_("Pending"), "sent": N_("Sent"), "failed": N_("Failed")}
_STATE_WORDS = (N_("pending"), N_("sent"), N_("failed"))  # the badge shows the state in the tab's language
COLUMNS = (Column(N_("Created"), "created"), Column(N_("Event"), "event"), Column(N_("To"), "to"),
           Column(N_("Subject"), "subject"), Column(N_("State"), _state_badge), Column(N_("Attempts"), "attempts"),
           Column(N_("Last error"), lambda r: rx.text(r["error"], size="1")))


def outbox_page() -> rx.Component:
    """Messages by state."""
    s = OutboxState
    return page(
        rx.text(T("Delivery:"), " ", s.route, size="2", color_scheme="gray", id="outbox-route"),
        rx.tabs.root(
            rx.tabs.list(*[rx.tabs.trigger(T(STATE_LABELS[x]), value=x) for x in STATES]),
            *[rx.tabs.content(data_table(s.rows, COLUMNS, empty=T("No messages in this state.")), value=x,
                              padding_top="1em") for x in STATES],  # only the chosen tab's table is mounted
            value=s.state_filter,
            on_change=s.set_state_filter,
            width="100%",
        ),
        title=T("Outbox"),
    )
