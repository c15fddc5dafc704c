"""SLA management: resolution targets per service type and priority, the policy (warning
thresholds, which situations pause the clock), each order's SLA clock, and the sweep that
warns once per threshold.

- Targets are rows (``sla_target``; a missing row is the built-in default). An order gets
  its target when it is created (``start_clock``), so a changed target applies to new
  orders only; a changed priority gives the order the current target of its new priority.
- The clock's state lives on ``order_sla`` and its pauses in ``sla_pause``. Every change of
  an order goes through ``on_order_changed`` (called by ``order_moves._apply`` in the mover's
  transaction): it pauses, resumes or stops the clock and writes a history row each time.
- Warnings are timers in rows: ``order_sla.next_threshold``/``due_at`` (partial index on
  ``due_at``). ``sweep_due`` claims due rows in batches (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; SQLite serialises writers), writes the history row and the outbox e-mails to
  the owner and the managers, and schedules the next threshold. ``UNIQUE(order, threshold)``
  on ``sla_warning`` makes a second warning for the same threshold impossible, whatever
  number of sweepers or restarts.

History rows of the clock are ``status_change`` rows with ``entity_kind="sla"`` (numbered by
``order_sla.version``); the order page lists them with the order's own rows.
Lock order: a transaction that locks an order and its clock locks the order first (movers
update the order row before the hook locks the clock; the sweep never locks orders).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, exists, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from ordertrack import i18n
from ordertrack.db.engine import session_scope
from ordertrack.db.message_models import Ticket
from ordertrack.db.models import Customer, Order, StatusChange, User
from ordertrack.db.sla_models import OrderSla, SlaPause, SlaPolicy, SlaTarget, SlaWarning
from ordertrack.domain import sla as clock
from ordertrack.domain.access import SYSTEM, Principal
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.i18n import N_, _
from ordertrack.i18n.notes import note_template
from ordertrack.services import service_types
from ordertrack.services.errors import BadInput, Conflict, Forbidden, NotFound

log = logging.getLogger(__name__)

ENTITY = "sla"
RUNNING, PAUSED, STOPPED = "running", "paused", "stopped"
PRIORITIES = ("low", "normal", "high", "urgent")
# Resolution targets of normal priority, in business hours; other priorities scale them.
DEFAULT_TARGETS = {"server": 64.0, "hosting": 16.0, "voice": 80.0, "network": 200.0, "security": 48.0,
                   "colocation": 120.0, "license": 8.0, "backup": 24.0}
PRIORITY_FACTORS = {"low": 1.5, "normal": 1.0, "high": 0.75, "urgent": 0.5}
FALLBACK_TARGET = 80.0  # a service type without a default
TICKET_STATUS_LABELS = {"open": N_("Open"), "on_hold": N_("On Hold")}  # unclosed ticket statuses (services.tickets)
MAX_TARGET_HOURS = 10_000.0

# User-visible texts
ADMIN_ONLY = N_("Only administrators may change SLA targets, thresholds and pause rules.")
STAFF_ONLY = N_("Only staff see the SLA settings.")
HOLD_STAFF_ONLY = N_("Only staff put orders on hold.")
UNKNOWN_PRIORITY = N_("Priority must be one of low, normal, high, urgent.")
BAD_TARGET = N_("A target is a number of business hours above 0 and at most 10000.")
BAD_THRESHOLDS = N_("Thresholds are whole percentages from 1 to 500, separated by commas (e.g. 50, 75, 100).")
UNKNOWN_RULE = N_("Unknown pause rule “{rule}”.")
POLICY_CHANGED = N_("The SLA settings were changed by someone else. Reload and try again.")
TARGET_NOTE = N_("A changed target applies to orders created from now on; open orders keep theirs.")
STARTED = note_template(N_("SLA clock started: resolution target {target} business hours ({service}, {priority} priority)."))
PAUSED_NOTE = note_template(N_("SLA clock paused: {reason}."))
RESUMED_NOTE = note_template(N_("SLA clock resumed: {reason} ended."))
STOPPED_MET = note_template(N_("SLA clock stopped: {used} of {target} business hours used, target met."))
STOPPED_MISSED = note_template(N_("SLA clock stopped: {used} of {target} business hours used, target missed."))
THRESHOLD_NOTE = note_template(N_("SLA {percent} % reached: {used} of {target} business hours used."))
BREACHED_NOTE = note_template(N_("SLA breached: the {target} business-hour target is used up ({percent} %)."))
RETARGET_NOTE = note_template(N_("SLA target {old} → {new} business hours (priority {priority})."))
REASON_PHASE = note_template(N_("in {label}"))
REASON_STATUS = note_template(N_("status {label}"))
REASON_HOLD = N_("order on hold")
REASON_TICKET = note_template(N_("a ticket is {label}"))
PAUSE_LABEL_PHASE = N_("Phase: {label}")
PAUSE_LABEL_STATUS = N_("Tracking status: {label}")
PAUSE_LABEL_HOLD = N_("The order is on hold")
PAUSE_LABEL_TICKET = N_("A ticket of the order is {label}")
TEMPLATE = "sla_threshold"


def default_target(service_type: str, priority: str) -> float:
    """The built-in target (business hours) of ``service_type`` at ``priority``."""
    return DEFAULT_TARGETS.get(service_type, FALLBACK_TARGET) * PRIORITY_FACTORS.get(priority, 1.0)


def _fmt_hours(hours: float) -> str:
    return f"{round(hours, 1):g}"


def _hours(delta: timedelta) -> float:
    return delta / timedelta(hours=1)


# ---------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class Policy:
    """Thresholds and pause rules in force."""

    thresholds: tuple[int, ...]
    rules: frozenset[clock.PauseRule]
    version: int  # 0: the defaults (no row yet)


@dataclass(frozen=True, slots=True)
class TargetView:
    service_type: str
    service_label: str
    priority: str
    target_hours: float
    default: bool


@dataclass(frozen=True, slots=True)
class PauseRuleView:
    code: str
    label: str
    active: bool


@dataclass(frozen=True, slots=True)
class SlaSettings:
    """The settings page: every target, the thresholds, every possible pause rule."""

    targets: tuple[TargetView, ...]
    thresholds: tuple[int, ...]
    rules: tuple[PauseRuleView, ...]
    version: int
    note: str = TARGET_NOTE


def _policy(session: Session) -> Policy:
    row = session.exec(_POLICY).first()
    if row is None:
        return _parsed_policy(None, None, 0)
    return _parsed_policy(row.thresholds, row.pause_rules, row.version)


@functools.lru_cache(maxsize=16)
def _parsed_policy(thresholds: str | None, pause_rules: str | None, version: int) -> Policy:
    """The policy of a row's columns (None: no row, the defaults); parsed once per version."""
    if thresholds is None:
        return Policy(clock.DEFAULT_THRESHOLDS, clock.DEFAULT_PAUSE_RULES, 0)
    return Policy(tuple(int(t) for t in thresholds.split(",") if t.strip()),
                  frozenset(clock.PauseRule.parse(c) for c in (pause_rules or "").split(",") if c.strip()), version)


