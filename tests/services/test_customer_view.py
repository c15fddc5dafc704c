"""What customers see of an order (issue #18 "what customers see"): prices and the order's
value, no staff names, no internal notes; and the technical interview staff ask for (#18.5)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ordertrack.db.models import Order, OrderItem
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.domain.tracking import ETI_WAITING
from ordertrack.services import customer_view, messages, order_items, order_moves, tickets
from ordertrack.services.errors import BadInput, Conflict, Forbidden
from tests import factories as f
from tests.conftest import NOW

CAL = BusinessCalendar()


@pytest.fixture
def world(session):
    c = f.customer(session, now=NOW, contact_email="it@c.test")
    o = f.order(session, customer_id=c.id, now=NOW, phase="execution",
                items=(("server", "pending"), ("voice", "active"), ("colocation", "pending")))
    _, op = f.user(session, role="operator", display_name="Mia Manager")
    _, cust = f.user(session, role="customer", customer_id=c.id, display_name="Carla Customer")
    session.commit()
    return dict(order=o, op=op, cust=cust)


def _version(session, order_id):
    session.expire_all()
    return session.get(Order, order_id).version


def test_items_carry_their_kinds_list_price_and_the_order_its_value(session, world):
    priced = customer_view.prices(session, order_id=world["order"].id)
    assert sorted(i.price_cents for i in priced.items.values()) == [2_900, 19_900, 24_900]
    assert priced.total_cents == 2_900 + 19_900 + 24_900 and priced.currency == "USD"
    item = session.exec(select(OrderItem).where(OrderItem.kind == "voice")).one()
    item.quantity = 3
    session.add(item)
    session.flush()
    assert customer_view.prices(session, order_id=world["order"].id).total_cents == 3 * 2_900 + 19_900 + 24_900


def test_customers_read_no_staff_names_and_no_internal_notes(session, world):
    oid, op, cust = world["order"].id, world["op"], world["cust"]
    order_moves.add_note(session, principal=op, order_id=oid, expected_version=_version(session, oid),
                         comment="Order put on hold by task “Check stock” of Warehouse flow", now=NOW, calendar=CAL)
    order_moves.add_note(session, principal=op, order_id=oid, expected_version=_version(session, oid),
                         comment="Carrier is late again", now=NOW, calendar=CAL, internal=True)
    messages.post(session, principal=op, order_id=oid, kind="followup", body="Need the site contact",
                  to="it@c.test", subject="Site contact", now=NOW, calendar=CAL, base_url="x")
    tickets.open_ticket(session, principal=cust, order_id=oid, subject="Invoice", body="Wrong address", now=NOW,
                        calendar=CAL)
    session.commit()

    rows = customer_view.customer_history(session, principal=cust, order_id=oid)
    text = repr(rows)
    assert "Mia Manager" not in text and "Check stock" not in text and "Carrier is late" not in text
    comments = [r.comment for r in rows]
    assert "Follow-up sent to it@c.test: Site contact" in comments
    assert any(r.who == "Carla Customer" and r.comment.startswith("Ticket #") for r in rows)
    assert {r.who for r in rows if r.comment.startswith("Follow-up")} == {""}  # the page says "Support team"

    seen = messages.list_messages(session, principal=cust, order_id=oid)
    assert [m.author for m in seen] == [""]
    assert [m.author for m in messages.list_messages(session, principal=op, order_id=oid)] == ["Mia Manager"]


def test_staff_ask_for_a_technical_interview_and_its_approval_clears_it(session, world):
    oid, op = world["order"].id, world["op"]
    server = session.exec(select(OrderItem).where(OrderItem.kind == "server")).one()
    card = order_items.require_eti(session, principal=op, order_id=oid, item_id=server.id,
                                   expected_version=_version(session, oid), now=NOW, calendar=CAL)
    assert card.status == "approve_eti" and session.get(OrderItem, server.id).status == ETI_WAITING
    card = order_moves.approve_item_eti(session, principal=op, order_id=oid, item_id=server.id,
                                        expected_version=_version(session, oid), now=NOW, calendar=CAL)
    assert card.status != "approve_eti" and session.get(OrderItem, server.id).status == "pending"


@pytest.mark.parametrize(("kind", "message"), [("voice", "delivered"), ("colocation", "does not count")])
def test_an_interview_is_refused_where_it_cannot_apply_and_changes_nothing(session, world, kind, message):
    oid = world["order"].id
    item = session.exec(select(OrderItem).where(OrderItem.kind == kind)).one()
    before = _version(session, oid)
    with pytest.raises(BadInput, match=message):
        order_items.require_eti(session, principal=world["op"], order_id=oid, item_id=item.id,
                                expected_version=before, now=NOW, calendar=CAL)
    assert _version(session, oid) == before


def test_only_staff_ask_for_an_interview_and_a_stale_page_is_a_conflict(session, world):
    oid = world["order"].id
    server = session.exec(select(OrderItem).where(OrderItem.kind == "server")).one()
    with pytest.raises(Forbidden):
        order_items.require_eti(session, principal=world["cust"], order_id=oid, item_id=server.id,
                                expected_version=_version(session, oid), now=NOW, calendar=CAL)
    with pytest.raises(Conflict):
        order_items.require_eti(session, principal=world["op"], order_id=oid, item_id=server.id,
                                expected_version=_version(session, oid) - 1, now=NOW, calendar=CAL)
