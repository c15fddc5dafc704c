"""The managers' wall (seed 04): every object as a coloured tile, counts per colour, filters;
tiles change colour and position on every open wall when anything changes (a user, the
API, or the clock crossing a threshold)."""

from __future__ import annotations

import reflex as rx

from ordertrack import live
from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import inline, select
from ordertrack.components.tables import empty_state
from ordertrack.db.engine import session_scope
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import OBJECT_WORKFLOW
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.pages.frame import page
from ordertrack.services import status_moves as svc
from ordertrack.services.errors import BadInput

WALL = (Role.MANAGER, Role.ADMIN, Role.MODERATOR, Role.TECH_SUPPORT)
TILE = {"green": "green", "blue": "blue", "yellow": "amber", "red": "red"}


def _wall_vars(status: str, customer_id: int, installer_id: int) -> dict:
    """The wall's tiles and colour counts for these filters, as the current principal sees them."""
    with session_scope() as session:
        items = svc.list_objects(session, principal=current_principal(), now=get_clock().now(), status=status,
                                 customer_id=customer_id, installer_id=installer_id)
    return {
        "tiles": [{"id": str(s.id), "name": s.name, "detail": s.detail, "label": s.status_label,
                   "colour": s.colour, "scheme": TILE[s.colour], "blink": "1" if s.blinking else ""}
                  for s in items],
        "counts": {c: sum(1 for s in items if s.colour == c) for c in TILE},
    }


class WallState(AppState):
    """Tiles, colour counts and filter choices."""

    tiles: list[dict[str, str]] = []
    counts: dict[str, int] = {}
    f_status: str = "any"
    f_customer: str = "any"
    f_installer: str = "any"
    customers: list[dict[str, str]] = []
    installers: list[dict[str, str]] = []

    def _fetch(self) -> None:
        """Tiles and counts for the filters; pushed to every wall with the same filters on change."""
        if not self.customers:
            with session_scope() as session:
                self.customers = [{"id": str(i), "name": n} for i, n in svc.customers_with_objects(session)]
                self.installers = [{"id": str(i), "name": n} for i, n in svc.installers(session)]
        status = "" if self.f_status == "any" else self.f_status
        customer_id = 0 if self.f_customer == "any" else int(self.f_customer)
        installer_id = 0 if self.f_installer == "any" else int(self.f_installer)
        live.serve(self, ("wall", status, customer_id, installer_id),
                     lambda: _wall_vars(status, customer_id, installer_id))

    @rx.event
    @guard(*WALL)
    def load(self):
        """Page load."""
        self._fetch()

    @rx.event
    @guard(*WALL)
    def set_filter(self, name: str, value: str):
        """Filter by status, customer or installer."""
        name = coerce_str(name, name="Filter", max_len=20)
        value = coerce_str(value, name="Value", max_len=40) or "any"
        if name == "status":
            if value != "any" and not OBJECT_WORKFLOW.has(value):
                raise BadInput(_("Unknown status."))
        elif name in ("customer", "installer"):
            if value != "any":
                coerce_int(value, name="Filter", minimum=1)
        else:
            raise BadInput(_("Unknown filter."))
        setattr(self, f"f_{name}", value)
        self._fetch()


def _tile(t: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(t["name"], weight="bold", size="2"),
        rx.text(t["label"], size="1"),
        rx.text(t["detail"], size="1", color_scheme="gray", trim="both"),
        background=rx.color(t["scheme"], 4),
        border=f"2px solid {rx.color(t['scheme'], 8)}",
        border_radius="var(--radius-3)",
        padding="0.6em",
        width="180px",
        min_height="78px",
        class_name=rx.cond(t["blink"] == "1", "ot-blink", ""),
        data_colour=t["colour"],
        data_name=t["name"],
    )


def _count(colour: str, label: str) -> rx.Component:
    return rx.badge(T(label), ": ", WallState.counts.get(colour, 0), color_scheme=TILE[colour], size="3",
                    id=f"count-{colour}")


def _filter(name: str, label: str, none: str, options, value: rx.Var) -> rx.Component:
    return select("", label, options, none=none, none_value="any", value=value,
                  on_change=lambda v: WallState.set_filter(name, v))


def wall_page() -> rx.Component:
    """The wall."""
    s = WallState
    return page(
        inline(
            _filter("status", N_("Status"), N_("All statuses"),
                    [(st.key, st.label) for st in OBJECT_WORKFLOW.statuses], s.f_status),
            _filter("customer", N_("Customer"), N_("All customers"), s.customers, s.f_customer),
            _filter("installer", N_("Installer"), N_("All installers"), s.installers, s.f_installer),
        ),
        rx.cond(s.tiles.length() > 0, rx.flex(rx.foreach(s.tiles, _tile), wrap="wrap", spacing="2", id="wall"),
                empty_state(T("No objects match these filters."))),
        title=T("Object wall"),
        beside=(_count("red", N_("Urgent")), _count("yellow", N_("Overdue")), _count("blue", N_("Needs work")),
                _count("green", N_("OK"))),
        wide=True,
    )