def policy(session: Session) -> Policy:
    """The thresholds and pause rules in force (the defaults until an administrator saves)."""
    return _policy(session)


def possible_rules() -> tuple[clock.PauseRule, ...]:
    """Every pause rule an administrator can switch on."""
    rules = [clock.PauseRule(clock.PauseKind.PHASE, s.key) for s in ORDER_WORKFLOW.statuses if not s.terminal]
    rules += [clock.PauseRule(clock.PauseKind.STATUS, s.value) for s in OrderStatus
              if s not in (OrderStatus.CLOSED, OrderStatus.CANCELED)]
    rules.append(clock.PauseRule(clock.PauseKind.HOLD, clock.HOLD_KEY))
    rules += [clock.PauseRule(clock.PauseKind.TICKET, k) for k in TICKET_STATUS_LABELS]
    return tuple(rules)


def rule_label(rule: clock.PauseRule) -> str:
    """The rule as the settings page names it."""
    if rule.kind is clock.PauseKind.PHASE:
        return _(PAUSE_LABEL_PHASE).format(label=ORDER_WORKFLOW.label(rule.key))
    if rule.kind is clock.PauseKind.STATUS:
        return _(PAUSE_LABEL_STATUS).format(label=OrderStatus(rule.key).label)
    if rule.kind is clock.PauseKind.HOLD:
        return _(PAUSE_LABEL_HOLD)
    return _(PAUSE_LABEL_TICKET).format(label=_(TICKET_STATUS_LABELS.get(rule.key, rule.key)))


def _reason(code: str) -> str:
    """Why the clock is paused, for history rows (from a rule's code): in English, as every
    stored note is (``i18n.notes`` translates it for the reader)."""
    with i18n.use(i18n.DEFAULT):
        return _reason_words(code)


def _reason_words(code: str) -> str:
    try:
        rule = clock.PauseRule.parse(code)
    except ValueError:
        return code
    if rule.kind is clock.PauseKind.PHASE and ORDER_WORKFLOW.has(rule.key):
        return REASON_PHASE.format(label=ORDER_WORKFLOW.label(rule.key))
    if rule.kind is clock.PauseKind.STATUS and rule.key in {s.value for s in OrderStatus}:
        return REASON_STATUS.format(label=OrderStatus(rule.key).label)
    if rule.kind is clock.PauseKind.HOLD:
        return REASON_HOLD
    return REASON_TICKET.format(label=TICKET_STATUS_LABELS.get(rule.key, rule.key))


def _targets(session: Session) -> dict[tuple[str, str], SlaTarget]:
    return {(t.service_type, t.priority): t for t in session.exec(select(SlaTarget)).all()}


def target_for(session: Session, *, service_type: str, priority: str) -> float:
    """The target new orders of ``service_type`` at ``priority`` get (row, else the default)."""
    row = session.exec(select(SlaTarget.target_hours).where(SlaTarget.service_type == service_type,
                                                            SlaTarget.priority == priority)).first()
    return float(row) if row is not None else default_target(service_type, priority)


def _staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden(_(STAFF_ONLY))


def _admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden(_(ADMIN_ONLY))


