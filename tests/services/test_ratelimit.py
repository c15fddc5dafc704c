"""Shared rate limits: the database store (SQLite and PostgreSQL) and the Redis store count
the same way, and two workers hitting one limit never let more through than the limit."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from ordertrack.db.ratelimit_models import RateLimitCounter
from ordertrack.domain import ratelimit as rule
from ordertrack.services.ratelimit import DatabaseLimiter, RedisLimiter, limiter_for, redis_client
from tests.conftest import NOW
from tests.services.conftest import REDIS_URL, worker_engine

HOUR = timedelta(hours=1)


def _parallel(calls: list, *, timeout: float = 60) -> list:
    """Run every call in its own thread, all released at once; return their results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i, call):
        try:
            barrier.wait(timeout)
            results[i] = call()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not errors, errors
    return results


class Contract:
    """What every store must do; subclasses provide ``workers``: two independent limiters."""

    @pytest.fixture
    def limiter(self, workers):
        return workers[0]

    def test_forty_parallel_hits_from_two_workers_admit_exactly_the_limit(self, workers):
        first, second = workers
        key = "order-form:addr:203.0.113.7"
        calls = [(lambda lim=lim: lim.hit(key, limit=20, window=HOUR, now=NOW)) for lim in [first, second] * 20]
        decisions = _parallel(calls)
        assert sum(d.allowed for d in decisions) == 20
        assert sorted(d.hits for d in decisions if d.allowed) == list(range(1, 21)), "each admitted hit counted once"
        assert all(d.reset_at == NOW + HOUR for d in decisions)
        assert not second.hit(key, limit=20, window=HOUR, now=NOW + timedelta(minutes=59)).allowed
        assert first.hit(key, limit=20, window=HOUR, now=NOW + HOUR).allowed, "the next window starts afresh"

    def test_agrees_with_the_domain_rule_step_by_step(self, workers):
        rng = random.Random(20261124)
        keys = ["login:user:alice", "login:addr:203.0.113.7", "order-form:addr:203.0.113.7"]
        model: dict[str, rule.Counter | None] = dict.fromkeys(keys)
        now = NOW
        for step in range(250):
            store = workers[step % 2]  # both workers take turns on the same counters
            key = rng.choice(keys)
            now += timedelta(seconds=rng.choice([0, 1, 7, 30, 200]))
            op = rng.random()
            if op < 0.75:
                model[key], expected = rule.hit(model[key], limit=3, window=timedelta(minutes=10), now=now)
                assert store.hit(key, limit=3, window=timedelta(minutes=10), now=now) == expected, step
            elif op < 0.95:
                model[key] = rule.refund(model[key], now=now)
                store.refund(key, now=now)
            else:
                model[key] = None
                store.reset(key)

    def test_keys_are_counted_apart(self, limiter):
        assert limiter.hit("login:addr:203.0.113.7", limit=1, window=HOUR, now=NOW).allowed
        assert not limiter.hit("login:addr:203.0.113.7", limit=1, window=HOUR, now=NOW).allowed
        assert limiter.hit("order-form:addr:203.0.113.7", limit=1, window=HOUR, now=NOW).allowed
        assert limiter.hit("login:addr:203.0.113.8", limit=1, window=HOUR, now=NOW).allowed

    def test_reset_forgets_the_key(self, limiter):
        limiter.hit("login:user:alice", limit=1, window=HOUR, now=NOW)
        limiter.reset("login:user:alice")
        assert limiter.hit("login:user:alice", limit=1, window=HOUR, now=NOW).allowed

    @pytest.mark.parametrize("key", ["", "x" * 201, None, 42])
    def test_bad_keys_are_refused(self, limiter, key):
        with pytest.raises(ValueError):
            limiter.hit(key, limit=1, window=HOUR, now=NOW)

    def test_a_naive_time_is_refused(self, limiter):
        with pytest.raises(ValueError):
            limiter.hit("k", limit=1, window=HOUR, now=NOW.replace(tzinfo=None))


class TestDatabase(Contract):
    """On SQLite and on PostgreSQL (the ``engine`` fixture runs each test on both)."""

    @pytest.fixture
    def workers(self, engine):
        other = worker_engine(engine)
        yield DatabaseLimiter(engine), DatabaseLimiter(other)
        other.dispose()

    def _rows(self, engine) -> int:
        with Session(engine) as s:
            return s.exec(select(func.count()).select_from(RateLimitCounter)).one()[0]

    def test_ended_windows_are_pruned(self, engine):
        limiter = DatabaseLimiter(engine, prune_every=timedelta(minutes=5))
        limiter.hit("order-form:addr:203.0.113.7", limit=5, window=timedelta(minutes=10), now=NOW)
        limiter.hit("login:user:alice", limit=5, window=timedelta(minutes=30), now=NOW)
        assert self._rows(engine) == 2
        assert limiter.prune(now=NOW + timedelta(minutes=10)) == 1
        with Session(engine) as s:
            assert [r.bucket for r in s.exec(select(RateLimitCounter)).scalars()] == ["login:user:alice"]

    def test_hits_prune_by_themselves_every_few_minutes(self, engine):
        limiter = DatabaseLimiter(engine, prune_every=timedelta(minutes=5))
        for i in range(30):
            limiter.hit(f"order-form:addr:203.0.113.{i}", limit=5, window=timedelta(minutes=1), now=NOW)
        assert self._rows(engine) == 30
        limiter.hit("order-form:addr:198.51.100.1", limit=5, window=timedelta(minutes=1),
                    now=NOW + timedelta(minutes=2))
        assert self._rows(engine) == 31, "not yet: the last prune was under 5 minutes ago"
        limiter.hit("order-form:addr:198.51.100.2", limit=5, window=timedelta(minutes=1),
                    now=NOW + timedelta(minutes=6))
        assert self._rows(engine) == 1, "only the counter just hit is left"


@pytest.mark.redis
class TestRedis(Contract):
    """On the real Redis (skips locally without one, fails under CI)."""

    @pytest.fixture
    def workers(self, redis_prefix):
        clients = [redis_client(REDIS_URL), redis_client(REDIS_URL)]
        yield tuple(RedisLimiter(c, prefix=redis_prefix) for c in clients)
        for c in clients:
            c.close()

    def test_keys_expire_with_their_window(self, redis_prefix):
        client = redis_client(REDIS_URL)
        limiter = RedisLimiter(client, prefix=redis_prefix)
        limiter.hit("login:user:alice", limit=5, window=timedelta(minutes=15), now=NOW)
        ttl = client.pttl(f"{redis_prefix}login:user:alice")
        assert 14 * 60_000 < ttl <= 15 * 60_000
        limiter.hit("login:user:alice", limit=5, window=timedelta(minutes=15), now=NOW + timedelta(minutes=10))
        assert 4 * 60_000 < client.pttl(f"{redis_prefix}login:user:alice") <= 5 * 60_000, "expiry stays the window's end"
        limiter.hit("order-form:addr:203.0.113.7", limit=5, window=timedelta(milliseconds=100), now=NOW)
        time.sleep(0.3)
        assert client.exists(f"{redis_prefix}order-form:addr:203.0.113.7") == 0
        client.close()


def test_redis_is_used_when_reflex_has_a_redis_url_and_the_database_otherwise(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'x.db'}"
    assert isinstance(limiter_for(None, database_url), DatabaseLimiter)
    assert isinstance(limiter_for("redis://127.0.0.1:6379/0", database_url), RedisLimiter)
