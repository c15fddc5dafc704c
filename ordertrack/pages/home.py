"""The landing page: what this role can do here."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState
from ordertrack.domain.roles import Role
from ordertrack.pages.frame import page

ROLE_BLURBS: dict[str, str] = {
    Role.CUSTOMER: "Follow your orders through planning, execution and validation, and approve delivered work.",
    Role.RESELLER: "Follow the orders of all your customers.",
    Role.PARTNER: "Follow your customers' orders and manage client statuses.",
    Role.SUPPORT: "Work the order queue: move orders, record customer approvals, resolve failures.",
    Role.OPERATOR: "Process orders through their phases.",
    Role.INSTALLER: "See orders and the installation work waiting for you.",
    Role.TECH_SUPPORT: "Check installed equipment and orders.",
    Role.MODERATOR: "Verify objects and make the moves only a moderator may make.",
    Role.MANAGER: "Watch every order and its status in real time.",
    Role.ADMIN: "Everything, including users and workflows.",
}


def home_page() -> rx.Component:
    """Greeting, role and the entry points of this role."""
    return page(
        rx.vstack(
            rx.heading("Welcome, ", AppState.user_name, size="7"),
            rx.text("Signed in as ", rx.text.strong(AppState.user_role_label), id="signed-in-as"),
            rx.text(
                rx.match(AppState.user_role, *[(k.value, v) for k, v in ROLE_BLURBS.items()], ""),
                color_scheme="gray",
            ),
            rx.hstack(
                rx.link(rx.button(rx.icon("kanban"), "Track My Orders", size="3"), href=routes.BOARD),
                rx.link(rx.button(rx.icon("list"), "All orders", size="3", variant="soft"), href=routes.ORDERS),
            ),
            spacing="4",
        ),
    )
