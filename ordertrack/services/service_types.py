"""Service types as data (issue #16.5): the types orders are routed by, read by the order form,
the intake, SLA targets, reports and the process designer, and edited by administrators.

Reading goes through ``all_types``, cached on the session (``Session.info``): one query per
request/transaction however many labels a page shows; every change here drops the cache.
A type's key never changes (orders, SLA targets and processes store it); its names do, and
an inactive type is no longer offered (new orders, routing, SLA targets) while its orders go
on. A type in use (by an order or a process) cannot be deleted: deactivate it instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from ordertrack import i18n
from ordertrack.db.models import OrderItem
from ordertrack.db.process_models import Process
from ordertrack.db.service_type_models import ServiceType
from ordertrack.db.sla_models import OrderSla, SlaTarget
from ordertrack.domain.access import Principal
from ordertrack.domain.roles import Role
from ordertrack.i18n import N_, _
from ordertrack.services.errors import BadInput, Forbidden, NotFound

_CACHE = "ordertrack.service_types"
KEY = re.compile(r"[a-z][a-z0-9_-]{0,39}")
MAX_LABEL = 100
RESERVED = frozenset({"*", "any", "none"})  # the default queue's mark and the filters' "all"

ADMIN_ONLY = N_("Only administrators may change service types.")
UNKNOWN = N_("Unknown service type “{service}”.")
INACTIVE = N_("Service type “{service}” is no longer offered.")
BAD_KEY = N_("A key is 1 to 40 lowercase Latin letters, digits, “-” or “_”, starting with a letter.")
RESERVED_KEY = N_("“{service}” is reserved: choose another key.")
EXISTS = N_("Service type “{service}” already exists.")
BAD_LABEL = N_("A service type needs an English name of at most 100 characters (the Russian one is "
               "optional, at most 100 characters).")
BAD_ORDER = N_("The sort order is a whole number from 0 to 100000.")
IN_USE = N_("Service type “{service}” is in use (orders: {orders}, processes: {processes}): deactivate it "
            "instead.")
UNKNOWN_ROUTED = N_("Unknown service types: {services}. Choose among the active service types.")
INACTIVE_ROUTED = N_("Service types no longer offered: {services}. They can be removed from a process, "
                     "not added.")


@dataclass(frozen=True, slots=True)
class ServiceTypeView:
    key: str
    label: str  # English
    label_ru: str
    active: bool
    sort_order: int

    def name(self, language: str | None = None) -> str:
        """The name in ``language`` (default: the running handler's)."""
        language = language or i18n.current()
        return self.label_ru if language == "ru" and self.label_ru else self.label


@dataclass(frozen=True, slots=True)
class AdminRow:
    view: ServiceTypeView
    orders: int
    processes: int


def all_types(session: Session) -> tuple[ServiceTypeView, ...]:
    """Every service type (active first by sort order, then the inactive ones), once per session.

    Args:
        session: the request's session; the list is kept in ``session.info`` until a change here.

    Returns:
        The types as frozen views.
    """
    cached = session.info.get(_CACHE)
    if cached is None:
        rows = session.exec(select(ServiceType).order_by(col(ServiceType.active).desc(), ServiceType.sort_order,
                                                         ServiceType.key)).all()
        cached = tuple(ServiceTypeView(r.key, r.label, r.label_ru, r.active, r.sort_order) for r in rows)
        session.info[_CACHE] = cached
    return cached


def _forget(session: Session) -> None:
    session.info.pop(_CACHE, None)


def by_key(session: Session) -> dict[str, ServiceTypeView]:
    """Every service type by key."""
    return {t.key: t for t in all_types(session)}


def active(session: Session) -> tuple[ServiceTypeView, ...]:
    """The types offered for new orders and routing, in their sort order."""
    return tuple(t for t in all_types(session) if t.active)


def label(session: Session, key: str, *, language: str | None = None) -> str:
    """The name of ``key`` in ``language`` (default: the handler's); an unknown key as it is."""
    found = by_key(session).get(key)
    return found.name(language) if found else key


def english_label(session: Session, key: str) -> str:
    """The English name of ``key`` (text stored in history rows and order names)."""
    return label(session, key, language="en")


def options(session: Session) -> list[dict[str, str]]:
    """The active types as select options ``{"id": key, "name": name}`` in the handler's language."""
    return [{"id": t.key, "name": t.name()} for t in active(session)]


def check(session: Session, key: object, *, offered: bool = True) -> str:
    """The normalized key when it names a service type (``offered``: an active one).

    Raises:
        BadInput: unknown (or no longer offered) service type, with its key in the message.
    """
    value = str(key or "").strip().lower()
    found = by_key(session).get(value)
    if found is None:
        raise BadInput(_(UNKNOWN).format(service=value[:40]))
    if offered and not found.active:
        raise BadInput(_(INACTIVE).format(service=found.name()))
    return value


def check_routing(session: Session, keys: Iterable[str], *, kept: Iterable[str] = (),
                  default_mark: str = "*") -> list[str]:
    """The service types a process receives, checked: active types, ``default_mark`` (every
    other type), and inactive ones only when the process had them already (``kept``).

    Raises:
        BadInput: unknown keys, or inactive ones newly added (all named in the message).
    """
    known = by_key(session)
    wanted = sorted({str(k).strip().lower() for k in keys if str(k).strip()})
    unknown = [k for k in wanted if k != default_mark and k not in known]
    if unknown:
        raise BadInput(_(UNKNOWN_ROUTED).format(services=", ".join(f"“{k[:40]}”" for k in unknown[:10])))
    had = set(kept)
    retired = [known[k].name() for k in wanted if k in known and not known[k].active and k not in had]
    if retired:
        raise BadInput(_(INACTIVE_ROUTED).format(services=", ".join(f"“{n}”" for n in retired)))
    return wanted


def _admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden(_(ADMIN_ONLY))


def _usage(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    orders: dict[str, int] = dict(session.exec(select(OrderSla.service_type, func.count())
                                               .group_by(OrderSla.service_type)).all())
    items = session.exec(select(OrderItem.kind, func.count(func.distinct(OrderItem.order_id)))
                         .group_by(OrderItem.kind)).all()
    for kind, count in items:
        orders[kind] = max(orders.get(kind, 0), count)
    processes: dict[str, int] = {}
    for routed in session.exec(select(Process.service_types)).all():
        for key in {k for k in (routed or "").split(",") if k}:
            processes[key] = processes.get(key, 0) + 1
    return orders, processes


def admin_list(session: Session, *, principal: Principal) -> tuple[AdminRow, ...]:
    """Every type with how many orders and processes use it (administrators).

    Raises:
        Forbidden: not an administrator.
    """
    _admin(principal)
    orders, processes = _usage(session)
    return tuple(AdminRow(t, orders.get(t.key, 0), processes.get(t.key, 0)) for t in all_types(session))


def _names(label_en: object, label_ru: object) -> tuple[str, str]:
    en, ru = str(label_en or "").strip(), str(label_ru or "").strip()
    if not en or len(en) > MAX_LABEL or len(ru) > MAX_LABEL:
        raise BadInput(_(BAD_LABEL))
    return en, ru


def _sort_order(value: object) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise BadInput(_(BAD_ORDER)) from None
    if not 0 <= number <= 100_000:
        raise BadInput(_(BAD_ORDER))
    return number


def add(session: Session, *, principal: Principal, key: object, label_en: object, label_ru: object = "",
        sort_order: object = "", now: datetime) -> ServiceTypeView:
    """A new, active service type (administrators; the caller commits).

    Args:
        key: its key (kept for good): lowercase Latin letters, digits, "-" or "_".
        label_en: its English name; label_ru: its Russian name ("" = the English one).
        sort_order: where it appears ("" = after the others).

    Raises:
        Forbidden: not an administrator.
        BadInput: a malformed, reserved or existing key, a missing or too long name, or a bad order.
    """
    _admin(principal)
    value = str(key or "").strip().lower()
    if value in RESERVED:
        raise BadInput(_(RESERVED_KEY).format(service=value))
    if not KEY.fullmatch(value):
        raise BadInput(_(BAD_KEY))
    if session.exec(select(ServiceType.id).where(ServiceType.key == value)).first() is not None:
        raise BadInput(_(EXISTS).format(service=value))
    en, ru = _names(label_en, label_ru)
    if str(sort_order or "").strip():
        order = _sort_order(sort_order)
    else:
        order = (session.exec(select(func.max(ServiceType.sort_order))).one() or 0) + 10
    session.add(ServiceType(key=value, label=en, label_ru=ru, active=True, sort_order=min(order, 100_000),
                            updated_at=now, updated_by=principal.display_name))
    session.flush()
    _forget(session)
    return by_key(session)[value]


def _row(session: Session, key: object) -> ServiceType:
    row = session.exec(select(ServiceType).where(ServiceType.key == str(key or "").strip().lower())).first()
    if row is None:
        raise NotFound(_(UNKNOWN).format(service=str(key or "")[:40]))
    return row


def update(session: Session, *, principal: Principal, key: object, label_en: object, label_ru: object,
           sort_order: object, active: bool, now: datetime) -> ServiceTypeView:
    """Rename, reorder, deactivate or reactivate a type (administrators; its key stays).

    Raises:
        Forbidden: not an administrator.
        NotFound: no such type.
        BadInput: a missing or too long name, or a bad sort order.
    """
    _admin(principal)
    row = _row(session, key)
    row.label, row.label_ru = _names(label_en, label_ru)
    row.sort_order, row.active = _sort_order(sort_order), bool(active)
    row.updated_at, row.updated_by = now, principal.display_name
    session.add(row)
    session.flush()
    _forget(session)
    return by_key(session)[row.key]


def remove(session: Session, *, principal: Principal, key: object) -> None:
    """Delete a type no order or process uses (with its SLA targets); one in use is refused.

    Raises:
        Forbidden: not an administrator.
        NotFound: no such type.
        BadInput: the type is used: deactivate it instead.
    """
    _admin(principal)
    row = _row(session, key)
    orders, processes = _usage(session)
    if orders.get(row.key) or processes.get(row.key):
        raise BadInput(_(IN_USE).format(service=label(session, row.key),
                                        orders=orders.get(row.key, 0), processes=processes.get(row.key, 0)))
    session.exec(delete(SlaTarget).where(SlaTarget.service_type == row.key))
    session.delete(row)
    session.flush()
    _forget(session)
