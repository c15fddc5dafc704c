"""Any browser can call any public handler with any arguments: prove the guard holds.

A raw socket client logged in as a customer calls a staff-only handler and reaches for
another tenant's order; both are refused and nothing changes. The hydrate delta of a
customer holds no other tenant's data.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Customer, Order, StatusChange, User
from ordertrack.pages.order import OrderState
from ordertrack.pages.order.moves import MovesState
from ordertrack.pages.order.planning import PlanningState
from ordertrack.pages.orders import OrdersState
from tests.wsclient import ReflexSocket, all_strings, sign_in

pytestmark = pytest.mark.browser


def _snapshot(server):
    engine = create_engine(server.db_url)
    with Session(engine) as s:
        orders = s.exec(select(Order.id, Order.version, Order.phase, Order.priority)).all()
        history = s.exec(select(StatusChange.id)).all()
        return sorted(orders), len(history)


def _tenants(server):
    engine = create_engine(server.db_url)
    with Session(engine) as s:
        me = s.exec(select(User).where(User.username == "customer")).one()
        own = s.exec(select(Order.number).where(Order.customer_id == me.customer_id)).all()
        other = s.exec(
            select(Order.number, Customer.name).join(Customer, Customer.id == Order.customer_id)
            .where(Order.customer_id != me.customer_id)
        ).all()
        hashes = s.exec(select(User.password_hash)).all()
    return own, other, hashes


@pytest.fixture
def customer_socket(server):
    sock = ReflexSocket(server.url, cookie=sign_in(server.url, "customer"))
    yield sock
    sock.close()


def test_customer_cannot_call_staff_handler_or_reach_other_tenant(server, customer_socket):
    own, other, _ = _tenants(server)
    before = _snapshot(server)
    foreign = other[0][0]
    sock = customer_socket

    updates = sock.emit(f"{OrderState.get_full_name()}.load", {}, path=f"/orders/{foreign}",
                        query={"number": foreign})
    order_deltas = [(u.get("delta") or {}).get(OrderState.get_full_name(), {}) for u in updates]
    text = all_strings(order_deltas)
    assert foreign not in text and other[0][1] not in text
    assert "missing" in text

    # Staff-only handler with a well-formed payload: refused by role.
    updates = sock.emit(f"{PlanningState.get_full_name()}.save_planning",
                        {"form_data": {"planned": "2020-01-01", "priority": "urgent", "owner": "1"}},
                        path=f"/orders/{foreign}", query={"number": foreign})
    assert "You are not allowed to do that." in str(updates)

    # A move on the foreign order (nothing loaded): refused.
    updates = sock.emit(f"{MovesState.get_full_name()}.confirm_move", {"form_data": {"comment": "x"}},
                        path=f"/orders/{foreign}", query={"number": foreign})
    assert "Nothing to change." in str(updates)

    # Garbage arguments: a clear message, no crash.
    updates = sock.emit(f"{OrdersState.get_full_name()}.go_to_page", {"page": "DROP TABLE"}, path="/orders")
    assert "Page must be a whole number." in str(updates)
    updates = sock.emit(f"{MovesState.get_full_name()}.open_move", {"target": ["closed"]},
                        path=f"/orders/{own[0]}")
    assert "must be text" in str(updates) or "not available" in str(updates)

    assert _snapshot(server) == before


def test_anonymous_socket_gets_nothing(server):
    sock = ReflexSocket(server.url)
    try:
        foreign = _tenants(server)[1][0][0]
        updates = sock.emit(f"{OrderState.get_full_name()}.load", {}, path=f"/orders/{foreign}",
                            query={"number": foreign})
        order_deltas = [(u.get("delta") or {}).get(OrderState.get_full_name(), {}) for u in updates]
        assert foreign not in all_strings(order_deltas)
        assert "/login" in str(updates)
    finally:
        sock.close()


def test_customer_hydrate_holds_no_other_tenant_data(server, customer_socket):
    own, other, hashes = _tenants(server)
    sock = customer_socket
    sock.emit(f"{OrdersState.get_full_name()}.load", {}, path="/orders")
    sock.emit(f"{OrderState.get_full_name()}.load", {}, path=f"/orders/{own[0]}", query={"number": own[0]})
    from ordertrack.auth import AppState

    root = AppState.get_parent_state() or AppState
    updates = sock.emit(f"{root.get_full_name()}.hydrate", {}, path=f"/orders/{own[0]}",
                        query={"number": own[0]})
    ours = [{k: v for k, v in d.items() if k.startswith("reflex___state____state.ordertrack")}
            for d in [u.get("delta") or {} for u in updates] + sock.deltas]
    text = set(all_strings(ours))
    assert own[0] in text, "the customer's own order should be in its state"
    leaked = [n for n, c in other if n in text or c in text]
    assert leaked == []
    assert not any(h in text for h in hashes)
