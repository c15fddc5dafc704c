"""Mail that reads as a person wrote it (issue 18.2, issue 13.4): every mail is read back from a
real SMTP server (aiosmtpd on loopback) and its subject and both parts are checked: the subject
the sender typed, the recipient's language, no internal events to customers, a "resolved"
mail to everyone told of a failure, and a history row for each failure and resolution."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.policy import default as mail_policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from ordertrack.db.models import StatusChange
from ordertrack.db.notify_models import OutboxMessage
from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.i18n import use
from ordertrack.services import mail_templates as mt
from ordertrack.services import messages, order_moves
from ordertrack.services import notifications as notify
from ordertrack.services import provisioning as prov
from ordertrack.services.errors import BadInput
from tests import factories as f
from tests.conftest import NOW
from tests.mailparts import html_of, text_of

CAL = BusinessCalendar(tz="Europe/London")
RCPT = prov.Recipients(support="support@ot.test", base_url="http://ot.test")


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((tuple(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=mail_policy)))
        return "250 OK"

    def to(self, addr):
        return [m for rcpts, m in self.messages if addr in rcpts]


@pytest.fixture
def smtp():
    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.config = notify.SmtpConfig(host="127.0.0.1", port=port)
    yield inbox
    controller.stop()


@pytest.fixture
def world(session):
    r = f.reseller(session, contact_email="noc@reseller.test", notify_reseller_on_failure=True,
                   notify_customer_on_failure=True, language="ru")
    ru = f.customer(session, now=NOW, reseller_id=r.id, contact_email="it@customer.test", name="Орион")
    en = f.customer(session, now=NOW, reseller_id=r.id, contact_email="it@english.test", name="Acme",
                    language="en")
    o = f.order(session, customer_id=ru.id, now=NOW, phase="execution", name="SIP trunk")
    o_en = f.order(session, customer_id=en.id, now=NOW, phase="execution", name="Fibre")
    _, op = f.user(session, role="operator", email="op@ot.test", display_name="Mia Manager")
    _, support = f.user(session, role="support", email="support@ot.test")
    prov.ensure_remedies(session)
    session.commit()
    return dict(reseller=r, ru=ru, en=en, order=o, order_en=o_en, op=op, support=support)


def _deliver(engine, smtp):
    return notify.deliver_due(engine, now=NOW, send=notify.smtp_sender(smtp.config))


def test_the_subject_the_sender_typed_is_the_subject_and_the_body_reads_as_written(engine, session, world, smtp):
    messages.post(session, principal=world["op"], order_id=world["order_en"].id, kind="followup",
                  to="it@english.test", subject="Cabinet keys for Monday", body="Hello,\n\nplease leave the keys "
                  "at the front desk.", now=NOW, calendar=CAL, base_url="http://ot.test")
    session.commit()
    assert _deliver(engine, smtp).sent
    [mail] = smtp.to("it@english.test")
    assert mail["Subject"] == "Cabinet keys for Monday"
    text = text_of(mail)
    assert text.startswith("Hello,\n\nplease leave the keys at the front desk.\n\n--\nMia Manager\n")
    assert f"Order {world['order_en'].number} (Fibre): http://ot.test/orders/{world['order_en'].number}" in text
    assert "Follow-up" not in text and "in process" not in text
    html = html_of(mail)
    assert "<p" in html and "please leave the keys at the front desk." in html
    assert f'<a href="http://ot.test/orders/{world["order_en"].number}"' in html


def test_a_customer_contact_gets_mail_in_its_language_else_its_resellers(engine, session, world, smtp):
    with use("ru"):  # a Russian-speaking operator moves them: each mail is in its recipient's language
        for order in (world["order"], world["order_en"]):
            order_moves.move_order(session, principal=world["op"], order_id=order.id, target="validation",
                                   expected_version=order.version, now=NOW, calendar=CAL, comment="")
    session.commit()
    _deliver(engine, smtp)
    [ru] = smtp.to("it@customer.test")  # no language of its own: the reseller's Russian
    assert ru["Subject"] == f"Ваш заказ {world['order'].number} теперь на этапе «Проверка клиентом»"
    assert text_of(ru).startswith("Здравствуйте, Орион!\n\nВаш заказ")
    assert 'lang="ru"' in html_of(ru)
    [en] = smtp.to("it@english.test")
    assert en["Subject"] == f"Your order {world['order_en'].number} is now in Customer Validation"
    body = text_of(en)
    assert "A note from our team" not in body, "an empty note leaves no empty line"
    assert "Its status is now Validation." in body


def test_internal_process_events_never_reach_customers(engine, session, world, smtp):
    variables = {"process": "New Voice Service", "subject_name": "SO-1 SIP trunk", "detail": "Phase: Execution",
                 "order_link": "http://ot.test/orders/SO-1"}
    to = [("customer", "it@english.test"), ("group", "ops@ot.test")]
    notify.enqueue(session, event="process_event", order_id=None, recipients=to, now=NOW,
                   variables={**variables, "event": "Phase completed"})
    notify.enqueue(session, event="process_event", order_id=None, recipients=to, now=NOW,
                   variables={**variables, "event": "Order completed"})
    session.commit()
    _deliver(engine, smtp)
    assert [m["Subject"] for m in smtp.to("it@english.test")] == ["The order was completed: SO-1 SIP trunk"]
    assert sorted(m["Subject"] for m in smtp.to("ops@ot.test")) == [
        "A phase was completed: SO-1 SIP trunk", "The order was completed: SO-1 SIP trunk"]
    assert notify.enqueue(session, event="sla_threshold", order_id=None, now=NOW, variables={},
                          recipients=[("customer", "it@english.test")]) == []


def test_everyone_told_of_a_failure_hears_it_is_resolved_and_both_are_history(engine, session, world, smtp):
    order = world["order_en"]
    view = prov.record_attempt(session, actor_name="Billing", order_number=order.number, succeeded=False,
                               reason_code="offer_use_limit_exceeded", details="10 of 10 used", now=NOW,
                               calendar=CAL, recipients=RCPT)
    session.commit()
    prov.resolve(session, principal=world["support"], failure_id=view.id, version=view.version,
                 note="Limit raised to 20.", now=NOW, base_url="http://ot.test")  # never escalated
    session.commit()
    _deliver(engine, smtp)
    for addr in ("support@ot.test", "noc@reseller.test", "it@english.test"):
        subjects = [m["Subject"] for m in smtp.to(addr)]
        assert len(subjects) == 2, addr
    [resolved] = [m for m in smtp.to("it@english.test") if "resolved" in m["Subject"]]
    assert resolved["Subject"] == f"Order {order.number}: the provisioning problem is resolved"
    assert "What was done: Limit raised to 20." in text_of(resolved)
    [ru] = [m for m in smtp.to("noc@reseller.test") if "устранена" in m["Subject"]]
    assert "Что сделано: Limit raised to 20." in text_of(ru)
    notes = session.exec(select(StatusChange.comment).where(StatusChange.entity_kind == "order",
                                                            StatusChange.entity_id == order.id)).all()
    assert "Provisioning failed: Offer Use Limit Exceeded." in notes
    assert "Provisioning problem resolved: Limit raised to 20." in notes


def test_a_later_successful_attempt_resolves_and_tells_the_same_people(engine, session, world, smtp):
    order = world["order_en"]
    prov.record_attempt(session, actor_name="Billing", order_number=order.number, succeeded=False,
                        reason_code="offer_use_limit_exceeded", now=NOW, calendar=CAL, recipients=RCPT)
    prov.record_attempt(session, actor_name="Billing", order_number=order.number, succeeded=True, now=NOW,
                        calendar=CAL, recipients=RCPT)
    session.commit()
    resolved = session.exec(select(OutboxMessage.to_addr).where(OutboxMessage.event == "order_failure_resolved")).all()
    assert sorted(resolved) == ["it@english.test", "noc@reseller.test", "support@ot.test"]


def test_templates_are_sandboxed_jinja_checked_before_they_are_saved(session, world):
    with pytest.raises(BadInput, match="line 1"):
        notify.update_template(session, event="order_status_changed", subject="{% if %}", body="x")
    with pytest.raises(BadInput):
        notify.update_template(session, event="order_status_changed", subject="x",
                               body="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    notify.update_template(session, event="order_status_changed", language="ru",
                           subject="Заказ {{ order_number }}: {{ phase }}", body="Этап: {{ phase }}")
    session.commit()
    subject, body = notify.render_event(session, "order_status_changed", {"order_number": "SO-1",
                                                                          "phase": "Execution"}, "ru")
    assert (subject, body) == ("Заказ SO-1: Выполнение", "Этап: Выполнение\n")
    assert notify.render_event(session, "order_status_changed", {"order_number": "SO-1", "phase": "Execution"},
                               "en")[0] == "Your order SO-1 is now in Execution", "English is its own template"


def test_html_escapes_what_users_typed(session, world):
    html = notify.html_part("x", "<script>alert(1)</script>\n\nhttp://ot.test/a?b=1&c=2")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="http://ot.test/a?b=1&amp;c=2"' in html


def test_every_template_renders_in_both_languages_without_leftover_markup(session):
    for event in mt.TEMPLATES:
        for language in ("en", "ru"):
            _name, subject, body = notify.default_text(event, language)
            s, b = notify.render(subject, body, mt.SAMPLE_VARIABLES, language)
            assert s and b and "{" not in s + b and "\n\n\n" not in b, (event, language)
            if language == "ru" and event not in ("order_message", "order_link"):
                assert (s, b) != notify.render(*notify.default_text(event, "en")[1:], mt.SAMPLE_VARIABLES, "en")
