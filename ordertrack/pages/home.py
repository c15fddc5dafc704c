"""The home page, per role (issue #18.9): a customer's orders awaiting approval, failed ones and
counts per phase; an operator's queue steps and overdue tasks; a manager's SLA breaches and
failures. Every figure links to the list behind it; the figures follow every change live."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.tables import loading_state
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.i18n import N_
from ordertrack.i18n.ui import T, Tv
from ordertrack.live import watch
from ordertrack.pages.frame import page
from ordertrack.services import home as home_service

ROLE_BLURBS: dict[str, str] = {
    Role.CUSTOMER: N_("Follow your orders through planning, execution and validation, and approve delivered work."),
    Role.RESELLER: N_("Follow the orders of all your customers."),
    Role.PARTNER: N_("Follow your customers' orders and manage client statuses."),
    Role.SUPPORT: N_("Work the order queue: move orders, record customer approvals, resolve failures."),
    Role.OPERATOR: N_("Process orders through their phases."),
    Role.INSTALLER: N_("See orders and the installation work waiting for you."),
    Role.TECH_SUPPORT: N_("Check installed equipment and orders."),
    Role.MODERATOR: N_("Verify objects and make the moves only a moderator may make."),
    Role.MANAGER: N_("Watch every order and its status in real time."),
    Role.ADMIN: N_("Everything, including users and workflows."),
}
ORDERS_IN = routes.ORDERS + "?phase="
FAILED_ORDERS = routes.ORDERS + "?failed=1"
BREACHED_ORDERS = routes.ORDERS + "?breached=1"
SECTIONS = ("awaiting", "breaches", "failed", "overdue")


def _lines(section: home_service.Section | None) -> list[dict[str, str]]:
    if section is None:
        return []
    return [{"number": line.number, "href": routes.order_url(line.number) if line.number.startswith("SO-") else "",
             "title": line.title, "detail": line.detail} for line in section.lines]


class HomeState(AppState):
    """The figures of this user's home (what ``services.home`` computes for the role)."""

    view: str = ""
    phases: list[dict[str, str]] = []
    queue_steps: list[dict[str, str]] = []
    totals: dict[str, int] = {}
    lines: dict[str, list[dict[str, str]]] = {}
    shown: list[str] = []
    loading: bool = True
    _watcher: str = ""
    _watch_path: str = ""

    def _fetch(self) -> None:
        with session_scope() as session:
            home = home_service.home(session, principal=current_principal(), now=get_clock().now())
        self.view = home.view
        self.phases = [{"key": f.key, "label": f.label, "count": str(f.count), "href": ORDERS_IN + f.key}
                       for f in home.phases]
        self.queue_steps = [{"label": f.label, "count": str(f.count), "href": routes.MANAGER}
                            for f in home.queue_steps]
        sections = {name: getattr(home, name) for name in SECTIONS}
        self.shown = [name for name, section in sections.items() if section is not None]
        self.totals = {name: section.total for name, section in sections.items() if section is not None}
        self.lines = {name: _lines(section) for name, section in sections.items()}
        self.loading = False

    @rx.event
    @guard()
    def load(self):
        """Page load: this role's figures."""
        self._fetch()

    @rx.event(background=True)
    @guard(background=True)
    async def watch(self):
        """The figures follow every change and the clock (overdue tasks, breaches)."""
        await watch(self, refresh=self._fetch)


_SECTION_TEXT = {
    # name: (heading, empty text, link text, link, icon)
    "awaiting": (N_("Awaiting your approval"), N_("Nothing is waiting for your approval."),
                 N_("All orders in Customer Validation"), ORDERS_IN + "validation", "circle-check-big"),
    "failed": (N_("Failed orders"), N_("No order has failed."), N_("All failed orders"), FAILED_ORDERS,
               "triangle-alert"),
    "overdue": (N_("Overdue tasks"), N_("Nothing is overdue."), N_("All overdue tasks"), routes.OVERDUE, "alarm-clock"),
    "breaches": (N_("SLA breaches"), N_("No open order is past its SLA target."), N_("All breached orders"),
                 BREACHED_ORDERS, "timer-off"),
}


def _line(row: rx.Var) -> rx.Component:
    return rx.el.li(rx.hstack(
        rx.cond(row["href"] != "", rx.link(row["number"], href=row["href"], weight="medium", white_space="nowrap"),
                rx.text(row["number"], weight="medium", white_space="nowrap")),
        rx.text(row["title"], overflow="hidden", text_overflow="ellipsis", white_space="nowrap", flex="1 1 auto",
                min_width="0"),
        rx.text(row["detail"], color_scheme="gray", size="2", white_space="nowrap"),
        width="100%", align="center", spacing="3",
    ))


