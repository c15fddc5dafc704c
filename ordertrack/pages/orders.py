"""Orders list: what this user may see, filtered by phase, searched, paginated on the server."""

from __future__ import annotations

import reflex as rx

from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components import order_columns as oc
from ordertrack.components.forms import inline, select, text_input
from ordertrack.components.tables import Column, data_table, pager
from ordertrack.db.engine import session_scope
from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.workflows import ORDER_WORKFLOW
from ordertrack.i18n import N_
from ordertrack.i18n.ui import T, Tn
from ordertrack.live import watch
from ordertrack.pages.frame import page
from ordertrack.services import order_views
from ordertrack.services.errors import BadInput

PAGE_SIZE = 25
PHASES = [(s.key, s.label) for s in ORDER_WORKFLOW.statuses]
ONLY = {"failed": N_("Only orders whose provisioning failed"), "breached": N_("Only orders past their SLA target")}


class OrdersState(AppState):
    """One page of orders (never all of them)."""

    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 0
    phase: str = "all"
    search: str = ""
    only: str = ""  # "failed" | "breached" | "": a list the home page links to (?failed=1, ?breached=1)
    loading: bool = True
    _watcher: str = ""
    _watch_path: str = ""

    def _fetch(self) -> None:
        now = get_clock().now()
        with session_scope() as session:
            result = order_views.list_orders(
                session,
                principal=current_principal(),
                phase=None if self.phase == "all" else self.phase,
                search=self.search,
                offset=self.page * PAGE_SIZE,
                limit=PAGE_SIZE,
                failed=self.only == "failed",
                breached=self.only == "breached",
            )
        self.total = result.total
        self.rows = [oc.order_row(c, in_phase=duration_words(now - c.phase_since)) for c in result.cards]
        self.loading = False

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.event
    @guard()
    def load(self):
        """Page load: first page; the filters the URL names (``?phase=validation``, ``?failed=1``,
        ``?breached=1``: the home page's links), else the tab's current ones."""
        params = self.router.page.params
        if params:
            phase = coerce_str(params.get("phase", "all"), name="Phase", max_len=40)
            self.phase = phase if phase in dict(PHASES) else "all"
            self.only = next((key for key in ONLY if str(params.get(key, "")) == "1"), "")
            self.page = 0
        self._fetch()

    @rx.event
    @guard()
    def show_all(self):
        """Drop the failed/breached restriction."""
        self.only = ""
        self.page = 0
        self._fetch()

    @rx.event(background=True)
    @guard(background=True)
    async def watch(self):
        """Keep this tab's page of orders current (statuses, "!" marks)."""
        await watch(self, refresh=self._fetch)

    @rx.event
    @guard()
    def set_search(self, value: str):
        """Search by number or name."""
        self.search = coerce_str(value, name="Search", max_len=100)
        self.page = 0
        self._fetch()

    @rx.event
    @guard()
    def set_phase(self, value: str):
        """Filter by phase ("all" for every phase)."""
        value = coerce_str(value, name="Phase", max_len=40)
        if value != "all" and value not in dict(PHASES):
            raise BadInput("Unknown phase.")
        self.phase = value
        self.page = 0
        self._fetch()

    @rx.event
    @guard()
    def go_to_page(self, page: int):
        """Show page ``page`` (0-based), clamped to the pages that exist."""
        page = coerce_int(page, name="Page", minimum=0)
        self.page = min(page, max(0, -(-self.total // PAGE_SIZE) - 1))
        self._fetch()


COLUMNS = (oc.NUMBER, oc.NAME, oc.CUSTOMER, oc.PHASE, oc.STATUS, Column(N_("In phase"), "in_phase"), oc.PRIORITY)


def orders_page() -> rx.Component:
    """The list with filters and pagination."""
    s = OrdersState
    return page(
        inline(
            text_input("", T("Search orders"), placeholder=T("Search by number or name"), value=s.search,
                       on_change=s.set_search.debounce(300), width="320px", max_width="100%"),
            select("", T("Phase"), PHASES, none=T("All phases"), none_value="all", value=s.phase,
                   on_change=s.set_phase),
            rx.cond(s.only != "", rx.badge(
                rx.match(s.only, *[(k, T(v)) for k, v in ONLY.items()], ""),
                rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", on_click=s.show_all,
                               aria_label=T("Show all orders")),
                size="2", color_scheme="red", id="orders-only")),
            rx.spacer(),
            rx.text(Tn("{n} order", "{n} orders", s.total), color_scheme="gray", id="orders-total", aria_live="polite"),
            width="100%",
        ),
        data_table(s.rows, COLUMNS, empty=T("No orders match."), loading=s.loading),
        pager(s.page, s.page_count, on_page=s.go_to_page),
        title=T("Orders"),
    )
