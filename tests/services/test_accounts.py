"""Accounts: argon2 login, one generic error, a lockout counted before the password is checked
(per account name and per client address, shared by workers), expiring and revocable sessions."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session

from ordertrack.services import accounts
from ordertrack.services.errors import LoginFailed, LoginLocked
from ordertrack.services.ratelimit import DatabaseLimiter, RedisLimiter, redis_client
from tests import factories as f
from tests.conftest import NOW
from tests.services.conftest import REDIS_URL, worker_engine
from tests.services.test_ratelimit import _parallel

HERE = "203.0.113.7"
LIMITS = accounts.LoginLimits(per_account=5, per_address=20, window=timedelta(minutes=15))


class CountingHasher:
    """The real argon2 hasher, counting how many passwords it checks."""

    def __init__(self, real) -> None:
        self.real, self.verified = real, 0
        self._lock = threading.Lock()

    def verify(self, password_hash, password):
        with self._lock:
            self.verified += 1
        return self.real.verify(password_hash, password)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


@pytest.fixture
def limiter(engine):
    return DatabaseLimiter(engine)


@pytest.fixture
def alice(session):
    row, _ = f.user(session, role="customer", username="alice", password="correct horse")
    session.commit()
    return row


def _login(session, limiter, username, password, *, at=NOW, address=HERE, limits=LIMITS):
    return accounts.login(session, username=username, password=password, client_address=address, now=at,
                          session_hours=1, limiter=limiter, limits=limits)


def _fails(session, limiter, username, password="nope", **kw) -> LoginFailed:
    with pytest.raises(LoginFailed) as exc:
        _login(session, limiter, username, password, **kw)
    return exc.value


def test_password_is_stored_as_argon2(alice):
    assert alice.password_hash.startswith("$argon2id$")
    assert "correct horse" not in alice.password_hash


def test_login_and_resolve(session, limiter, alice):
    secret, principal = _login(session, limiter, "Alice ", "correct horse")
    assert principal.username == "alice"
    assert accounts.resolve(session, secret=secret, now=NOW + timedelta(minutes=59)) == principal
    assert accounts.resolve(session, secret=secret, now=NOW + timedelta(hours=1)) is None


def test_wrong_password_unknown_user_and_inactive_account_get_the_same_message(session, limiter, alice):
    inactive, _ = f.user(session, role="customer", username="carol", password="correct horse", active=False)
    session.commit()
    messages = {_fails(session, limiter, "alice").message, _fails(session, limiter, "bob").message,
                _fails(session, limiter, "carol", "correct horse").message}
    assert messages == {"Wrong username or password."}


def test_unknown_names_are_hashed_counted_and_locked_exactly_like_known_ones(session, limiter, alice, hasher):
    seen = {}
    for name in ("alice", "nobody"):
        hasher.verified = 0
        errors = [_fails(session, limiter, name) for _ in range(7)]
        seen[name] = ([type(e).__name__ for e in errors], [e.message for e in errors], hasher.verified)
    assert seen["alice"] == seen["nobody"]
    kinds, messages, verified = seen["nobody"]
    assert verified == 5, "one hash check per counted attempt, known name or not"
    assert kinds == ["LoginFailed"] * 5 + ["LoginLocked"] * 2


@pytest.mark.parametrize("store", ["database", pytest.param("redis", marks=pytest.mark.redis)])
def test_25_parallel_guesses_from_two_workers_check_at_most_5_passwords(store, engine, alice, hasher, request):
    if store == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        clients = [redis_client(REDIS_URL), redis_client(REDIS_URL)]
        request.addfinalizer(lambda: [c.close() for c in clients])
        workers = [RedisLimiter(c, prefix=prefix) for c in clients]
    else:
        other = worker_engine(engine)
        request.addfinalizer(other.dispose)
        workers = [DatabaseLimiter(engine), DatabaseLimiter(other)]

    def guess(i):
        with Session(engine, expire_on_commit=False) as s:
            try:
                _login(s, workers[i % 2], "alice", f"guess-{i}")
            except LoginFailed as exc:
                return exc
        return None

    outcomes = _parallel([lambda i=i: guess(i) for i in range(25)])
    assert hasher.verified == 5, "only the attempts within the limit reach the password check"
    assert sum(type(o) is LoginFailed for o in outcomes) == 5
    locked = [o for o in outcomes if isinstance(o, LoginLocked)]
    assert len(locked) == 20
    assert {o.message for o in locked} == {"Too many sign-in attempts. Try again in 15 minutes."}

    with Session(engine) as s:  # the right password is refused too while locked, and not checked
        assert isinstance(_fails(s, workers[0], "alice", "correct horse", at=NOW + timedelta(minutes=1)), LoginLocked)
    assert hasher.verified == 5


def test_the_lock_says_when_to_retry_and_lifts_then(session, limiter, alice):
    for i in range(5):
        _fails(session, limiter, "alice", at=NOW + timedelta(minutes=i))
    locked = _fails(session, limiter, "alice", "correct horse", at=NOW + timedelta(minutes=5, seconds=30))
    assert isinstance(locked, LoginLocked)
    assert locked.retry_at == NOW + timedelta(minutes=15), "the window began with the first failure"
    assert locked.message == "Too many sign-in attempts. Try again in 10 minutes."
    last = _fails(session, limiter, "alice", "correct horse", at=NOW + timedelta(minutes=14, seconds=1))
    assert last.message == "Too many sign-in attempts. Try again in 1 minute."
    _, principal = _login(session, limiter, "alice", "correct horse", at=NOW + timedelta(minutes=15))
    assert principal.username == "alice"


def test_success_clears_the_account_counter(session, limiter, alice):
    for _ in range(4):
        _fails(session, limiter, "alice")
    _login(session, limiter, "alice", "correct horse")
    errors = [_fails(session, limiter, "alice") for _ in range(6)]
    assert [type(e) for e in errors] == [LoginFailed] * 5 + [LoginLocked]


def test_password_spraying_from_one_address_is_locked_per_address(session, limiter, alice, hasher):
    limits = accounts.LoginLimits(per_account=5, per_address=4, window=timedelta(minutes=15))
    for name in ("bob", "carol", "dave", "erin"):  # one guess each: no account counter fills
        assert type(_fails(session, limiter, name, "Summer2026!", limits=limits)) is LoginFailed
    hasher.verified = 0
    refused = _fails(session, limiter, "alice", "correct horse", limits=limits)
    assert isinstance(refused, LoginLocked) and hasher.verified == 0, "refused before the password check"
    assert refused.message == "Too many sign-in attempts. Try again in 15 minutes."
    _, principal = _login(session, limiter, "alice", "correct horse", address="198.51.100.9", limits=limits)
    assert principal.username == "alice", "other addresses are not affected"
    assert isinstance(_fails(session, limiter, "frank", limits=limits, address="2001:db8:1:2::99"), LoginFailed)


def test_one_ipv6_subscriber_cannot_spray_from_many_addresses_of_its_slash_64(session, limiter):
    limits = accounts.LoginLimits(per_account=5, per_address=3, window=timedelta(minutes=15))
    errors = [_fails(session, limiter, f"user{i}", address=f"2001:db8:1:2::{i:x}", limits=limits) for i in range(4)]
    assert [type(e) for e in errors] == [LoginFailed] * 3 + [LoginLocked]


def test_successful_sign_ins_do_not_use_up_the_address(session, limiter, alice):
    limits = accounts.LoginLimits(per_account=5, per_address=2, window=timedelta(minutes=15))
    for _ in range(4):  # an office behind one address signing in all morning
        _login(session, limiter, "alice", "correct horse", limits=limits)
    assert type(_fails(session, limiter, "bob", limits=limits)) is LoginFailed


def test_attempts_refused_by_an_account_lock_do_not_use_up_the_address(session, limiter, alice):
    limits = accounts.LoginLimits(per_account=2, per_address=4, window=timedelta(minutes=15))
    kinds = [type(_fails(session, limiter, "alice", limits=limits)) for _ in range(10)]
    assert kinds == [LoginFailed] * 2 + [LoginLocked] * 8
    assert type(_fails(session, limiter, "bob", limits=limits)) is LoginFailed, "2 of 4 used, not 10"


def test_logout_revokes(session, limiter, alice):
    secret, _ = _login(session, limiter, "alice", "correct horse")
    accounts.logout(session, secret=secret)
    assert accounts.resolve(session, secret=secret, now=NOW) is None


@pytest.mark.parametrize("bad", ["", "x", None, 42, "a" * 500])
def test_garbage_secrets_resolve_to_nobody(session, bad):
    assert accounts.resolve(session, secret=bad, now=NOW) is None
