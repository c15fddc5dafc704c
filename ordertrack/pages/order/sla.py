"""Order page section: the SLA panel (issue 14.2-14.4) for staff: the clock's elapsed, paused
and remaining business time against the target, coloured by threshold, when each warning
threshold was or will be crossed, and the breach forecast with its 80 % band ("likely late by
2 business days"). Each pause and resume is a row of the order's history (``services.sla``).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from ordertrack.i18n import N_, _, ngettext
from ordertrack.i18n.ui import T
from ordertrack.pages.order.common import Snapshot, fmt
from ordertrack.pages.order.state import OrderState
from ordertrack.services import forecast as forecast_service
from ordertrack.services import sla as sla_service
from ordertrack.services.calendars import business_calendar

STATE_LABELS = {"running": N_("Running"), "paused": N_("Paused"), "stopped": N_("Stopped")}
COLOURS = {"ok": "green", "warning": "amber", "danger": "orange", "breached": "red"}


def hours_words(hours: float) -> str:
    """Business hours for people: "12.5 business hours", "1 business hour"."""
    value = round(abs(hours), 1)
    n = int(value) if value == int(value) else 2  # a fraction reads as plural ("1.5 hours")
    return ngettext("{hours} business hour", "{hours} business hours", n).format(hours=f"{value:g}")


def colour_of(percent: float, thresholds: tuple[int, ...]) -> str:
    """green below the first threshold, amber from it, orange from the last one below 100, red
    from 100 % (the breach)."""
    below = sorted(t for t in thresholds if t < 100)
    if percent >= 100:
        return "breached"
    if len(below) > 1 and percent >= below[-1]:
        return "danger"
    if below and percent >= below[0]:
        return "warning"
    return "ok"


def read(session: Session, snap: Snapshot) -> dict[str, Any]:
    """The SLA clock and forecast of the order in ``snap`` (staff; nothing for others)."""
    empty = {"has_clock": False, "sla_state": "", "sla_state_label": "", "sla_colour": "green", "sla_percent": 0,
             "sla_facts": [], "sla_crossings": [], "sla_forecast": {}, "sla_pause_reason": ""}
    if not snap.principal.is_staff:
        return empty
    calendar = business_calendar()
    view = sla_service.clock_of(session, principal=snap.principal, order_id=snap.order_id, now=snap.now,
                                calendar=calendar)
    if view is None:
        return empty
    thresholds = sla_service.policy(session).thresholds
    remaining = view.remaining_hours
    facts = [
        {"label": _("Target"), "value": hours_words(view.target_hours), "id": "sla-target"},
        {"label": _("Elapsed"), "value": hours_words(view.elapsed_hours), "id": "sla-elapsed"},
        {"label": _("Paused"), "value": hours_words(view.paused_hours), "id": "sla-paused"},
        {"label": _("Remaining") if remaining >= 0 else _("Over the target by"),
         "value": hours_words(remaining), "id": "sla-remaining"},
        {"label": _("Deadline"), "id": "sla-deadline",
         "value": fmt(view.deadline) if view.deadline is not None
         else (_("the clock is paused") if view.state == sla_service.PAUSED else "—")},
    ]
    crossings = []
    for c in view.crossings:
        if c.reached:
            when = _("reached {at}").format(at=fmt(c.at))
        elif c.at is not None:
            when = _("due {at}").format(at=fmt(c.at))
        else:
            when = _("not while paused") if view.state == sla_service.PAUSED else "—"
        crossings.append({"percent": f"{c.percent} %", "when": when, "reached": "yes" if c.reached else "",
                          "warned": "yes" if c.percent in view.warned else ""})
    outlook: dict[str, str] = {}
    f = forecast_service.forecast_order(session, principal=snap.principal, order_id=snap.order_id, now=snap.now,
                                        calendar=calendar)
    if f is not None:
        outlook = {"outlook": f.outlook, "text": f.text, "likely": "", "band": "", "samples": ""}
        if f.completion is not None:
            early, likely, late = f.completion
            outlook["likely"] = fmt(likely)
            outlook["band"] = _("80 % between {early} and {late}").format(early=fmt(early), late=fmt(late))
            outlook["samples"] = ngettext("from {n} closed order of this service type",
                                          "from {n} closed orders of this service type", f.samples).format(n=f.samples)
    return {
        "has_clock": True, "sla_state": view.state, "sla_state_label": _(STATE_LABELS.get(view.state, view.state)),
        "sla_colour": COLOURS[colour_of(view.percent, thresholds)], "sla_percent": min(100, int(view.percent)),
        "sla_facts": facts, "sla_crossings": crossings, "sla_forecast": outlook,
        "sla_pause_reason": view.pause_reason,
    }


class OrderSlaState(OrderState):
    """The SLA panel's vars (read with the rest of the page; no handlers of its own)."""

    has_clock: bool = False
    sla_state: str = ""
    sla_state_label: str = ""
    sla_colour: str = "green"
    sla_percent: int = 0
    sla_facts: list[dict[str, str]] = []
    sla_crossings: list[dict[str, str]] = []
    sla_forecast: dict[str, str] = {}
    sla_pause_reason: str = ""

    def _read(self, session: Session, snap: Snapshot) -> dict[str, Any]:
        return read(session, snap)