def get_settings(session: Session, *, principal: Principal) -> SlaSettings:
    """Targets, thresholds and pause rules (staff read them; administrators edit them).

    Raises:
        Forbidden: the principal is not staff.
    """
    _staff(principal)
    rows = _targets(session)
    targets = []
    for kind in service_types.active(session):
        service = kind.key
        for priority in PRIORITIES:
            row = rows.get((service, priority))
            targets.append(TargetView(service, kind.name(), priority,
                                      row.target_hours if row else default_target(service, priority), row is None))
    pol = _policy(session)
    return SlaSettings(
        targets=tuple(targets), thresholds=pol.thresholds,
        rules=tuple(PauseRuleView(r.code, rule_label(r), r in pol.rules) for r in possible_rules()),
        version=pol.version,
    )


def set_target(session: Session, *, principal: Principal, service_type: str, priority: str,
               target_hours: float | str, now: datetime) -> TargetView:
    """Set the target of new orders of one service type and priority (administrators).

    Open orders keep the target they got at creation.

    Raises:
        Forbidden: not an administrator.
        BadInput: unknown service type or priority, or a target that is not a positive
            number of business hours (at most 10000).
    """
    _admin(principal)
    service_type = service_types.check(session, service_type)  # an active type of the table
    if priority not in PRIORITIES:
        raise BadInput(_(UNKNOWN_PRIORITY))
    try:
        hours = float(target_hours)
    except (TypeError, ValueError):
        raise BadInput(_(BAD_TARGET)) from None
    if not math.isfinite(hours) or not 0 < hours <= MAX_TARGET_HOURS:
        raise BadInput(_(BAD_TARGET))
    row = session.exec(select(SlaTarget).where(SlaTarget.service_type == service_type,
                                               SlaTarget.priority == priority)).first()
    if row is None:
        row = SlaTarget(service_type=service_type, priority=priority, target_hours=hours, updated_at=now)
    row.target_hours, row.updated_at, row.updated_by = hours, now, principal.display_name
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(_(POLICY_CHANGED)) from None
    return TargetView(service_type, service_types.label(session, service_type), priority, hours, False)


def parse_thresholds(values: Iterable[int | str] | str) -> tuple[int, ...]:
    """Thresholds from a form ("50, 75, 100") or a list; raises BadInput when malformed."""
    if isinstance(values, str):
        values = [v for v in values.replace(";", ",").split(",") if v.strip()]
    out = []
    for v in values:
        try:
            number = float(str(v).strip().rstrip("%").strip())
        except ValueError:
            raise BadInput(_(BAD_THRESHOLDS)) from None
        if not number.is_integer():
            raise BadInput(_(BAD_THRESHOLDS))
        out.append(int(number))
    try:
        return clock.validate_thresholds(out)
    except ValueError:
        raise BadInput(_(BAD_THRESHOLDS)) from None


def parse_rules(codes: Iterable[str]) -> frozenset[clock.PauseRule]:
    """Pause rules from their codes (``phase:validation``); raises BadInput for unknown ones."""
    allowed = set(possible_rules())
    out = set()
    for code in codes:
        try:
            rule = clock.PauseRule.parse(str(code))
        except ValueError:
            raise BadInput(_(UNKNOWN_RULE).format(rule=str(code)[:80])) from None
        if rule not in allowed:
            raise BadInput(_(UNKNOWN_RULE).format(rule=str(code)[:80]))
        out.add(rule)
    return frozenset(out)


def set_policy(session: Session, *, principal: Principal, thresholds: Iterable[int | str] | str,
               pause_rules: Iterable[str], expected_version: int, now: datetime,
               calendar: BusinessCalendar) -> SlaSettings:
    """Save the warning thresholds and pause rules (administrators; the caller commits).

    Open orders follow at once: a clock that a new rule pauses (or a removed rule no longer
    pauses) is paused (resumed) now, with a history row; every open clock's next warning is
    rescheduled for the new thresholds.

    Args:
        thresholds: percentages of the target, e.g. "50, 75, 100".
        pause_rules: codes of the rules that pause the clock (see ``get_settings().rules``).
        expected_version: the settings' version the administrator saw.

    Raises:
        Forbidden: not an administrator.
        BadInput: malformed thresholds or an unknown rule.
        Conflict: someone saved the settings since ``expected_version``.
    """
    _admin(principal)
    values = parse_thresholds(thresholds)
    rules = parse_rules(pause_rules)
    row = session.exec(select(SlaPolicy).order_by(SlaPolicy.id).with_for_update()).first()
    current = row.version if row is not None else 0
    if current != expected_version:
        raise Conflict(_(POLICY_CHANGED))
    if row is None:
        row = SlaPolicy(thresholds="", pause_rules="", version=0, updated_at=now)
    row.thresholds = ",".join(str(v) for v in values)
    row.pause_rules = ",".join(sorted(r.code for r in rules))
    row.version, row.updated_at, row.updated_by = current + 1, now, principal.display_name
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(_(POLICY_CHANGED)) from None
    _reevaluate_open(session, principal=principal, now=now, calendar=calendar)
    return get_settings(session, principal=principal)


# ---------------------------------------------------------------- the clock of one order


# The clock's statements of every move, built once (building and cache-keying a statement
# costs about as much as running it on SQLite).
_LOCK = (select(OrderSla).where(OrderSla.order_id == bindparam("order_id")).with_for_update()
         .execution_options(populate_existing=True))
_PAUSES = (select(SlaPause).where(SlaPause.order_id == bindparam("order_id"))
           .order_by(SlaPause.started_at, SlaPause.id).execution_options(populate_existing=True))
