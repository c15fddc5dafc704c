"""The outbox sender: at-least-once with a stable Message-ID, one claim per message with its
own lease, and a Maildir that makes its own folders. SMTP is a real aiosmtpd server on loopback;
the crash test kills a real sender process with SIGKILL."""

from __future__ import annotations

import logging
import mailbox
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlmodel import select

from ordertrack.db.notify_models import OutboxMessage
from ordertrack.services import notifications as notify
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
SECRET = "outbox-test-secret"


class Sink:
    """An SMTP server's message store; ``on_accept`` runs once the whole message has arrived."""

    def __init__(self):
        self.messages = []
        self.on_accept = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        if self.on_accept is not None:
            self.on_accept()
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sink():
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.config = notify.SmtpConfig(host="127.0.0.1", port=port, id_secret=SECRET)
    yield sink
    controller.stop()


def _enqueue(session, *addresses: str) -> list[int]:
    rows = notify.enqueue(session, event="process_event", order_id=None, now=NOW,
                          recipients=[("user", a) for a in addresses],
                          variables={"process": "Test", "event": "Hello", "detail": "", "subject_name": "x",
                                     "order_link": "http://ot.test"})
    session.commit()
    return rows


def _states(session) -> dict[int, str]:
    session.expire_all()
    states = {m.id: m.state for m in session.exec(select(OutboxMessage)).all()}
    session.rollback()  # end the read: SQLite writers wait for it
    return states


def test_the_message_id_is_derived_from_the_row_and_the_installation():
    config = notify.SmtpConfig(host="", port=25, mail_from="ordertrack <noreply@Mail.Example.com>",
                               id_secret="one")
    first = notify.message_id(config, 7)
    assert first == notify.message_id(config, 7), "the same on every retry"
    assert first.startswith("<outbox-7.") and first.endswith("@mail.example.com>")
    assert notify.message_id(config, 8) != first
    other_installation = notify.SmtpConfig(host="", port=25, mail_from=config.mail_from, id_secret="two")
    assert notify.message_id(other_installation, 7) != first


def test_a_sender_killed_between_smtp_accept_and_commit_sends_again_with_the_same_message_id(
        engine, session, sink):
    ids = _enqueue(session, "a@customer.test", "b@customer.test")
    url = engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        schema = conn.execute(text("select current_schema()")).scalar() if engine.dialect.name == "postgresql" else ""
    script = textwrap.dedent("""
        import sys
        from datetime import datetime
        from sqlalchemy import event
        from ordertrack.db.engine import make_engine
        from ordertrack.services import notifications as n

        url, schema, host, port, secret, now = sys.argv[1:]
        engine = make_engine(url)
        if schema:
            @event.listens_for(engine, "connect")
            def _path(dbapi_connection, _record):
                cur = dbapi_connection.cursor()
                cur.execute(f'SET search_path TO "{schema}"')
                cur.close()
                dbapi_connection.commit()
        n.deliver_due(engine, now=datetime.fromisoformat(now),
                      send=n.smtp_sender(n.SmtpConfig(host=host, port=int(port), id_secret=secret)))
        print("the sender was not killed")
    """)
    sender = subprocess.Popen(
        [sys.executable, "-c", script, url, schema, sink.config.host, str(sink.config.port), SECRET, NOW.isoformat()],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def kill_the_sender():  # the server holds the whole message; the sender never hears "250"
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait(30)
        sink.on_accept = None

    sink.on_accept = kill_the_sender
    out, err = sender.communicate(timeout=60)
    assert sender.returncode == -signal.SIGKILL, (out, err)
    assert len(sink.messages) == 1
    first = sink.messages[0]
    assert sorted(_states(session).values()) == ["pending", "sending"], "the accepted one is still 'sending'"

    held = notify.deliver_due(engine, now=NOW + notify.LEASE - timedelta(seconds=1), send=notify.smtp_sender(sink.config))
    assert len(held.sent) == 1 and len(sink.messages) == 2, "only the message nobody holds goes before the lease ends"
    retried = notify.deliver_due(engine, now=NOW + timedelta(minutes=1), send=notify.smtp_sender(sink.config))
    assert len(retried.sent) == 1, "the dead sender's message goes again within a minute"
    assert set(_states(session).values()) == {"sent"}

    copies = [m for m in sink.messages if m["To"] == first["To"]]
    assert len(copies) == 2, "at least once: the receiver got it twice"
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"] == notify.message_id(sink.config, int(
        first["X-Ordertrack-Outbox-Id"])), "so it can drop the duplicate by Message-ID"
    assert {m["Message-ID"] for m in sink.messages} == {notify.message_id(sink.config, i) for i in ids}


