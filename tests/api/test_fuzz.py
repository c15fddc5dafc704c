"""Fuzz the REST API from its own OpenAPI schema (schemathesis): whatever a client sends, the
API answers without a server error, and without a valid key it never answers with data."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlmodel import Session, SQLModel

from ordertrack.db import engine as engine_module
from ordertrack.db.engine import make_engine
from ordertrack.rest import api
from ordertrack.services import intake
from tests import factories as f
from tests.conftest import NOW

schema = schemathesis.openapi.from_asgi("/openapi.json", api)
KEY: dict[str, str] = {}


@pytest.fixture(autouse=True)
def fuzz_db(tmp_path, monkeypatch):
    engine = make_engine(f"sqlite:///{tmp_path / 'fuzz.db'}")
    SQLModel.metadata.create_all(engine)
    monkeypatch.setattr(engine_module, "get_engine", lambda: engine)
    with Session(engine) as session:
        r = f.reseller(session, name="Fuzz")
        customer = f.customer(session, now=NOW, reseller_id=r.id)
        f.order(session, customer_id=customer.id, now=NOW)
        KEY["value"] = intake.create_api_key(session, name="fuzz", reseller_id=r.id, scope="reseller", now=NOW)
        session.commit()
    yield
    engine.dispose()


@schema.parametrize()
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_api_fail(case):
    response = case.call(headers={"Authorization": f"Bearer {KEY['value']}"})
    assert response.status_code < 500, response.text
    anonymous = case.call(headers={"Authorization": "Bearer wrong"})
    assert 400 <= anonymous.status_code < 500, anonymous.text  # never data without a valid key
