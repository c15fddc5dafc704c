"""Helpers for runtime tests: a scratch PostgreSQL database, a loopback TCP proxy that can stop
forwarding (a database that accepts connections but never answers), and the production
backend started on its own port."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("ORDERTRACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require(reason: str | None) -> None:
    """Skip locally, fail in CI, when a service the test needs is missing."""
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this test: {reason}")
        pytest.skip(reason)


def postgres_reason() -> str | None:
    import psycopg

    try:
        psycopg.connect(PG_ADMIN.replace("+psycopg", ""), connect_timeout=3).close()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL not reachable at {PG_ADMIN}: {type(exc).__name__}"


@contextmanager
def scratch_database():
    """A new, empty PostgreSQL database; its SQLAlchemy URL. Dropped afterwards."""
    import psycopg

    name = f"ot_rt_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class HangingProxy:
    """Forwards 127.0.0.1:<port> to a target; ``hang()`` stops forwarding both ways while
    keeping every connection open (and accepting new ones), ``resume()`` carries on."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.flowing = threading.Event()
        self.flowing.set()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def hang(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self._stop = True
        self.flowing.set()
        with suppress(OSError):
            self._server.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while not self._stop:
                data = src.recv(65536)
                if not data:
                    break
                self.flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with suppress(OSError):
                dst.shutdown(socket.SHUT_WR)


def app_env(db_url: str, port: int, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a test server on ``port`` and ``db_url`` (its own state folders)."""
    return {
        **os.environ,
        "PORT": str(port),
        "ORDERTRACK_DATABASE_URL": db_url,
        "ORDERTRACK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        "REFLEX_WEB_WORKDIR": str(tmp / "web"),
        "REFLEX_STATES_WORKDIR": str(tmp / "states"),
        "ORDERTRACK_MAIL_DIR": str(tmp / "mail"),
        "ORDERTRACK_SECRET_KEY": secrets.token_hex(32),
        **extra,
    }


def prepare(env: dict[str, str]) -> None:
    """Migrate the database and load the demo data."""
    subprocess.run([str(VENV_BIN / "reflex"), "db", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "ordertrack.cli", "bootstrap"], cwd=ROOT, env=env, check=True,
                   capture_output=True)


@contextmanager
def backend(env: dict[str, str], port: int, log: Path):
    """The production backend (no frontend build: the tests speak HTTP and the socket protocol)."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--backend-only", "--backend-port", str(port),
             "--loglevel", "info"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/ping", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not up:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.3)
        yield url
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)  # granian ignores SIGTERM
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def timed_get(url: str, timeout: float = 10.0) -> float:
    """Seconds a GET took to answer (raises on an error status)."""
    start = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        answer.read()
    return time.monotonic() - start
