"""REST: an order's items with prices and value, and the technical interview an integration key
asks for or approves (issue #18.5), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ordertrack.db import engine as engine_module
from ordertrack.db.models import Order, OrderItem
from ordertrack.rest import api
from ordertrack.services import intake
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(engine, session, monkeypatch):
    monkeypatch.setattr(engine_module, "get_engine", lambda: engine)
    ra, rb = f.reseller(session, name="A"), f.reseller(session, name="B")
    ca = f.customer(session, now=NOW, reseller_id=ra.id)
    order = f.order(session, customer_id=ca.id, now=NOW, phase="execution",
                    items=(("server", "pending"), ("colocation", "pending"), ("voice", "active")))
    ka = intake.create_api_key(session, name="A key", reseller_id=ra.id, scope="reseller", now=NOW)
    kb = intake.create_api_key(session, name="B key", reseller_id=rb.id, scope="reseller", now=NOW)
    ki = intake.create_api_key(session, name="NOC", reseller_id=None, scope="integration", now=NOW)
    session.commit()
    items = {i.kind: i.id for i in session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()}
    session.commit()  # no read transaction left open (SQLite: the API's writes would wait for it)
    return dict(client=TestClient(api), number=order.number, items=items,
                a={"Authorization": f"Bearer {ka}"}, b={"Authorization": f"Bearer {kb}"},
                i={"Authorization": f"Bearer {ki}"})


def _status(session, number):
    with Session(session.get_bind()) as fresh:
        return fresh.exec(select(Order.status).where(Order.number == number)).one()


def test_items_with_prices_and_the_order_value(world):
    r = world["client"].get(f"/api/v1/orders/{world['number']}/items", headers=world["a"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["value"] == "477.00" and body["currency"] == "USD"  # 249 + 199 + 29
    assert {i["kind"]: i["unit_price"] for i in body["items"]} == {"server": "249.00", "colocation": "199.00",
                                                                    "voice": "29.00"}
    assert world["client"].get(f"/api/v1/orders/{world['number']}/items", headers=world["b"]).status_code == 404


def test_an_integration_asks_for_an_interview_and_approves_it(world, session):
    c, url = world["client"], f"/api/v1/orders/{world['number']}/items/{world['items']['server']}/technical-interview"
    r = c.put(url, json={"required": True}, headers=world["i"])
    assert r.status_code == 200, r.text
    assert r.json()["order"]["status"] == "Approve ETI" and _status(session, world["number"]) == "approve_eti"
    assert [i["awaiting_technical_interview"] for i in r.json()["items"] if i["kind"] == "server"] == [True]
    again = c.put(url, json={"required": True}, headers=world["i"])
    assert again.status_code == 422 and "already" in again.json()["detail"][0]["msg"]
    r = c.put(url, json={"required": False}, headers=world["i"])
    assert r.status_code == 200 and r.json()["order"]["status"] == "On Track"


def test_interviews_are_refused_for_reseller_keys_and_items_that_cannot_need_one(world, session):
    c, base = world["client"], f"/api/v1/orders/{world['number']}/items"
    server = f"{base}/{world['items']['server']}/technical-interview"
    assert c.put(server, json={"required": True}, headers=world["a"]).status_code == 403
    for kind in ("colocation", "voice"):
        r = c.put(f"{base}/{world['items'][kind]}/technical-interview", json={"required": True}, headers=world["i"])
        assert r.status_code == 422, r.text
    assert c.put(f"{base}/999999/technical-interview", json={"required": True}, headers=world["i"]).status_code == 404
    assert c.put(server, json={"required": "maybe"}, headers=world["i"]).status_code == 422
    assert _status(session, world["number"]) == "on_track"