_PHASE_ONLY = (update(OrderSla.__table__).where(OrderSla.__table__.c.order_id == bindparam("b_order_id"))
               .values(phase=bindparam("b_phase"), on_hold=False))
_FIRED = select(SlaWarning.threshold).where(SlaWarning.order_id == bindparam("order_id"))
_ORDER = select(Order.phase, Order.status, Order.priority).where(Order.id == bindparam("order_id"))
_TICKETS = select(Ticket.status).where(Ticket.order_id == bindparam("order_id"), Ticket.status != "closed")
_POLICY = select(SlaPolicy).order_by(SlaPolicy.id).limit(1)


def _lock(session: Session, order_id: int) -> OrderSla | None:
    return session.exec(_LOCK, params={"order_id": order_id}).first()


def _policy_column(column):
    return select(column).order_by(SlaPolicy.id).limit(1).scalar_subquery()


# What a change of an order needs, in one statement: the locked clock, the policy in force and
# the statuses of the order's unclosed tickets (comma-joined: ticket statuses are keys).
_LOCK_WITH_CONTEXT = (
    select(OrderSla, _policy_column(SlaPolicy.thresholds), _policy_column(SlaPolicy.pause_rules),
           _policy_column(SlaPolicy.version),
           select(func.aggregate_strings(Ticket.status, ",")).where(
               Ticket.order_id == OrderSla.order_id, Ticket.status != "closed").scalar_subquery())
    .where(OrderSla.order_id == bindparam("order_id")).with_for_update(of=OrderSla)
    .execution_options(populate_existing=True))


def _lock_with_context(session: Session, order_id: int) -> tuple[OrderSla, Policy, frozenset[str]] | None:
    """The order's clock (locked), the policy in force and its unclosed tickets' statuses."""
    found = session.exec(_LOCK_WITH_CONTEXT, params={"order_id": order_id}).first()
    if found is None:
        return None
    row, thresholds, rules, version, tickets = found
    policy = _parsed_policy(thresholds, rules, version or 0)
    return row, policy, frozenset(t for t in (tickets or "").split(",") if t)


def _pauses(session: Session, order_id: int) -> list[SlaPause]:
    return list(session.exec(_PAUSES, params={"order_id": order_id}).all())


def _fired(session: Session, order_id: int) -> set[int]:
    return set(session.exec(_FIRED, params={"order_id": order_id}).all())


def _domain_pauses(rows: Iterable[SlaPause]) -> list[clock.Pause]:
    return [clock.Pause(p.started_at, p.ended_at, p.reason) for p in rows]


def _read(row: OrderSla, pauses: Iterable[SlaPause], *, now: datetime, calendar: BusinessCalendar,
          thresholds: Iterable[int] = clock.DEFAULT_THRESHOLDS) -> clock.ClockReading:
    return clock.read_clock(started_at=row.started_at, target=timedelta(hours=row.target_hours),
                            pauses=_domain_pauses(pauses), now=now, calendar=calendar, stopped_at=row.stopped_at,
                            thresholds=thresholds)


def _history(session: Session, row: OrderSla, *, comment: str, principal: Principal, at: datetime) -> None:
    session.add(StatusChange(entity_kind=ENTITY, entity_id=row.order_id, from_version=row.version,
                             from_state=row.phase, to_state=row.phase, actor_id=principal.user_id,
                             actor_name=principal.display_name, at=at, comment=comment))
    row.version += 1


def _schedule(row: OrderSla, pauses: Iterable[SlaPause], fired: set[int], pol: Policy, *, now: datetime,
              calendar: BusinessCalendar) -> None:
    """Set the row's next threshold and its due time (None while paused or stopped)."""
    nxt = clock.next_threshold(pol.thresholds, fired)
    if row.state == STOPPED or nxt is None:
        row.next_threshold, row.due_at = (None if row.state == STOPPED else nxt), None
        return
    crossing = _read(row, pauses, now=now, calendar=calendar, thresholds=(nxt,)).crossings[0]
    row.next_threshold, row.due_at = nxt, crossing.at


