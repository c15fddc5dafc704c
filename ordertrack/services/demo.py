"""Demo data: 3 resellers, 12 customers, ~300 orders with history, a year of closed orders
(realistic phase durations per service type, for the breach forecast), SLA clocks for every
order, and one user per role.

Loaded only into an empty database (``python -m ordertrack.cli bootstrap``). Every demo
password is ``demo``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import insert, update
from sqlmodel import Session, col, func, select

from ordertrack.db.models import Customer, Order, OrderItem, Reseller, StatusChange, User
from ordertrack.db.object_models import InstalledObject
from ordertrack.domain import process as proc
from ordertrack.domain import process_edit as edit
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.roles import Role
from ordertrack.domain.tracking import ETI_WAITING, tracking_status
from ordertrack.i18n import N_
from ordertrack.services import (
    board_snapshots,
    intake,
    notifications,
    process_design,
    process_groups,
    process_run,
    provisioning,
    sla,
)
from ordertrack.services.accounts import hash_password, principal_of
from ordertrack.services.order_moves import next_order_timer
from ordertrack.settings import get_settings

DEMO_PASSWORD = "demo"
DEMO_INTEGRATION_KEY = "otk_demo_telemetry"
DEMO_API_KEYS = (("otk_demo_northwind", "Northwind Telecom"), ("otk_demo_bluewave", "Bluewave Networks"),
                 ("otk_demo_summit", "Summit IT Partners"))
RESELLERS = ("Northwind Telecom", "Bluewave Networks", "Summit IT Partners")
CUSTOMERS = (
    ("Acme Logistics", 0), ("Harbor Dental Group", 0), ("Kestrel Engineering", 0), ("Maple Street Bakery", 0),
    ("Orion Legal LLP", 1), ("Pinecrest Schools", 1), ("Quarry Outdoor", 1), ("Redwood Clinics", 1),
    ("Silverline Hotels", 2), ("Tidewater Freight", 2), ("Union Square Retail", 2), ("Vantage Architects", 2),
)
SERVICES = (
    ("Dedicated server", "server"), ("Virtual hosting", "hosting"), ("SIP trunk", "voice"),
    ("Business fibre 1 Gbps", "network"), ("Managed firewall", "security"), ("Colocation half rack", "colocation"),
    ("Microsoft 365 seats", "license"), ("Backup as a service", "backup"), ("Cloud PBX", "voice"),
)
STAFF = (
    ("support", Role.SUPPORT, "Sam Support"),
    ("operator", Role.OPERATOR, "Olivia Operator"),
    ("installer", Role.INSTALLER, "Ivan Installer"),
    ("techsupport", Role.TECH_SUPPORT, "Tara Techsupport"),
    ("moderator", Role.MODERATOR, "Max Moderator"),
    ("manager", Role.MANAGER, "Mia Manager"),
    ("admin", Role.ADMIN, "Ada Admin"),
)
PATHS = {
    "planning": ("planning",),
    "execution": ("planning", "execution"),
    "validation": ("planning", "execution", "validation"),
    "closed": ("planning", "execution", "validation", "closed"),
    "canceled": ("planning", "canceled"),
}
COMMENTS = {
    "execution": "Provisioning plan approved, work scheduled.",
    "validation": "All services activated; waiting for the customer's approval.",
    "closed": "Customer approved by telephone.",
    "canceled": "Customer withdrew the order.",
}


def demo_accounts() -> list[tuple[str, str, str]]:
    """(username, password, what it is) for the README and the start-up banner."""
    rows = [("customer", DEMO_PASSWORD, f"customer of {CUSTOMERS[0][0]} ({RESELLERS[0]})")]
    rows.append(("customer2", DEMO_PASSWORD, f"customer of {CUSTOMERS[4][0]} ({RESELLERS[1]})"))
    rows.append(("reseller", DEMO_PASSWORD, f"reseller {RESELLERS[0]}"))
    rows.append(("reseller2", DEMO_PASSWORD, f"reseller {RESELLERS[1]}"))
    rows.append(("partner", DEMO_PASSWORD, f"partner at {RESELLERS[0]}"))
    rows += [(u, DEMO_PASSWORD, role.label) for u, role, _ in STAFF]
    return rows


def is_empty(session: Session) -> bool:
    """True when no user exists yet."""
    return session.exec(select(func.count()).select_from(User)).one() == 0


def load(session: Session, *, now: datetime, calendar: BusinessCalendar, orders: int = 300, seed: int = 7,
         history: int | None = None) -> None:
    """Fill an empty database with demo data (the caller commits).

    Args:
        orders: open and recent orders (0: none, for benchmarks that add their own).
        history: closed orders spread over the past year (default: HISTORY_ORDERS, none
            when ``orders`` is 0).
    """
    rng = random.Random(seed)
    timing = random.Random(seed * 7919)  # realistic durations, drawn apart so ``rng``'s stream stays as it was
    resellers, customers, users = _load_accounts(session, now=now, rng=rng)
    service_of = _load_orders(session, now=now, calendar=calendar, customers=customers, users=users, count=orders,
                              rng=rng, timing=timing)
    if history is None:
        history = HISTORY_ORDERS if orders else 0
    service_of.update(_load_history(session, now=now, calendar=calendar, customers=customers, users=users,
                                    count=history, rng=timing))
    _load_failures(session, now=now, calendar=calendar, rng=rng)
    _load_processes(session, now=now, calendar=calendar, users=users)
    _load_objects(session, now=now, customers=customers, users=users, rng=rng)
    _start_clocks(session, now=now, calendar=calendar, service_of=service_of)
    intake.create_api_key(session, name="Terminal telemetry", reseller_id=None, scope="integration", now=now,
                          secret=DEMO_INTEGRATION_KEY)
    for reseller, (key, _) in zip(resellers, DEMO_API_KEYS, strict=False):
        intake.create_api_key(session, name=reseller.name, reseller_id=reseller.id, scope="reseller", now=now,
                              secret=key)
    board_snapshots.forget(session)  # history written in the past: any snapshot is built again from it


def _load_accounts(session: Session, *, now: datetime, rng: random.Random
                   ) -> tuple[list[Reseller], list[Customer], list[User]]:
    """Resellers, customers, staff and the demo users of every role."""
    pw = hash_password(DEMO_PASSWORD)
    resellers = [Reseller(name=n, contact_email=f"noc@{n.split()[0].lower()}.example") for n in RESELLERS]
    session.add_all(resellers)
    session.flush()
    customers = []
    for name, r in CUSTOMERS:
        slug = name.split()[0].lower()
        customers.append(
            Customer(
                name=name,
                reseller_id=resellers[r].id,
                contact_email=f"it@{slug}.example",
                status=rng.choice(["potential", "works", "in_development", "test", "works"]),
                status_since=now - timedelta(days=rng.randint(1, 200)),
            )
        )
    session.add_all(customers)
    session.flush()
    users = [
        User(username=u, display_name=d, role=r.value, password_hash=pw, email=f"{u}@ordertrack.example")
        for u, r, d in STAFF
    ]
    users += [
        User(username="customer", display_name="Carla Customer", role="customer", password_hash=pw,
             customer_id=customers[0].id, email="carla@acme.example"),
        User(username="customer2", display_name="Chris Customer", role="customer", password_hash=pw,
             customer_id=customers[4].id, email="chris@orion.example"),
        User(username="reseller", display_name="Rita Reseller", role="reseller", password_hash=pw,
             reseller_id=resellers[0].id, email="rita@northwind.example"),
        User(username="reseller2", display_name="Ray Reseller", role="reseller", password_hash=pw,
             reseller_id=resellers[1].id, email="ray@bluewave.example"),
        User(username="partner", display_name="Pat Partner", role="partner", password_hash=pw,
             reseller_id=resellers[0].id, email="pat@northwind.example"),
    ]
    session.add_all(users)
    session.flush()
    return resellers, customers, users


_PHASE_WEIGHTS = {"planning": 60, "execution": 80, "validation": 30, "closed": 90, "canceled": 40}


@dataclass(frozen=True, slots=True)
class _Cast:
    """Who moves and owns the demo orders."""

    staff_movers: list[User]
    customer_user: dict[int | None, User]
    owners: list[User]


def _load_orders(session: Session, *, now: datetime, calendar: BusinessCalendar, customers: list[Customer],
                 users: list[User], count: int, rng: random.Random, timing: random.Random) -> dict[int, str]:
    """``count`` open and recent orders in every phase, with their items and history; the
    service type of each (order id → kind)."""
    cast = _Cast(staff_movers=[u for u in users if u.role in ("operator", "support")],
                 customer_user={u.customer_id: u for u in users if u.role == "customer"},
                 owners=[u for u in users if u.role in ("operator", "support", "manager")])
    service_of: dict[int, str] = {}
    for n in range(count):
        order, kind = _load_order(session, n, now=now, calendar=calendar, customers=customers, cast=cast, rng=rng,
                                  timing=timing)
        service_of[order.id] = kind
    session.flush()
    return service_of


def _load_order(session: Session, n: int, *, now: datetime, calendar: BusinessCalendar, customers: list[Customer],
                cast: _Cast, rng: random.Random, timing: random.Random) -> tuple[Order, str]:
    """Demo order number ``n``: drawn, written with its items, then walked to its final phase."""
    phases = list(_PHASE_WEIGHTS)
    final = rng.choices(phases, weights=[_PHASE_WEIGHTS[p] for p in phases])[0]
    customer = customers[n % len(customers)] if n < 24 else rng.choice(customers)
    service, _kind = rng.choice(SERVICES)
    age_days = {"planning": (0.5, 12), "execution": (4, 30), "validation": (5, 35)}.get(final, (8, 75))
    created = now - timedelta(days=rng.uniform(*age_days), hours=rng.uniform(0, 23))
    planned = (created + timedelta(days=rng.randint(10, 45))).date()
    order = Order(
        number=f"SO-{2026_0000 + 101 + n}",
        name=f"{service} for {customer.name.split()[0]}",
        customer_id=customer.id,
        phase="planning",
        status="on_track",
        phase_since=created,
        status_since=created,
        requested_completion=planned - timedelta(days=rng.randint(0, 7)),
        planned_completion=planned,
        owner_id=rng.choice(cast.owners).id,
        priority=rng.choices(["low", "normal", "high", "urgent"], weights=[2, 6, 3, 1])[0],
        created_at=created,
    )
    real = None
    if final == "closed":  # closed orders took as long as their service type usually does
        real = _closed_timeline(timing, calendar, kind=_kind, priority=order.priority, created=created,
                                now=now, rework=False)
        created = order.created_at = order.phase_since = order.status_since = real.created
    session.add(order)
    session.flush()
    item_rows = [(_kind, "active" if final == "closed" else "pending")]
    for _extra, ekind in rng.sample(SERVICES, rng.randint(0, 2)):
        item_rows.append((ekind, "active" if final == "closed" else "pending"))
    if final == "execution" and rng.random() < 0.2:
        item_rows[0] = (item_rows[0][0] if item_rows[0][0] != "colocation" else "server", ETI_WAITING)
    for idx, (kind, st) in enumerate(item_rows):
        name = next(s for s, k in SERVICES if k == kind)
        session.add(OrderItem(order_id=order.id, kind=kind, name=f"{name} #{idx + 1}", status=st))
    _walk(session, order, final=final, customer=customer, planned=planned, item_rows=item_rows, real=real, now=now,
          cast=cast, rng=rng)
    order.due_kind, order.due_at = next_order_timer(
        phase=order.phase, phase_since=order.phase_since, status=order.status, planned=planned, calendar=calendar
    )
    session.add(order)
    return order, _kind


def _walk(session: Session, order: Order, *, final: str, customer: Customer, planned: date,
          item_rows: list[tuple[str, str]], real: _Timeline | None, now: datetime, cast: _Cast,
          rng: random.Random) -> None:
    """Move a new demo order along its path to ``final``, one history row per step."""
    created = order.created_at
    path = PATHS[final]
    version = 1
    t = created
    phase, status = "planning", "on_track"
    session.add(StatusChange(entity_kind="order", entity_id=order.id, from_version=0, from_state=None,
                             to_state="planning", to_tracking="on_track", actor_name="Online order form",
                             at=created, comment="Order received."))
    span = max((now - created).total_seconds(), 3600)
    steps = path[1:]
    for i, nxt in enumerate(steps):
        if nxt == "validation" and final == "validation":
            t = max(t + timedelta(hours=1), now - timedelta(hours=rng.uniform(2, 47)))
        elif nxt == "closed":
            t = t + timedelta(days=rng.uniform(0.3, 2))
        else:
            t = t + timedelta(seconds=span * rng.uniform(0.15, 0.5) / max(len(steps), 1))
        t = min(t, now - timedelta(minutes=10 - i))
        automatic = nxt == "closed" and rng.random() < 0.3  # drawn here as always: ``rng``'s stream stays
        if real is not None:
            t = real.steps[i][1]
            if nxt == "closed":  # approved when the drawn mover says: by the 2-day timer or by hand
                t = real.steps[i - 1][1] + (timedelta(days=2) if automatic else real.manual_approval)
        new_status = tracking_status(phase=nxt, planned_completion=planned, today=t.date(), item_states=item_rows)
        if nxt == "closed" and automatic:
            mover_name, note = "System", "approved automatically after 2 days"
            mover_id = None
        elif nxt == "closed":
            cu = cast.customer_user.get(customer.id)
            mover = cu if cu and rng.random() < 0.5 else rng.choice(cast.staff_movers)
            mover_id, mover_name, note = mover.id, mover.display_name, COMMENTS[nxt]
        else:
            mover = rng.choice(cast.staff_movers)
            mover_id, mover_name, note = mover.id, mover.display_name, COMMENTS[nxt]
        session.add(StatusChange(entity_kind="order", entity_id=order.id, from_version=version,
                                 from_state=phase, to_state=nxt, from_tracking=status,
                                 to_tracking=new_status.value, actor_id=mover_id, actor_name=mover_name,
                                 at=t, comment=note))
        version += 1
        phase, status = nxt, new_status.value
        order.phase_since = t
        order.status_since = t
    current = tracking_status(phase=phase, planned_completion=planned, today=now.date(), item_states=item_rows)
    order.phase, order.status, order.version = phase, current.value, version


# Business hours a service type usually spends in Planning and in Execution (medians) and how much
# they vary (log-normal sigma), with how often it is ordered. Fibre waits for carriers, numbers
# take weeks to port, licences are an hour's work.
PROFILES = {  # kind: (weight, planning median h, execution median h, sigma)
    "server": (16, 10.0, 28.0, 0.6), "hosting": (14, 3.0, 6.0, 0.5), "voice": (18, 12.0, 34.0, 0.7),
    "network": (10, 28.0, 95.0, 0.6), "security": (10, 8.0, 22.0, 0.55), "colocation": (6, 16.0, 55.0, 0.55),
    "license": (14, 1.5, 3.0, 0.5), "backup": (12, 4.0, 10.0, 0.5),
}
PRIORITY_SPEED = {"low": 1.1, "normal": 1.0, "high": 0.8, "urgent": 0.6}  # urgent work is expedited
BUSY_MONTHS = {1: 1.1, 8: 1.2, 12: 1.25}  # holidays and year-end: fewer hands
HISTORY_ORDERS = 1400
HISTORY_DAYS = 365
PRIORITY_WEIGHTS = {"low": 2, "normal": 6, "high": 3, "urgent": 1}


@dataclass(frozen=True, slots=True)
class _Timeline:
    created: datetime
    steps: tuple[tuple[str, datetime], ...]  # (phase entered, when) after Planning
    automatic: bool  # approved by the 2-day timer
    manual_approval: timedelta  # how long the customer took when approving by hand


def _business_start(rng: random.Random, calendar: BusinessCalendar, day: datetime) -> datetime:
    """When an order placed around ``day`` arrives: mostly in working hours, some at night or weekends."""
    zone = calendar.zone
    local = day.astimezone(zone)
    if rng.random() < 0.2:
        return local.astimezone(day.tzinfo)
    d = local.date()
    while not calendar.is_working_day(d):
        d += timedelta(days=1)
    minutes = rng.uniform(0, (calendar.end.hour - calendar.start.hour) * 60)
    return (datetime.combine(d, calendar.start, tzinfo=zone) + timedelta(minutes=minutes)).astimezone(day.tzinfo)


def _timeline(rng: random.Random, calendar: BusinessCalendar, *, kind: str, priority: str, created: datetime,
              now: datetime, rework: bool = True, cancel: bool = False) -> _Timeline:
    """A realistic life of one order: business hours per phase drawn for its service type (the
    two phases share the order's own difficulty), the customer's approval in wall time."""
    _, plan_median, exec_median, sigma = PROFILES.get(kind, PROFILES["server"])
    age = max(0.0, min(1.0, (now - created) / timedelta(days=HISTORY_DAYS)))
    speed = PRIORITY_SPEED.get(priority, 1.0) * BUSY_MONTHS.get(created.month, 1.0) * (0.95 + 0.15 * age)
    own = rng.gauss(0, sigma * 0.6)
    plan = plan_median * speed * math.exp(own + rng.gauss(0, sigma * 0.8))
    work = exec_median * speed * math.exp(own + rng.gauss(0, sigma * 0.8))
    if cancel:
        in_planning = rng.random() < 0.5
        at = calendar.add(created, timedelta(hours=plan * rng.uniform(0.2, 1.0)))
        if in_planning:
            return _Timeline(created, (("canceled", at),), False, timedelta())
        end = calendar.add(calendar.add(created, timedelta(hours=plan)), timedelta(hours=work * rng.uniform(0.1, 0.9)))
        return _Timeline(created, (("execution", calendar.add(created, timedelta(hours=plan))), ("canceled", end)),
                         False, timedelta())
    t_exec = calendar.add(created, timedelta(hours=plan))
    t_val = calendar.add(t_exec, timedelta(hours=work))
    steps = [("execution", t_exec), ("validation", t_val)]
    if rework and rng.random() < 0.06:  # the customer finds something missing: back to Execution
        back = t_val + timedelta(days=rng.uniform(0.2, 1.5))
        t_val = calendar.add(back, timedelta(hours=rng.lognormvariate(math.log(6), 0.5)))
        steps += [("execution", back), ("validation", t_val)]
    automatic = rng.random() < 0.3
    manual = timedelta(days=rng.uniform(0.1, 1.9))
    steps.append(("closed", t_val + (timedelta(days=2) if automatic else manual)))
    return _Timeline(created, tuple(steps), automatic, manual)


def _closed_timeline(rng: random.Random, calendar: BusinessCalendar, *, kind: str, priority: str,
                     created: datetime, now: datetime, rework: bool) -> _Timeline:
    """A realistic timeline that ended before ``now`` even if approved by the 2-day timer (the
    start moves back until it does)."""
    for _ in range(20):
        line = _timeline(rng, calendar, kind=kind, priority=priority, created=created, now=now, rework=rework)
        late = line.steps[-2][1] + timedelta(days=2) - (now - timedelta(hours=1))
        if late <= timedelta():
            return line
        created -= late + timedelta(days=rng.uniform(0, 20))
    return line


def _load_history(session: Session, *, now: datetime, calendar: BusinessCalendar, customers: list[Customer],
                  users: list[User], count: int, rng: random.Random) -> dict[int, str]:
    """A year of orders that were closed (a few canceled), with their history rows, in bulk.

    Returns the service type of each order created.
    """
    if count <= 0:
        return {}
    movers = [u for u in users if u.role in ("operator", "support")]
    owners = [u for u in users if u.role in ("operator", "support", "manager")]
    customer_user = {u.customer_id: u for u in users if u.role == "customer"}
    kinds = list(PROFILES)
    weights = [PROFILES[k][0] for k in kinds]
    names = {k: next(s for s, kk in SERVICES if kk == k) for k in kinds}
    plans = []
    for _ in range(count):
        kind = rng.choices(kinds, weights=weights)[0]
        priority = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]
        customer = rng.choice(customers)
        created = _business_start(rng, calendar, now - timedelta(days=rng.uniform(1, HISTORY_DAYS)))
        line = _timeline(rng, calendar, kind=kind, priority=priority, created=created, now=now,
                         cancel=rng.random() < 0.07)
        if line.steps[-1][1] > now - timedelta(hours=1):
            continue  # still open: the recent orders above stand for those
        plans.append((kind, priority, customer, line))
    plans.sort(key=lambda p: p[3].created)
    rows = []
    for i, (kind, priority, customer, line) in enumerate(plans):
        ends = line.steps[-1][1]
        rows.append({
            "number": f"SO-H{i:05d}", "name": f"{names[kind]} for {customer.name.split()[0]}",
            "customer_id": customer.id, "phase": line.steps[-1][0], "status": line.steps[-1][0],
            "phase_since": ends, "status_since": ends, "requested_completion": None,
            "planned_completion": (line.created + timedelta(days=rng.randint(10, 45))).date(),
            "owner_id": rng.choice(owners).id, "priority": priority, "version": len(line.steps) + 1,
            "due_kind": None, "due_at": None, "created_at": line.created,
        })
    orders = Order.__table__  # Core inserts: no ORM bookkeeping for thousands of rows
    ids = list(session.execute(insert(orders).returning(orders.c.id, sort_by_parameter_order=True), rows).scalars())
    session.execute(update(Order), [{"id": oid, "number": f"SO-{20260100 + oid}"} for oid in ids])
    items, changes = [], []
    for oid, (kind, _priority, customer, line) in zip(ids, plans, strict=True):
        final = line.steps[-1][0]
        items.append({"order_id": oid, "kind": kind, "name": f"{names[kind]} #1",
                      "status": "active" if final == "closed" else "pending"})
        changes += _history_rows(oid, line, customer_user=customer_user.get(customer.id), movers=movers, rng=rng)
    session.execute(insert(OrderItem.__table__), items)
    session.execute(insert(StatusChange.__table__), changes)
    session.flush()
    return {oid: plan[0] for oid, plan in zip(ids, plans, strict=True)}


def _history_rows(oid: int, line: _Timeline, *, customer_user: User | None, movers: list[User],
                  rng: random.Random) -> list[dict]:
    """The history rows of one past order: received, then each step of its timeline."""
    rows = [{"entity_kind": "order", "entity_id": oid, "from_version": 0, "from_state": None,
             "to_state": "planning", "from_tracking": None, "to_tracking": "on_track", "actor_id": None,
             "actor_name": "Online order form", "at": line.created, "comment": "Order received."}]
    phase, status = "planning", "on_track"
    for version, (nxt, at) in enumerate(line.steps, start=1):
        new_status = {"validation": "validation", "closed": "closed", "canceled": "canceled"}.get(nxt, "on_track")
        if nxt == "closed" and line.automatic:
            actor_id, actor, note = None, "System", "approved automatically after 2 days"
        elif nxt == "closed":
            mover = customer_user if customer_user and rng.random() < 0.5 else rng.choice(movers)
            actor_id, actor, note = mover.id, mover.display_name, COMMENTS[nxt]
        else:
            mover = rng.choice(movers)
            actor_id, actor = mover.id, mover.display_name
            note = COMMENTS.get(nxt, "") if phase != "validation" else "Customer reported a missing item."
        rows.append({"entity_kind": "order", "entity_id": oid, "from_version": version, "from_state": phase,
                     "to_state": nxt, "from_tracking": status, "to_tracking": new_status,
                     "actor_id": actor_id, "actor_name": actor, "at": at, "comment": note})
        phase, status = nxt, new_status
    return rows


def _start_clocks(session: Session, *, now: datetime, calendar: BusinessCalendar, service_of: dict[int, str]) -> None:
    """Every demo order gets the SLA clock it would have had, replayed from its history."""
    changes: dict[int, list[tuple[datetime, str, str]]] = {}
    for oid, at, phase, tracking in session.exec(
            select(StatusChange.entity_id, StatusChange.at, StatusChange.to_state, StatusChange.to_tracking)
            .where(StatusChange.entity_kind == "order").order_by(StatusChange.entity_id, StatusChange.at,
                                                                 StatusChange.id)).all():
        changes.setdefault(oid, []).append((at, phase, tracking or ""))
    seeds = [sla.SeedOrder(order_id=oid, service_type=service_of.get(oid, "server"), priority=priority,
                           created_at=created, changes=tuple(changes.get(oid, ())))
             for oid, priority, created in session.exec(
                 select(Order.id, Order.priority, Order.created_at).where(col(Order.id).in_(list(service_of)))
                 .order_by(Order.id)).all()]
    sla.seed_clocks(session, seeds, now=now, calendar=calendar)


def _load_failures(session: Session, *, now: datetime, calendar: BusinessCalendar, rng: random.Random) -> None:
    """A few failed provisionings in execution, one of them past its 2-business-hour deadline."""
    notifications.ensure_templates(session)
    provisioning.ensure_remedies(session)
    settings = get_settings()
    recipients = provisioning.Recipients(support=settings.support_email, base_url=settings.public_url)
    candidates = session.exec(
        select(Order).where(Order.phase == "execution", Order.status == "on_track").order_by(Order.id)
    ).all()
    reasons = [("offer_use_limit_exceeded", "Offer allows 10 subscriptions; customer has 10."),
               ("service_creation_failed", "Provisioning gateway returned 500 on createService."),
               ("missing_required_addons", "Add-on 'Static IP' is required by Business fibre.")]
    first_customer = session.exec(select(Customer).order_by(Customer.id)).first()
    picks = [o for o in candidates if o.customer_id == first_customer.id][:1] + \
        [o for o in candidates if o.customer_id != first_customer.id][:2]
    for order, (code, details), hours in zip(picks, reasons, (1, 5, 30), strict=False):
        provisioning.record_attempt(
            session, actor_name="Billing integration", order_number=order.number, succeeded=False,
            reason_code=code, details=details, now=now - timedelta(hours=hours), calendar=calendar,
            recipients=recipients,
        )


def _standard_queue(d: proc.ProcessDef, *, operator_id: int) -> proc.ProcessDef:
    """Seed 05's standard provisioning: review, provisioning, activation."""
    Task = proc.TaskDef
    d = edit.add_phase(d, "Order Review")
    d = edit.add_phase(d, "Provisioning")
    d = edit.add_phase(d, "Activation")
    d = edit.upsert_task(d, "ph1", Task("", "Check customer credit", type=proc.TaskType.CHECK_CUSTOMER_CREDIT,
                                     group="Sales", alarm_hours=8, on_cancel=proc.OnCancel.HOLD_ORDER))
    d = edit.upsert_task(d, "ph1", Task("", "Review service address", type=proc.TaskType.REVIEW_SERVICE_ADDRESS,
                                     assign_to_order_user=True, on_complete=proc.OnComplete.CONFIRM_ORDER))
    d = edit.upsert_task(d, "ph2", Task("", "Provision service", type=proc.TaskType.PROVISION_SERVICE,
                                     assign_to_order_user=True, alarm_hours=24))
    d = edit.upsert_task(d, "ph2", Task("", "Assign inventory", type=proc.TaskType.ASSIGN_INVENTORY,
                                     group="Warehouse", phase_can_complete_while_open=True,
                                     complete_with_order=True))
    d = edit.upsert_task(d, "ph3", Task("", "Activation", type=proc.TaskType.ACTIVATION, user_id=operator_id))
    d = edit.upsert_task(d, "ph3", Task("", "Billing completion", type=proc.TaskType.BILLING_COMPLETION,
                                     group="Billing", on_complete=proc.OnComplete.COMPLETE_ORDER))
    return edit.add_notification(d, proc.NotificationDef("", proc.NotifyEvent.PHASE_COMPLETED,
                                                         proc.NotifyTo.CUSTOMER))

def _voice_queue(d: proc.ProcessDef) -> proc.ProcessDef:
    """Seed 05's New Voice Service: confirmation, number porting, FOC received."""
    Task = proc.TaskDef
    d = edit.add_phase(d, "Customer Confirmation")
    d = edit.add_phase(d, "Number Porting")
    d = edit.add_phase(d, "FOC Received")
    d = edit.upsert_task(d, "ph1", Task("", "Customer order confirmation",
                                     type=proc.TaskType.CUSTOMER_ORDER_CONFIRMATION, assign_to_order_user=True,
                                     on_complete=proc.OnComplete.CONFIRM_ORDER))
    d = edit.upsert_task(d, "ph2", Task("", "LNP request", type=proc.TaskType.LNP_REQUEST, group="Voice"))
    d = edit.upsert_task(d, "ph2", Task("", "LNP escalation", type=proc.TaskType.ESCALATION_2H, group="Voice",
                                     phase_can_complete_while_open=True, cancel_with_order=True))
    d = edit.upsert_task(d, "ph3", Task("", "Carrier confirmation", type=proc.TaskType.CARRIER_CONFIRMATION,
                                     group="Voice"))
    d = edit.upsert_task(d, "ph3", Task("", "Billing completion", type=proc.TaskType.BILLING_COMPLETION,
                                     group="Billing", on_complete=proc.OnComplete.COMPLETE_ORDER))
    return d

def _ticket_process(d: proc.ProcessDef) -> proc.ProcessDef:
    """A support ticket: triage, resolution."""
    Task = proc.TaskDef
    d = edit.add_phase(d, "Triage")
    d = edit.add_phase(d, "Resolution")
    d = edit.upsert_task(d, "ph1", Task("", "Triage the ticket", type=proc.TaskType.TICKET, group="Support"))
    d = edit.upsert_task(d, "ph2", Task("", "Answer the client", type=proc.TaskType.STANDARD, group="Support",
                                     alarm_hours=4))
    return d

def _request_process(d: proc.ProcessDef) -> proc.ProcessDef:
    """A service request: assess, deliver."""
    Task = proc.TaskDef
    d = edit.add_phase(d, "Assess")
    d = edit.add_phase(d, "Deliver")
    d = edit.upsert_task(d, "ph1", Task("", "Assess the request", group="Sales"))
    d = edit.upsert_task(d, "ph2", Task("", "Deliver and confirm", group="Support"))
    return d


def _load_processes(session: Session, *, now: datetime, calendar: BusinessCalendar, users: list[User]) -> None:
    """Two active order processes (seed 05's examples) running on the open orders of the first customers."""
    admin = principal_of(next(u for u in users if u.role == "admin"))
    operator = next(u for u in users if u.role == "operator")
    by_name = {u.username: u.id for u in users}
    for group, members in (("Sales", ("operator", "support")), ("Warehouse", ("operator", "installer")),
                           ("Billing", ("operator", "support")), ("Voice", ("operator", "support")),
                           ("Support", ("support", "operator", "techsupport"))):
        process_groups.save_group(session, principal=admin, group_id=None, name=group,
                                  member_ids=[by_name[m] for m in members])
    rid = process_design.create_process(session, principal=admin, name="Service request", type="Request", now=now)
    process_design.edit(session, principal=admin, process_id=rid, change=_request_process, now=now)
    process_design.activate(session, principal=admin, process_id=rid, now=now)
    pid = process_design.create_process(session, principal=admin, name="Support ticket", type="Ticket", now=now)
    process_design.edit(session, principal=admin, process_id=pid, change=_ticket_process, now=now)
    process_design.activate(session, principal=admin, process_id=pid, now=now)
    ids = {}
    standard = partial(_standard_queue, operator_id=operator.id)
    for name, build, kinds in (("Standard provisioning", standard, "server,hosting,network,security,backup,license"),
                                ("New Voice Service", _voice_queue, "voice")):
        pid = process_design.create_process(session, principal=admin, name=name, type="Order", now=now)
        process_design.edit(session, principal=admin, process_id=pid, change=build, now=now)
        process_design.set_service_types(session, principal=admin, process_id=pid, service_types=kinds)
        process_design.activate(session, principal=admin, process_id=pid, now=now)
        ids[name] = pid
    planning = session.exec(
        select(Order, OrderItem.kind).join(OrderItem, OrderItem.order_id == Order.id)
        .where(Order.phase == "planning").order_by(Order.id)
    ).all()
    started = set()
    for order, kind in planning:
        if order.id in started:
            continue
        started.add(order.id)
        pid = ids["New Voice Service"] if kind == "voice" else ids["Standard provisioning"]
        process_run.start_run(session, principal=admin, entity_kind="order", entity_id=order.id, process_id=pid,
                            now=order.phase_since, calendar=calendar)


OBJECT_PLAN = (  # (status, hours in it, count)
    ("new", 20, 4), ("equipped", 70, 3), ("equipped", 150, 2), ("equipped", 300, 1), ("verified", 30, 3),
    ("verified", 300, 1), ("active", 900, 10), ("out_of_service", 50, 2), ("diagnostics", 10, 2),
    ("diagnostics", 80, 1), ("service", 30, 2), ("faulty", 60, 1), ("blocked", 100, 1), ("reorder", 40, 1),
    ("serviced", 20, 1), ("canceled", 500, 1), ("decommissioned", 2000, 1),
)


def _load_objects(session: Session, *, now: datetime, customers: list[Customer], users: list[User],
                  rng: random.Random) -> None:
    """Installed terminals across customers and statuses, some close to their colour thresholds."""
    installer = next(u for u in users if u.role == "installer")
    n = 0
    for status, hours, count in OBJECT_PLAN:
        for _ in range(count):
            customer = customers[0] if status == "verified" and hours < 100 else customers[n % len(customers)]
            since = now - timedelta(hours=hours + rng.uniform(0, 1))
            obj = InstalledObject(name=f"Terminal {101 + n}", address=f"{rng.randint(1, 200)} High Street",
                                  customer_id=customer.id, installer_id=installer.id, status=status,
                                  status_since=since, version=2)
            session.add(obj)
            session.flush()
            session.add(StatusChange(entity_kind="object", entity_id=obj.id, from_version=1, from_state="new",
                                     to_state=status, actor_id=installer.id, actor_name=installer.display_name,
                                     at=since, comment=N_("Loaded from the installation report")))
            n += 1
    session.flush()
