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
from ordertrack.i18n import N_, _, ngettext
from ordertrack.i18n.format import moment_text
from ordertrack.i18n.ui import T
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
        now, calendar = get_clock().now(), business_calendar()
        with session_scope() as session:
            queue = provisioning.failure_queue(session, principal=current_principal(), now=now, calendar=calendar)
        self._versions = {str(f.id): f.version for f in queue}
        self.rows = [
            {"id": str(f.id), "number": f.order_number, "href": routes.order_url(f.order_number),
             "customer": f.customer_name, "reason": f.reason, "details": f.details, "age": f.age,
             "due": _("due {time}").format(time=moment_text(f.due_at, now=now, tz=calendar.tz)),
             "countdown": f.countdown, "escalated": "1" if f.escalated else "",
             "claimed": "1" if f.state == "claimed" else "",
             "state": _("Claimed by {name}").format(name=f.claimed_by) if f.state == "claimed" else _("Open"),
             "retry": _retry_text(f.next_retry_at, f.retries, now=now, tz=calendar.tz)}
            for f in queue
        ]
        self.loading = False

    def _version(self, failure_id: str) -> tuple[int, int]:
        fid = coerce_int(failure_id, name="Failure", minimum=1)
        if str(fid) not in self._versions:
            raise BadInput(_("That failure is no longer in the queue."))
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
        return rx.toast.success(_("Claimed."))

    @rx.event
    @guard(*SUPPORT)
    def retry(self, failure_id: str):
        """Request another provisioning attempt (back-off doubles the wait each time)."""
        fid, version = self._version(failure_id)
        now = get_clock().now()
        with session_scope() as session:
            wait = provisioning.retry(session, principal=current_principal(), failure_id=fid, version=version,
                                      now=now)
        self._fetch()
        publish()
        at = moment_text(now + wait, now=now, tz=business_calendar().tz)  # the row says the same moment
        return rx.toast.success(_("Retry requested; the next one is possible at {time}.").format(time=at))

    @rx.event
    @guard(*SUPPORT)
    async def open_resolve(self, failure_id: str):
        """Ask for the resolution note."""
        fid, _version = self._version(failure_id)
        row = next(r for r in self.rows if r["id"] == str(fid))
        self._resolving = fid
        self.resolve_title = _("Resolve {number}: {reason}").format(number=row["number"], reason=row["reason"])
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
            raise BadInput(_("Nothing to resolve."))
        note = coerce_str(form_data.get("note"), name=_("Note"), max_len=2000)
        if not note:
            self.resolve_error = _("A note is required to resolve a failure.")
            return None
        fid, version = self._version(str(self._resolving))
        with session_scope() as session:
            provisioning.resolve(session, principal=current_principal(), failure_id=fid, version=version,
                                 note=note, now=get_clock().now(), base_url=get_settings().public_url)
        self.resolve_open = False
        self._resolving = 0
        self._fetch()
        publish()
        return rx.toast.success(_("Resolved."))


def _retry_text(next_at, retries: int, *, now, tz: str) -> str:
    """"Next retry possible at 14:32" while the back-off runs, else how many retries were asked."""
    if next_at is not None:
        return _("Next retry possible at {time}").format(time=moment_text(next_at, now=now, tz=tz))
    return ngettext("{n} retry", "{n} retries", retries).format(n=retries) if retries else ""


def _two_lines(first: str, second: str, weight: str = "", clamp: bool = False) -> Callable[[rx.Var], rx.Component]:
    def cell(r: rx.Var) -> rx.Component:
        extra = {"max_width": "22em", "style": {"display": "-webkit-box", "-webkit-line-clamp": "2",
                                                 "-webkit-box-orient": "vertical", "overflow": "hidden"}} \
            if clamp else {}
        return rx.vstack(rx.text(r[first], size="2", **({"weight": weight} if weight else {})),
                         rx.text(r[second], size="1", color_scheme="gray", title=r[second], **extra), spacing="0")
    return cell


def _order(r: rx.Var) -> rx.Component:
    return rx.vstack(rx.link(r["number"], href=r["href"], weight="medium", white_space="nowrap"),
                     rx.text(r["customer"], size="1", color_scheme="gray"), spacing="0")


def _deadline(r: rx.Var) -> rx.Component:
    return rx.vstack(rx.text(r["due"], size="2", white_space="nowrap"),
                     rx.badge(r["countdown"], color_scheme=rx.cond(r["escalated"] == "1", "red", "amber")),
                     spacing="1", align="start")


def _actions(r: rx.Var) -> rx.Component:
    s = FailuresState
    return rx.flex(
        rx.cond(r["claimed"] == "", rx.button(T("Claim"), size="1", variant="soft", on_click=s.claim(r["id"]))),
        rx.button(T("Retry provisioning"), size="1", variant="soft", on_click=s.retry(r["id"]), white_space="nowrap"),
        rx.button(T("Resolve"), size="1", on_click=s.open_resolve(r["id"])),
        spacing="2", wrap="wrap", justify="end", min_width="9em",
    )


COLUMNS = (
    Column(N_("Order"), _order),
    Column(N_("Reason"), _two_lines("reason", "details", weight="medium", clamp=True)),
    Column(N_("Age"), "age"),
    Column(N_("Deadline"), _deadline),
    Column(N_("State"), _two_lines("state", "retry")),
    Column("", _actions),
)


def _resolve_dialog() -> rx.Component:
    s = FailuresState
    return dialog(
        s.resolve_title,
        form(
            field(T("Resolution note (required)"),
                  text_area("note", T("Resolution note (required)"), id="resolve-note", placeholder="", auto_focus=True),
                  html_for="resolve-note"),
            error_line(s.resolve_error),
            submit_row(T("Resolve"), on_cancel=s.close_resolve),
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
        rx.box(data_table(s.rows, COLUMNS, loading=s.loading, id="failure-queue",
                          empty=empty_state(T("No failed orders. Nice."), icon="circle-check", color_scheme="green"),
                          row_props=lambda r: {"data_number": r["number"]}),
               width="100%", overflow_x="auto", aria_live="polite"),
        _resolve_dialog(),
        title=T("Failed orders"),
        intro=T("Support acts within 2 business hours; after that the reseller is notified."),
    )
