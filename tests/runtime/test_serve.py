"""The cluster launcher (``make run-cluster`` / ``python -m ordertrack.serve``) refuses to start
without what a cluster needs, says what to set, checks the database and Redis answer, and
migrates one machine at a time."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from ordertrack import serve
from tests.runtime.tcpproxy import free_port

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "ORDERTRACK_DATABASE_URL": "postgresql+psycopg://ordertrack@db.internal/ordertrack",
    "REFLEX_REDIS_URL": "redis://redis.internal:6379/0",
    "ORDERTRACK_SECRET_KEY": "a-long-random-secret-of-at-least-32-characters",
}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERTRACK_", "REFLEX_", "GRANIAN_"))}
    env.pop("WORKERS", None)
    return {**env, **extra}


def test_make_run_cluster_without_database_and_redis_says_what_to_set_and_exits_non_zero():
    started = time.monotonic()
    done = subprocess.run(["make", "--no-print-directory", "run-cluster"], cwd=ROOT, env=_clean_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert serve.NO_DATABASE in done.stderr and serve.NO_REDIS in done.stderr and serve.NO_SECRET in done.stderr
    assert time.monotonic() - started < 60, "it stops at the check, before building anything"


def test_each_missing_or_wrong_setting_has_its_message():
    assert serve.problems(GOOD) == []
    assert serve.problems({**GOOD, "ORDERTRACK_DATABASE_URL": "sqlite:///x.db"}) == [serve.NOT_POSTGRES]
    assert serve.problems({**GOOD, "REFLEX_REDIS_URL": "localhost:6379"}) == [serve.BAD_REDIS]
    assert serve.problems({**GOOD, "ORDERTRACK_SECRET_KEY": "insecure-dev-key-set-ORDERTRACK_SECRET_KEY"}) == [serve.NO_SECRET]
    for workers in ("0", "two", "-1", "65"):
        assert serve.problems({**GOOD, "WORKERS": workers}) == [serve.BAD_WORKERS]
    assert serve.problems({**GOOD, "WORKERS": "4", "PORT": "8080"}) == []
    assert serve.problems({**GOOD, "PORT": "http"}) == [serve.BAD_PORT]


def test_a_database_or_redis_that_does_not_answer_stops_the_start_with_a_message():
    env = _clean_env(**{**GOOD, "ORDERTRACK_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x",
                        "REFLEX_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    done = subprocess.run([sys.executable, "-m", "ordertrack.serve"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 3
    assert "The database at ORDERTRACK_DATABASE_URL does not answer:" in done.stderr
    assert "Redis at REFLEX_REDIS_URL does not answer:" in done.stderr


def test_machines_started_together_migrate_one_after_the_other(scratch_pg):
    env = _clean_env(ORDERTRACK_DATABASE_URL=scratch_pg, REFLEX_CHECK_LATEST_VERSION="false",
                     REFLEX_TELEMETRY_ENABLED="false")
    codes: list[int] = []
    starts = [threading.Thread(target=lambda: codes.append(serve.migrate(scratch_pg, env))) for _ in range(2)]
    for t in starts:
        t.start()
    for t in starts:
        t.join(300)
    assert codes == [0, 0]
    engine = create_engine(scratch_pg)
    try:
        with engine.connect() as conn:
            assert len(conn.execute(text("SELECT version_num FROM alembic_version")).all()) == 1
        assert "orders" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
