"""Workflows as data: statuses and transitions (who, comment, time window, automatic firing).

The three workflows of the product live here: order phases (seed 01), client statuses and
object statuses (seed 04). The engine reads them; nothing here decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from ordertrack.domain.roles import Role
from ordertrack.i18n import N_, _


class UnknownStatus(ValueError):
    """A status key that the workflow does not have."""


@dataclass(frozen=True, slots=True)
class Status:
    """One status of a workflow. A terminal status is irreversible: nothing leaves it."""

    key: str
    label: str
    terminal: bool = False


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The transition's roles may make it within ``days`` of entering the source; after that
    only ``roles_after`` may."""

    days: float
    roles_after: frozenset[Role]


class AutoKind(StrEnum):
    """How a transition fires by itself."""

    AFTER = "after"
    EVENT = "event"


@dataclass(frozen=True, slots=True)
class Auto:
    """Automatic firing: after a duration in the source status, or on a named event."""

    kind: AutoKind
    after: timedelta | None = None
    business: bool = False
    event: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind is AutoKind.AFTER and (self.after is None or self.after <= timedelta()):
            raise ValueError("an automatic AFTER transition needs a positive duration")
        if self.kind is AutoKind.EVENT and not self.event:
            raise ValueError("an automatic EVENT transition needs an event name")


@dataclass(frozen=True, slots=True)
class Transition:
    """A permitted move from ``source`` to ``target``."""

    source: str
    target: str
    roles: frozenset[Role]
    needs_comment: bool = False
    window: TimeWindow | None = None
    auto: Auto | None = None
    label: str = ""


@dataclass(frozen=True, slots=True)
class Workflow:
    """Statuses plus transitions, validated on construction."""

    key: str
    name: str
    statuses: tuple[Status, ...]
    transitions: tuple[Transition, ...]
    initial: str
    _by_key: dict[str, Status] = field(init=False, repr=False, compare=False)
    _outgoing: dict[str, tuple[Transition, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, Status] = {}
        for status in self.statuses:
            if status.key in by_key:
                raise ValueError(f"{self.name}: duplicate status {status.key!r}")
            by_key[status.key] = status
        if self.initial not in by_key:
            raise ValueError(f"{self.name}: initial status {self.initial!r} does not exist")
        pairs: set[tuple[str, str]] = set()
        outgoing: dict[str, list[Transition]] = {key: [] for key in by_key}
        for t in self.transitions:
            for end in (t.source, t.target):
                if end not in by_key:
                    raise ValueError(f"{self.name}: transition {t.source}->{t.target} names unknown status {end!r}")
            if by_key[t.source].terminal:
                raise ValueError(f"{self.name}: {t.source!r} is terminal, nothing may leave it")
            if t.source == t.target:
                raise ValueError(f"{self.name}: transition {t.source}->{t.target} goes nowhere")
            if (t.source, t.target) in pairs:
                raise ValueError(f"{self.name}: duplicate transition {t.source}->{t.target}")
            pairs.add((t.source, t.target))
            outgoing[t.source].append(t)
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_outgoing", {k: tuple(v) for k, v in outgoing.items()})

    def status(self, key: str) -> Status:
        """The status ``key``; raises UnknownStatus with a readable message."""
        try:
            return self._by_key[key]
        except (KeyError, TypeError):
            raise UnknownStatus(f"Unknown status {key!r} in workflow {self.name}") from None

    def has(self, key: str) -> bool:
        """Whether ``key`` is a status of this workflow."""
        return isinstance(key, str) and key in self._by_key

    def label(self, key: str) -> str:
        """The label of status ``key`` in the current language."""
        return _(self.status(key).label)

    def outgoing(self, source: str) -> tuple[Transition, ...]:
        """Transitions leaving ``source``, in declaration order."""
        self.status(source)
        return self._outgoing[source]

    def transition(self, source: str, target: str) -> Transition | None:
        """The transition from ``source`` to ``target``, if it exists."""
        return next((t for t in self.outgoing(source) if t.target == target), None)

    def is_terminal(self, key: str) -> bool:
        """Whether nothing can leave ``key``."""
        return self.status(key).terminal


class OrderStatus(StrEnum):
    """The tracking status shown on an order's card (seed 01)."""

    ON_TRACK = "on_track"
    DELAYED = "delayed"
    VALIDATION = "validation"
    APPROVE_ETI = "approve_eti"
    CLOSED = "closed"
    CANCELED = "canceled"

    @property
    def label(self) -> str:
        """The status as the card shows it."""
        return _(_ORDER_STATUS_LABELS[self.value])


_ORDER_STATUS_LABELS = {
    "on_track": N_("On Track"),
    "delayed": N_("Delayed"),
    "validation": N_("Validation"),
    "approve_eti": N_("Approve ETI"),
    "closed": N_("Closed"),
    "canceled": N_("Canceled"),
}


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles) | {Role.ADMIN}


_ORDER_STAFF = _roles(Role.OPERATOR, Role.SUPPORT)

ORDER_WORKFLOW = Workflow(
    key="order",
    name="Order",
    statuses=(
        Status("planning", N_("Planning and Provisioning")),
        Status("execution", N_("Execution")),
        Status("validation", N_("Customer Validation")),
        Status("closed", N_("Closed"), terminal=True),
        Status("canceled", N_("Canceled"), terminal=True),
    ),
    transitions=(
        Transition("planning", "execution", _ORDER_STAFF),
        Transition("planning", "canceled", _ORDER_STAFF, needs_comment=True),
        Transition("execution", "planning", _ORDER_STAFF, needs_comment=True),
        Transition("execution", "validation", _ORDER_STAFF),
        Transition("execution", "canceled", _ORDER_STAFF, needs_comment=True),
        Transition(
            "validation",
            "closed",
            _roles(Role.CUSTOMER, Role.OPERATOR, Role.SUPPORT),
            auto=Auto(AutoKind.AFTER, after=timedelta(days=2), note=N_("approved automatically after 2 days")),
            label=N_("Approve"),
        ),
        Transition("validation", "execution", _ORDER_STAFF, needs_comment=True, label=N_("Reopen: back to Execution")),
        Transition("validation", "canceled", _ORDER_STAFF, needs_comment=True),
    ),
    initial="planning",
)

