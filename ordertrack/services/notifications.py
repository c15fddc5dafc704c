"""Notifications: templates, and the transactional outbox with its SMTP sender.

An event writes its ``OutboxMessage`` rows in its own transaction. The sender claims a due
message with a compare-and-set (pending -> sending, with a lease), sends it, and marks it
sent; on an SMTP error it retries with exponential back-off, then gives up as failed. A
message is only ever claimed by one sender, so it is never sent twice; a sender that dies
mid-send leaves a lease that expires and the message is retried (each carries a stable
Message-ID, so a receiver can drop that rare duplicate).
"""

from __future__ import annotations

import json
import logging
import mailbox
import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from string import Template

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from ordertrack.db.notify_models import NotificationTemplate, OutboxMessage
from ordertrack.services.errors import BadInput, NotFound

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)

DEFAULT_TEMPLATES: dict[str, tuple[str, str, str]] = {
    "order_status_changed": (
        "Order status changed",
        "Order ${order_number} is now in ${phase} (${status})",
        "Hello,\n\nYour order ${order_number} (${order_name}) moved to ${phase}; its status is ${status}.\n"
        "Note: ${comment}\n\nTrack it here: ${order_link}\n",
    ),
    "process_event": (
        "Process event",
        "${process}: ${event} — ${subject_name}",
        "Hello,\n\n${event} in process ${process} for ${subject_name}.\n${detail}\n\nOpen: ${order_link}\n",
    ),
    "order_provisioning_failed": (
        "Order Provisioning Failed",
        "Order ${order_number} could not be provisioned: ${reason}",
        "Hello,\n\nOrder ${order_number} (${order_name}) for ${customer} was not provisioned.\n\n"
        "Reason: ${reason}\nDetails: ${details}\n\nSteps to remedy:\n${remedy}\n\n"
        "Our support team is working on it and will act within 2 business hours.\n"
        "Order: ${order_link}\n",
    ),
    "order_failure_escalated": (
        "Failed order not resolved in 2 business hours",
        "Order ${order_number}: provisioning failure not yet resolved",
        "Hello,\n\nThe provisioning failure of order ${order_number} (${customer}) could not be resolved "
        "within 2 business hours.\n\nReason: ${reason}\nSteps to remedy:\n${remedy}\n\n"
        "Please contact your helpdesk if you need help.\nOrder: ${order_link}\n",
    ),
    "order_failure_resolved": (
        "Failed order resolved",
        "Order ${order_number}: provisioning problem resolved",
        "Hello,\n\nThe provisioning problem of order ${order_number} (${customer}) is resolved.\n"
        "Note: ${resolution}\n\nOrder: ${order_link}\n",
    ),
    "sla_threshold": (
        "SLA warning",
        "${headline}: order ${order_number} ${order_name}",
        "Hello,\n\nOrder ${order_number} (${order_name}, ${customer}) has used ${used} of its ${target} "
        "business-hour resolution target (${percent}).\nTarget deadline: ${deadline}\n\nOpen: ${order_link}\n",
    ),
}

SAMPLE_VARIABLES = {
    "order_number": "SO-20260123",
    "order_name": "SIP trunk for Acme",
    "customer": "Acme Logistics",
    "reason": "Offer Use Limit Exceeded",
    "details": "The customer already has 10 SIP trunks, the offer allows 10.",
    "remedy": "Verify whether information on the order is correct.",
    "resolution": "Limit raised by the reseller, provisioning retried.",
    "order_link": "http://localhost:3000/orders/SO-20260123",
    "process": "New Voice Service",
    "event": "Task completed",
    "subject_name": "SO-20260123 SIP trunk for Acme",
    "detail": "Task: Provision Service",
    "phase": "Customer Validation",
    "status": "Validation",
    "comment": "All services activated; please approve within 2 days.",
    "headline": "SLA 75 % reached",
    "percent": "75 %",
    "used": "30",
    "target": "40",
    "deadline": "Thu 26 Nov 2026 14:00 GMT",
}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    security: str = "none"
    user: str = ""
    password: str = ""
    mail_from: str = "ordertrack <noreply@ordertrack.example>"


@dataclass(slots=True)
class DeliveryResult:
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def render(subject: str, body: str, variables: dict[str, str]) -> tuple[str, str]:
    """Fill ``${name}`` variables; unknown names stay as they are (visible in the preview)."""
    return Template(subject).safe_substitute(variables), Template(body).safe_substitute(variables)


def ensure_templates(session: Session) -> None:
    """Create the default templates that do not exist yet (the caller commits)."""
    have = set(session.exec(select(NotificationTemplate.event)).all())
    for event, (name, subject, body) in DEFAULT_TEMPLATES.items():
        if event not in have:
            session.add(NotificationTemplate(event=event, name=name, subject=subject, body=body))
    session.flush()


def template_for(session: Session, event: str) -> NotificationTemplate:
    """The template of ``event`` (defaults created on first use)."""
    row = session.exec(select(NotificationTemplate).where(NotificationTemplate.event == event)).first()
    if row is None:
        ensure_templates(session)
        row = session.exec(select(NotificationTemplate).where(NotificationTemplate.event == event)).first()
    if row is None:
        raise NotFound(f"No template for {event}.")
    return row


