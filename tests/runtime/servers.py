"""The production backend (no frontend build) started on its own port and database, for runtime
tests that speak HTTP and the socket protocol; fixtures for PostgreSQL, Redis and fault-injecting
proxies are in ``conftest.py`` and ``tcpproxy.py``."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


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
