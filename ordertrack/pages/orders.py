"""Orders list: what this user may see, filtered by phase, searched, paginated on the server."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.layout import shell
from ordertrack.components.status_badge import failed_mark, status_badge
from ordertrack.db.engine import session_scope
from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.workflows import ORDER_WORKFLOW
from ordertrack.live import watch
from ordertrack.services import orders as order_service
from ordertrack.services.errors import BadInput

PAGE_SIZE = 25
PHASES = [(s.key, s.label) for s in ORDER_WORKFLOW.statuses]


class OrdersState(AppState):
    """One page of orders (never all of them)."""

    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 0
    phase: str = "all"
    search: str = ""
    loading: bool = True
    _watcher: str = ""
    _watch_path: str = ""

    def _fetch(self) -> None:
        now = get_clock().now()
        with session_scope() as session:
            result = order_service.list_orders(
                session,
                principal=current_principal(),
                phase=None if self.phase == "all" else self.phase,
                search=self.search,
                offset=self.page * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
        self.total = result.total
        self.rows = [
            {
                "number": c.number,
                "href": routes.order_url(c.number),
                "name": c.name,
                "customer": c.customer_name,
                "phase": c.phase_label,
                "status": c.status,
                "status_label": c.status_label,
                "in_phase": duration_words(now - c.phase_since),
                "priority": c.priority.capitalize(),
                "failed": "1" if c.failed else "",
            }
            for c in result.cards
        ]
        self.loading = False

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.event
    @guard()
    def load(self):
        """Page load: first page, current filters."""
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


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.hstack(rx.link(row["number"], href=row["href"], weight="medium"), failed_mark(row["failed"]),
                                align="center")),
        rx.table.cell(row["name"]),
        rx.table.cell(row["customer"]),
        rx.table.cell(row["phase"]),
        rx.table.cell(status_badge(row["status"], row["status_label"])),
        rx.table.cell(row["in_phase"]),
        rx.table.cell(row["priority"]),
    )


def orders_page() -> rx.Component:
    """The list with filters and pagination."""
    s = OrdersState
    return shell(
        rx.vstack(
            rx.heading("Orders", size="7"),
            rx.hstack(
                rx.input(
                    placeholder="Search by number or name",
                    default_value=s.search,
                    on_change=s.set_search.debounce(300),
                    aria_label="Search orders",
                    width="320px",
                ),
                rx.select.root(
                    rx.select.trigger(aria_label="Phase"),
                    rx.select.content(
                        rx.select.item("All phases", value="all"),
                        *[rx.select.item(label, value=key) for key, label in PHASES],
                    ),
                    value=s.phase,
                    on_change=s.set_phase,
                ),
                rx.spacer(),
                rx.text(s.total, " orders", color_scheme="gray", id="orders-total"),
                width="100%",
                align="center",
            ),
            rx.cond(
                s.loading,
                rx.center(rx.spinner(size="3"), padding="3em", width="100%"),
                rx.cond(
                    s.total == 0,
                    rx.callout("No orders match.", icon="inbox", width="100%"),
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[rx.table.column_header_cell(h) for h in
                                  ("Number", "Name", "Customer", "Phase", "Status", "In phase", "Priority")]
                            )
                        ),
                        rx.table.body(rx.foreach(s.rows, _row)),
                        width="100%",
                        variant="surface",
                    ),
                ),
            ),
            rx.hstack(
                rx.button("Previous", on_click=s.go_to_page(s.page - 1), disabled=s.page <= 0, variant="soft"),
                rx.text("Page ", s.page + 1, " of ", s.page_count),
                rx.button("Next", on_click=s.go_to_page(s.page + 1), disabled=s.page + 1 >= s.page_count,
                          variant="soft"),
                align="center",
            ),
            spacing="4",
            width="100%",
        ),
        user_name=s.user_name,
        role_label=s.user_role_label,
        nav=s.nav,
    )
