"""Accounts: argon2 login, one generic error, throttling, expiring and revocable sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ordertrack.db.models import User
from ordertrack.services import accounts
from ordertrack.services.errors import LoginFailed
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def alice(session):
    row, _ = f.user(session, role="customer", username="alice", password="correct horse")
    session.commit()
    return row


def test_password_is_stored_as_argon2(alice):
    assert alice.password_hash.startswith("$argon2id$")
    assert "correct horse" not in alice.password_hash


def test_login_and_resolve(session, alice):
    secret, principal = accounts.login(session, username="Alice ", password="correct horse", now=NOW,
                                       session_hours=1)
    assert principal.username == "alice"
    assert accounts.resolve(session, secret=secret, now=NOW + timedelta(minutes=59)) == principal
    assert accounts.resolve(session, secret=secret, now=NOW + timedelta(hours=1)) is None


def test_wrong_password_and_unknown_user_get_the_same_message(session, alice):
    with pytest.raises(LoginFailed) as wrong:
        accounts.login(session, username="alice", password="nope", now=NOW, session_hours=1)
    with pytest.raises(LoginFailed) as unknown:
        accounts.login(session, username="bob", password="nope", now=NOW, session_hours=1)
    assert wrong.value.message == unknown.value.message == "Wrong username or password."


def test_repeated_failures_are_slowed_down(session, alice):
    delays = []
    for i in range(6):
        with pytest.raises(LoginFailed) as exc:
            accounts.login(session, username="alice", password="nope", now=NOW + timedelta(seconds=i),
                           session_hours=1, free_attempts=3, step_seconds=1.0)
        delays.append(exc.value.delay)
    assert delays == [0, 0, 0, 1.0, 2.0, 4.0]
    accounts.login(session, username="alice", password="correct horse", now=NOW + timedelta(minutes=1),
                   session_hours=1)
    assert session.get(User, alice.id).failed_logins == 0


def test_logout_revokes(session, alice):
    secret, _ = accounts.login(session, username="alice", password="correct horse", now=NOW, session_hours=1)
    accounts.logout(session, secret=secret)
    assert accounts.resolve(session, secret=secret, now=NOW) is None


@pytest.mark.parametrize("bad", ["", "x", None, 42, "a" * 500])
def test_garbage_secrets_resolve_to_nobody(session, bad):
    assert accounts.resolve(session, secret=bad, now=NOW) is None
