"""Cluster mode: ``make run-cluster`` (``python -m ordertrack.serve``).

Runs exactly what ``make run`` runs (``reflex run --env prod``, frontend and backend on one
port) with three differences an operator of several workers and machines needs:

1. It refuses to start without a shared PostgreSQL database (``ORDERTRACK_DATABASE_URL``), a
   Redis for Reflex's state (``REFLEX_REDIS_URL``) and a real ``ORDERTRACK_SECRET_KEY``, and it
   checks that the database and Redis answer before anything else, with a message that says
   what to set.
2. It migrates the database first, under a PostgreSQL advisory lock, so machines started
   together migrate one after the other instead of racing.
3. It starts ``WORKERS`` granian workers (default 2; Reflex would start 2 x CPU + 1 with Redis)
   and a worker that dies is started again.

About 3: Reflex 0.10's ``run_granian_backend_prod`` builds ``granian.server.Server(...)`` without
``respawn_failed_workers``, so granian's supervisor exits when one worker dies. Re-implementing
Reflex's production launcher (compile, frontend build, fork preload, logging) would copy
private code that changes between releases; instead this module puts a subclass of granian's
``Server`` in its place that turns that one option on, then runs Reflex's own ``reflex run``
in this process. The subclass prints one line when Reflex builds the server, so the log shows
the hook took effect; tests/runtime/test_cluster.py proves a killed worker is replaced.

Granian's own guard stays: a worker that dies again within 5.5 s of being started is a crash
loop, and the whole server exits (non-zero) so the service manager can restart or alert.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ordertrack.settings import KNOWN_WEAK_KEYS

ROOT = Path(__file__).resolve().parent.parent
MIGRATION_LOCK = 727_110_001  # pg_advisory_lock key: one migration at a time per database

NO_DATABASE = ("ORDERTRACK_DATABASE_URL is not set. Cluster mode needs one PostgreSQL database "
               "shared by every worker and machine, e.g. "
               "ORDERTRACK_DATABASE_URL=postgresql+psycopg://ordertrack@db.internal/ordertrack")
NOT_POSTGRES = ("ORDERTRACK_DATABASE_URL must be a PostgreSQL URL (postgresql+psycopg://...) in "
                "cluster mode: an SQLite file cannot be shared by several machines. "
                "For one process on one machine use `make run`.")
NO_REDIS = ("REFLEX_REDIS_URL is not set. Cluster mode keeps browser sessions in Redis so that any "
            "worker on any machine can serve them, e.g. REFLEX_REDIS_URL=redis://redis.internal:6379/0")
BAD_REDIS = "REFLEX_REDIS_URL must start with redis://, rediss:// or unix://"
NO_SECRET = ("ORDERTRACK_SECRET_KEY is not set, or is a development or short key (at least 32 random "
             "characters). Every machine "
             "needs the same secret, e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
BAD_WORKERS = "WORKERS must be a whole number from 1 to 64"
BAD_PORT = "PORT must be a port number (1-65535)"
DATABASE_DOWN = "The database at ORDERTRACK_DATABASE_URL does not answer: {error}"
REDIS_DOWN = "Redis at REFLEX_REDIS_URL does not answer: {error}"
MIGRATION_FAILED = "Migrating the database failed (exit {code}); the server was not started."
RESPAWN_ON = "ordertrack cluster mode: {workers} granian workers; a worker that dies is started again"


def problems(env: Mapping[str, str]) -> list[str]:
    """What keeps cluster mode from starting with this environment (empty when nothing)."""
    found = []
    database = env.get("ORDERTRACK_DATABASE_URL", "").strip()
    if not database:
        found.append(NO_DATABASE)
    elif not database.startswith("postgresql"):
        found.append(NOT_POSTGRES)
    redis_url = env.get("REFLEX_REDIS_URL", "").strip()
    if not redis_url:
        found.append(NO_REDIS)
    elif not redis_url.startswith(("redis://", "rediss://", "unix://")):
        found.append(BAD_REDIS)
    secret = env.get("ORDERTRACK_SECRET_KEY", "").strip()
    if secret in KNOWN_WEAK_KEYS or len(secret) < 32:
        found.append(NO_SECRET)
    workers = env.get("WORKERS", "2").strip()
    if not workers.isdigit() or not 1 <= int(workers) <= 64:
        found.append(BAD_WORKERS)
    port = env.get("PORT", "3000").strip()
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        found.append(BAD_PORT)
    return found


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def preflight(database_url: str, redis_url: str) -> list[str]:
    """Ask the database and Redis once (5 s each); what does not answer."""
    import redis
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    found = []
    engine = create_engine(database_url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        found.append(DATABASE_DOWN.format(error=_first_line(getattr(exc, "orig", None) or exc)))
    finally:
        engine.dispose()
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    except Exception as exc:
        found.append(REDIS_DOWN.format(error=_first_line(exc)))
    finally:
        client.close()
    return found


def migrate(database_url: str, env: Mapping[str, str]) -> int:
    """``reflex db migrate`` while holding an advisory lock, so concurrent starts queue."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                reflex = Path(sys.executable).with_name("reflex")
                return subprocess.run([str(reflex), "db", "migrate"], cwd=ROOT, env=dict(env)).returncode
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
    finally:
        engine.dispose()


def install_respawn() -> None:
    """Make the granian server Reflex builds respawn failed workers (see the module docstring)."""
    import granian.server

    base = granian.server.Server
    if getattr(base, "ordertrack_respawn", False):
        return

    class RespawningServer(base):  # type: ignore[misc, valid-type]
        ordertrack_respawn = True

        def __init__(self, *args, **kwargs) -> None:
            kwargs["respawn_failed_workers"] = True
            super().__init__(*args, **kwargs)
            print(RESPAWN_ON.format(workers=self.workers), flush=True)

    granian.server.Server = RespawningServer


def reflex_arguments(port: int, loglevel: str) -> list[str]:
    """``reflex run`` as ``make run`` calls it: production build, one port for both halves."""
    return ["run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port),
            "--loglevel", loglevel]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ordertrack.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--loglevel", default="warning", help="Reflex's log level (default: warning)")
    args = parser.parse_args(argv)
    env = os.environ
    found = problems(env)
    if found:
        for line in found:
            print(f"make run-cluster: {line}", file=sys.stderr)
        return 2
    database_url, redis_url = env["ORDERTRACK_DATABASE_URL"].strip(), env["REFLEX_REDIS_URL"].strip()
    found = preflight(database_url, redis_url)
    if found:
        for line in found:
            print(f"make run-cluster: {line}", file=sys.stderr)
        return 3
    code = migrate(database_url, env)
    if code:
        print(f"make run-cluster: {MIGRATION_FAILED.format(code=code)}", file=sys.stderr)
        return 4
    os.environ["GRANIAN_WORKERS"] = env.get("WORKERS", "2").strip()
    os.environ["REFLEX_USE_GRANIAN"] = "true"
    os.environ.setdefault("GRANIAN_LOG_LEVEL", "info")  # worker exits and respawns reach the log
    if "ORDERTRACK_PUBLIC_URL" in env and "REFLEX_API_URL" not in env:
        # The bundle then opens its websocket at the public origin (the load balancer's).
        os.environ["REFLEX_API_URL"] = env["ORDERTRACK_PUBLIC_URL"].rstrip("/")
    install_respawn()
    from reflex.reflex import cli

    os.chdir(ROOT)
    return cli.main(args=reflex_arguments(int(env.get("PORT", "3000")), args.loglevel),
                    prog_name="reflex", standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main())
