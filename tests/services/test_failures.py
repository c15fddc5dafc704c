"""Failed provisioning: notifications through a real SMTP server (aiosmtpd on loopback),
escalation after 2 business hours, crash safety and retries of the outbox."""

from __future__ import annotations

import socket
from datetime import date, datetime, timedelta
from email import message_from_bytes
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from ordertrack.db.notify_models import OrderFailure, OutboxMessage
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.services import notifications as notify
from ordertrack.services import provisioning as prov
from ordertrack.services.errors import BadInput, Forbidden, NotFound
from tests import factories as f
from tests.conftest import NOW
from tests.mailparts import text_of

LONDON = ZoneInfo("Europe/London")
RCPT = prov.Recipients(support="support@ot.test", base_url="http://ot.test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((tuple(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def to(self, addr):
        return [m for rcpts, m in self.messages if addr in rcpts]


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.config = notify.SmtpConfig(host="127.0.0.1", port=port)
    yield inbox
    controller.stop()


@pytest.fixture
def world(session):
    r = f.reseller(session, contact_email="noc@reseller.test", notify_reseller_on_failure=True,
                   notify_customer_on_failure=False)
    c = f.customer(session, now=NOW, reseller_id=r.id, contact_email="it@customer.test")
    o = f.order(session, customer_id=c.id, now=NOW, phase="execution")
    _, support = f.user(session, role="support")
    _, cust = f.user(session, role="customer", customer_id=c.id)
    _, res = f.user(session, role="reseller", reseller_id=r.id)
    prov.ensure_remedies(session)
    session.commit()
    return dict(reseller=r, customer=c, order=o, support=support, cust=cust, res=res)


def _fail(session, world, *, now=NOW, calendar=None, code="offer_use_limit_exceeded"):
    view = prov.record_attempt(session, actor_name="Billing integration", order_number=world["order"].number,
                               succeeded=False, reason_code=code, details="10 of 10 used", now=now,
                               calendar=calendar or BusinessCalendar(tz="Europe/London"), recipients=RCPT)
    session.commit()
    return view


@pytest.mark.parametrize(
    ("reseller_too", "customer_too", "expected"),
    [(False, False, {"support@ot.test"}),
     (True, False, {"support@ot.test", "noc@reseller.test"}),
     (True, True, {"support@ot.test", "noc@reseller.test", "it@customer.test"}),
     (False, True, {"support@ot.test", "it@customer.test"})],
)
def test_failure_goes_to_support_always_and_to_reseller_and_customer_per_settings(
        engine, session, world, smtp, reseller_too, customer_too, expected):
    prov.save_notification_settings(session, principal=world["res"], reseller_too=reseller_too,
                                    customer_too=customer_too)
    session.commit()
    _fail(session, world)
    result = notify.deliver_due(engine, now=NOW, send=notify.smtp_sender(smtp.config))
    assert len(result.sent) == len(expected)
    assert {r for rcpts, _ in smtp.messages for r in rcpts} == expected
    mail = smtp.to("support@ot.test")[0]
    assert mail["Subject"] == f"Order {world['order'].number} could not be provisioned: Offer Use Limit Exceeded"
    body = text_of(mail)
    assert "Raise the limit or cancel an unused subscription" in body
    assert f"http://ot.test/orders/{world['order'].number}" in body


def test_escalates_monday_1030_after_a_friday_1630_failure(engine, session, world):
    friday = datetime(2026, 11, 20, 16, 30, tzinfo=LONDON)
    view = _fail(session, world, now=friday)
    assert view.due_at == datetime(2026, 11, 23, 10, 30, tzinfo=LONDON)
    assert prov.escalate_due(engine, now=datetime(2026, 11, 23, 10, 29, tzinfo=LONDON), recipients=RCPT) == []
    assert prov.escalate_due(engine, now=datetime(2026, 11, 23, 10, 30, tzinfo=LONDON),
                             recipients=RCPT) == [view.id]
    assert prov.escalate_due(engine, now=datetime(2026, 11, 23, 12, 0, tzinfo=LONDON), recipients=RCPT) == []
    session.expire_all()
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.event == "order_failure_escalated")).all()
    assert [m.to_addr for m in mails] == ["noc@reseller.test"]
    assert session.get(OrderFailure, view.id).escalated_at is not None


def test_a_public_holiday_shifts_the_escalation(session, world):
    cal = BusinessCalendar(tz="Europe/London", holidays=frozenset({date(2026, 11, 23)}))
    view = _fail(session, world, now=datetime(2026, 11, 20, 16, 30, tzinfo=LONDON), calendar=cal)
    assert view.due_at == datetime(2026, 11, 24, 10, 30, tzinfo=LONDON)


def test_killed_after_commit_before_send_goes_out_once_after_restart(engine, session, world, smtp):
    _fail(session, world)  # the event committed; the process "dies" before any sender ran
    first = notify.deliver_due(engine, now=NOW + timedelta(minutes=5), send=notify.smtp_sender(smtp.config))
    again = notify.deliver_due(engine, now=NOW + timedelta(minutes=6), send=notify.smtp_sender(smtp.config))
    assert len(first.sent) == 2 and again.sent == []
    assert len(smtp.to("support@ot.test")) == 1