def _section(name: str) -> rx.Component:
    heading, empty, more, href, icon = _SECTION_TEXT[name]
    s = HomeState
    total = s.totals[name].to(int)
    failed_link = href
    if name == "failed":  # support works the failure queue; everyone else sees the orders
        failed_link = rx.cond(s.view == "operator", routes.FAILURES, FAILED_ORDERS)
    return rx.cond(
        s.shown.contains(name),
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon(icon, size=18), rx.heading(T(heading), size="4", as_="h2"),
                          rx.badge(total, color_scheme=rx.cond(total > 0, "red" if name != "awaiting" else "amber",
                                                               "green"), size="2"),
                          align="center", spacing="2"),
                rx.cond(
                    total > 0,
                    rx.vstack(rx.el.ul(rx.foreach(s.lines[name], _line), width="100%", padding="0", margin="0",
                                       list_style="none", display="flex", flex_direction="column", gap="0.4em"),
                              rx.link(T(more), " →", href=failed_link, size="2", id=f"home-{name}-all"),
                              width="100%", spacing="2"),
                    rx.text(T(empty), color_scheme="gray", size="2"),
                ),
                spacing="3", width="100%",
            ),
            id=f"home-{name}", width="100%",
        ),
    )


def _phase_figure(row: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(rx.vstack(rx.text(row["count"], size="6", weight="bold"),
                          rx.text(Tv(row["label"]), size="2", color_scheme="gray"), spacing="1"),
                width="100%", height="100%"),
        href=row["href"], underline="none", color="inherit", id="home-phase-" + row["key"],
    )


def _step(row: rx.Var) -> rx.Component:
    return rx.el.li(rx.link(
        rx.hstack(rx.text(row["label"], flex="1 1 auto"), rx.badge(row["count"], size="2"), width="100%",
                  align="center"),
        href=row["href"], underline="none", color="inherit",
    ))


def _grid(*children: rx.Component) -> rx.Component:
    return rx.grid(*children, columns=rx.breakpoints(initial="1", sm="2"), spacing="4", width="100%")


def home_page() -> rx.Component:
    """Greeting and this role's figures, each linking to its list."""
    s = HomeState
    phases = rx.cond(
        s.phases.length() > 0,
        rx.vstack(
            rx.heading(T("Orders by phase"), size="4", as_="h2"),
            rx.grid(rx.foreach(s.phases, _phase_figure), columns=rx.breakpoints(initial="2", sm="3", md="5"),
                    spacing="3", width="100%", id="home-phases"),
            width="100%", spacing="2",
        ),
    )
    queue = rx.cond(
        s.view == "operator",
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon("list-ordered", size=18), rx.heading(T("Your queue steps"), size="4", as_="h2"),
                          align="center", spacing="2"),
                rx.cond(s.queue_steps.length() > 0,
                        rx.el.ul(rx.foreach(s.queue_steps, _step), padding="0", margin="0", list_style="none",
                                 width="100%", display="flex", flex_direction="column", gap="0.4em"),
                        rx.text(T("No order is waiting in a queue."), color_scheme="gray", size="2")),
                rx.link(T("Open the Order Manager"), " →", href=routes.MANAGER, size="2"),
                spacing="3", width="100%",
            ),
            id="home-queue", width="100%",
        ),
    )
    return page(
        rx.vstack(
            rx.heading(T("Welcome, {name}", name=AppState.user_name), size="7"),
            rx.text(T("Signed in as"), " ", rx.text.strong(AppState.user_role_label), id="signed-in-as"),
            rx.text(
                rx.match(AppState.user_role, *[(k.value, T(v)) for k, v in ROLE_BLURBS.items()], ""),
                color_scheme="gray",
            ),
            rx.cond(
                s.loading,
                loading_state(),
                rx.vstack(
                    phases,
                    _grid(queue, *[_section(name) for name in SECTIONS]),
                    spacing="5", width="100%", aria_live="polite",
                ),
            ),
            rx.hstack(
                rx.link(rx.button(rx.icon("kanban"), T("Track My Orders"), size="3"), href=routes.BOARD),
                rx.link(rx.button(rx.icon("list"), T("All orders"), size="3", variant="soft"), href=routes.ORDERS),
                wrap="wrap",
            ),
            spacing="4",
            width="100%",
        ),
    )

