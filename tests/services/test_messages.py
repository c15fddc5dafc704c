"""Order messages on SQLite and PostgreSQL: visibility, e-mail through the outbox, subscribers
get copies, assignment is history."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ordertrack.db.models import Order, StatusChange
from ordertrack.db.notify_models import OutboxMessage
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.services import messages as svc
from ordertrack.services.errors import BadInput, Forbidden, NotFound
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(session):
    c = f.customer(session, now=NOW, contact_email="it@c.test")
    o = f.order(session, customer_id=c.id, now=NOW)
    _, op = f.user(session, role="operator", email="op@t.test")
    owner, sup = f.user(session, role="support", email="sup@t.test")
    _, cust = f.user(session, role="customer", customer_id=c.id)
    _, other = f.user(session, role="customer", customer_id=f.customer(session, now=NOW).id)
    session.commit()
    return dict(order=o, op=op, sup=sup, owner=owner, cust=cust, other=other)


def _post(session, world, **kw):
    args = dict(principal=world["op"], order_id=world["order"].id, now=NOW, calendar=BusinessCalendar(), base_url="http://t")
    args.update(kw)
    return svc.post(session, **args)


def test_customer_sees_client_viewable_only(session, world):
    _post(session, world, kind="comment", body="internal note")
    _post(session, world, kind="comment", body="for the client", client_viewable=True)
    assert [m.body for m in svc.list_messages(session, principal=world["cust"], order_id=world["order"].id)] == [
        "for the client"]
    assert len(svc.list_messages(session, principal=world["op"], order_id=world["order"].id)) == 2
    with pytest.raises(NotFound):
        svc.list_messages(session, principal=world["other"], order_id=world["order"].id)


def test_followup_is_mailed_and_subscribers_get_copies(session, world):
    svc.set_subscription(session, principal=world["sup"], order_id=world["order"].id, subscribed=True)
    _post(session, world, kind="followup", body="Need the site contact", to="it@c.test")
    _post(session, world, kind="comment", body="note")
    to = [m.to_addr for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()]
    assert to == ["it@c.test", "sup@t.test", "sup@t.test"]


def test_bad_messages_change_nothing(session, world):
    with pytest.raises(BadInput, match="body"):
        _post(session, world, kind="comment", body="  ")
    with pytest.raises(BadInput, match="e-mail address"):
        _post(session, world, kind="followup", body="x", to="not-an-address")
    with pytest.raises(Forbidden):
        _post(session, world, principal=world["cust"], kind="comment", body="hi")
    assert svc.list_messages(session, principal=world["op"], order_id=world["order"].id) == ()


def test_comment_and_assign_writes_history(session, world, calendar):
    _post(session, world, kind="comment", body="taking over", assign_to=world["owner"].id, calendar=calendar)
    session.commit()
    assert session.get(Order, world["order"].id).owner_id == world["owner"].id
    last = session.exec(select(StatusChange).where(StatusChange.entity_kind == "order")
                        .order_by(StatusChange.from_version.desc())).first()
    assert "Owner →" in last.comment
