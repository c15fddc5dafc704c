"""The REST API when the database cannot be reached: 503 (not 500) with the one message people
see everywhere, ``Retry-After``, one log line per failed request and no traceback; real bugs
keep their 500."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from ordertrack.db import engine as engine_module
from ordertrack.db.engine import make_engine
from ordertrack.rest import api
from tests.runtime.tcpproxy import free_port

MESSAGE = "The database is not answering; nothing was changed. Try again in a moment."
KEY = {"Authorization": "Bearer otk_demo_northwind"}
ORDER = {"customer_id": 1, "name": "Fibre", "service_type": "network",
         "items": [{"kind": "network", "name": "1 Gbps line"}]}

REQUESTS = [
    ("GET", "/api/v1/orders", None, {}),
    ("GET", "/api/v1/orders/ORD-1", None, {}),
    ("POST", "/api/v1/orders", ORDER, {"Idempotency-Key": "k-1"}),
    ("POST", "/api/v1/orders/ORD-1/provisioning", {"succeeded": True}, {}),
    ("POST", "/api/v1/objects/1/events", {"event": "object.in_service"}, {}),
]


@pytest.fixture
def refused(monkeypatch):
    """The app's database is a PostgreSQL port where nothing listens: connections are refused."""
    eng = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/ordertrack")
    monkeypatch.setattr(engine_module, "get_engine", lambda: eng)
    yield
    eng.dispose()


@pytest.mark.parametrize(("method", "path", "body", "headers"), REQUESTS, ids=[f"{m} {p}" for m, p, _, _ in REQUESTS])
def test_refused_connections_answer_503_with_the_message_and_one_log_line(refused, caplog, method, path, body,
                                                                           headers):
    client = TestClient(api, raise_server_exceptions=False)
    with caplog.at_level("INFO"):
        r = client.request(method, path, json=body, headers={**KEY, **headers})
    assert r.status_code == 503, r.text
    assert r.json() == {"detail": MESSAGE}
    assert r.headers["retry-after"] == "5"
    ours = [rec for rec in caplog.records if rec.name == "ordertrack.rest"]
    assert len(ours) == 1 and ours[0].levelname == "WARNING" and ours[0].exc_info is None
    assert f"REST {method} {path}: database unavailable" in ours[0].getMessage()
    assert not [rec for rec in caplog.records if rec.exc_info], "no traceback in the log"


def test_attachment_download_answers_503_too(refused):
    r = TestClient(api).get("/attachments/1", cookies={"ot_session": "s" * 40})
    assert (r.status_code, r.json()) == (503, {"detail": MESSAGE})


def test_a_locked_sqlite_database_answers_503(monkeypatch, tmp_path):
    path = tmp_path / "locked.db"
    eng = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})
    SQLModel.metadata.create_all(eng)
    monkeypatch.setattr(engine_module, "get_engine", lambda: eng)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        r = TestClient(api).get("/api/v1/orders", headers=KEY)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        eng.dispose()
    assert (r.status_code, r.json()) == (503, {"detail": MESSAGE})


def test_a_missing_table_is_a_bug_and_stays_500(monkeypatch, tmp_path):
    """Only unavailability becomes 503: SQLite's "no such table" is an OperationalError too."""
    eng = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setattr(engine_module, "get_engine", lambda: eng)
    r = TestClient(api, raise_server_exceptions=False).get("/api/v1/orders", headers=KEY)
    eng.dispose()
    assert r.status_code == 500
