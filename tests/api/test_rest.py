"""The REST API on SQLite and PostgreSQL: create/read/list, idempotent retries, 422 on bad
payloads with nothing created, tenancy between resellers' keys, provisioning reports."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from ordertrack.db import engine as engine_module
from ordertrack.db.models import Order
from ordertrack.rest import api
from ordertrack.services import intake
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(engine, session, monkeypatch):
    monkeypatch.setattr(engine_module, "get_engine", lambda: engine)
    ra, rb = f.reseller(session, name="A"), f.reseller(session, name="B")
    ca = f.customer(session, now=NOW, reseller_id=ra.id)
    cb = f.customer(session, now=NOW, reseller_id=rb.id)
    ka = intake.create_api_key(session, name="A key", reseller_id=ra.id, scope="reseller", now=NOW)
    kb = intake.create_api_key(session, name="B key", reseller_id=rb.id, scope="reseller", now=NOW)
    session.commit()
    return dict(client=TestClient(api), ca=ca, cb=cb, a={"Authorization": f"Bearer {ka}"},
                b={"Authorization": f"Bearer {kb}"})


def _body(customer_id, **kw):
    return {"customer_id": customer_id, "name": "Fibre for HQ", "service_type": "network",
            "items": [{"kind": "network", "name": "1 Gbps line"}], **kw}


def _count(session):
    with Session(session.get_bind()) as fresh:
        return fresh.exec(select(func.count()).select_from(Order)).one()


def test_create_read_list(world, session):
    c = world["client"]
    created = c.post("/api/v1/orders", json=_body(world["ca"].id), headers=world["a"])
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    assert created.json()["phase"] == "Planning and Provisioning" and created.json()["status"] == "On Track"
    assert c.get(f"/api/v1/orders/{number}", headers=world["a"]).json()["number"] == number
    listed = c.get("/api/v1/orders", headers=world["a"]).json()
    assert listed["total"] == 1 and listed["orders"][0]["number"] == number


def test_without_a_queue_of_its_own_the_order_goes_to_the_default_queue(world):
    created = world["client"].post("/api/v1/orders", json=_body(world["ca"].id), headers=world["a"]).json()
    assert created["queue"] == "Default order queue" and created["provisioning_failed"] is False


def test_idempotent_retry_returns_the_same_order(world, session):
    c, headers = world["client"], {**world["a"], "Idempotency-Key": "retry-1"}
    first = c.post("/api/v1/orders", json=_body(world["ca"].id), headers=headers)
    again = c.post("/api/v1/orders", json=_body(world["ca"].id), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert _count(session) == 1
    other = c.post("/api/v1/orders", json=_body(world["ca"].id, name="Else"), headers=headers)
    assert other.status_code == 422 and _count(session) == 1


@pytest.mark.parametrize("bad", [
    {"customer_id": "x"}, {"service_type": "teleportation"}, {"items": []}, {"name": ""},
    {"requested_completion": "tomorrow"}, {"items": [{"kind": "network"}]},
])
def test_bad_payloads_are_422_with_field_messages_and_create_nothing(world, session, bad):
    r = world["client"].post("/api/v1/orders", json={**_body(world["ca"].id), **bad}, headers=world["a"])
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][0] == "body" and r.json()["detail"][0]["msg"]
    assert _count(session) == 0


def test_a_key_of_reseller_a_cannot_touch_reseller_b(world, session):
    c = world["client"]
    b_order = c.post("/api/v1/orders", json=_body(world["cb"].id), headers=world["b"]).json()["number"]
    assert c.get(f"/api/v1/orders/{b_order}", headers=world["a"]).status_code == 404
    assert c.get("/api/v1/orders", headers=world["a"]).json()["total"] == 0
    r = c.post("/api/v1/orders", json=_body(world["cb"].id), headers=world["a"])
    assert r.status_code == 422 and _count(session) == 1
    assert c.get("/api/v1/customers", headers=world["a"]).json()["customers"] == [
        {"id": world["ca"].id, "name": world["ca"].name, "status": world["ca"].status}]


def test_no_or_wrong_key_is_401(world):
    c = world["client"]
    assert c.get("/api/v1/orders").status_code == 401
    assert c.get("/api/v1/orders", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_provisioning_reports_need_an_integration_key(world, session):
    c = world["client"]
    number = c.post("/api/v1/orders", json=_body(world["ca"].id, service_type="voice",
                                                  items=[{"kind": "voice", "name": "SIP"}]),
                    headers=world["a"]).json()["number"]
    refused = c.post(f"/api/v1/orders/{number}/provisioning", json={"succeeded": True}, headers=world["a"])
    assert refused.status_code == 403 and "integration key" in refused.json()["detail"]
    key = intake.create_api_key(session, name="Provisioner", reseller_id=None, scope="integration", now=NOW)
    session.commit()
    integration = {"Authorization": f"Bearer {key}"}
    r = c.post(f"/api/v1/orders/{number}/provisioning", json={"succeeded": False}, headers=integration)
    assert r.status_code == 422
    r = c.post(f"/api/v1/orders/{number}/provisioning", json={"succeeded": True}, headers=integration)
    assert r.json()["provisioning_failed"] is False, "a success resolves the missing-queue failure too"


@pytest.mark.parametrize("bad", [
    {"requested_completion": "9999-12-31"}, {"requested_completion": "0001-01-01"},
    {"requested_completion": "2020-01-01"}, {"name": "bad \ud800 text"},
    {"items": [{"kind": "network", "name": "\udfff"}]},
])
def test_far_or_past_dates_and_lone_surrogates_are_a_clear_422(world, session, bad):
    import json as _json

    raw = _json.dumps({**_body(world["ca"].id), **bad}).replace("\\\\ud", "\\ud")
    r = world["client"].post("/api/v1/orders", content=raw, headers={**world["a"], "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["msg"]
    assert _count(session) == 0


def test_the_api_documents_how_to_find_customer_ids(world):
    schema = world["client"].get("/openapi.json").json()
    assert "/api/v1/customers" in schema["paths"]
    described = schema["components"]["schemas"]["OrderIn"]["properties"]["requested_completion"]
    assert "Today or later" in str(described)


def test_openapi_docs_exist(world):
    schema = world["client"].get("/openapi.json").json()
    assert "/api/v1/orders" in schema["paths"] and "/api/v1/orders/{number}" in schema["paths"]


def test_device_reports_in_service_with_an_integration_key(world, session):
    from ordertrack.db.object_models import InstalledObject

    obj = InstalledObject(name="T", customer_id=world["ca"].id, status="out_of_service", status_since=NOW)
    session.add(obj)
    key = intake.create_api_key(session, name="Telemetry", reseller_id=None, scope="integration", now=NOW)
    session.commit()
    c = world["client"]
    assert c.post(f"/api/v1/objects/{obj.id}/events", json={"event": "object.in_service"},
                  headers=world["a"]).status_code == 403
    r = c.post(f"/api/v1/objects/{obj.id}/events", json={"event": "object.in_service"},
               headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["status"] == "Active"
    again = c.post(f"/api/v1/objects/{obj.id}/events", json={"event": "object.in_service"},
                   headers={"Authorization": f"Bearer {key}"})
    assert again.status_code == 409
    assert c.post("/api/v1/objects/999999/events", json={"event": "object.in_service"},
                  headers={"Authorization": f"Bearer {key}"}).status_code == 404


@pytest.mark.parametrize("field", ["customer_id"])
def test_ids_beyond_what_a_database_stores_are_422_not_500(world, field):
    r = world["client"].post("/api/v1/orders", json={**_body(world["ca"].id), field: 2**63}, headers=world["a"])
    assert r.status_code == 422


def test_a_service_type_added_by_an_admin_is_accepted_and_one_no_longer_offered_is_422(world, session):
    from ordertrack.services import service_types

    _, admin = f.user(session, role="admin")
    service_types.add(session, principal=admin, key="satellite", label_en="Satellite link", now=NOW)
    service_types.update(session, principal=admin, key="voice", label_en="Voice", label_ru="", sort_order="30",
                         active=False, now=NOW)
    session.commit()
    c = world["client"]
    created = c.post("/api/v1/orders", json=_body(world["ca"].id, service_type="satellite",
                                                  items=[{"kind": "satellite", "name": "Dish"}]), headers=world["a"])
    assert created.status_code == 201, created.text
    refused = c.post("/api/v1/orders", json=_body(world["ca"].id, service_type="voice",
                                                  items=[{"kind": "voice", "name": "SIP"}]), headers=world["a"])
    assert refused.status_code == 422 and "no longer offered" in refused.json()["detail"][0]["msg"]
    mixed = c.post("/api/v1/orders", json=_body(world["ca"].id, items=[{"kind": "teleport", "name": "X"}]),
                   headers=world["a"])
    assert mixed.status_code == 422 and "“teleport”" in mixed.json()["detail"][0]["msg"]
    assert _count(session) == 1
