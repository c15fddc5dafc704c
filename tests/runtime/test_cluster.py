"""Cluster mode as an operator runs it: ``make run-cluster`` with 2 workers on a scratch
PostgreSQL database (behind a loopback proxy, to cut it off) and the machine's Redis.

Proves: exactly WORKERS workers start (not Reflex's 2 x CPU + 1); a worker killed with
``kill -9`` is replaced while the server keeps answering /ping, /health, pages and sign-ins,
also when only the replacement is left; /health is 200 with both dependencies and 503 within
3 s naming the database when it refuses connections, and 200 again once it is back; the REST
API then answers 503 with the message, one log line per request.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine, func, select

from ordertrack.db.intake_models import DraftOrder
from ordertrack.db.models import Customer, Reseller, User
from ordertrack.pages.board import BoardState
from ordertrack.pages.order_form import OrderFormState
from ordertrack.services.accounts import hash_password
from tests.runtime.tcpproxy import TcpProxy, free_port
from tests.wsclient import ReflexSocket, all_strings, sign_in

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = "The database is not answering; nothing was changed. Try again in a moment."


def _processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line) for every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry.name)] = (int(fields[1]), fields[0], cmdline)
    return table


def _supervisor(root: int) -> int | None:
    """The granian supervisor under ``root``: the first ``ordertrack.serve`` process."""
    table = _processes()
    todo = [root]
    while todo:
        pid = todo.pop(0)
        if pid in table and "ordertrack.serve" in table[pid][2]:
            return pid
        todo += [child for child, (parent, _, _) in table.items() if parent == pid]
    return None


def _workers(supervisor: int) -> set[int]:
    """Live granian workers: children of the supervisor forked from it (same command line)."""
    return {pid for pid, (parent, state, cmd) in _processes().items()
            if parent == supervisor and state != "Z" and "ordertrack.serve" in cmd}


def _listeners(port: int) -> set[str]:
    """Inodes of the sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(fields[9])
    return found


def _sockets_of(pid: int) -> set[str]:
    try:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return set()
    return {link[8:-1] for link in links if link.startswith("socket:[")}


def _listening(pid: int, port: int) -> bool:
    """Whether ``pid`` holds a socket listening on ``port``: granian workers each bind their own
    (SO_REUSEPORT), so a new worker takes connections once it listens."""
    return bool(_sockets_of(pid) & _listeners(port))


def _kill_worker(cluster: Cluster, pid: int) -> None:
    """``kill -9`` a worker and wait until its listening socket is gone. (A killed multi-threaded
    process shows as a zombie while its other threads still exit; its socket lives until then,
    and connections the kernel queues on it meanwhile are reset: that is the crash itself.)"""
    own = _sockets_of(pid) & _listeners(cluster.port)
    assert own, f"worker {pid} does not listen on {cluster.port}"
    os.kill(pid, signal.SIGKILL)
    _wait(lambda: not own & _listeners(cluster.port), 10, f"worker {pid}'s socket to close")


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def _get(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, bytes, float]:
    started = time.monotonic()
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, r.read(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), time.monotonic() - started


