"""The failure queue for support (seed 02): age, countdown to the 2-business-hour deadline,
claim, retry provisioning (with back-off), resolve with a note. Live."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import error_line, field, form, submit_row, text_area
from ordertrack.components.layout import dialog
from ordertrack.components.tables import Column, data_table, empty_state
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.domain.timefmt import duration_words
from ordertrack.live import publish, watch
from ordertrack.pages.frame import page
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


def _two_lines(first: str, second: str, weight: str = "") -> Callable[[rx.Var], rx.Component]:
    def cell(r: rx.Var) -> rx.Component:
        return rx.vstack(rx.text(r[first], size="2", **({"weight": weight} if weight else {})),
                         rx.text(r[second], size="1", color_scheme="gray"), spacing="0")
    return cell


def _actions(r: rx.Var) -> rx.Component:
    s = FailuresState
    return rx.hstack(
        rx.button("Claim", size="1", variant="soft", on_click=s.claim(r["id"])),
        rx.button("Retry provisioning", size="1", variant="soft", on_click=s.retry(r["id"])),
        rx.button("Resolve", size="1", on_click=s.open_resolve(r["id"])),
        spacing="2",
    )


COLUMNS = (
    Column("Order", lambda r: rx.link(r["number"], href=r["href"], weight="medium")),
    Column("Customer", "customer"),
    Column("Reason", _two_lines("reason", "details", weight="medium")),
    Column("Age", "age"),
    Column("Deadline", lambda r: rx.badge(r["countdown"], color_scheme=rx.cond(r["escalated"] == "1", "red", "amber"))),
    Column("State", _two_lines("state", "retry")),
    Column("", _actions),
)


def _resolve_dialog() -> rx.Component:
    s = FailuresState
    return dialog(
        s.resolve_title,
        form(
            field("Resolution note (required)",
                  text_area("note", "Resolution note (required)", id="resolve-note", placeholder="", auto_focus=True),
                  html_for="resolve-note"),
            error_line(s.resolve_error),
            submit_row("Resolve", on_cancel=s.close_resolve),
            on_submit=s.resolve,
            reset=True,
            spacing="3",
        ),
        open=s.resolve_open,
        on_close=s.close_resolve,
    )


def failures_page() -> rx.Component:
    """The queue."""
    s = FailuresState
    return page(
        data_table(s.rows, COLUMNS, loading=s.loading, id="failure-queue",
                   empty=empty_state("No failed orders. Nice.", icon="circle-check", color_scheme="green"),
                   row_props=lambda r: {"data_number": r["number"]}),
        _resolve_dialog(),
        title="Failed orders",
        intro="Support acts within 2 business hours; after that the reseller is notified.",
    )
