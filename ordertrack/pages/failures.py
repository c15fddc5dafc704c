"""The failure queue for support (seed 02): age, countdown to the 2-business-hour deadline,
claim, retry provisioning (with back-off), resolve with a note. Live."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.layout import shell
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.domain.timefmt import duration_words
from ordertrack.live import publish, watch
from ordertrack.services import provisioning
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput
from ordertrack.settings import get_settings

SUPPORT = (Role.SUPPORT, Role.OPERATOR, Role.TECH_SUPPORT, Role.ADMIN)


class FailuresState(AppState):
    """Open and claimed failures, nearest deadline first."""

    rows: list[dict[str, str]] = []
    loading: bool = True
    resolve_open: bool = False
    resolve_title: str = ""
    resolve_error: str = ""
    _versions: dict[str, int] = {}
    _resolving: int = 0
    _watcher: str = ""
    _watch_path: str = ""

    def _fetch(self) -> None:
        with session_scope() as session:
            queue = provisioning.failure_queue(session, principal=current_principal(), now=get_clock().now(),
                                               calendar=business_calendar())
        self._versions = {str(f.id): f.version for f in queue}
        self.rows = [
            {"id": str(f.id), "number": f.order_number, "href": routes.order_url(f.order_number),
             "customer": f.customer_name, "reason": f.reason, "details": f.details, "age": f.age,
             "countdown": f.countdown, "escalated": "1" if f.escalated else "",
             "state": f"claimed by {f.claimed_by}" if f.state == "claimed" else "open",
             "retry": f"retry in {f.retry_in}" if f.retry_in else (f"{f.retries} retries" if f.retries else "")}
            for f in queue
        ]
        self.loading = False

    def _version(self, failure_id: str) -> tuple[int, int]:
        fid = coerce_int(failure_id, name="Failure", minimum=1)
        if str(fid) not in self._versions:
            raise BadInput("That failure is no longer in the queue.")
        return fid, self._versions[str(fid)]

    @rx.event
    @guard(*SUPPORT)
    def load(self):
        """Page load."""
        self._fetch()

    @rx.event(background=True)
    @guard(*SUPPORT, background=True)
    async def watch(self):
        """Keep the queue current."""
        await watch(self, refresh=self._fetch)

    @rx.event
    @guard(*SUPPORT)
    def claim(self, failure_id: str):
        """Take a failure."""
        fid, version = self._version(failure_id)
        with session_scope() as session:
            provisioning.claim(session, principal=current_principal(), failure_id=fid, version=version,
                               now=get_clock().now())
        self._fetch()
        publish()
        return rx.toast.success("Claimed.")

    @rx.event
    @guard(*SUPPORT)
    def retry(self, failure_id: str):
        """Request another provisioning attempt (back-off doubles the wait each time)."""
        fid, version = self._version(failure_id)
        with session_scope() as session:
            wait = provisioning.retry(session, principal=current_principal(), failure_id=fid, version=version,
                                      now=get_clock().now())
        self._fetch()
        publish()
        return rx.toast.success(f"Retry requested; the next one is possible in {duration_words(wait)}.")

    @rx.event
    @guard(*SUPPORT)
    async def open_resolve(self, failure_id: str):
        """Ask for the resolution note."""
        fid, _ = self._version(failure_id)
        row = next(r for r in self.rows if r["id"] == str(fid))
        self._resolving = fid
        self.resolve_title = f"Resolve {row['number']}: {row['reason']}"
        self.resolve_error = ""
        self.resolve_open = True

    @rx.event
    @guard(*SUPPORT)
    async def close_resolve(self):
        """Close the dialog without resolving."""
        self.resolve_open = False
        self._resolving = 0

    @rx.event
    @guard(*SUPPORT)
    def resolve(self, form_data: dict):
        """Resolve with a note (required)."""
        if not isinstance(form_data, dict) or not self._resolving:
            raise BadInput("Nothing to resolve.")
        note = coerce_str(form_data.get("note"), name="Note", max_len=2000)
        if not note:
            self.resolve_error = "A note is required to resolve a failure."
            return None
        fid, version = self._version(str(self._resolving))
        with session_scope() as session:
            provisioning.resolve(session, principal=current_principal(), failure_id=fid, version=version,
                                 note=note, now=get_clock().now(), base_url=get_settings().public_url)
        self.resolve_open = False
        self._resolving = 0
        self._fetch()
        publish()
        return rx.toast.success("Resolved.")


def _row(r: rx.Var) -> rx.Component:
    s = FailuresState
    return rx.table.row(
        rx.table.cell(rx.link(r["number"], href=r["href"], weight="medium")),
        rx.table.cell(r["customer"]),
        rx.table.cell(rx.vstack(rx.text(r["reason"], weight="medium"), rx.text(r["details"], size="1",
                                                                                color_scheme="gray"), spacing="0")),
        rx.table.cell(r["age"]),
        rx.table.cell(rx.badge(r["countdown"], color_scheme=rx.cond(r["escalated"] == "1", "red", "amber"))),
        rx.table.cell(rx.vstack(rx.text(r["state"], size="2"), rx.text(r["retry"], size="1", color_scheme="gray"),
                                spacing="0")),
        rx.table.cell(
            rx.hstack(
                rx.button("Claim", size="1", variant="soft", on_click=s.claim(r["id"])),
                rx.button("Retry provisioning", size="1", variant="soft", on_click=s.retry(r["id"])),
                rx.button("Resolve", size="1", on_click=s.open_resolve(r["id"])),
                spacing="2",
            )
        ),
        data_number=r["number"],
    )


def failures_page() -> rx.Component:
    """The queue."""
    s = FailuresState
    return shell(
        rx.vstack(
            rx.heading("Failed orders", size="7"),
            rx.text("Support acts within 2 business hours; after that the reseller is notified.",
                    color_scheme="gray"),
            rx.cond(
                s.loading,
                rx.center(rx.spinner(size="3"), padding="3em", width="100%"),
                rx.cond(
                    s.rows.length() == 0,
                    rx.callout("No failed orders. Nice.", icon="circle-check", color_scheme="green", width="100%"),
                    rx.table.root(
                        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                            "Order", "Customer", "Reason", "Age", "Deadline", "State", "")])),
                        rx.table.body(rx.foreach(s.rows, _row)),
                        width="100%",
                        variant="surface",
                        id="failure-queue",
                    ),
                ),
            ),
            rx.dialog.root(
                rx.dialog.content(
                    rx.dialog.title(s.resolve_title),
                    rx.form(
                        rx.vstack(
                            rx.el.label("Resolution note (required)", html_for="resolve-note"),
                            rx.text_area(id="resolve-note", name="note", rows="3", width="100%", auto_focus=True),
                            rx.cond(s.resolve_error != "", rx.text(s.resolve_error, color_scheme="red",
                                                                    role="alert")),
                            rx.hstack(
                                rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                                          on_click=s.close_resolve),
                                rx.button("Resolve", type="submit"),
                                justify="end", width="100%",
                            ),
                            spacing="3",
                        ),
                        on_submit=s.resolve,
                        reset_on_submit=True,
                    ),
                ),
                open=s.resolve_open,
                on_open_change=lambda _o: FailuresState.close_resolve(),
            ),
            spacing="4",
            width="100%",
        ),
        user_name=s.user_name,
        role_label=s.user_role_label,
        nav=s.nav,
    )
