"""The managers' SLA page (issue 14.5): breaches and warnings per week, time in each phase
(median and 90th percentile) per service type, the orders at risk now and the forecast's
accuracy, filtered by reseller, service type and period; live like the board. Resellers and
partners see their own customers' orders only."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.tables import Column, data_table
from ordertrack.db.engine import session_scope
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T
from ordertrack.live import watch
from ordertrack.pages.frame import page
from ordertrack.services import service_types, sla_report
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput

VIEWERS = tuple(sla_report.VIEWERS)
PERIOD_LABELS = (("4w", N_("Last 4 weeks")), ("13w", N_("Last 13 weeks")), ("26w", N_("Last 26 weeks")),
                 ("52w", N_("Last 52 weeks")))
LEVEL_COLOURS = {"ok": "green", "warning": "amber", "breached": "red"}


class SlaReportState(AppState):
    """The report and its filters (vars start empty; ``load`` fills them for admitted roles)."""

    reseller: str = "any"
    service: str = "any"
    period: str = "13w"
    resellers: list[dict[str, str]] = []
    services: list[dict[str, str]] = []  # every service type (inactive ones too: their orders are reported)
    weeks: list[dict[str, str | int]] = []
    phases: list[dict[str, str | float]] = []  # one row per service type: "<phase> median", "<phase> p90"
    phase_rows: list[dict[str, str]] = []
    at_risk: list[dict[str, str]] = []
    accuracy: list[dict[str, str | float]] = []
    breaches: int = 0
    warnings: int = 0
    open_clocks: int = 0
    met: str = "—"
    loaded: bool = False
    _watcher: str = ""
    _watch_path: str = ""

    def _filters(self) -> sla_report.Filters:
        return sla_report.Filters(reseller_id=None if self.reseller == "any" else int(self.reseller),
                                  service_type="" if self.service == "any" else self.service, period=self.period)

    def _fetch(self) -> None:
        principal = current_principal()
        calendar = business_calendar()
        with session_scope() as session:
            self.resellers = [{"id": str(i), "name": n}
                              for i, n in sla_report.resellers(session, principal=principal)]
            self.services = [{"id": t.key, "name": t.name()} for t in service_types.all_types(session)]
            report = sla_report.report(session, principal=principal, filters=self._filters(), now=get_clock().now(),
                                       calendar=calendar)
        self.weeks = [{"week": w.week[5:], "warnings": w.warnings, "breaches": w.breaches} for w in report.weeks]
        by_service: dict[str, dict[str, str | float]] = {}
        for p in report.phase_times:
            row = by_service.setdefault(p.service_type, {"service": p.service_label})
            row[f"{p.phase}_median"] = p.median_days
            row[f"{p.phase}_p90"] = p.p90_days
        self.phases = list(by_service.values())
        self.phase_rows = [{"service": p.service_label, "phase": p.phase_label, "median": f"{p.median_days:g}",
                            "p90": f"{p.p90_days:g}", "orders": str(p.orders)} for p in report.phase_times]
        self.at_risk = [{"number": r.number, "href": routes.order_url(r.number), "name": r.name,
                         "customer": r.customer, "service": r.service_label, "percent": f"{r.percent} %",
                         "remaining": f"{r.remaining_hours:g}", "level": r.level,
                         "colour": LEVEL_COLOURS.get(r.level, "gray"), "outlook": r.outlook_text or "—"}
                        for r in report.at_risk]
        self.accuracy = [{"week": a.week[5:], "error": a.median_error_days, "in_band": a.in_band_percent,
                          "orders": a.orders} for a in report.accuracy]
        self.breaches, self.warnings, self.open_clocks = report.breaches, report.warnings, report.open_clocks
        self.met = "—" if report.met_percent is None else f"{report.met_percent} %"
        self.loaded = True

    @rx.event
    @guard(*VIEWERS)
    def load(self):
        """Page load."""
        self._fetch()

    @rx.event(background=True)
    @guard(*VIEWERS, background=True)
    async def watch(self):
        """The report follows every change and the clock (warnings crossed by the sweep)."""
        await watch(self, refresh=self._fetch)

    @rx.event
    @guard(*VIEWERS)
    def set_filter(self, name: str, value: str):
        """Change one filter (reseller, service type or period) and read the report again."""
        name = coerce_str(name, name="Filter", max_len=20)
        value = coerce_str(value, name="Value", max_len=40)
        if name == "reseller":
            if value != "any" and not value.isdigit():
                raise BadInput(_("Choose a reseller."))
            self.reseller = value
        elif name == "service":
            if value != "any" and value not in {t["id"] for t in self.services}:
                raise BadInput(_("Choose a service type."))
            self.service = value
        elif name == "period":
            if value not in sla_report.PERIODS:
                raise BadInput(_("Unknown period."))
            self.period = value
        else:
            raise BadInput(_("Unknown filter."))
        self._fetch()


def _figure(label: str, value: rx.Var, element_id: str, colour: str = "gray") -> rx.Component:
    return rx.card(rx.vstack(
        rx.text(T(label), size="1", color_scheme="gray"),
        rx.heading(value, size="6", color_scheme=colour, id=element_id),
        spacing="1"), min_width="150px")


def _select(label: str, name: str, value: rx.Var, options: list[rx.Component]) -> rx.Component:
    return rx.el.select(*options, value=value, aria_label=T(label), class_name="ot-native-select",
                        on_change=lambda v: SlaReportState.set_filter(name, v))


def _filters() -> rx.Component:
    s = SlaReportState
    return rx.hstack(
        rx.cond(s.resellers.length() > 1, _select("Reseller", "reseller", s.reseller, [
            rx.el.option(T("All resellers"), value="any"),
            rx.foreach(s.resellers, lambda r: rx.el.option(r["name"], value=r["id"]))])),
        _select("Service type", "service", s.service, [rx.el.option(T("All service types"), value="any"),
                                                        rx.foreach(s.services,
                                                                   lambda t: rx.el.option(t["name"], value=t["id"]))]),
        _select("Period", "period", s.period, [rx.el.option(T(v), value=k) for k, v in PERIOD_LABELS]),
        wrap="wrap", spacing="2", id="sla-filters",
    )


def _chart_card(title: str, chart: rx.Component, element_id: str, note: str = "") -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(T(title), size="4"),
        *([rx.text(T(note), size="1", color_scheme="gray")] if note else []),
        rx.box(chart, width="100%", height="260px"),
        spacing="2", width="100%"), width="100%", id=element_id)


def _weeks_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key="week"),
        rx.recharts.y_axis(allow_decimals=False),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        rx.recharts.bar(data_key="warnings", name=T("Warnings"), fill="var(--amber-9)", stack_id="a",
                        is_animation_active=False),
        rx.recharts.bar(data_key="breaches", name=T("Breaches"), fill="var(--red-9)", stack_id="a",
                        is_animation_active=False),
        data=SlaReportState.weeks, width="100%", height=260,
    )


def _phase_chart() -> rx.Component:
    bars = []
    for phase, colour, label in (("planning", "--indigo", N_("Planning and Provisioning")),
                                 ("execution", "--cyan", N_("Execution")),
                                 ("validation", "--grass", N_("Customer Validation"))):
        bars.append(rx.recharts.bar(data_key=f"{phase}_median", name=T(label) + " · " + T("median"),
                                    fill=f"var({colour}-9)", is_animation_active=False))
        bars.append(rx.recharts.bar(data_key=f"{phase}_p90", name=T(label) + " · " + T("90th percentile"),
                                    fill=f"var({colour}-6)", is_animation_active=False))
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key="service", interval=0, tick={"fontSize": 11}),
        rx.recharts.y_axis(),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        *bars,
        data=SlaReportState.phases, width="100%", height=260,
    )


def _accuracy_chart() -> rx.Component:
    return rx.recharts.composed_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key="week"),
        rx.recharts.y_axis(y_axis_id="days"),
        rx.recharts.y_axis(y_axis_id="share", orientation="right", domain=[0, 100]),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        rx.recharts.bar(data_key="error", name=T("Median error (business days)"), fill="var(--blue-8)",
                        y_axis_id="days", is_animation_active=False),
        rx.recharts.line(data_key="in_band", name=T("Closed inside the 80 % band (%)"), stroke="var(--grass-10)",
                         y_axis_id="share", type_="monotone", is_animation_active=False),
        data=SlaReportState.accuracy, width="100%", height=260,
    )


AT_RISK_COLUMNS = (
    Column(N_("Order"), lambda r: rx.link(r["number"], href=r["href"])),
    Column(N_("Customer"), "customer"),
    Column(N_("Service type"), "service"),
    Column(N_("Used"), lambda r: rx.badge(r["percent"], color_scheme=r["colour"])),
    Column(N_("Remaining (business hours)"), "remaining"),
    Column(N_("Forecast"), "outlook"),
)


def _at_risk() -> rx.Component:
    s = SlaReportState
    columns = tuple(Column(T(c.header), c.cell) for c in AT_RISK_COLUMNS)
    return rx.card(rx.vstack(
        rx.heading(T("Orders at risk now"), size="4"),
        rx.text(T("Open orders past a warning threshold, or whose forecast passes the target; the most used "
                  "first."), size="1", color_scheme="gray"),
        rx.box(data_table(s.at_risk, columns, empty=T("No order is at risk. Nice."),
                          row_props=lambda r: {"data_order": r["number"], "data_level": r["level"]}, id="sla-at-risk"),
               width="100%", overflow_x="auto"),
        spacing="2", width="100%"), width="100%")


def sla_page() -> rx.Component:
    """The SLA report."""
    s = SlaReportState
    return page(rx.vstack(
        rx.heading(T("SLA"), size="7"),
        _filters(),
        rx.hstack(
            _figure(N_("Breaches"), s.breaches.to_string(), "sla-breaches", "red"),
            _figure(N_("Warnings"), s.warnings.to_string(), "sla-warnings", "amber"),
            _figure(N_("Open orders with a clock"), s.open_clocks.to_string(), "sla-open"),
            _figure(N_("Closed within target"), s.met, "sla-met", "green"),
            wrap="wrap", spacing="3",
        ),
        rx.grid(
            _chart_card(N_("Breaches and warnings per week"), _weeks_chart(), "sla-chart-weeks"),
            _chart_card(N_("Time in each phase (business days)"), _phase_chart(), "sla-chart-phases",
                        N_("Orders closed in the period: median and 90th percentile per service type.")),
            columns=rx.breakpoints(initial="1", lg="2"), spacing="4", width="100%",
        ),
        _at_risk(),
        _chart_card(N_("Forecast accuracy"), _accuracy_chart(), "sla-chart-accuracy",
                    N_("Orders closed in the period, each forecast as at its creation by a model of the orders "
                       "closed before the week it was created in.")),
        spacing="4", width="100%",
    ), wide=True)