def _evaluate(session: Session, row: OrderSla, *, phase: str, status: str, priority: str,
              tickets: frozenset[str], principal: Principal, now: datetime, calendar: BusinessCalendar,
              pol: Policy, reschedule: bool = False) -> None:
    """Bring a (locked) clock in line with its order: hold, target, pause, resume or stop.

    A running clock has no open pause (a pause opens as the clock turns paused and ends as it
    runs again or stops), and its next threshold's time depends on its start, target and pauses
    only: a move that neither pauses, resumes, stops nor retargets it changes its phase alone
    (one update, without reading its pauses or warnings: most moves).
    """
    changed = reschedule
    if phase != row.phase and not (reschedule or priority != row.priority or row.state == PAUSED):
        situation = clock.Situation(phase=phase, status=status, ticket_statuses=tickets, on_hold=False)
        if not situation.stopped and clock.pause_rule(situation, pol.rules) is None:  # the phase alone changes
            session.execute(_PHASE_ONLY, {"b_order_id": row.order_id, "b_phase": phase})
            set_committed_value(row, "phase", phase)  # as written, no unit-of-work flush
            set_committed_value(row, "on_hold", False)
            return
    if phase != row.phase:
        row.phase, row.on_hold = phase, False  # moving the order on ends a hold
    if priority != row.priority:
        new = target_for(session, service_type=row.service_type, priority=priority)
        if new != row.target_hours:
            _history(session, row, principal=principal, at=now, comment=RETARGET_NOTE.format(
                old=_fmt_hours(row.target_hours), new=_fmt_hours(new), priority=priority))
        row.priority, row.target_hours, changed = priority, new, True
    situation = clock.Situation(phase=phase, status=status, ticket_statuses=tickets, on_hold=row.on_hold)
    rule = None if situation.stopped else clock.pause_rule(situation, pol.rules)
    pauses = _pauses(session, row.order_id)
    open_pause = next((p for p in pauses if p.ended_at is None), None)
    if situation.stopped:
        if open_pause is not None:
            open_pause.ended_at = max(now, open_pause.started_at)
            session.add(open_pause)
        row.state, row.stopped_at, row.pause_reason = STOPPED, max(now, row.started_at), ""
        reading = _read(row, pauses, now=now, calendar=calendar)
        row.elapsed_hours = _hours(reading.elapsed)
        template = STOPPED_MISSED if reading.breached else STOPPED_MET
        _history(session, row, principal=principal, at=now, comment=template.format(
            used=_fmt_hours(row.elapsed_hours), target=_fmt_hours(row.target_hours)))
        row.next_threshold, row.due_at = None, None
        session.add(row)
        session.flush()
        return
    if rule is not None and open_pause is None:
        pause = SlaPause(order_id=row.order_id, started_at=max(now, row.started_at), reason=rule.code)
        session.add(pause)
        pauses.append(pause)
        row.state, row.pause_reason, changed = PAUSED, rule.code, True
        _history(session, row, principal=principal, at=now, comment=PAUSED_NOTE.format(reason=_reason(rule.code)))
    elif rule is not None:
        row.state, row.pause_reason = PAUSED, rule.code  # still paused, perhaps for another reason now
    elif open_pause is not None:
        open_pause.ended_at = max(now, open_pause.started_at)
        session.add(open_pause)
        ended = row.pause_reason or open_pause.reason
        row.state, row.pause_reason, changed = RUNNING, "", True
        _history(session, row, principal=principal, at=now, comment=RESUMED_NOTE.format(reason=_reason(ended)))
    if changed:
        _schedule(row, pauses, _fired(session, row.order_id), pol, now=now, calendar=calendar)
    session.add(row)
    session.flush()


def _order_state(session: Session, order_id: int,
                 known: tuple[str, str, str] | None = None) -> tuple[str, str, str, frozenset[str]]:
    """(phase, status, priority, unclosed ticket statuses); ``known``: the first three as the
    caller just wrote them (not read again)."""
    phase, status, priority = known or session.exec(_ORDER, params={"order_id": order_id}).one()
    tickets = frozenset(session.exec(_TICKETS, params={"order_id": order_id}).all())
    return phase, status, priority, tickets


def start_clock(session: Session, *, order_id: int, service_type: str, now: datetime,
                calendar: BusinessCalendar, principal: Principal = SYSTEM) -> None:
    """Start the SLA clock of a new order with the current target of its service type and
    priority (the caller commits; called where orders are created).

    Raises:
        BadInput: the order already has a clock.
    """
    if session.get(OrderSla, order_id) is not None:
        raise BadInput(_("This order's SLA clock is already running."))
    phase, status, priority, tickets = _order_state(session, order_id)
    service_type = (service_type or "").strip().lower()[:40]
    hours = target_for(session, service_type=service_type, priority=priority)
    row = OrderSla(order_id=order_id, service_type=service_type, priority=priority, target_hours=hours,
                   started_at=now, phase=phase, state=RUNNING, version=0)
    session.add(row)
    _history(session, row, principal=principal, at=now, comment=STARTED.format(
        target=_fmt_hours(hours), service=service_types.english_label(session, service_type), priority=priority))
    session.flush()
    _evaluate(session, row, phase=phase, status=status, priority=priority, tickets=tickets, principal=principal,
              now=now, calendar=calendar, pol=_policy(session), reschedule=True)


def on_order_changed(session: Session, *, order_id: int, principal: Principal, now: datetime,
                     calendar: BusinessCalendar, order_state: tuple[str, str, str] | None = None) -> None:
    """Pause, resume or stop an order's SLA clock after a change of the order (in the
    changer's transaction; ``order_moves._apply`` calls it for every move and note).

    ``order_state``: the order's (phase, status, priority) as the caller just wrote them;
    read from the order when not given. Orders without a clock (created before SLAs
    existed) are left alone.
    """
    found = _lock_with_context(session, order_id)
    if found is None or found[0].state == STOPPED:
        return
    row, pol, tickets = found
    phase, status, priority = order_state or session.exec(_ORDER, params={"order_id": order_id}).one()
    _evaluate(session, row, phase=phase, status=status, priority=priority, tickets=tickets, principal=principal,
              now=now, calendar=calendar, pol=pol)


