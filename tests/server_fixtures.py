"""Server and browser fixtures, registered for the whole suite by ``tests/conftest.py``: the
production build (``reflex run --env prod``) on a free port with a fresh migrated database and
demo data (one per test session), and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("ORDERTRACK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    port: int
    db_url: str
    env: dict[str, str]
    log: Path

    def advance_clock(self, hours: float) -> None:
        """Move the running server's clock forward (``ORDERTRACK_CLOCK_FILE``)."""
        path = Path(self.env["ORDERTRACK_CLOCK_FILE"])
        path.write_text(str(float(path.read_text() or 0) + hours))


def pytest_collection_modifyitems(items) -> None:
    """Tests that move the shared server's clock run after every other test."""
    items.sort(key=lambda item: item.get_closest_marker("clock_jump") is not None)


def _wait_up(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2) as r:
                if r.status == 200:
                    with urllib.request.urlopen(f"{url}/", timeout=5) as page:
                        if page.status == 200:
                            return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server not up after {timeout}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    """The app, production build, on its own port and database (demo data loaded)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium)")
    tmp = tmp_path_factory.mktemp("server")
    clock_file = tmp / "clock-offset-hours"
    clock_file.write_text("0")
    port = _free_port()
    db_url = f"sqlite:///{tmp / 'browser.db'}"
    env = {
        **os.environ,
        "PORT": str(port),
        "ORDERTRACK_DATABASE_URL": db_url,
        "ORDERTRACK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        # Its own build folders: the bundle has the backend URL compiled in, so sharing
        # .web with a running `make run` would point that app's pages at this port.
        "REFLEX_WEB_WORKDIR": str(ROOT / ".web-test"),
        "REFLEX_STATES_WORKDIR": str(ROOT / ".states-test"),
        # The server's clock: tests marked `clock_jump` (run last) move it forward.
        "ORDERTRACK_CLOCK_FILE": str(clock_file),
        "ORDERTRACK_SESSION_HOURS": "720",
        "ORDERTRACK_ORDER_FORM_PER_HOUR": "15",
        "ORDERTRACK_SECRET_KEY": secrets.token_hex(32),
        "ORDERTRACK_LOGIN_FAILURES_PER_ADDRESS": "200",  # every test signs in from 127.0.0.1
        "ORDERTRACK_MAIL_DIR": str(tmp / "mail"),
    }
    from ordertrack.i18n.build import build

    build()  # the page bundle imports the compiled catalogs (``make`` does this too)
    subprocess.run([str(VENV_BIN / "reflex"), "db", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([sys.executable, "-m", "ordertrack.cli", "bootstrap"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    log = tmp / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--frontend-port", str(port),
             "--backend-port", str(port), "--loglevel", "info"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, proc, log, timeout=float(os.environ.get("ORDERTRACK_SERVER_TIMEOUT", "600")))
        yield Server(url=url, port=port, db_url=db_url, env=env, log=log)
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # granian ignores SIGTERM
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    violations: list[str] = []
    pg.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    yield pg
    assert violations == [], f"the page broke its Content-Security-Policy: {violations[:3]}"
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        out = ROOT / "test-artifacts"
        out.mkdir(exist_ok=True)
        pg.screenshot(path=str(out / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def login(page, username: str, password: str = "demo") -> None:
    """Sign in through the form and wait for the landing page (in whatever language the page is)."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(lambda u: not u.rstrip("/").endswith("/login"))


def set_language(server: Server, username: str, language: str | None) -> None:
    """Save ``language`` as the user's preference ("ru", "en"; None: the browser's), as the
    header's switch does; it takes effect at the user's next sign-in."""
    from sqlmodel import Session, create_engine, select

    from ordertrack.db.models import User

    with Session(create_engine(server.db_url)) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        user.language = language
        session.add(user)
        session.commit()
