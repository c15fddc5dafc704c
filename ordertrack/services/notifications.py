"""Notifications: templates, and the transactional outbox with its SMTP sender.

An event writes its ``OutboxMessage`` rows in its own transaction. Delivery is
**at-least-once**: a sender claims one due message at a time (pending -> sending, with a
lease of ``LEASE`` counted from that claim; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
senders never hold the same message), sends it, and marks it sent; on an SMTP error it
retries with exponential back-off, then gives up as failed. A sender that dies after the
server accepted a message but before it recorded "sent" leaves a lease that expires within
a minute, and the message is sent again. Both copies carry the same Message-ID, derived
from the outbox row (``message_id``), so a receiver drops the duplicate by Message-ID (as
mail stores and most ticket systems do); nothing else can make that window disappear
without a two-phase commit with the SMTP server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import mailbox
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from string import Template

from sqlalchemy import Engine, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from ordertrack.db.notify_models import NotificationTemplate, OutboxMessage
from ordertrack.services.errors import BadInput, NotFound

log = logging.getLogger(__name__)
_failing = False  # this process's last send failed: later failures are logged at debug level
MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=45)  # a message claimed by a sender that died is retried after this

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
    id_secret: str = ""  # mixed into Message-IDs so two installations never share one


@dataclass(slots=True)
class DeliveryResult:
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def render(subject: str, body: str, variables: dict[str, str]) -> tuple[str, str]:
    """Fill ``${name}`` variables; unknown names stay as they are (visible in the preview)."""
    return Template(subject).safe_substitute(variables), Template(body).safe_substitute(variables)


def ensure_templates(session: Session) -> None:
    """Create the default templates that do not exist yet (the caller commits).

    ``ON CONFLICT DO NOTHING``: several workers' first e-mails on a fresh database may all
    create them at once.
    """
    have = set(session.exec(select(NotificationTemplate.event)).all())
    rows = [dict(event=event, name=name, subject=subject, body=body)
            for event, (name, subject, body) in DEFAULT_TEMPLATES.items() if event not in have]
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.exec(insert(NotificationTemplate).values(rows).on_conflict_do_nothing(index_elements=["event"]))
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


def message_id(config: SmtpConfig, outbox_id: int) -> str:
    """The Message-ID of outbox message ``outbox_id``: the same on every retry and every worker.

    ``<outbox-{id}.{hmac}@{domain of mail_from}>``: the HMAC of the id under ``id_secret`` keeps
    two installations (or a restored test copy with another secret) from reusing an id.
    """
    digest = hmac.new(config.id_secret.encode(), f"outbox-{outbox_id}".encode(), hashlib.sha256).hexdigest()[:16]
    domain = parseaddr(config.mail_from)[1].rpartition("@")[2].strip().lower() or "ordertrack.localdomain"
    return f"<outbox-{outbox_id}.{digest}@{domain}>"


def compose(config: SmtpConfig, message: OutboxMessage) -> EmailMessage:
    """The e-mail of an outbox message, attachments included (the same bytes on every retry)."""
    mail = EmailMessage()
    mail["From"] = config.mail_from
    mail["To"] = message.to_addr
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message_id(config, message.id)
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
        path = Path(directory)
        path.parent.mkdir(parents=True, exist_ok=True)  # Maildir(create=True) makes only the last folder
        mailbox.Maildir(path, create=True).add(compose(config, message))

    return send


def _due(at: datetime):
    """SQL: the message may be claimed at ``at`` (pending and due, or its sender's lease ran out)."""
    return or_(
        (col(OutboxMessage.state) == "pending") & (col(OutboxMessage.next_attempt_at) <= at),
        (col(OutboxMessage.state) == "sending") & (col(OutboxMessage.lease_until) < at),
    )


def claim_next(engine: Engine, *, at: datetime, exclude: Iterable[int] = ()) -> OutboxMessage | None:
    """Claim the oldest due message for one sender, with a lease counted from ``at``.

    One short transaction: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (another sender's claim
    in flight is skipped), ``BEGIN IMMEDIATE`` on SQLite; the update re-checks that the
    message is still due, so it is claimed by one sender only. ``attempts`` grows by one and
    identifies this claim.

    Returns:
        The claimed message (detached), or None when nothing is due.
    """
    exclude = tuple(exclude)
    with Session(engine, expire_on_commit=False) as session:
        query = (select(OutboxMessage.id).where(_due(at)).order_by(col(OutboxMessage.next_attempt_at))
                 .limit(1).with_for_update(skip_locked=True))
        if exclude:
            query = query.where(col(OutboxMessage.id).not_in(exclude))
        message_id_ = session.exec(query).first()
        if message_id_ is None:
            session.commit()
            return None
        claimed = session.exec(
            update(OutboxMessage).where(OutboxMessage.id == message_id_, _due(at))
            .values(state="sending", lease_until=at + LEASE, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        message = session.get(OutboxMessage, message_id_, populate_existing=True) if claimed == 1 else None
        session.commit()
        return message


def deliver_due(
    engine: Engine,
    *,
    now: datetime,
    send: Callable[[OutboxMessage], None],
    batch: int = 50,
    clock: Callable[[], datetime] | None = None,
) -> DeliveryResult:
    """Send up to ``batch`` due messages, one claim at a time: claim, send, mark sent or
    schedule a retry.

    A failed send ends the round (the server is probably down: one connect timeout per round,
    not one per message) and is logged once until a message goes out again; each message
    keeps its own error in ``last_error`` (the outbox page shows it).

    Args:
        engine: the database.
        now: when this delivery round starts (from the injected clock).
        send: delivers one message (SMTP or Maildir); raises on failure.
        batch: at most this many messages in this round.
        clock: the time at each claim; by default ``now`` plus the whole seconds elapsed since
            the call, so each lease counts from its own claim however long the round takes.
    """
    started = time.monotonic()
    if clock is None:
        def clock() -> datetime:
            return now + timedelta(seconds=int(time.monotonic() - started))

    global _failing
    result = DeliveryResult()
    tried: list[int] = []
    for _ in range(batch):
        message = claim_next(engine, at=clock(), exclude=tried)
        if message is None:
            break
        tried.append(message.id)
        try:
            send(message)
        except Exception as exc:  # any SMTP or network error: retry later
            failed = message.attempts >= MAX_ATTEMPTS
            with Session(engine) as session:
                session.exec(
                    update(OutboxMessage)  # only while this claim holds it: a later claim is someone else's
                    .where(OutboxMessage.id == message.id, OutboxMessage.state == "sending",
                           OutboxMessage.attempts == message.attempts)
                    .values(state="failed" if failed else "pending", lease_until=None,
                            next_attempt_at=clock() + backoff(message.attempts), last_error=str(exc)[:1000])
                    .execution_options(synchronize_session=False)
                )
                session.commit()
            (result.failed if failed else result.retried).append(message.id)
            if _failing:
                log.debug("outbox %s (attempt %d): %s", message.id, message.attempts, exc)
            else:
                log.warning("outbox: sending message %s failed (%s); messages wait and retry with back-off "
                            "(logged once until one goes out)", message.id, exc)
            _failing = True
            break
        with Session(engine) as session:
            session.exec(
                update(OutboxMessage).where(OutboxMessage.id == message.id)
                .values(state="sent", sent_at=clock(), lease_until=None, last_error="")
                .execution_options(synchronize_session=False)
            )
            session.commit()
        result.sent.append(message.id)
        if _failing:
            log.warning("outbox: delivering again (message %s sent)", message.id)
            _failing = False
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