def set_hold(session: Session, *, principal: Principal, order_id: int, on: bool, now: datetime,
             calendar: BusinessCalendar) -> bool:
    """Put an order on hold or release it (staff and process tasks; the caller commits).

    While the "order on hold" pause rule is on, a hold pauses the SLA clock. Moving the
    order to another phase ends the hold.

    Returns:
        Whether the order has an SLA clock (orders from before SLAs have none).

    Raises:
        Forbidden: the principal is not staff.
        NotFound: no such order.
    """
    if not principal.is_staff:
        raise Forbidden(_(HOLD_STAFF_ONLY))
    locked = session.exec(select(Order.id).where(Order.id == order_id).with_for_update()).first()  # order first
    if locked is None:
        raise NotFound(_("Order not found."))
    row = _lock(session, order_id)
    if row is None or row.state == STOPPED:
        return row is not None
    row.on_hold = bool(on)
    phase, status, priority, tickets = _order_state(session, order_id)
    _evaluate(session, row, phase=phase, status=status, priority=priority, tickets=tickets, principal=principal,
              now=now, calendar=calendar, pol=_policy(session))
    return True


def _reevaluate_open(session: Session, *, principal: Principal, now: datetime, calendar: BusinessCalendar) -> int:
    """Apply the policy in force to every open clock (after an edit). Returns how many."""
    pol = _policy(session)
    ids = session.exec(select(OrderSla.order_id).where(OrderSla.state != STOPPED).order_by(OrderSla.order_id)).all()
    for order_id in ids:
        row = _lock(session, order_id)
        if row is None or row.state == STOPPED:
            continue
        phase, status, priority, tickets = _order_state(session, order_id)
        _evaluate(session, row, phase=phase, status=status, priority=priority, tickets=tickets,
                  principal=principal, now=now, calendar=calendar, pol=pol, reschedule=True)
    return len(ids)


# ---------------------------------------------------------------- reading clocks


@dataclass(frozen=True, slots=True)
class SlaClockView:
    """An order's SLA clock as the order page and the cards show it (hours are business hours)."""

    order_id: int
    service_type: str
    priority: str
    state: str
    target_hours: float
    elapsed_hours: float
    paused_hours: float
    remaining_hours: float
    percent: float
    deadline: datetime | None
    pause_reason: str
    crossings: tuple[clock.Crossing, ...]
    warned: tuple[int, ...]
    level: str  # ok | warning | breached


def level_of(percent: float, thresholds: Sequence[int]) -> str:
    """"breached" from 100 %, "warning" from the lowest threshold, else "ok"."""
    if percent >= 100:
        return "breached"
    if thresholds and percent >= min(thresholds):
        return "warning"
    return "ok"


def _view(row: OrderSla, pauses: Sequence[SlaPause], warned: Iterable[int], pol: Policy, *, now: datetime,
          calendar: BusinessCalendar) -> SlaClockView:
    reading = _read(row, pauses, now=now, calendar=calendar, thresholds=pol.thresholds)
    return SlaClockView(
        order_id=row.order_id, service_type=row.service_type, priority=row.priority, state=reading.state.value,
        target_hours=row.target_hours, elapsed_hours=_hours(reading.elapsed), paused_hours=_hours(reading.paused),
        remaining_hours=_hours(reading.remaining), percent=reading.percent, deadline=reading.deadline,
        pause_reason=_reason(row.pause_reason) if row.state == PAUSED else "", crossings=reading.crossings,
        warned=tuple(sorted(warned)), level=level_of(reading.percent, pol.thresholds),
    )


def clocks_of(session: Session, *, principal: Principal, order_ids: Iterable[int], now: datetime,
              calendar: BusinessCalendar) -> dict[int, SlaClockView]:
    """The SLA clocks of the given orders that the principal may see (three queries in all)."""
    ids = sorted({int(i) for i in order_ids})
    if not ids:
        return {}
    rows = session.exec(select(OrderSla, Customer.id, Customer.reseller_id)
                        .join(Order, Order.id == OrderSla.order_id).join(Customer, Customer.id == Order.customer_id)
                        .where(col(OrderSla.order_id).in_(ids))).all()
    visible = {r.order_id: r for r, cid, rid in rows if principal.can_see(customer_id=cid, reseller_id=rid)}
    if not visible:
        return {}
    pauses: dict[int, list[SlaPause]] = {}
    for p in session.exec(select(SlaPause).where(col(SlaPause.order_id).in_(list(visible)))
                          .order_by(SlaPause.started_at)).all():
        pauses.setdefault(p.order_id, []).append(p)
    warned: dict[int, list[int]] = {}
    for oid, threshold in session.exec(select(SlaWarning.order_id, SlaWarning.threshold)
                                       .where(col(SlaWarning.order_id).in_(list(visible)))).all():
        warned.setdefault(oid, []).append(threshold)
    pol = _policy(session)
    return {oid: _view(row, pauses.get(oid, []), warned.get(oid, []), pol, now=now, calendar=calendar)
            for oid, row in visible.items()}


def clock_of(session: Session, *, principal: Principal, order_id: int, now: datetime,
             calendar: BusinessCalendar) -> SlaClockView | None:
    """One order's SLA clock (None when the order has none).

    Raises:
        NotFound: no such order, or the principal may not see it.
    """
    row = session.exec(select(Customer.id, Customer.reseller_id).join(Order, Order.customer_id == Customer.id)
                       .where(Order.id == order_id)).first()
    if row is None or not principal.can_see(customer_id=row[0], reseller_id=row[1]):
        raise NotFound(_("Order not found."))
    return clocks_of(session, principal=principal, order_ids=[order_id], now=now, calendar=calendar).get(order_id)