@dataclass
class Cluster:
    url: str
    port: int
    proc: subprocess.Popen
    log: Path
    proxy: TcpProxy
    supervisor: int = 0

    def __post_init__(self) -> None:
        self.supervisor = _wait(lambda: _supervisor(self.proc.pid), 10, "the server process")

    def workers(self) -> set[int]:
        return _workers(self.supervisor)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def cluster(scratch_pg, redis_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    target = make_url(scratch_pg)
    proxy = TcpProxy(target_port=target.port or 5432, target_host=target.host or "127.0.0.1")
    through_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERTRACK_", "REFLEX_", "GRANIAN_"))}
    env.update({
        "PORT": str(port),
        "WORKERS": "2",
        "ORDERTRACK_DATABASE_URL": through_proxy,
        "REFLEX_REDIS_URL": redis_url,
        "ORDERTRACK_SECRET_KEY": f"cluster-test-{uuid.uuid4().hex}",
        "ORDERTRACK_REDIS_PREFIX": f"cluster-test-{uuid.uuid4().hex[:8]}:",  # counters of this run only
        "ORDERTRACK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ORDERTRACK_LOGIN_DELAY_SECONDS": "0.2",
        "ORDERTRACK_MAIL_DIR": str(tmp / "mail"),
        "ORDERTRACK_ATTACHMENTS_DIR": str(tmp / "attachments"),
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        # Own build folders: the bundle has its origin compiled in (see tests/browser/conftest.py).
        "REFLEX_WEB_WORKDIR": str(ROOT / ".web-cluster-test"),
        "REFLEX_STATES_WORKDIR": str(ROOT / ".states-cluster-test"),
    })
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    log = ROOT / "test-artifacts" / "cluster.log"  # kept after the run, for a failure's post-mortem
    with log.open("w") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", "run-cluster"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + float(os.environ.get("ORDERTRACK_SERVER_TIMEOUT", "600"))
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"make run-cluster exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"cluster not up:\n{log.read_text()[-4000:]}")
            try:
                if _get(f"{url}/ping", timeout=2)[0] == 200 and _get(f"{url}/", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        # Demo accounts, loaded into the database the launcher migrated (no tables otherwise).
        subprocess.run([sys.executable, "-m", "ordertrack.cli", "bootstrap", "--orders", "5"], cwd=ROOT,
                       env={**env, "ORDERTRACK_DATABASE_URL": scratch_pg}, check=True, capture_output=True)
        yield Cluster(url, port, proc, log, proxy)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        proxy.close()


def _serving(cluster: Cluster) -> None:
    """What a user and a load balancer notice: liveness, readiness, a page, a sign-in."""
    assert _get(f"{cluster.url}/ping")[0] == 200
    status, body, _ = _get(f"{cluster.url}/health")
    assert (status, body) == (200, b'{"database":"ok","redis":"ok"}')
    status, page, _ = _get(f"{cluster.url}/login")
    assert status == 200 and b"<html" in page.lower()
    sock = ReflexSocket(cluster.url, cookie=sign_in(cluster.url, "customer"))
    try:
        updates = sock.emit(f"{BoardState.get_full_name()}.load", path="/board")
    finally:
        sock.close()
    assert BoardState.get_full_name() in str([u.get("delta") for u in updates]), updates


def _replaced(cluster: Cluster, dead: int) -> set[int] | None:
    """The workers once there are two again and ``dead`` is not among them."""
    workers = cluster.workers()
    return workers if len(workers) == 2 and dead not in workers else None


def test_runs_exactly_the_configured_workers_and_is_healthy(cluster):
    assert len(cluster.workers()) == 2
    assert "ordertrack cluster mode: 2 granian workers; a worker that dies is started again" in cluster.log_text()
    status, body, _ = _get(f"{cluster.url}/health")
    assert (status, body) == (200, b'{"database":"ok","redis":"ok"}')


def test_a_change_on_one_worker_reaches_boards_on_every_worker(cluster, scratch_pg):
    """Eight staff boards (the kernel spreads their connections over both workers); an order
    created through REST on whichever worker takes it appears on every one of them."""
    board = BoardState.get_full_name()
    cookie = sign_in(cluster.url, "support")
    viewers = [ReflexSocket(cluster.url, cookie=cookie) for _ in range(8)]
    try:
        for viewer in viewers:
            assert board in str([u.get("delta") for u in viewer.emit(f"{board}.load", path="/board")])
        with Session(create_engine(scratch_pg)) as s:
            customer = s.exec(select(Customer.id).join(Reseller, Reseller.id == Customer.reseller_id)
                              .where(Reseller.name == "Northwind Telecom")).first()
        body = json.dumps({"customer_id": customer, "name": "Cross-worker push", "service_type": "network",
                           "items": [{"kind": "network", "name": "Line"}]}).encode()
        request = urllib.request.Request(f"{cluster.url}/api/v1/orders", data=body, method="POST", headers={
            "Authorization": "Bearer otk_demo_northwind", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=20) as answer:
            number = json.loads(answer.read())["number"]
        missed = [i for i, viewer in enumerate(viewers)
                  if not any(number in all_strings(u) for u in viewer.listen(8))]
        assert missed == [], f"boards {missed} never showed {number}"
    finally:
        for viewer in viewers:
            viewer.close()


def test_the_sign_in_lockout_is_shared_by_the_workers(cluster, scratch_pg):
    """12 wrong passwords for one account at once, spread over both workers: exactly 5 are
    checked (the per-account limit), the rest are refused with the lockout."""
    name = f"spray-{uuid.uuid4().hex[:8]}"
    with Session(create_engine(scratch_pg)) as s:
        s.add(User(username=name, display_name="Spray", role="support", password_hash=hash_password("right")))
        s.commit()
    outcomes: list[str] = []

    def guess(i: int) -> None:
        body = urllib.parse.urlencode({"username": name, "password": f"wrong-{i}"}).encode()
        request = urllib.request.Request(f"{cluster.url}/auth/login", data=body, method="POST",
                                         headers={"Origin": cluster.url})
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(request, timeout=30)
        except urllib.error.HTTPError as answer:
            outcomes.append(urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)
                            .get("error", ["?"])[0])

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["invalid"] * 5 + ["locked"] * 7, outcomes


def test_the_order_forms_hourly_limit_is_shared_by_the_workers(cluster, scratch_pg):
    """25 anonymous visitors from one address start an order at once, over both workers: the
    limit (20 per address and hour) lets exactly 20 drafts through in total."""
    form = OrderFormState.get_full_name()
    with Session(create_engine(scratch_pg)) as s:
        before = s.exec(select(func.count()).select_from(DraftOrder)).one()
    answers: list[str] = []

    def visitor() -> None:
        sock = ReflexSocket(cluster.url)
        try:
            answers.append(str(sock.emit(f"{form}.save_service", {"form_data": {"service_type": "hosting"}},
                                         path="/order-form", wait=20)))
        finally:
            sock.close()

    threads = [threading.Thread(target=visitor) for _ in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with Session(create_engine(scratch_pg)) as s:
        created = s.exec(select(func.count()).select_from(DraftOrder)).one() - before
    assert created == 20, f"{created} drafts were saved: {answers[:1]}"
    assert sum("Too many new orders" in a for a in answers) == 5, "the other five are told why"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_worker_killed_with_sigkill_is_replaced_and_the_server_keeps_serving(cluster):
    first, second = sorted(cluster.workers())
    _kill_worker(cluster, first)
    for _ in range(3):
        _serving(cluster)
    replaced = _wait(lambda: _replaced(cluster, first), 30, "a new worker in place of the killed one")
    assert second in replaced
    assert "Respawning worker" in cluster.log_text()
    (replacement,) = replaced - {second}
    _wait(lambda: _listening(replacement, cluster.port), 30, "the replacement to listen")
    # Now kill the other original: for a moment only the replacement is left, and it serves.
    _kill_worker(cluster, second)
    _serving(cluster)
    final = _wait(lambda: _replaced(cluster, second), 30, "a new worker in place of the second one")
    assert first not in final and cluster.proc.poll() is None and cluster.supervisor in _processes()


def test_database_refusing_connections_is_503_on_health_and_rest_and_recovers(cluster):
    api = f"{cluster.url}/api/v1/orders"
    bogus_key = {"Authorization": "Bearer otk_not_a_key"}
    assert _get(api, bogus_key)[0] == 401  # the database answers: an unknown key is refused
    before = cluster.log_text().count("REST GET /api/v1/orders: database unavailable")
    cluster.proxy.refuse()
    try:
        status, body, took = _get(f"{cluster.url}/health")
        assert status == 503 and took < 3, (status, body, took)
        assert json.loads(body) == {"database": "unreachable (OperationalError)", "redis": "ok"}
        for _ in range(3):
            status, body, _ = _get(api, bogus_key)
            assert (status, json.loads(body)) == (503, {"detail": MESSAGE})
        assert _get(f"{cluster.url}/ping")[0] == 200
        time.sleep(0.5)  # let the workers flush their log lines
        log = cluster.log_text()
        assert log.count("REST GET /api/v1/orders: database unavailable") - before == 3
        assert 'ordertrack/rest.py"' not in log, "no traceback from the REST API"
    finally:
        cluster.proxy.forward()
    _wait(lambda: _get(f"{cluster.url}/health")[0] == 200, 15, "/health back to 200 once the database answers")
    assert _get(api, bogus_key)[0] == 401