_CLIENT_ROLES = _roles(Role.PARTNER)

CLIENT_WORKFLOW = Workflow(
    key="client",
    name="Client",
    statuses=(
        Status("new", N_("New")),
        Status("potential", N_("Potential")),
        Status("in_development", N_("In development")),
        Status("test", N_("Test")),
        Status("for_registration", N_("For registration")),
        Status("implementation", N_("Implementation")),
        Status("works", N_("Works")),
        Status("have_worked", N_("Have worked")),
        Status("lost", N_("Lost")),
        Status("refusal", N_("Refusal")),
    ),
    transitions=tuple(
        Transition(src, dst, _CLIENT_ROLES, needs_comment=True)
        for src, dst in (
            ("new", "potential"),
            ("new", "refusal"),
            ("potential", "in_development"),
            ("in_development", "test"),
            ("test", "for_registration"),
            ("test", "refusal"),
            ("for_registration", "implementation"),
            ("implementation", "works"),
            ("works", "have_worked"),
            ("have_worked", "lost"),
            ("lost", "potential"),
            ("refusal", "potential"),
        )
    ),
    initial="new",
)

_MOD, _TS, _INS, _MGR, _USR = Role.MODERATOR, Role.TECH_SUPPORT, Role.INSTALLER, Role.MANAGER, Role.CUSTOMER
CLIENT_WINDOW_DAYS = 8

OBJECT_WORKFLOW = Workflow(
    key="object",
    name="Object",
    statuses=(
        Status("new", N_("New")),
        Status("canceled", N_("Canceled")),
        Status("equipped", N_("Equipped")),
        Status("verified", N_("Verified")),
        Status("faulty", N_("Faulty")),
        Status("active", N_("Active")),
        Status("out_of_service", N_("Out of service")),
        Status("diagnostics", N_("Diagnostics")),
        Status("service", N_("Service")),
        Status("dismantling", N_("Dismantling")),
        Status("mounting", N_("Mounting")),
        Status("reorder", N_("Reorder")),
        Status("serviced", N_("Serviced")),
        Status("blocked", N_("Blocked")),
        Status("decommissioned", N_("Decommissioned"), terminal=True),
    ),
    transitions=(
        Transition("new", "canceled", _roles(_MOD, _TS)),
        Transition("new", "decommissioned", _roles(_MOD, _TS), needs_comment=True),
        Transition("new", "equipped", _roles(_INS, _TS, _MGR)),
        Transition("canceled", "new", _roles(_MOD, _TS)),
        Transition("equipped", "new", _roles(_MOD, _TS)),
        Transition("equipped", "verified", _roles(_TS, _MOD)),
        Transition("equipped", "faulty", _roles(_TS, _MGR), needs_comment=True),
        Transition(
            "verified", "equipped", _roles(_MOD, _USR),
            window=TimeWindow(CLIENT_WINDOW_DAYS, frozenset({_MOD, Role.ADMIN})),
        ),
        Transition(
            "verified", "active", _roles(_MOD, _USR),
            window=TimeWindow(CLIENT_WINDOW_DAYS, frozenset({_MOD, Role.ADMIN})),
        ),
        Transition("verified", "diagnostics", _roles(_MOD, _USR)),
        Transition("faulty", "diagnostics", _roles(_TS, _MOD, _USR)),
        Transition("active", "out_of_service", _roles(_TS, _MOD, _USR)),
        Transition("active", "diagnostics", _roles(_TS, _MOD)),
        Transition("active", "reorder", _roles(_TS, _MOD)),
        Transition("active", "blocked", _roles(_TS, _MOD)),
        Transition(
            "out_of_service", "active", _roles(_TS, _MOD, _USR),
            auto=Auto(AutoKind.EVENT, event="object.in_service", note="object reported in service"),
        ),
        Transition("diagnostics", "verified", _roles(_TS, _MGR)),
        Transition("diagnostics", "service", _roles(_TS, _MGR)),
        Transition("service", "dismantling", _roles(_INS, _TS, _MGR)),
        Transition("service", "serviced", _roles(_INS, _TS, _MGR)),
        Transition("dismantling", "mounting", _roles(_INS, _TS, _MGR)),
        Transition("mounting", "serviced", _roles(_INS, _TS, _MGR)),
        Transition("reorder", "service", _roles(_TS, _MGR)),
        Transition("serviced", "verified", _roles(_TS, _MGR)),
        Transition("serviced", "faulty", _roles(_TS, _MGR), needs_comment=True),
        Transition("serviced", "service", _roles(_TS, _MGR)),
        Transition("blocked", "active", _roles(_TS, _MGR, _USR)),
        Transition("blocked", "diagnostics", _roles(_TS, _MGR, _USR)),
        Transition("blocked", "decommissioned", _roles(_TS, _MGR), needs_comment=True),
    ),
    initial="new",
)

WORKFLOWS: dict[str, Workflow] = {w.key: w for w in (ORDER_WORKFLOW, CLIENT_WORKFLOW, OBJECT_WORKFLOW)}