def warned_at_least(threshold: int):
    """SQL: the order has been warned at ``threshold`` % or more (board filters: ``warned_at_least(100)``
    is "breached"; the lowest threshold and not breached is "at risk")."""
    return exists().where(SlaWarning.order_id == Order.id, SlaWarning.threshold >= threshold)


# ---------------------------------------------------------------- the sweep


@dataclass(slots=True)
class SlaSweepResult:
    """What one SLA sweep did: (order id, threshold) warned, rows rescheduled, failures."""

    fired: list[tuple[int, int]] = field(default_factory=list)
    rescheduled: int = 0
    failed: int = 0


def _mail(session: Session, row: OrderSla, threshold: int, reading: clock.ClockReading, *, now: datetime,
          calendar: BusinessCalendar, base_url: str) -> None:
    """E-mail the order's owner and every manager (one outbox row each, same transaction)."""
    from ordertrack.services import notifications

    order, customer = session.exec(select(Order, Customer).join(Customer, Customer.id == Order.customer_id)
                                   .where(Order.id == row.order_id)).one()
    recipients = []
    if order.owner_id is not None:
        owner = session.get(User, order.owner_id)
        if owner is not None and owner.active:
            recipients.append(("user", owner.email))
    managers = session.exec(select(User.email).where(User.role == Role.MANAGER.value, col(User.active).is_(True))
                            .order_by(User.id)).all()
    recipients += [("manager", email) for email in managers]
    deadline = "" if reading.deadline is None else reading.deadline.astimezone(calendar.zone).isoformat()
    notifications.enqueue(session, event=TEMPLATE, order_id=order.id, recipients=recipients, now=now, variables={
        "breached": "yes" if threshold >= 100 else "", "percent": str(threshold),
        "order_number": order.number, "order_name": order.name, "customer": customer.name,
        "used": _fmt_hours(_hours(reading.elapsed)), "target": _fmt_hours(row.target_hours), "deadline": deadline,
        "zone": calendar.tz,
        "order_link": f"{base_url.rstrip('/')}/orders/{order.number}",
    })


def _fire(session: Session, row: OrderSla, pol: Policy, *, now: datetime, calendar: BusinessCalendar,
          base_url: str) -> int | None:
    """Warn about the row's due threshold if its clock really crossed it; reschedule. Returns it."""
    pauses = _pauses(session, row.order_id)
    fired = _fired(session, row.order_id)
    threshold = row.next_threshold
    if row.state == STOPPED or threshold is None or threshold in fired or threshold not in pol.thresholds:
        _schedule(row, pauses, fired, pol, now=now, calendar=calendar)
        session.add(row)
        session.flush()
        return None
    reading = _read(row, pauses, now=now, calendar=calendar, thresholds=(threshold,))
    crossing = reading.crossings[0]
    if not crossing.reached:  # paused meanwhile, or the calendar changed: not yet
        row.due_at = crossing.at
        session.add(row)
        session.flush()
        return None
    session.add(SlaWarning(order_id=row.order_id, threshold=threshold, crossed_at=crossing.at, fired_at=now))
    session.flush()  # UNIQUE(order, threshold): a second warning fails here
    target = _fmt_hours(row.target_hours)
    if threshold >= 100:
        note = BREACHED_NOTE.format(target=target, percent=threshold)
    else:
        note = THRESHOLD_NOTE.format(percent=threshold, used=_fmt_hours(row.target_hours * threshold / 100),
                                     target=target)
    _history(session, row, comment=note, principal=SYSTEM, at=now)
    _mail(session, row, threshold, _read(row, pauses, now=now, calendar=calendar), now=now, calendar=calendar,
          base_url=base_url)
    _schedule(row, pauses, fired | {threshold}, pol, now=now, calendar=calendar)
    session.add(row)
    session.flush()
    return threshold


def sweep_due(engine: Engine, *, now: datetime, calendar: BusinessCalendar, batch: int = 100,
              base_url: str | None = None) -> SlaSweepResult:
    """Warn once about every SLA threshold that is due (the scheduler calls this).

    Each round claims up to ``batch`` due clocks in one transaction (``FOR UPDATE SKIP
    LOCKED`` on PostgreSQL: another sweeper takes other rows; SQLite runs one writer at a
    time) and handles each in a savepoint, so one broken row is logged and skipped without
    undoing the others. Several thresholds passed during downtime are each warned once.

    Args:
        engine: the database.
        now: the sweep's time (from the injected clock).
        calendar: the business calendar.
        batch: clocks claimed per round.
        base_url: the public origin for links in e-mails (default: settings).
    """
    if base_url is None:
        from ordertrack.settings import get_settings

        base_url = get_settings().public_url
    result = SlaSweepResult()
    skip: set[int] = set()
    seen: set[tuple[int, int | None]] = set()
    while True:
        with session_scope(engine) as session:
            query = (select(OrderSla).where(col(OrderSla.due_at) <= now).order_by(col(OrderSla.due_at))
                     .limit(batch).with_for_update(skip_locked=True).execution_options(populate_existing=True))
            if skip:
                query = query.where(col(OrderSla.order_id).not_in(skip))
            rows = session.exec(query).all()
            if not rows:
                return result
            pol = _policy(session)
            for row in rows:
                key = (row.order_id, row.next_threshold)
                if key in seen:  # handled this round already and still due: never loop on it
                    log.error("SLA clock of order %s stays due at threshold %s", *key)
                    skip.add(row.order_id)
                    result.failed += 1
                    continue
                seen.add(key)
                try:
                    with session.begin_nested():
                        threshold = _fire(session, row, pol, now=now, calendar=calendar, base_url=base_url)
                except IntegrityError:  # warned already (another sweeper): leave the row to it
                    log.info("SLA warning of order %s already sent", row.order_id)
                    skip.add(row.order_id)
                    continue
                except Exception:  # one broken row never blocks the sweep
                    log.exception("SLA clock of order %s failed", row.order_id)
                    skip.add(row.order_id)
                    result.failed += 1
                    continue
                if threshold is None:
                    result.rescheduled += 1
                else:
                    result.fired.append((row.order_id, threshold))


