"""Tickets (issue #18 "tickets"): the thread where staff and the customer reply, status moves
that exist (and only those), tenancy, and no staff names for customers."""

from __future__ import annotations

import pytest

from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.services import tickets
from ordertrack.services.errors import BadInput, Forbidden, NotFound
from tests import factories as f
from tests.conftest import NOW

CAL = BusinessCalendar()


@pytest.fixture
def world(session):
    c = f.customer(session, now=NOW)
    o = f.order(session, customer_id=c.id, now=NOW)
    _, op = f.user(session, role="support", display_name="Sam Support")
    _, cust = f.user(session, role="customer", customer_id=c.id, display_name="Carla Customer")
    _, other = f.user(session, role="customer", customer_id=f.customer(session, now=NOW).id)
    session.commit()
    tid = tickets.open_ticket(session, principal=cust, order_id=o.id, subject="Router", body="It reboots",
                              now=NOW, calendar=CAL)
    return dict(order=o, op=op, cust=cust, other=other, ticket=tid)


def test_staff_and_the_customer_reply_in_the_thread_and_the_customer_reads_no_staff_name(session, world):
    tickets.reply(session, principal=world["op"], ticket_id=world["ticket"], body="Please send the logs", now=NOW)
    tickets.reply(session, principal=world["cust"], ticket_id=world["ticket"], body="Attached", now=NOW)
    staff_view = tickets.get_ticket(session, principal=world["op"], ticket_id=world["ticket"])
    assert [(w, b) for w, b, _ in staff_view.ticket.messages] == [
        ("Carla Customer", "It reboots"), ("Sam Support", "Please send the logs"), ("Carla Customer", "Attached")]
    customer_view = tickets.get_ticket(session, principal=world["cust"], ticket_id=world["ticket"])
    assert [w for w, _, _ in customer_view.ticket.messages] == ["Carla Customer", "", "Carla Customer"]
    assert customer_view.order_number == world["order"].number
    with pytest.raises(BadInput):
        tickets.reply(session, principal=world["cust"], ticket_id=world["ticket"], body="  ", now=NOW)


def test_another_tenant_neither_reads_nor_replies(session, world):
    with pytest.raises(NotFound):
        tickets.get_ticket(session, principal=world["other"], ticket_id=world["ticket"])
    with pytest.raises(NotFound):
        tickets.reply(session, principal=world["other"], ticket_id=world["ticket"], body="hi", now=NOW)


def test_only_the_moves_a_status_has_are_offered_and_allowed(session, world):
    assert [t for t, _ in tickets.moves("open")] == ["on_hold", "closed"]
    assert [t for t, _ in tickets.moves("on_hold")] == ["open", "closed"]
    assert [t for t, _ in tickets.moves("closed")] == ["open"]
    tid = world["ticket"]
    tickets.set_status(session, principal=world["op"], ticket_id=tid, status="closed", now=NOW, calendar=CAL)
    with pytest.raises(BadInput, match="cannot become"):
        tickets.set_status(session, principal=world["op"], ticket_id=tid, status="on_hold", now=NOW, calendar=CAL)
    with pytest.raises((BadInput, Forbidden)):
        tickets.set_status(session, principal=world["cust"], ticket_id=tid, status="open", now=NOW, calendar=CAL)


def test_a_customers_reply_reopens_a_closed_ticket(session, world):
    tid = world["ticket"]
    tickets.set_status(session, principal=world["op"], ticket_id=tid, status="closed", now=NOW, calendar=CAL)
    tickets.reply(session, principal=world["cust"], ticket_id=tid, body="Still broken", now=NOW)
    assert tickets.get_ticket(session, principal=world["op"], ticket_id=tid).ticket.status == "open"