def update_template(session: Session, *, event: str, subject: str, body: str) -> None:
    """Save a template (administrators; the caller checks the role and commits)."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise BadInput("Subject and body are required.")
    if len(subject) > 300 or len(body) > 20000:
        raise BadInput("The template is too long.")
    row = template_for(session, event)
    row.subject, row.body = subject, body
    session.add(row)
    session.flush()


def enqueue(
    session: Session,
    *,
    event: str,
    order_id: int | None,
    recipients: Iterable[tuple[str, str]],
    variables: dict[str, str],
    now: datetime,
    files: list[dict[str, str]] | None = None,
) -> list[OutboxMessage]:
    """Write one outbox message per distinct recipient (in the caller's transaction).

    ``files``: attachments as ``{"path", "name", "type"}``; the sender attaches them.
    """
    template = template_for(session, event)
    subject, body = render(template.subject, template.body, variables)
    rows, seen = [], set()
    for kind, addr in recipients:
        addr = (addr or "").strip()
        if not addr or addr.lower() in seen:
            continue
        seen.add(addr.lower())
        row = OutboxMessage(created_at=now, event=event, order_id=order_id, recipient_kind=kind, to_addr=addr,
                            subject=subject, body=body, next_attempt_at=now, attachments=json.dumps(files or []))
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts``: 30 s doubling, at most 1 h."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), timedelta(hours=1))


def compose(config: SmtpConfig, message: OutboxMessage) -> EmailMessage:
    """The e-mail of an outbox message, attachments included."""
    mail = EmailMessage()
    mail["From"] = config.mail_from
    mail["To"] = message.to_addr
    mail["Subject"] = message.subject
    mail["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="ordertrack")
    mail["X-Ordertrack-Outbox-Id"] = str(message.id)
    mail.set_content(message.body)
    for file in json.loads(message.attachments or "[]"):
        maintype, _, subtype = file["type"].partition("/")
        mail.add_attachment(Path(file["path"]).read_bytes(), maintype=maintype, subtype=subtype,
                            filename=file["name"])
    return mail


def smtp_sender(config: SmtpConfig) -> Callable[[OutboxMessage], None]:
    """A function that sends one message over SMTP (raises on failure)."""

    def send(message: OutboxMessage) -> None:
        mail = compose(config, message)
        if config.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=10,
                                                     context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=10)
        with client:
            if config.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config.user:
                client.login(config.user, config.password)
            client.send_message(mail)

    return send


def maildir_sender(config: SmtpConfig, directory: str | Path) -> Callable[[OutboxMessage], None]:
    """A function that delivers one message into a local Maildir (no SMTP server configured:
    demos and development; read the files with any mail client or ``python -m mailbox``)."""

    def send(message: OutboxMessage) -> None:
        mailbox.Maildir(Path(directory), create=True).add(compose(config, message))

    return send


def deliver_due(
    engine: Engine, *, now: datetime, send: Callable[[OutboxMessage], None], batch: int = 50
) -> DeliveryResult:
    """Send every due message once: claim (compare-and-set), send, mark sent or schedule a retry."""
    result = DeliveryResult()
    with Session(engine) as session:
        due = session.exec(
            select(OutboxMessage.id, OutboxMessage.state)
            .where(
                or_(
                    (col(OutboxMessage.state) == "pending") & (col(OutboxMessage.next_attempt_at) <= now),
                    (col(OutboxMessage.state) == "sending") & (col(OutboxMessage.lease_until) < now),
                )
            )
            .order_by(col(OutboxMessage.next_attempt_at))
            .limit(batch)
        ).all()
    for message_id, state in due:
        with Session(engine, expire_on_commit=False) as session:
            claimed = session.exec(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.state == state)
                .where(or_(OutboxMessage.state == "pending", col(OutboxMessage.lease_until) < now))
                .values(state="sending", lease_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
            if claimed != 1:
                continue
            message = session.get(OutboxMessage, message_id)
        try:
            send(message)
        except Exception as exc:  # any SMTP or network error: retry later
            failed = message.attempts >= MAX_ATTEMPTS
            with Session(engine) as session:
                session.exec(
                    update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.state == "sending")
                    .values(state="failed" if failed else "pending", lease_until=None,
                            next_attempt_at=now + backoff(message.attempts), last_error=str(exc)[:1000])
                    .execution_options(synchronize_session=False)
                )
                session.commit()
            (result.failed if failed else result.retried).append(message_id)
            log.warning("outbox %s: %s", message_id, exc)
            continue
        with Session(engine) as session:
            session.exec(
                update(OutboxMessage).where(OutboxMessage.id == message_id)
                .values(state="sent", sent_at=now, lease_until=None, last_error="")
                .execution_options(synchronize_session=False)
            )
            session.commit()
        result.sent.append(message_id)
    return result


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    created_at: datetime
    event: str
    to_addr: str
    recipient_kind: str
    subject: str
    state: str
    attempts: int
    last_error: str
    sent_at: datetime | None


def list_outbox(session: Session, *, state: str | None, limit: int = 100) -> tuple[OutboxRow, ...]:
    """The newest messages, optionally in one state."""
    if state is not None and state not in ("pending", "sending", "sent", "failed"):
        raise BadInput("Unknown state.")
    query = select(OutboxMessage)
    if state:
        query = query.where(OutboxMessage.state == state)
    rows = session.exec(query.order_by(col(OutboxMessage.id).desc()).limit(max(1, min(limit, 500)))).all()
    return tuple(
        OutboxRow(id=r.id, created_at=r.created_at, event=r.event, to_addr=r.to_addr,
                  recipient_kind=r.recipient_kind, subject=r.subject, state=r.state, attempts=r.attempts,
                  last_error=r.last_error, sent_at=r.sent_at)
        for r in rows
    )
