"""Findings of the security probe (issue #12) that the services decide, each refused here
(on SQLite and PostgreSQL): forged order-form links, web orders attaching themselves to an
existing client by e-mail, internal comments reaching customers, and the secret key."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from ordertrack.db.models import Customer, Order
from ordertrack.services import intake, messages, order_views
from ordertrack.services.errors import BadInput
from ordertrack.settings import InsecureSecretKey, Settings, ensure_secret_key_file
from tests import factories as f
from tests.conftest import NOW

KEY = "k" * 64


def test_a_link_minted_with_the_old_development_key_or_tampered_opens_nothing():
    payload = f"7.{int((NOW + timedelta(days=3)).timestamp())}"
    forged = hmac.new(b"insecure-dev-key-set-ORDERTRACK_SECRET_KEY", payload.encode(), hashlib.sha256)
    good = intake.sign_link(7, secret=KEY, now=NOW)
    for token in (f"{payload}.{forged.hexdigest()[:32]}", f"{payload}.{forged.hexdigest()}",
                  good[:-1] + ("0" if good[-1] != "0" else "1"), good.replace("7.", "8.", 1),
                  f"{payload}.ÿÿÿÿ", f"{payload}.\ud800", "", "a.b.c", "1.2"):
        with pytest.raises(BadInput, match="^This link is invalid or has expired.$"):
            intake.open_link(token, secret=KEY, now=NOW)
    assert intake.open_link(good, secret=KEY, now=NOW) == 7
    with pytest.raises(BadInput, match="invalid or has expired"):
        intake.open_link(good, secret=KEY, now=NOW + timedelta(days=intake.LINK_DAYS + 1))


def test_the_server_has_no_development_key(tmp_path: Path):
    missing = Settings(secret_key="", secret_key_file=str(tmp_path / "none"))
    with pytest.raises(InsecureSecretKey, match="No secret key"):
        missing.signing_key()
    for weak in ("insecure-dev-key-set-ORDERTRACK_SECRET_KEY", "short"):
        with pytest.raises(InsecureSecretKey):
            Settings(secret_key=weak).signing_key()
    path = tmp_path / "data" / "secret_key"
    assert ensure_secret_key_file(path) is True and ensure_secret_key_file(path) is False
    assert path.stat().st_mode & 0o077 == 0, "the key file is readable by its owner only"
    key = Settings(secret_key="", secret_key_file=str(path)).signing_key()
    assert len(key) == 64 and key == path.read_text().strip()


def test_a_web_order_with_an_existing_clients_email_does_not_join_that_client(session, calendar):
    acme = f.customer(session, now=NOW, name="Acme Logistics", contact_email="it@acme.example")
    session.commit()
    draft = intake.save_draft(session, draft_id=None, step=3, now=NOW, data={
        "service_type": "network", "quantity": 1, "company": "Mallory Ltd", "email": "IT@acme.example"})
    created = intake.submit_draft(session, draft_id=draft, now=NOW, calendar=calendar, support="s@t",
                                  base_url="http://x")
    session.commit()
    order = session.get(Order, created.id)
    assert order.customer_id != acme.id, "the typed e-mail proves nothing"
    new_client = session.get(Customer, order.customer_id)
    assert new_client.name == "Mallory Ltd" and new_client.status == "new"
    assert session.exec(select(Order).where(Order.customer_id == acme.id)).all() == []
    _, staff = f.user(session, role="support")
    _, acme_user = f.user(session, role="customer", customer_id=acme.id)
    history = order_views.get_order(session, principal=staff, number=order.number, now=NOW).history
    assert any("Associate With Client" in h.comment and "Acme Logistics" in h.comment for h in history)
    with pytest.raises(Exception, match="not found"):
        order_views.get_order(session, principal=acme_user, number=order.number, now=NOW)


def test_internal_comments_leave_nothing_customer_visible(session, calendar):
    acme = f.customer(session, now=NOW)
    order = f.order(session, customer_id=acme.id, now=NOW)
    _, staff = f.user(session, role="support")
    _, customer = f.user(session, role="customer", customer_id=acme.id)
    session.commit()
    messages.post(session, principal=staff, order_id=order.id, kind="comment", body="carrier is late again",
                  subject="Secret carrier trouble", now=NOW, calendar=calendar, base_url="http://x")
    messages.post(session, principal=staff, order_id=order.id, kind="comment", body="we are on it",
                  subject="Visible update", client_viewable=True, now=NOW, calendar=calendar, base_url="http://x")
    session.commit()
    seen = order_views.get_order(session, principal=customer, number=order.number, now=NOW).history
    text = " ".join(h.comment for h in seen)
    assert "Secret carrier trouble" not in text and "Internal comment" not in text
    assert "Visible update" in text
    staff_text = " ".join(h.comment for h in order_views.get_order(session, principal=staff, number=order.number,
                                                                   now=NOW).history)
    assert "Secret carrier trouble" in staff_text
