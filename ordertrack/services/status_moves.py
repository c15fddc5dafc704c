"""Client and object statuses (seed 04): moves through the engine with the role matrix,
compare-and-set and history; urgency colours computed on read; device events; the wall."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ordertrack.db.models import Customer, StatusChange, User
from ordertrack.db.object_models import InstalledObject, UrgencyRuleRow
from ordertrack.domain import colours, engine
from ordertrack.domain.access import SYSTEM, Principal
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import CLIENT_WORKFLOW, OBJECT_WORKFLOW, Workflow
from ordertrack.i18n import _
from ordertrack.services.errors import BadInput, Conflict, Forbidden, NotFound

CHANGED = "This was changed by someone else. Reload to see the change, then try again."
OBJECT_VIEWERS = frozenset({Role.INSTALLER, Role.TECH_SUPPORT, Role.MODERATOR, Role.MANAGER, Role.ADMIN,
                            Role.SUPPORT, Role.OPERATOR, Role.CUSTOMER})


@dataclass(frozen=True, slots=True)
class Move:
    target: str
    label: str
    needs_comment: bool
    irreversible: bool


@dataclass(frozen=True, slots=True)
class HistoryRow:
    at: datetime
    status: str
    user: str
    comment: str


@dataclass(frozen=True, slots=True)
class Subject:
    """A client or an object with its status, colour and what the viewer may do."""

    kind: str
    id: int
    name: str
    detail: str
    status: str
    status_label: str
    status_since: datetime
    colour: str
    blinking: bool
    version: int
    moves: tuple[Move, ...]
    permanent: bool


def _rules(session: Session) -> dict[str, colours.UrgencyRule]:
    rows = session.exec(select(UrgencyRuleRow)).all()
    rules = {r.status: r for r in colours.DEFAULT_RULES}
    rules.update({r.status: colours.UrgencyRule(r.status, colours.Colour(r.base), r.yellow_after_hours,
                                                r.red_after_hours) for r in rows})
    return rules


def _moves(workflow: Workflow, principal: Principal, status: str, since: datetime, now: datetime) -> tuple[Move, ...]:
    return tuple(Move(t.target, _(t.label) if t.label else _("Change status to {status}").format(status=workflow.label(t.target)), t.needs_comment,
                      workflow.is_terminal(t.target))
                 for t in engine.available(workflow, current=status, roles=principal.roles, status_since=since, now=now))


def _can_change_client(principal: Principal, customer: Customer) -> bool:
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.PARTNER and principal.reseller_id is not None \
        and principal.reseller_id == customer.reseller_id


def _client(session: Session, customer: Customer, principal: Principal, now: datetime) -> Subject:
    moves = _moves(CLIENT_WORKFLOW, principal, customer.status, customer.status_since, now) \
        if _can_change_client(principal, customer) else ()
    return Subject("customer", customer.id, customer.name, customer.contact_email, customer.status,
                   CLIENT_WORKFLOW.label(customer.status), customer.status_since, "", False, customer.version, moves,
                   CLIENT_WORKFLOW.is_terminal(customer.status))


def _object(obj: InstalledObject, customer_name: str, principal: Principal, rules, now: datetime) -> Subject:
    rule = rules.get(obj.status) or colours.UrgencyRule(obj.status, colours.Colour.BLUE)
    moves = _moves(OBJECT_WORKFLOW, principal, obj.status, obj.status_since, now) if principal.role is not Role.SYSTEM \
        else ()
    return Subject("object", obj.id, obj.name, f"{customer_name} · {obj.address}", obj.status,
                   OBJECT_WORKFLOW.label(obj.status), obj.status_since,
                   colours.colour(rule, status_since=obj.status_since, now=now).value,
                   colours.blinking(obj.status, status_since=obj.status_since, now=now), obj.version, moves,
                   OBJECT_WORKFLOW.is_terminal(obj.status))


def list_clients(session: Session, *, principal: Principal, now: datetime) -> tuple[Subject, ...]:
    """Clients the principal may see, with the moves it may make."""
    query = select(Customer).order_by(Customer.name)
    if principal.role in (Role.RESELLER, Role.PARTNER):
        query = query.where(Customer.reseller_id == (principal.reseller_id or -1))
    elif principal.role is Role.CUSTOMER:
        query = query.where(Customer.id == (principal.customer_id or -1))
    return tuple(_client(session, c, principal, now) for c in session.exec(query).all())


def _object_query(principal: Principal):
    query = select(InstalledObject, Customer.name).join(Customer, Customer.id == InstalledObject.customer_id)
    if principal.role is Role.CUSTOMER:
        query = query.where(InstalledObject.customer_id == (principal.customer_id or -1))
    elif principal.role not in OBJECT_VIEWERS:
        raise Forbidden(_("You may not see installed objects."))
    return query


def list_objects(session: Session, *, principal: Principal, now: datetime, status: str = "", customer_id: int = 0,
                 installer_id: int = 0) -> tuple[Subject, ...]:
    """Objects the principal may see (customers: their own), most urgent first."""
    query = _object_query(principal)
    if status:
        query = query.where(InstalledObject.status == status)
    if customer_id:
        query = query.where(InstalledObject.customer_id == customer_id)
    if installer_id:
        query = query.where(InstalledObject.installer_id == installer_id)
    rules = _rules(session)
    items = [_object(o, name, principal, rules, now) for o, name in session.exec(query.order_by(InstalledObject.name))]
    order = {"red": 0, "yellow": 1, "blue": 2, "green": 3}
    return tuple(sorted(items, key=lambda s: (order[s.colour], s.name)))


def history(session: Session, *, principal: Principal, kind: str, entity_id: int) -> tuple[HistoryRow, ...]:
    """Date, status, user, comment — newest first."""
    _load(session, principal, kind, entity_id, for_read=True)
    workflow = CLIENT_WORKFLOW if kind == "customer" else OBJECT_WORKFLOW
    rows = session.exec(select(StatusChange).where(StatusChange.entity_kind == kind, StatusChange.entity_id == entity_id)
                        .order_by(col(StatusChange.at).desc(), col(StatusChange.id).desc())).all()
    return tuple(HistoryRow(r.at, workflow.label(r.to_state) if workflow.has(r.to_state) else r.to_state,
                            r.actor_name, r.comment) for r in rows)


def _load(session: Session, principal: Principal, kind: str, entity_id: int, *, for_read: bool = False):
    if kind == "customer":
        row = session.get(Customer, entity_id)
        if row is None or (not principal.is_staff and not principal.can_see(customer_id=row.id,
                                                                             reseller_id=row.reseller_id)):
            raise NotFound(_("Client not found."))
        if not for_read and principal.role is not Role.SYSTEM and not _can_change_client(principal, row):
            raise Forbidden(_("Only the Administrative group or a Partner may change a client's status."))
        return row
    if kind == "object":
        found = session.exec(_object_query(principal).where(InstalledObject.id == entity_id)).first() \
            if principal.role is not Role.SYSTEM else (session.get(InstalledObject, entity_id), "")
        if found is None or found[0] is None:
            raise NotFound(_("Object not found."))
        return found[0]
    raise BadInput(_("Unknown kind."))


def change_status(session: Session, *, principal: Principal, kind: str, entity_id: int, target: str,
                  expected_version: int, now: datetime, comment: str = "", automatic: bool = False,
                  note: str = "") -> None:
    """Move a client or object (the engine decides; compare-and-set; history row). The caller commits."""
    comment = (comment or "").strip()
    if len(comment) > 4000:
        raise BadInput(_("The comment is too long."))
    row = _load(session, principal, kind, entity_id)
    workflow = CLIENT_WORKFLOW if kind == "customer" else OBJECT_WORKFLOW
    if row.version != expected_version:
        raise Conflict(CHANGED)
    transition = engine.decide(workflow, current=row.status, target=target, roles=principal.roles,
                               status_since=row.status_since, now=now, comment=comment, automatic=automatic)
    if automatic and not comment and transition.auto is not None:
        comment = transition.auto.note
    table = Customer if kind == "customer" else InstalledObject
    done = session.exec(update(table).where(table.id == row.id, table.version == expected_version)
                        .values(status=target, status_since=now, version=expected_version + 1)
                        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(CHANGED)
    session.add(StatusChange(entity_kind=kind, entity_id=row.id, from_version=expected_version, from_state=row.status,
                             to_state=target, actor_id=principal.user_id, actor_name=note or principal.display_name,
                             at=now, comment=comment))
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(CHANGED) from exc
    session.expire(row)


def report_event(session: Session, *, object_id: int, event: str, actor: str, now: datetime) -> str:
    """A device or integration reports an event (e.g. ``object.in_service``); returns the new status."""
    obj = session.get(InstalledObject, object_id)
    if obj is None:
        raise NotFound(_("Object not found."))
    transition = engine.on_event(OBJECT_WORKFLOW, current=obj.status, event=event)
    if transition is None:
        raise BadInput(_("“{event}” changes nothing while the object is {status}.").format(
            event=event, status=OBJECT_WORKFLOW.label(obj.status)))
    change_status(session, principal=SYSTEM, kind="object", entity_id=obj.id, target=transition.target,
                  expected_version=obj.version, now=now, automatic=True, note=f"System ({actor})")
    return transition.target


def get_subject(session: Session, *, principal: Principal, kind: str, entity_id: int, now: datetime) -> Subject:
    row = _load(session, principal, kind, entity_id, for_read=True)
    if kind == "customer":
        return _client(session, row, principal, now)
    customer = session.get(Customer, row.customer_id)
    return _object(row, customer.name, principal, _rules(session), now)


def urgency_rules(session: Session) -> tuple[colours.UrgencyRule, ...]:
    rules = _rules(session)
    return tuple(rules[s.key] for s in OBJECT_WORKFLOW.statuses if s.key in rules)


def save_rule(session: Session, *, principal: Principal, status: str, base: str, yellow: float, red: float) -> None:
    """Administrators edit a status's colour and thresholds."""
    if principal.role is not Role.ADMIN:
        raise Forbidden(_("Only administrators edit urgency colours."))
    if not OBJECT_WORKFLOW.has(status):
        raise BadInput(_("Unknown status."))
    if base not in ("green", "blue"):
        raise BadInput(_("The base colour is green (checked and permanent) or blue (needs work)."))
    if yellow < 0 or red < 0 or (yellow and red and red < yellow):
        raise BadInput(_("Thresholds are hours ≥ 0, and red comes after yellow."))
    row = session.exec(select(UrgencyRuleRow).where(UrgencyRuleRow.status == status)).first() or \
        UrgencyRuleRow(status=status, base=base)
    row.base, row.yellow_after_hours, row.red_after_hours = base, yellow, red
    session.add(row)
    session.flush()


def crossed_threshold(session: Session, *, since: datetime, now: datetime) -> bool:
    """Did any object change colour by itself between ``since`` and ``now`` (to push the wall)?"""
    rules = _rules(session)
    for obj in session.exec(select(InstalledObject.status, InstalledObject.status_since)).all():
        rule = rules.get(obj[0])
        if rule is None:
            continue
        change = colours.next_change(rule, status_since=obj[1], now=since)
        if change is not None and change <= now:
            return True
        if colours.blinking(obj[0], status_since=obj[1], now=since) != colours.blinking(obj[0], status_since=obj[1],
                                                                                        now=now):
            return True
    return False


def installers(session: Session) -> tuple[tuple[int, str], ...]:
    return tuple((u.id, u.display_name) for u in session.exec(select(User).where(User.role == "installer")).all())


def customers_with_objects(session: Session) -> tuple[tuple[int, str], ...]:
    rows = session.exec(select(Customer.id, Customer.name).join(InstalledObject, InstalledObject.customer_id ==
                                                                Customer.id).distinct().order_by(Customer.name))
    return tuple((r[0], r[1]) for r in rows.all())