# ---------------------------------------------------------------- demo data and backfills


@dataclass(frozen=True, slots=True)
class SeedOrder:
    """An order whose SLA clock is computed from its recorded history (demo data)."""

    order_id: int
    service_type: str
    priority: str
    created_at: datetime
    changes: tuple[tuple[datetime, str, str], ...]  # (when, phase, tracking status), oldest first


def seed_clocks(session: Session, orders: Sequence[SeedOrder], *, now: datetime, calendar: BusinessCalendar) -> int:
    """Give orders created without a clock the clock they would have had (bulk inserts).

    Replays each order's history through the pause rules and thresholds in force: pauses,
    warnings already due (recorded as sent when they were crossed), the stop, the history
    rows, and the next warning's deadline. Returns how many clocks were created.
    """
    pol = _policy(session)
    rows = _targets(session)
    clocks, pauses, warnings, history = [], [], [], []
    for o in orders:
        row = rows.get((o.service_type, o.priority))
        hours = row.target_hours if row else default_target(o.service_type, o.priority)
        situations = [(at, clock.Situation(phase=phase, status=status)) for at, phase, status in o.changes]
        derived = clock.pauses_from_history(situations, pol.rules)
        reading = clock.read_clock(started_at=o.created_at, target=timedelta(hours=hours), pauses=derived.pauses,
                                   now=now, calendar=calendar, stopped_at=derived.stopped_at,
                                   thresholds=pol.thresholds)
        events: list[tuple[datetime, int, str]] = [(o.created_at, 0, STARTED.format(
            target=_fmt_hours(hours), service=service_types.english_label(session, o.service_type),
            priority=o.priority))]
        for p in derived.pauses:
            pauses.append({"order_id": o.order_id, "started_at": p.start, "ended_at": p.end, "reason": p.reason})
            events.append((p.start, 1, PAUSED_NOTE.format(reason=_reason(p.reason))))
            if p.end is not None and p.end != derived.stopped_at:
                events.append((p.end, 1, RESUMED_NOTE.format(reason=_reason(p.reason))))
        fired = set()
        for c in reading.crossings:
            if c.reached and c.at is not None:
                fired.add(c.percent)
                warnings.append({"order_id": o.order_id, "threshold": c.percent, "crossed_at": c.at,
                                 "fired_at": c.at})
                note = (BREACHED_NOTE.format(target=_fmt_hours(hours), percent=c.percent) if c.percent >= 100 else
                        THRESHOLD_NOTE.format(percent=c.percent, used=_fmt_hours(hours * c.percent / 100),
                                              target=_fmt_hours(hours)))
                events.append((c.at, 2, note))
        phase = o.changes[-1][1] if o.changes else "planning"
        elapsed = _hours(reading.elapsed)
        if derived.stopped_at is not None:
            template = STOPPED_MISSED if reading.breached else STOPPED_MET
            events.append((derived.stopped_at, 3, template.format(used=_fmt_hours(elapsed),
                                                                  target=_fmt_hours(hours))))
        events.sort(key=lambda e: (e[0], e[1]))
        for version, (at, _rank, comment) in enumerate(events):
            history.append({"entity_kind": ENTITY, "entity_id": o.order_id, "from_version": version,
                            "from_state": phase, "to_state": phase, "actor_id": None, "actor_name": "System",
                            "at": at, "comment": comment})
        open_pause = derived.pauses[-1] if derived.pauses and derived.pauses[-1].end is None else None
        state = STOPPED if derived.stopped_at is not None else (PAUSED if open_pause is not None else RUNNING)
        nxt = None if state == STOPPED else clock.next_threshold(pol.thresholds, fired)
        due = None
        if nxt is not None:
            due = next(c.at for c in reading.crossings if c.percent == nxt)
        clocks.append({"order_id": o.order_id, "service_type": o.service_type, "priority": o.priority,
                       "target_hours": hours, "started_at": o.created_at, "state": state,
                       "pause_reason": open_pause.reason if open_pause else "", "on_hold": False, "phase": phase,
                       "stopped_at": derived.stopped_at, "elapsed_hours": elapsed if state == STOPPED else None,
                       "next_threshold": nxt, "due_at": due, "version": len(events)})
    for table, values in ((OrderSla, clocks), (SlaPause, pauses), (SlaWarning, warnings), (StatusChange, history)):
        if values:
            session.execute(insert(table.__table__), values)  # Core: no ORM bookkeeping per row
    session.flush()
    return len(clocks)
