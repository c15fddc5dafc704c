"""The board's REST endpoints: JSON and CSV (``Accept: text/csv``), tenancy between resellers'
keys, a signed-in browser's cookie, an order's history."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from ordertrack.db import engine as engine_module
from ordertrack.rest import api
from ordertrack.services import accounts, intake
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(engine, session, monkeypatch):
    monkeypatch.setattr(engine_module, "get_engine", lambda: engine)
    ra, rb = f.reseller(session, name="A"), f.reseller(session, name="B")
    ca = f.customer(session, now=NOW, reseller_id=ra.id)
    cb = f.customer(session, now=NOW, reseller_id=rb.id)
    ka = intake.create_api_key(session, name="A key", reseller_id=ra.id, scope="reseller", now=NOW)
    oa = f.order(session, customer_id=ca.id, now=NOW - timedelta(days=1), phase="execution")
    ob = f.order(session, customer_id=cb.id, now=NOW - timedelta(days=1), phase="execution")
    closed = f.order(session, customer_id=ca.id, now=NOW - timedelta(days=90), phase="closed", status="closed")
    session.commit()
    return dict(client=TestClient(api), a={"Authorization": f"Bearer {ka}"}, oa=oa, ob=ob, closed=closed)


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="')
    return list(csv.DictReader(io.StringIO(response.text)))


def test_board_json_and_csv_in_the_keys_tenant(world):
    c = world["client"]
    board = c.get("/api/v1/board", headers=world["a"]).json()
    numbers = {card["number"] for col in board["columns"] for card in col["cards"]}
    assert world["oa"].number in numbers and world["ob"].number not in numbers
    rows = _csv(c.get("/api/v1/board", headers={**world["a"], "Accept": "text/csv"}))
    assert [r["number"] for r in rows] == [world["oa"].number]
    assert rows[0]["phase"] == "Execution"
    closed = _csv(c.get("/api/v1/board/closed?format=csv", headers=world["a"]))
    assert [r["number"] for r in closed] == [world["closed"].number]
    assert c.get("/api/v1/board/closed", headers=world["a"]).json()["total"] == 1
    none = _csv(c.get("/api/v1/board?status=delayed", headers={**world["a"], "Accept": "text/csv"}))
    assert none == []


def test_history_and_refusals(world, session):
    c = world["client"]
    rows = _csv(c.get(f"/api/v1/orders/{world['oa'].number}/history", headers={**world["a"], "Accept": "text/csv"}))
    assert rows and rows[0]["to_phase"] == "Execution"
    assert c.get(f"/api/v1/orders/{world['ob'].number}/history", headers=world["a"]).status_code == 404
    assert c.get("/api/v1/board").status_code == 401
    assert c.get("/api/v1/board", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert c.get("/api/v1/order-manager/orders?view=status&node=execution&step=on_track",
                 headers=world["a"]).status_code == 403  # staff only


def test_a_signed_in_browser_exports_with_its_cookie(world, session):
    from datetime import UTC, datetime

    from ordertrack.db.models import UserSession

    user, _staff = f.user(session, role="manager")
    secret = "s" * 40
    real_now = datetime.now(UTC)
    session.add(UserSession(token_hash=accounts._token_hash(secret), user_id=user.id, created_at=real_now,
                            expires_at=real_now + timedelta(days=1)))
    session.commit()
    c = world["client"]
    c.cookies.set("ot_session", secret)
    rows = _csv(c.get("/api/v1/order-manager/orders?view=status&node=execution&step=on_track&format=csv"))
    assert {r["number"] for r in rows} == {world["oa"].number, world["ob"].number}


def test_snapshot_of_the_board_as_of_a_moment(world):
    c = world["client"]
    at = (NOW - timedelta(hours=12)).isoformat()
    from ordertrack.clock import get_clock

    now = get_clock().now()
    at = (now - timedelta(hours=1)).isoformat()
    snap = c.get("/api/v1/board/snapshot", params={"at": at, "changes": "true"}, headers=world["a"])
    assert snap.status_code == 200, snap.text
    body = snap.json()
    assert body["read_only"] is True and [col["key"] for col in body["columns"]] == [
        "planning", "execution", "validation", "done"]
    numbers = {k["number"] for col in body["columns"] for k in col["cards"]}
    assert world["ob"].number not in numbers  # the other reseller's
    assert c.get("/api/v1/board/snapshot", params={"at": "yesterday"}, headers=world["a"]).status_code == 422
    old = (now - timedelta(days=100)).isoformat()
    assert c.get("/api/v1/board/snapshot", params={"at": old}, headers=world["a"]).status_code == 422
