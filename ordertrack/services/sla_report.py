"""The managers' SLA report (issue 14.5): breaches and warnings per week, time in each phase
(median and 90th percentile) per service type, the orders at risk now, and how well the breach
forecast did. Filters: reseller, service type, period. Tenant-scoped: resellers and partners
see their own customers' orders only; customers see none of it.

Forecast accuracy is judged the way ``bench/forecast_backtest.py`` does, cheaply: one model from
the orders closed before the period began (what was known then); every order closed in the
period is forecast as at its creation, and its real close is compared with the median (error in
business days) and the 80 % band (inside or not).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from ordertrack import i18n
from ordertrack.db.models import Customer, Order, Reseller, StatusChange
from ordertrack.db.sla_models import OrderSla, SlaWarning
from ordertrack.domain import forecast as fc
from ordertrack.domain.access import Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.roles import Role
from ordertrack.domain.sla import PauseKind, PauseRule, business_day
from ordertrack.domain.workflows import ORDER_WORKFLOW
from ordertrack.i18n import N_, _
from ordertrack.services import forecast as forecast_service
from ordertrack.services import service_types, sla
from ordertrack.services.errors import BadInput, Forbidden

VIEWERS = frozenset({Role.MANAGER, Role.ADMIN, Role.SUPPORT, Role.OPERATOR, Role.RESELLER, Role.PARTNER})
PERIODS = {"4w": 28, "13w": 91, "26w": 182, "52w": 364}  # weeks shown, in days
NOT_ALLOWED = N_("Only managers, staff, resellers and partners see the SLA report.")
AT_RISK_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Filters:
    reseller_id: int | None = None
    service_type: str = ""
    period: str = "13w"


@dataclass(frozen=True, slots=True)
class WeekCount:
    week: str  # the Monday, "2026-11-23"
    warnings: int
    breaches: int


@dataclass(frozen=True, slots=True)
class PhaseTime:
    service_type: str
    service_label: str
    phase: str
    phase_label: str
    median_days: float
    p90_days: float
    orders: int


@dataclass(frozen=True, slots=True)
class AtRisk:
    number: str
    name: str
    customer: str
    service_label: str
    percent: int
    remaining_hours: float
    level: str
    outlook: str
    outlook_text: str


@dataclass(frozen=True, slots=True)
class Accuracy:
    week: str
    orders: int
    median_error_days: float
    in_band_percent: int


@dataclass(frozen=True, slots=True)
class SlaReport:
    weeks: tuple[WeekCount, ...]
    phase_times: tuple[PhaseTime, ...]
    at_risk: tuple[AtRisk, ...]
    accuracy: tuple[Accuracy, ...]
    breaches: int
    warnings: int
    open_clocks: int
    met_percent: int | None  # closed in the period within target, of those closed with a clock


def check_viewer(principal: Principal) -> None:
    """Raise Forbidden for roles that may not see the report."""
    if principal.role not in VIEWERS:
        raise Forbidden(_(NOT_ALLOWED))


def resellers(session: Session, *, principal: Principal) -> tuple[tuple[int, str], ...]:
    """The resellers the principal may filter by (a reseller or partner: its own)."""
    check_viewer(principal)
    query = select(Reseller.id, Reseller.name).order_by(Reseller.name)
    if not principal.is_staff:
        query = query.where(Reseller.id == (principal.reseller_id or -1))
    return tuple((i, n) for i, n in session.exec(query).all())


def _validate(session: Session, filters: Filters) -> Filters:
    if filters.period not in PERIODS:
        raise BadInput(_("Unknown period."))
    if filters.service_type:  # any type of the table, inactive ones too (their orders are reported)
        service_types.check(session, filters.service_type, offered=False)
    return filters


def _scoped(query, principal: Principal, filters: Filters):
    """Restrict a query joined with Order and Customer (and OrderSla) to the principal and filters."""
    if not principal.is_staff:
        query = query.where(Customer.reseller_id == (principal.reseller_id or -1))
    if filters.reseller_id is not None:
        query = query.where(Customer.reseller_id == filters.reseller_id)
    if filters.service_type:
        query = query.where(OrderSla.service_type == filters.service_type)
    return query


def _monday(at: datetime, calendar: BusinessCalendar) -> date:
    local = at.astimezone(calendar.zone).date()
    return local - timedelta(days=local.weekday())


def _weeks(now: datetime, days: int, calendar: BusinessCalendar) -> list[date]:
    last = _monday(now, calendar)
    return [last - timedelta(weeks=i) for i in range(days // 7 - 1, -1, -1)]


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def report(session: Session, *, principal: Principal, filters: Filters, now: datetime,
           calendar: BusinessCalendar) -> SlaReport:
    """The SLA report for ``filters`` as the principal may see it.

    Raises:
        Forbidden: a role that does not see the report.  BadInput: an unknown period or service type.
    """
    check_viewer(principal)
    filters = _validate(session, filters)
    if filters.reseller_id is not None and not principal.is_staff and filters.reseller_id != principal.reseller_id:
        raise Forbidden(_(NOT_ALLOWED))
    days = PERIODS[filters.period]
    weeks = _weeks(now, days, calendar)
    since = datetime.combine(weeks[0], datetime.min.time(), tzinfo=calendar.zone)

    # Warnings and breaches per week (the week the threshold was crossed).
    base = (select(SlaWarning.threshold, SlaWarning.crossed_at).join(OrderSla, OrderSla.order_id == SlaWarning.order_id)
            .join(Order, Order.id == SlaWarning.order_id).join(Customer, Customer.id == Order.customer_id)
            .where(col(SlaWarning.crossed_at) >= since, col(SlaWarning.crossed_at) <= now))
    counts = {w: [0, 0] for w in weeks}
    for threshold, crossed in session.exec(_scoped(base, principal, filters)).all():
        week = _monday(crossed, calendar)
        if week in counts:
            counts[week][1 if threshold >= 100 else 0] += 1
    week_counts = tuple(WeekCount(w.isoformat(), c[0], c[1]) for w, c in counts.items())

    phase_times, accuracy, met_percent = _closed_part(session, principal=principal, filters=filters, since=since,
                                                      weeks=weeks, calendar=calendar)

    # Orders at risk now: open clocks at a warning or breached, or forecast late.
    open_q = (select(OrderSla.order_id).join(Order, Order.id == OrderSla.order_id)
              .join(Customer, Customer.id == Order.customer_id).where(OrderSla.state != sla.STOPPED))
    open_ids = list(session.exec(_scoped(open_q, principal, filters)).all())
    clocks = sla.clocks_of(session, principal=principal, order_ids=open_ids, now=now, calendar=calendar)
    forecasts = forecast_service.forecast_orders(session, principal=principal, order_ids=open_ids, now=now,
                                                 calendar=calendar)
    risky = [oid for oid, c in clocks.items() if c.level != "ok"
             or (oid in forecasts and forecasts[oid].outlook in ("at_risk", "likely_late"))]
    names = {oid: (number, name, customer) for oid, number, name, customer in session.exec(
        select(Order.id, Order.number, Order.name, Customer.name).join(Customer, Customer.id == Order.customer_id)
        .where(col(Order.id).in_(risky or [-1]))).all()}
    at_risk = sorted(
        (AtRisk(number=names[oid][0], name=names[oid][1], customer=names[oid][2],
                service_label=service_types.label(session, clocks[oid].service_type),
                percent=int(clocks[oid].percent), remaining_hours=round(clocks[oid].remaining_hours, 1),
                level=clocks[oid].level, outlook=forecasts[oid].outlook if oid in forecasts else "",
                outlook_text=forecasts[oid].text if oid in forecasts else "")
         for oid in risky if oid in names),
        key=lambda r: (-r.percent, r.number))[:AT_RISK_LIMIT]

    return SlaReport(
        weeks=week_counts, phase_times=phase_times, at_risk=tuple(at_risk), accuracy=tuple(accuracy),
        breaches=sum(w.breaches for w in week_counts), warnings=sum(w.warnings for w in week_counts),
        open_clocks=len(clocks), met_percent=met_percent,
    )


_cache: dict[tuple, tuple] = {}
_cache_lock = threading.Lock()


def _closed_part(session: Session, *, principal: Principal, filters: Filters, since: datetime, weeks: list[date],
                 calendar: BusinessCalendar) -> tuple[tuple[PhaseTime, ...], list[Accuracy], int | None]:
    """Time per phase, forecast accuracy and the share that met the target, of the orders closed
    since ``since``: recomputed only when another order closed (cached per filters and scope).

    Long because: one pass over the closed orders collects the three figures together; splitting
    would read the orders three times.
    """
    day_hours = business_day(calendar) / timedelta(hours=1)
    closed_q = (select(OrderSla.order_id, OrderSla.service_type, OrderSla.stopped_at, OrderSla.elapsed_hours,
                       OrderSla.target_hours, OrderSla.started_at, OrderSla.priority)
                .join(Order, Order.id == OrderSla.order_id).join(Customer, Customer.id == Order.customer_id)
                .where(Order.phase == "closed", col(OrderSla.stopped_at) >= since))
    closed_q = _scoped(closed_q, principal, filters)
    sub = closed_q.subquery()
    marker = session.exec(select(func.count(), func.max(sub.c.stopped_at))).one()
    engine = session.get_bind()
    key = (id(getattr(engine, "engine", engine)), filters, principal.is_staff, principal.reseller_id, since,
           calendar, tuple(marker), i18n.current(), service_types.all_types(session))  # a renamed type: recomputed
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    closed = session.exec(closed_q).all()
    steps: dict[int, list[tuple[datetime, str]]] = {}
    if closed:
        ids = [c[0] for c in closed]
        for chunk in range(0, len(ids), 500):
            for oid, at, phase in session.exec(
                    select(StatusChange.entity_id, StatusChange.at, StatusChange.to_state)
                    .where(StatusChange.entity_kind == "order", col(StatusChange.entity_id).in_(ids[chunk:chunk + 500]))
                    .order_by(StatusChange.entity_id, StatusChange.at, StatusChange.id)).all():
                steps.setdefault(oid, []).append((at, phase))
    per_phase: dict[tuple[str, str], list[float]] = {}
    met = 0
    for oid, service, stopped, elapsed, target, _started, _priority in closed:
        if elapsed is not None and elapsed <= target:
            met += 1
        history = [s for s in steps.get(oid, []) if s[1] != "closed"]
        if not history or stopped is None:
            continue
        for phase, hours in fc.phase_hours(history, until=stopped, calendar=calendar).items():
            if phase in fc.PHASES:
                per_phase.setdefault((service, phase), []).append(hours / day_hours)
    phase_times = tuple(
        PhaseTime(service, service_types.label(session, service), phase, ORDER_WORKFLOW.label(phase),
                  round(_quantile(values, 0.5), 1), round(_quantile(values, 0.9), 1), len(values))
        for (service, phase), values in sorted(per_phase.items(), key=lambda kv: (
            service_types.label(session, kv[0][0]), fc.PHASES.index(kv[0][1]))))


    # Forecast accuracy: each order forecast as at its creation, by a model of the orders closed
    # before the week it was created in (what was known then; one model per week of creation).
    accuracy: list[Accuracy] = []
    if closed:
        history = forecast_service.closed_history(session, calendar=calendar)  # oldest close first
        closed_ats = [h.closed_at for h in history]
        rules = sla.policy(session).rules
        counted = [p for p in fc.PHASES if PauseRule(PauseKind.PHASE, p) not in rules]
        models: dict[date, fc.ForecastModel] = {}
        per_week: dict[date, list[tuple[float, bool]]] = {}
        for _oid, service, stopped, _elapsed, target, started, priority in closed:
            if stopped is None:
                continue
            created_week = _monday(started, calendar)
            if created_week not in models:
                start = datetime.combine(created_week, datetime.min.time(), tzinfo=calendar.zone)
                known = history[:bisect_left(closed_ats, start)]
                models[created_week] = fc.ForecastModel.build(known, counted_phases=counted)
            f = models[created_week].forecast(service_type=service, phase="planning", spent_hours=0.0, elapsed_sla_hours=0.0,
                               target_hours=target, now=started, calendar=calendar, priority=priority)
            if f.completion is None:
                continue
            early, likely, late = f.completion
            error = (calendar.between(likely, stopped) if likely <= stopped else calendar.between(stopped, likely))
            per_week.setdefault(_monday(stopped, calendar), []).append(
                (error / timedelta(hours=day_hours), early <= stopped <= late))
        for week in weeks:
            rows = per_week.get(week, [])
            if rows:
                accuracy.append(Accuracy(week.isoformat(), len(rows), round(_quantile([e for e, _inside in rows], 0.5), 2),
                                         round(100 * sum(1 for _error, inside in rows if inside) / len(rows))))
    out = (phase_times, accuracy, round(100 * met / len(closed)) if closed else None)
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = out
    return out