def test_a_sender_that_died_mid_send_leaves_a_lease_that_expires(engine, session, world, smtp):
    _fail(session, world)
    crashed = []

    def die(message):
        crashed.append(message.id)
        raise SystemExit  # not an SMTP error: the process is gone

    with pytest.raises(SystemExit):
        notify.deliver_due(engine, now=NOW, send=die)
    soon = NOW + notify.LEASE - timedelta(seconds=1)
    assert notify.deliver_due(engine, now=soon, send=notify.smtp_sender(smtp.config)).sent \
        == [m for m in range(1, 3) if m not in crashed]  # the other message goes; the leased one waits
    later = notify.deliver_due(engine, now=NOW + timedelta(minutes=1), send=notify.smtp_sender(smtp.config))
    assert later.sent == crashed, "a dead sender's message goes out again within a minute"
    assert len(smtp.to("support@ot.test")) == 1


def test_smtp_down_is_retried_with_backoff_then_delivered_once(engine, session, world, smtp):
    _fail(session, world)
    down = notify.SmtpConfig(host="127.0.0.1", port=_free_port())
    result = notify.deliver_due(engine, now=NOW, send=notify.smtp_sender(down))
    assert len(result.retried) == 1 and result.sent == [], "a failed send ends the round: one timeout, not one each"
    result = notify.deliver_due(engine, now=NOW, send=notify.smtp_sender(down))
    assert len(result.retried) == 1 and result.sent == []
    session.expire_all()
    rows = session.exec(select(OutboxMessage)).all()
    assert {(r.state, r.attempts) for r in rows} == {("pending", 1)}
    assert all(r.next_attempt_at == NOW + timedelta(seconds=30) and r.last_error for r in rows)
    session.rollback()  # end the read: SQLite writers wait for it
    assert notify.deliver_due(engine, now=NOW + timedelta(seconds=29), send=notify.smtp_sender(smtp.config)).sent == []
    result = notify.deliver_due(engine, now=NOW + timedelta(seconds=30), send=notify.smtp_sender(smtp.config))
    assert len(result.sent) == 2
    assert len(smtp.to("support@ot.test")) == 1


def test_gives_up_after_max_attempts(engine, session, world):
    _fail(session, world)
    now = NOW

    def broken(_):
        raise OSError("connection refused")

    for _ in range(2 * notify.MAX_ATTEMPTS):  # two messages; a failed send ends a round
        notify.deliver_due(engine, now=now, send=broken)
        now += timedelta(hours=2)
    session.expire_all()
    assert {r.state for r in session.exec(select(OutboxMessage)).all()} == {"failed"}
    session.rollback()


def test_a_later_success_resolves_the_failure(session, world):
    view = _fail(session, world)
    prov.record_attempt(session, actor_name="Billing integration", order_number=world["order"].number,
                        succeeded=True, now=NOW + timedelta(hours=1), calendar=BusinessCalendar(), recipients=RCPT)
    session.commit()
    row = session.get(OrderFailure, view.id)
    assert row.state == "resolved" and "later attempt" in row.resolution
    assert prov.failure_queue(session, principal=world["support"], now=NOW, calendar=BusinessCalendar()) == ()


def test_support_claims_retries_with_backoff_and_resolves(session, world):
    view = _fail(session, world)
    prov.claim(session, principal=world["support"], failure_id=view.id, version=view.version, now=NOW)
    wait = prov.retry(session, principal=world["support"], failure_id=view.id, version=view.version + 1, now=NOW)
    assert wait == timedelta(minutes=2)
    with pytest.raises(BadInput, match="Retry available in"):
        prov.retry(session, principal=world["support"], failure_id=view.id, version=view.version + 2,
                   now=NOW + timedelta(minutes=1))
    assert prov.retry(session, principal=world["support"], failure_id=view.id, version=view.version + 2,
                      now=NOW + timedelta(minutes=2)) == timedelta(minutes=4)
    with pytest.raises(BadInput, match="note is required"):
        prov.resolve(session, principal=world["support"], failure_id=view.id, version=view.version + 3, note=" ",
                     now=NOW, base_url="x")
    prov.resolve(session, principal=world["support"], failure_id=view.id, version=view.version + 3,
                 note="Limit raised", now=NOW, base_url="x")
    session.commit()
    assert session.get(OrderFailure, view.id).state == "resolved"


def test_only_support_works_the_queue(session, world):
    view = _fail(session, world)
    with pytest.raises(Forbidden):
        prov.claim(session, principal=world["cust"], failure_id=view.id, version=view.version, now=NOW)
    with pytest.raises(Forbidden):
        prov.failure_queue(session, principal=world["res"], now=NOW, calendar=BusinessCalendar())