def _forecast() -> rx.Component:
    s = OrderSlaState
    f = s.sla_forecast
    late = (f["outlook"] == "likely_late") | (f["outlook"] == "breached")
    return rx.cond(
        f.contains("outlook"),
        rx.vstack(
            rx.hstack(
                rx.text(T("Forecast"), weight="bold", size="2"),
                rx.badge(f["text"], color_scheme=rx.match(f["outlook"], ("on_track", "green"), ("at_risk", "amber"),
                                                          ("no_data", "gray"), "red"),
                         variant=rx.cond(late, "solid", "soft"), id="sla-outlook"),
                align="center", spacing="2", wrap="wrap",
            ),
            rx.cond(f["likely"] != "", rx.text(T("Likely completion: {at}", at=f["likely"]), " · ", f["band"],
                                               size="2", id="sla-band")),
            rx.cond(f["samples"] != "", rx.text(f["samples"], size="1", color_scheme="gray")),
            spacing="1", width="100%",
        ),
    )


def panel() -> rx.Component:
    """The SLA panel (staff, orders with an SLA clock)."""
    s = OrderSlaState
    return rx.cond(
        s.has_clock,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(T("SLA"), size="4"),
                    rx.badge(s.sla_state_label, color_scheme=rx.match(s.sla_state, ("paused", "gray"),
                                                                      ("stopped", "blue"), "green"),
                             id="sla-state"),
                    rx.cond(s.sla_pause_reason != "", rx.text(s.sla_pause_reason, size="2", color_scheme="gray")),
                    align="center", spacing="2", wrap="wrap",
                ),
                rx.progress(value=s.sla_percent, max=100, color_scheme=s.sla_colour, size="3",
                            aria_label=T("Share of the SLA target used"), id="sla-progress",
                            data_colour=s.sla_colour),
                rx.grid(
                    rx.foreach(s.sla_facts, lambda fact: rx.vstack(
                        rx.text(fact["label"], size="1", color_scheme="gray"),
                        rx.text(fact["value"], size="2", weight="medium", id=fact["id"]),
                        spacing="0")),
                    columns=rx.breakpoints(initial="2", sm="5"), spacing="3", width="100%",
                ),
                rx.hstack(
                    rx.foreach(s.sla_crossings, lambda c: rx.badge(
                        c["percent"], " ", c["when"], variant=rx.cond(c["reached"] == "yes", "solid", "outline"),
                        color_scheme=rx.cond(c["reached"] == "yes", s.sla_colour, "gray"))),
                    wrap="wrap", spacing="2", id="sla-crossings",
                ),
                _forecast(),
                spacing="3", width="100%",
            ),
            width="100%", id="sla-panel", data_colour=s.sla_colour,
        ),
    )
