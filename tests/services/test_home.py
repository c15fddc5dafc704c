"""The home page's figures per role (issue #18.9): a customer sees only its own orders awaiting
approval, failed and per phase; an operator its queue steps and overdue tasks; a manager the
SLA breaches and the failures; the orders list filters that the home page links to."""

from __future__ import annotations

from datetime import timedelta

from ordertrack.db.notify_models import OrderFailure
from ordertrack.db.sla_models import SlaWarning
from ordertrack.services import home as home_service
from ordertrack.services import order_views
from tests import factories as f
from tests.conftest import NOW


def _world(session):
    r = f.reseller(session)
    mine, other = f.customer(session, now=NOW, reseller_id=r.id), f.customer(session, now=NOW, reseller_id=r.id)
    waiting = f.order(session, customer_id=mine.id, now=NOW, phase="validation", status="validation",
                      phase_since=NOW - timedelta(days=1))
    failed = f.order(session, customer_id=mine.id, now=NOW, phase="execution")
    f.order(session, customer_id=mine.id, now=NOW, phase="planning")
    f.order(session, customer_id=other.id, now=NOW, phase="validation", status="validation")
    late = f.order(session, customer_id=other.id, now=NOW, phase="execution")
    session.add(OrderFailure(order_id=failed.id, reason_code="service_creation_failed", opened_at=NOW,
                             due_at=NOW + timedelta(hours=2)))
    session.add(SlaWarning(order_id=late.id, threshold=100, crossed_at=NOW, fired_at=NOW))
    _, customer = f.user(session, role="customer", customer_id=mine.id)
    _, operator = f.user(session, role="operator")
    _, manager = f.user(session, role="manager")
    session.commit()
    return dict(customer=customer, operator=operator, manager=manager, waiting=waiting, failed=failed, late=late)


def test_a_customer_sees_its_own_approvals_failures_and_phases(session):
    w = _world(session)
    home = home_service.home(session, principal=w["customer"], now=NOW)
    assert home.view == "customer"
    assert [(line.number) for line in home.awaiting.lines] == [w["waiting"].number] and home.awaiting.total == 1
    assert [line.number for line in home.failed.lines] == [w["failed"].number]
    assert {fig.key: fig.count for fig in home.phases} == {"planning": 1, "execution": 1, "validation": 1,
                                                          "closed": 0, "canceled": 0}
    assert home.overdue is None and home.breaches is None and home.queue_steps == ()


def test_a_manager_sees_breaches_and_failures_and_an_operator_its_queue(session):
    w = _world(session)
    manager = home_service.home(session, principal=w["manager"], now=NOW)
    assert manager.view == "manager"
    assert [line.number for line in manager.breaches.lines] == [w["late"].number]
    assert [line.number for line in manager.failed.lines] == [w["failed"].number]
    assert manager.overdue.total == 0 and manager.awaiting is None
    operator = home_service.home(session, principal=w["operator"], now=NOW)
    assert operator.view == "operator" and operator.breaches is None
    assert operator.failed.total == 1 and operator.overdue.total == 0
    assert all(fig.count > 0 for fig in operator.queue_steps)


def test_the_lists_behind_the_figures(session):
    w = _world(session)
    failed = order_views.list_orders(session, principal=w["customer"], failed=True)
    assert [c.number for c in failed.cards] == [w["failed"].number]
    breached = order_views.list_orders(session, principal=w["manager"], breached=True)
    assert [c.number for c in breached.cards] == [w["late"].number]
    assert order_views.list_orders(session, principal=w["customer"], breached=True).total == 0  # not its order