def test_two_senders_never_send_the_same_message_at_once(engine, session):
    ids = _enqueue(session, "a@customer.test", "b@customer.test")
    sent_by: dict[str, list[int]] = {"A": [], "B": []}
    a_is_sending, release_a = threading.Event(), threading.Event()

    def slow_a(message):
        sent_by["A"].append(message.id)
        a_is_sending.set()
        assert release_a.wait(30)

    a = threading.Thread(target=notify.deliver_due, args=(engine,),
                         kwargs={"now": NOW, "send": slow_a, "batch": 1})
    a.start()
    try:
        assert a_is_sending.wait(30)
        b = notify.deliver_due(engine, now=NOW + timedelta(seconds=1), send=lambda m: sent_by["B"].append(m.id))
        again = notify.deliver_due(engine, now=NOW + timedelta(seconds=2), send=lambda m: sent_by["B"].append(m.id))
    finally:
        release_a.set()
        a.join(30)
    assert len(sent_by["A"]) == 1
    assert b.sent == sent_by["B"] == [i for i in ids if i not in sent_by["A"]], "B takes the other one"
    assert again.sent == [], "a message being sent is nobody else's"
    assert set(_states(session).values()) == {"sent"}


def test_each_lease_counts_from_its_own_claim_in_a_long_round(engine, session):
    first, second = _enqueue(session, "a@customer.test", "b@customer.test")
    clock = {"now": NOW}
    others = []

    def slow(message):
        if message.id == first:
            clock["now"] += timedelta(minutes=10)  # a slow server: the round is long
        else:  # the second message was claimed 10 minutes into the round, and is being sent now
            others.append(notify.deliver_due(engine, now=clock["now"] + timedelta(seconds=10),
                                             send=lambda m: pytest.fail(f"message {m.id} sent twice")))

    result = notify.deliver_due(engine, now=NOW, send=slow, clock=lambda: clock["now"])
    assert result.sent == [first, second]
    assert others[0].sent == []


def test_without_smtp_a_fresh_checkout_gets_its_maildir_and_all_parent_folders(engine, session, tmp_path, caplog):
    _enqueue(session, "a@customer.test")
    folder = tmp_path / "fresh-clone" / "data" / "mail"
    send = notify.maildir_sender(notify.SmtpConfig(host="", port=25, id_secret=SECRET), folder)
    with caplog.at_level(logging.WARNING):
        result = notify.deliver_due(engine, now=NOW, send=send)
    assert len(result.sent) == 1 and caplog.records == []
    [mail] = list(mailbox.Maildir(folder, create=False))
    assert mail["To"] == "a@customer.test"
    assert mail["Message-ID"] == notify.message_id(notify.SmtpConfig(host="", port=25, id_secret=SECRET),
                                                   result.sent[0])


def test_created_at_is_the_date_header(engine, session, sink):
    _enqueue(session, "a@customer.test")
    notify.deliver_due(engine, now=NOW + timedelta(hours=3), send=notify.smtp_sender(sink.config))
    [mail] = sink.messages
    assert datetime.strptime(mail["Date"], "%a, %d %b %Y %H:%M:%S %z") == NOW
