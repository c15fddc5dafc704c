"""The failures page's service side (issue #18.8): a failure whose order has since been closed,
canceled or provisioned is closed by the sweep with a note; the queue says when the next retry
is possible (one moment, the toast and the row agree) and when the deadline falls."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import update

from ordertrack.db.models import Order
from ordertrack.db.notify_models import OrderFailure
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.i18n import use
from ordertrack.services import provisioning as prov
from tests import factories as f
from tests.conftest import NOW

CAL = BusinessCalendar(tz="Europe/London")
RCPT = prov.Recipients(support="support@ot.test", base_url="http://ot.test")


def _failed_order(session, **kw):
    c = f.customer(session, now=NOW)
    o = f.order(session, customer_id=c.id, now=NOW, phase="execution", **kw)
    prov.ensure_remedies(session)
    view = prov.record_attempt(session, actor_name="Billing", order_number=o.number, succeeded=False,
                               reason_code="service_creation_failed", now=NOW, calendar=CAL, recipients=RCPT)
    session.commit()
    return o, view


def test_the_sweep_closes_failures_of_closed_orders_with_a_note(engine, session):
    order, view = _failed_order(session)
    other, other_view = _failed_order(session)
    assert prov.reconcile(engine, now=NOW) == []  # nothing settled yet
    session.exec(update(Order).where(Order.id == order.id).values(phase="closed", status="closed"))
    session.commit()
    assert prov.reconcile(engine, now=NOW + timedelta(minutes=1)) == [view.id]
    session.expire_all()
    failure = session.get(OrderFailure, view.id)
    assert failure.state == "resolved" and failure.resolution == prov.RECONCILED_CLOSED
    assert session.get(OrderFailure, other_view.id).state == "open"
    session.rollback()  # end this test's read (SQLite: a reader holds off the sweep's commit)
    assert prov.reconcile(engine, now=NOW + timedelta(minutes=2)) == []  # once


def test_the_sweep_closes_failures_of_orders_provisioned_since(engine, session):
    order, view = _failed_order(session)
    # a successful attempt recorded without going through reconciliation (e.g. another item's)
    session.add(prov.ProvisioningAttempt(order_id=order.id, at=NOW + timedelta(minutes=5), succeeded=True,
                                         reason_code="", details="", actor_name="Billing"))
    for item in session.exec(prov.select(prov.OrderItem).where(prov.OrderItem.order_id == order.id)):
        item.status = "provisioned"
        session.add(item)
    session.commit()
    assert prov.reconcile(engine, now=NOW + timedelta(minutes=6)) == [view.id]
    session.expire_all()
    assert session.get(OrderFailure, view.id).resolution == prov.RECONCILED_PROVISIONED


def test_the_queue_says_when_the_next_retry_is_possible(session):
    _, view = _failed_order(session)
    _, support = f.user(session, role="support")
    session.commit()
    wait = prov.retry(session, principal=support, failure_id=view.id, version=view.version, now=NOW)
    session.commit()
    later = NOW + timedelta(seconds=50)  # the toast said NOW + wait; the row says the same moment
    [row] = prov.failure_queue(session, principal=support, now=later, calendar=CAL)
    assert row.next_retry_at == NOW + wait and row.state == "claimed"
    assert row.due_at == view.due_at
    with use("ru"):
        [row] = prov.failure_queue(session, principal=support, now=later, calendar=CAL)
        assert row.countdown.startswith("осталось ")
