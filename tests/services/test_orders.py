"""The move service on SQLite and PostgreSQL: guards, history, tenancy, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from ordertrack.db.models import Order, StatusChange
from ordertrack.domain.engine import TransitionRefused
from ordertrack.services import order_moves, order_views
from ordertrack.services.errors import Conflict, NotFound
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(session):
    r1, r2 = f.reseller(session), f.reseller(session)
    c1 = f.customer(session, now=NOW, reseller_id=r1.id)
    c2 = f.customer(session, now=NOW, reseller_id=r2.id)
    _, operator = f.user(session, role="operator")
    _, cust1 = f.user(session, role="customer", customer_id=c1.id)
    _, res1 = f.user(session, role="reseller", reseller_id=r1.id)
    o1 = f.order(session, customer_id=c1.id, now=NOW - timedelta(days=3))
    o2 = f.order(session, customer_id=c2.id, now=NOW - timedelta(days=3))
    session.commit()
    return dict(c1=c1, c2=c2, operator=operator, cust1=cust1, res1=res1, o1=o1, o2=o2)


def _history(session, order_id):
    return session.exec(
        select(StatusChange).where(StatusChange.entity_id == order_id).order_by(StatusChange.from_version)
    ).all()


def test_move_writes_history_and_bumps_version(session, world, calendar):
    card = order_moves.move_order(session, principal=world["operator"], order_id=world["o1"].id, target="execution",
                                  expected_version=1, now=NOW, calendar=calendar, comment="plan approved")
    session.commit()
    assert (card.phase, card.version, card.status) == ("execution", 2, "on_track")
    last = _history(session, world["o1"].id)[-1]
    assert (last.from_state, last.to_state, last.comment, last.actor_name) == (
        "planning", "execution", "plan approved", world["operator"].display_name)
    assert last.at == NOW


def test_refused_move_changes_nothing(session, world, calendar):
    with pytest.raises(TransitionRefused) as exc:
        order_moves.move_order(session, principal=world["cust1"], order_id=world["o1"].id, target="execution",
                               expected_version=1, now=NOW, calendar=calendar)
    assert "may change" in exc.value.reason
    session.rollback()
    order = session.get(Order, world["o1"].id)
    assert (order.phase, order.version) == ("planning", 1)
    assert len(_history(session, world["o1"].id)) == 1


def test_entering_validation_sets_status_and_two_day_deadline(session, world, calendar):
    oid = world["o1"].id
    order_moves.move_order(session, principal=world["operator"], order_id=oid, target="execution",
                           expected_version=1, now=NOW, calendar=calendar)
    card = order_moves.move_order(session, principal=world["operator"], order_id=oid, target="validation",
                                  expected_version=2, now=NOW, calendar=calendar)
    session.commit()
    assert card.status == "validation"
    assert (card.due_kind, card.due_at) == ("order:closed", NOW + timedelta(days=2))


def test_stale_version_is_a_conflict(session, world, calendar):
    order_moves.move_order(session, principal=world["operator"], order_id=world["o1"].id, target="execution",
                           expected_version=1, now=NOW, calendar=calendar)
    session.commit()
    with pytest.raises(Conflict, match="changed by someone else"):
        order_moves.move_order(session, principal=world["operator"], order_id=world["o1"].id, target="canceled",
                               expected_version=1, now=NOW, calendar=calendar, comment="dup")


def test_two_users_at_once_exactly_one_wins(engine, session, world, calendar):
    oid = world["o1"].id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(target: str, comment: str) -> None:
        with Session(engine, expire_on_commit=False) as s:
            try:
                barrier.wait()
                order_moves.move_order(s, principal=world["operator"], order_id=oid, target=target,
                                       expected_version=1, now=NOW, calendar=calendar, comment=comment)
                s.commit()
                outcomes.append("won")
            except Conflict:
                s.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=attempt, args=("execution", "a")),
               threading.Thread(target=attempt, args=("canceled", "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "won"]
    session.expire_all()
    history = _history(session, oid)
    assert [h.from_version for h in history] == [0, 1]
    assert session.get(Order, oid).version == 2


def test_customer_sees_only_own_orders(session, world):
    page = order_views.list_orders(session, principal=world["cust1"])
    assert {c.number for c in page.cards} == {world["o1"].number}
    with pytest.raises(NotFound):
        order_views.get_order(session, principal=world["cust1"], number=world["o2"].number, now=NOW)


def test_reseller_sees_only_its_customers(session, world):
    page = order_views.list_orders(session, principal=world["res1"])
    assert {c.number for c in page.cards} == {world["o1"].number}
    with pytest.raises(NotFound):
        order_views.get_order(session, principal=world["res1"], number=world["o2"].number, now=NOW)


def test_staff_sees_all_and_search(session, world):
    page = order_views.list_orders(session, principal=world["operator"])
    assert page.total == 2
    page = order_views.list_orders(session, principal=world["operator"], search=world["o2"].number.lower())
    assert [c.number for c in page.cards] == [world["o2"].number]


def test_another_tenants_order_cannot_be_moved(session, world, calendar):
    with pytest.raises(NotFound):
        order_moves.move_order(session, principal=world["cust1"], order_id=world["o2"].id, target="closed",
                               expected_version=1, now=NOW, calendar=calendar)


def test_order_page_lists_only_permitted_moves(session, world):
    detail = order_views.get_order(session, principal=world["operator"], number=world["o1"].number, now=NOW)
    assert {m.target for m in detail.moves} == {"execution", "canceled"}
    assert next(m for m in detail.moves if m.target == "canceled").irreversible
    detail = order_views.get_order(session, principal=world["cust1"], number=world["o1"].number, now=NOW)
    assert detail.moves == ()


def test_a_phase_change_emails_the_customer_contact(session, world, calendar):
    from ordertrack.db.notify_models import OutboxMessage

    world["c1"].contact_email = "it@c1.test"
    session.add(world["c1"])
    session.commit()
    order_moves.move_order(session, principal=world["operator"], order_id=world["o1"].id, target="execution",
                           expected_version=1, now=NOW, calendar=calendar)
    session.commit()
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.event == "order_status_changed")).one()
    assert mail.to_addr == "it@c1.test"
    assert mail.subject == f"Your order {world['o1'].number} is now in Execution"


def test_items_are_added_and_removed_by_staff_only_and_never_to_zero(session, world, calendar):
    from ordertrack.services.errors import BadInput, Forbidden

    card = order_moves.add_item(session, principal=world["operator"], order_id=world["o1"].id, kind="voice",
                                name="SIP trunk", expected_version=1, now=NOW, calendar=calendar)
    session.commit()
    items = order_views.get_order(session, principal=world["operator"], number=world["o1"].number, now=NOW).items
    assert [i.name for i in items] == ["server item", "SIP trunk"]
    with pytest.raises(Forbidden):
        order_moves.add_item(session, principal=world["cust1"], order_id=world["o1"].id, kind="voice", name="x",
                             expected_version=card.version, now=NOW, calendar=calendar)
    order_moves.remove_item(session, principal=world["operator"], order_id=world["o1"].id, item_id=items[1].id,
                            expected_version=card.version, now=NOW, calendar=calendar)
    session.commit()
    with pytest.raises(BadInput, match="at least one item"):
        order_moves.remove_item(session, principal=world["operator"], order_id=world["o1"].id, item_id=items[0].id,
                                expected_version=card.version + 1, now=NOW, calendar=calendar)


def test_an_item_kind_is_any_offered_service_type(session, world, calendar):
    """Service types are data (issue #16.5): an administrator's new type can be added as an
    item; a deactivated one cannot."""
    from ordertrack.services import service_types
    from ordertrack.services.errors import BadInput

    _, admin = f.user(session, role="admin")
    service_types.add(session, principal=admin, key="iot", label_en="IoT fleet", label_ru="Парк IoT", now=NOW)
    session.commit()
    card = order_moves.add_item(session, principal=world["operator"], order_id=world["o1"].id, kind="iot",
                                name="Sensors", expected_version=1, now=NOW, calendar=calendar)
    session.commit()
    service_types.update(session, principal=admin, key="iot", label_en="IoT fleet", label_ru="Парк IoT",
                         sort_order=100, active=False, now=NOW)
    session.commit()
    with pytest.raises(BadInput, match="Unknown item kind"):
        order_moves.add_item(session, principal=world["operator"], order_id=world["o1"].id, kind="iot",
                             name="More sensors", expected_version=card.version, now=NOW, calendar=calendar)
