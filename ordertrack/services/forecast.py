"""Breach forecasts for open orders (the model is ``domain.forecast``).

The history is every closed order that has an SLA clock (its service type and priority come
from the clock), reduced to business hours per phase from its history rows. It is read once
per database, business calendar and local day and cached (``model_for``), so a board of a
thousand cards costs the three queries of their SLA clocks plus arithmetic.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ordertrack.db.models import Order, StatusChange
from ordertrack.db.sla_models import OrderSla
from ordertrack.domain import forecast as fc
from ordertrack.domain.access import Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.sla import PauseKind, PauseRule
from ordertrack.i18n import N_, _, ngettext
from ordertrack.services import sla

TEXTS = {
    fc.Outlook.ON_TRACK: N_("On track"),
    fc.Outlook.AT_RISK: N_("At risk: the slow end of the forecast passes the target"),
    fc.Outlook.NO_DATA: N_("Not enough closed orders of this service type to forecast"),
}
BREACHED_SHORT = N_("Target missed")


@dataclass(frozen=True, slots=True)
class OrderForecast:
    """The forecast of one open order, ready to show.

    ``completion`` is (early, likely, late): the 80 % band of the close date and its median.
    ``sla_hours`` is the same band for the SLA business hours used at completion.
    """

    order_id: int
    service_type: str
    phase: str
    outlook: str
    text: str
    completion: tuple[datetime, datetime, datetime] | None
    sla_hours: tuple[float, float, float] | None
    target_hours: float
    elapsed_hours: float
    late_by_days: int
    samples: int
    basis: str


def closed_history(session: Session, *, calendar: BusinessCalendar,
                   closed_before: datetime | None = None) -> list[fc.ClosedOrder]:
    """Closed orders with an SLA clock, as business hours per phase (oldest close first).

    Args:
        calendar: the business calendar the hours are counted on.
        closed_before: only orders closed before this instant (backtests).
    """
    query = (select(OrderSla.order_id, OrderSla.service_type, OrderSla.priority, OrderSla.stopped_at)
             .join(Order, Order.id == OrderSla.order_id).where(Order.phase == "closed"))
    if closed_before is not None:
        query = query.where(col(OrderSla.stopped_at) < closed_before)
    meta = {oid: (service, priority, stopped) for oid, service, priority, stopped in session.exec(query).all()}
    if not meta:
        return []
    changes: dict[int, list[tuple[datetime, str]]] = {}
    rows = session.exec(
        select(StatusChange.entity_id, StatusChange.at, StatusChange.to_state)
        .join(OrderSla, OrderSla.order_id == StatusChange.entity_id)
        .join(Order, Order.id == StatusChange.entity_id)
        .where(StatusChange.entity_kind == "order", Order.phase == "closed")
        .order_by(StatusChange.entity_id, StatusChange.at, StatusChange.id)
    ).all()
    for oid, at, phase in rows:
        if oid in meta:
            changes.setdefault(oid, []).append((at, phase))
    out = []
    for oid, (service, priority, stopped) in meta.items():
        steps = changes.get(oid, [])
        closed_at = next((at for at, phase in reversed(steps) if phase == "closed"), stopped)
        if closed_at is None:
            continue
        hours = fc.phase_hours([s for s in steps if s[1] != "closed"], until=closed_at, calendar=calendar)
        out.append(fc.ClosedOrder.of(service, closed_at, hours, priority))
    out.sort(key=lambda c: c.closed_at)
    return out


_cache: weakref.WeakKeyDictionary[Engine, dict[tuple[date, BusinessCalendar, int], fc.ForecastModel]] = \
    weakref.WeakKeyDictionary()
_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every cached model (tests; after loading history in bulk)."""
    with _lock:
        _cache.clear()


def model_for(session: Session, *, now: datetime, calendar: BusinessCalendar) -> fc.ForecastModel:
    """The forecast model of this database for the local day of ``now`` (built once a day, and
    again when the SLA policy changes which phases the clock counts)."""
    day = now.astimezone(calendar.zone).date()
    engine = session.get_bind()
    engine = getattr(engine, "engine", engine)
    policy = sla.policy(session)  # which phases the clock counts
    key = (day, calendar, policy.version)
    with _lock:
        models = _cache.setdefault(engine, {})
        model = models.get(key)
        if model is None:
            counted = [p for p in fc.PHASES if PauseRule(PauseKind.PHASE, p) not in policy.rules]
            model = fc.ForecastModel.build(closed_history(session, calendar=calendar), counted_phases=counted)
            models.clear()  # yesterday's model (or the old policy's) is stale
            models[key] = model
    return model


def _text(f: fc.Forecast) -> str:
    """The outlook in the current language ("Likely late by 2 business days")."""
    if f.outlook is fc.Outlook.LIKELY_LATE:
        return ngettext("Likely late by {n} business day", "Likely late by {n} business days",
                        f.late_by_days).format(n=f.late_by_days)
    if f.outlook is fc.Outlook.BREACHED:
        if f.late_by_days == 0:
            return _(BREACHED_SHORT)
        return ngettext("Target missed by {n} business day", "Target missed by {n} business days",
                        f.late_by_days).format(n=f.late_by_days)
    return _(TEXTS[f.outlook])


def forecast_orders(session: Session, *, principal: Principal, order_ids: Iterable[int], now: datetime,
                    calendar: BusinessCalendar) -> dict[int, OrderForecast]:
    """Forecasts of the given open orders that the principal may see and that have an SLA clock.

    Closed and canceled orders, and orders from before SLAs, get none.
    """
    clocks = {oid: c for oid, c in sla.clocks_of(session, principal=principal, order_ids=order_ids, now=now,
                                                  calendar=calendar).items() if c.state != sla.STOPPED}
    if not clocks:
        return {}
    model = model_for(session, now=now, calendar=calendar)
    phases = {oid: (phase, since) for oid, phase, since in session.exec(
        select(Order.id, Order.phase, Order.phase_since).where(col(Order.id).in_(list(clocks)))).all()}
    out = {}
    for oid, c in clocks.items():
        phase, since = phases[oid]
        if phase not in fc.PHASES:
            continue
        spent = calendar.between(since, now) / timedelta(hours=1) if since < now else 0.0
        f = model.forecast(service_type=c.service_type, phase=phase, spent_hours=spent,
                           elapsed_sla_hours=c.elapsed_hours, target_hours=c.target_hours, now=now,
                           calendar=calendar, priority=c.priority)
        out[oid] = OrderForecast(order_id=oid, service_type=c.service_type, phase=phase, outlook=f.outlook.value,
                                 text=_text(f), completion=f.completion, sla_hours=f.sla_hours,
                                 target_hours=c.target_hours, elapsed_hours=c.elapsed_hours,
                                 late_by_days=f.late_by_days, samples=f.samples, basis=f.basis)
    return out


def forecast_order(session: Session, *, principal: Principal, order_id: int, now: datetime,
                   calendar: BusinessCalendar) -> OrderForecast | None:
    """The forecast of one order (None when it is closed or has no SLA clock).

    Raises:
        NotFound: no such order, or the principal may not see it.
    """
    sla.clock_of(session, principal=principal, order_id=order_id, now=now, calendar=calendar)  # visibility
    return forecast_orders(session, principal=principal, order_ids=[order_id], now=now,
                           calendar=calendar).get(order_id)