def test_order_page_view_shows_reason_and_remedy_only_to_who_may_see_it(session, world):
    _fail(session, world, code="service_creation_failed")
    view = prov.open_failure(session, principal=world["res"], order_id=world["order"].id, now=NOW,
                             calendar=BusinessCalendar())
    assert (view.reason, view.remedy) == ("Service creation failed", "Verify whether information on the order is correct.")
    _, stranger = f.user(session, role="customer", customer_id=f.customer(session, now=NOW).id)
    assert prov.open_failure(session, principal=stranger, order_id=world["order"].id, now=NOW,
                             calendar=BusinessCalendar()) is None


def test_reseller_edits_its_customers_contact_email_only(session, world):
    prov.set_contact_email(session, principal=world["res"], customer_id=world["customer"].id, email="ops@customer.test")
    assert world["customer"].contact_email == "ops@customer.test"
    other = f.customer(session, now=NOW)
    with pytest.raises(NotFound):
        prov.set_contact_email(session, principal=world["res"], customer_id=other.id, email="x@y.test")
    with pytest.raises(BadInput):
        prov.set_contact_email(session, principal=world["res"], customer_id=world["customer"].id, email="nope")


def test_item_level_attempts_keep_the_order_failed_until_every_item_is_provisioned(session, world):
    from ordertrack.db.models import OrderItem

    first = session.exec(select(OrderItem).where(OrderItem.order_id == world["order"].id)).one()
    second = OrderItem(order_id=world["order"].id, kind="voice", name="SIP trunk")
    session.add(second)
    session.commit()
    cal = BusinessCalendar()

    def attempt(item, ok, code=""):
        prov.record_attempt(session, actor_name="Billing", order_number=world["order"].number, succeeded=ok,
                            reason_code=code, now=NOW, calendar=cal, recipients=RCPT, item_id=item.id)
        session.commit()

    attempt(first, False, "service_creation_failed")
    attempt(second, False, "missing_required_addons")
    attempt(first, True)
    assert prov.open_failure_exists(session, order_id=world["order"].id), "the SIP trunk still failed"
    assert session.get(OrderItem, first.id).status == "provisioned"
    attempt(second, True)
    assert not prov.open_failure_exists(session, order_id=world["order"].id)
    with pytest.raises(NotFound):
        prov.record_attempt(session, actor_name="x", order_number=world["order"].number, succeeded=True, now=NOW,
                            calendar=cal, recipients=RCPT, item_id=999999)


def test_followup_attachments_travel_with_the_email(engine, session, world, smtp, tmp_path):
    from ordertrack.services import attachments, messages

    files = tmp_path / "att"
    _, op = f.user(session, role="operator")
    view = attachments.store(session, principal=op, order_id=world["order"].id, filename="quote.pdf",
                             data=b"%PDF-1.4 quote", folder=files, max_bytes=10_000, now=NOW)
    messages.post(session, principal=op, order_id=world["order"].id, kind="followup", body="Quote attached",
                  to="buyer@customer.test", now=NOW, calendar=BusinessCalendar(), base_url="x",
                  attachment_ids=[view.id], attachments_dir=str(files))
    session.commit()
    assert notify.deliver_due(engine, now=NOW, send=notify.smtp_sender(smtp.config)).sent
    mail = smtp.to("buyer@customer.test")[0]
    parts = [p for p in mail.walk() if p.get_filename()]
    assert [(p.get_filename(), p.get_payload(decode=True)) for p in parts] == [("quote.pdf", b"%PDF-1.4 quote")]


def test_without_an_smtp_host_mail_lands_in_the_maildir_with_attachments(engine, session, world, tmp_path):
    import mailbox

    from ordertrack.services import attachments, messages

    files, maildir = tmp_path / "att", tmp_path / "mail"
    _, op = f.user(session, role="operator")
    view = attachments.store(session, principal=op, order_id=world["order"].id, filename="plan.txt",
                             data=b"rack 4, unit 12", folder=files, max_bytes=10_000, now=NOW)
    messages.post(session, principal=op, order_id=world["order"].id, kind="followup", body="Install plan",
                  to="buyer@customer.test", now=NOW, calendar=BusinessCalendar(), base_url="x",
                  attachment_ids=[view.id], attachments_dir=str(files))
    session.commit()
    sent = notify.deliver_due(engine, now=NOW, send=notify.maildir_sender(notify.SmtpConfig(host="", port=25), maildir)).sent
    assert sent
    mails = [m for m in mailbox.Maildir(maildir) if m["To"] == "buyer@customer.test"]
    assert len(mails) == 1 and "Install plan" in text_of(mails[0])
    assert [(p.get_filename(), p.get_payload(decode=True)) for p in mails[0].walk() if p.get_filename()] == [
        ("plan.txt", b"rack 4, unit 12")]
    assert notify.deliver_due(engine, now=NOW, send=notify.maildir_sender(notify.SmtpConfig(host="", port=25), maildir)).sent \
        == [], "each message is delivered once"
