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

import functools
import hashlib
import hmac
import json
import logging
import mailbox
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime as mail_date
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape
from sqlalchemy import Engine, bindparam, func, insert, literal, or_, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ordertrack import i18n
from ordertrack.db.models import Customer, Order, Reseller, User
from ordertrack.db.notify_models import NotificationTemplate, OutboxMessage
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.i18n import _
from ordertrack.i18n.notes import localize
from ordertrack.services import mail_templates as mt
from ordertrack.services.errors import BadInput, Forbidden, NotFound

log = logging.getLogger(__name__)
_failing = False  # this process's last send failed: later failures are logged at debug level
MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=45)  # a message claimed by a sender that died is retried after this

DEFAULT_TEMPLATES = mt.TEMPLATES
SAMPLE_VARIABLES = mt.SAMPLE_VARIABLES


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


class _Env(SandboxedEnvironment):
    """The sandbox every template renders in: no attribute access beyond plain values, no
    imports; ``datetime`` formats an ISO instant in the language being rendered."""


def _format_datetime(value: object, zone: object = None) -> str:
    """An ISO instant as people read it in the language being rendered, in ``zone`` (an IANA
    name) if given: "Wed 25 Nov 2026 10:00 GMT"."""
    try:
        at = datetime.fromisoformat(str(value))
        tz = ZoneInfo(str(zone)) if zone else at.tzinfo
    except (ValueError, ZoneInfoNotFoundError):
        return str(value)
    language = i18n.current()
    return format_datetime(at, "EEE d MMM y HH:mm ZZZZ" if language == "en" else "EEE, d MMM y HH:mm ZZZZ",
                           tzinfo=tz, locale=language)


_URL = re.compile(r"(https?://[^\s<>\"']+?)(?=&lt;|&gt;|&quot;|&#39;|&#34;|\s|$)")


def _linkify(text: object) -> Markup:
    escaped = str(escape(str(text)))
    linked = _URL.sub(lambda m: f'<a href="{m.group(1)}" style="color:#0d74ce;">{m.group(1)}</a>', escaped)
    return Markup(linked.replace("\n", "<br>\n"))


_TEXT = _Env(autoescape=False, trim_blocks=False, keep_trailing_newline=False)
_TEXT.filters["datetime"] = _format_datetime
_HTML = _Env(autoescape=True)
_HTML.filters["linkify"] = _linkify
_LAYOUT = _HTML.from_string(mt.LAYOUT)


@functools.lru_cache(maxsize=256)
def _compiled(source: str):
    return _TEXT.from_string(source)


def check_template(source: str) -> None:
    """Raise BadInput when ``source`` is not a valid template (shown on the settings page)."""
    try:
        _compiled(source)
    except TemplateSyntaxError as exc:
        raise BadInput(_("The template has an error in line {line}: {message}").format(
            line=exc.lineno, message=exc.message)) from None


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:  # at most one empty line in a row (a left-out "{% if %}" line leaves none)
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"


def _label(name: str, value: str) -> str:
    """A phase or status key (or an English label, a process event, or a stored system note) in
    the current language."""
    if name == "phase" and ORDER_WORKFLOW.has(value):
        return ORDER_WORKFLOW.label(value)
    if name == "status" and value in _STATUSES:
        return OrderStatus(value).label
    return localize(mt.EVENT_TEXT.get(value, value))


_STATUSES = frozenset(s.value for s in OrderStatus)


def render(subject: str, body: str, variables: dict[str, str], language: str | None = None) -> tuple[str, str]:
    """Render a template's subject and plain-text body with ``variables`` in ``language``
    (default: the current one). Labels among the variables (phase, status, event) are
    translated first; a missing variable renders empty.

    Raises:
        BadInput: the template is not valid Jinja2 or uses something the sandbox forbids.
    """
    try:
        with i18n.use(language or i18n.current()):  # the mail's language; errors in the reader's
            values = {k: (_label(k, v) if k in mt.TRANSLATED_VARIABLES and isinstance(v, str) and v else v)
                      for k, v in variables.items()}
            subject_text = _compiled(subject).render(values)
            body_text = _compiled(body).render(values)
    except TemplateSyntaxError as exc:
        raise BadInput(_("The template has an error in line {line}: {message}").format(
            line=exc.lineno, message=exc.message)) from None
    except TemplateError as exc:  # the sandbox refused something, or a filter failed
        raise BadInput(_("The template cannot be rendered: {message}").format(message=str(exc))) from None
    return " ".join(subject_text.split())[:300], _tidy(body_text)


def html_part(subject: str, body: str, language: str = "") -> str:
    """The HTML part of a mail: its plain-text body laid into the layout (one paragraph per
    blank-line-separated block, links clickable, everything else escaped)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    return _LAYOUT.render(subject=subject, paragraphs=paragraphs, lang=language)


def default_text(event: str, language: str) -> tuple[str, str, str]:
    """(name, subject, body) of the built-in template of ``event`` in ``language``."""
    spec = mt.TEMPLATES[event]
    with i18n.use(language):
        return _(spec.name), _(spec.subject), _(spec.body)


def ensure_templates(session: Session) -> None:
    """Create the default templates (every event, every language) that do not exist yet (the
    caller commits).

    ``ON CONFLICT DO NOTHING``: several workers' first e-mails on a fresh database may all
    create them at once.
    """
    have = set(session.exec(select(NotificationTemplate.event, NotificationTemplate.language)).all())
    rows = []
    for event in mt.TEMPLATES:
        for language in i18n.LANGUAGES:
            if (event, language) not in have:
                name, subject, body = default_text(event, language)
                rows.append(dict(event=event, language=language, name=name, subject=subject, body=body))
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.exec(insert(NotificationTemplate).values(rows)
                 .on_conflict_do_nothing(index_elements=["event", "language"]))
    session.flush()


_TEMPLATE = select(NotificationTemplate).where(NotificationTemplate.event == bindparam("event"),
                                               NotificationTemplate.language == bindparam("language"))


def template_for(session: Session, event: str, language: str = i18n.DEFAULT) -> NotificationTemplate:
    """The template of ``event`` in ``language`` (defaults created on first use)."""
    if event not in mt.TEMPLATES:
        raise NotFound(_("No template for {event}.").format(event=event[:60]))
    language = i18n.normalize(language) or i18n.DEFAULT

    def find():
        return session.exec(_TEMPLATE, params={"event": event, "language": language}).first()

    row = find()
    if row is None:
        ensure_templates(session)
        row = find()
    if row is None:
        raise NotFound(_("No template for {event}.").format(event=event))
    return row


def update_template(session: Session, *, event: str, subject: str, body: str,
                    language: str = i18n.DEFAULT) -> None:
    """Save a template (administrators and support; the caller checks the role and commits).

    Raises:
        BadInput: empty, too long, or not a valid template (nothing is saved).
    """
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise BadInput(_("Subject and body are required."))
    if len(subject) > 300 or len(body) > 20000:
        raise BadInput(_("The template is too long."))
    if i18n.normalize(language) != language:
        raise BadInput(_("Unknown language."))
    check_template(subject)
    check_template(body)
    render(subject, body, mt.SAMPLE_VARIABLES, language)  # fails here, not when mail goes out
    row = template_for(session, event, language)
    row.subject, row.body = subject, body
    session.add(row)
    session.flush()


def reset_template(session: Session, *, event: str, language: str = i18n.DEFAULT) -> None:
    """Put the built-in text back (the caller checks the role and commits)."""
    row = template_for(session, event, language)
    _name, row.subject, row.body = default_text(event, row.language)
    session.add(row)
    session.flush()


def _first_by_address(*columns, address, order):
    return (select(*columns).where(func.lower(address) == bindparam("addr")).order_by(order).limit(1))


def _recipient_statement():
    """Everything ``recipient_language`` may need about an address, in one statement built once
    (every customer e-mail of a move asks; indexes on lower(address)): the first active user
    with that address, its customer and their resellers; else the first customer contact and
    its reseller; else the first reseller contact."""
    user = _first_by_address(User.id, User.language, User.customer_id, User.reseller_id, address=User.email,
                             order=User.id).where(col(User.active).is_(True)).subquery("u")
    contact = _first_by_address(Customer.id, Customer.language, Customer.reseller_id, address=Customer.contact_email,
                                order=Customer.id).subquery("c")
    reseller = _first_by_address(Reseller.language, address=Reseller.contact_email, order=Reseller.id).subquery("r")
    user_customer, user_customer_reseller = aliased(Customer), aliased(Reseller)
    user_reseller, contact_reseller = aliased(Reseller), aliased(Reseller)
    one = select(literal(1).label("one")).subquery("one")
    return (select(user.c.id, user.c.language, user.c.customer_id, user_customer.id, user_customer.language,
                   user_customer.reseller_id, user_customer_reseller.language, user.c.reseller_id,
                   user_reseller.language, contact.c.id, contact.c.language, contact.c.reseller_id,
                   contact_reseller.language, reseller.c.language)
            .select_from(one)
            .outerjoin(user, true())
            .outerjoin(user_customer, user_customer.id == user.c.customer_id)
            .outerjoin(user_customer_reseller, user_customer_reseller.id == user_customer.reseller_id)
            .outerjoin(user_reseller, user_reseller.id == user.c.reseller_id)
            .outerjoin(contact, true())
            .outerjoin(contact_reseller, contact_reseller.id == contact.c.reseller_id)
            .outerjoin(reseller, true()))


_RECIPIENT = _recipient_statement()
# ... and the event's saved template in every language (subject, body), for ``enqueue``.
_RECIPIENT_AND_TEMPLATES = _RECIPIENT.add_columns(*(
    select(column).where(NotificationTemplate.event == bindparam("event"), NotificationTemplate.language == code)
    .scalar_subquery() for code in i18n.LANGUAGES for column in (NotificationTemplate.subject,
                                                               NotificationTemplate.body)))


def _language_of(row) -> str:
    """The language of a ``_RECIPIENT`` row: a user's saved preference, else its customer's
    language, else that customer's reseller's (a user of a customer goes no further), else the
    user's reseller's; without a user, the customer contact's, else its reseller's, else a
    reseller contact's; English for anyone else."""
    (user_id, user_lang, user_customer_id, uc_id, uc_lang, uc_reseller_id, ucr_lang, user_reseller_id, ur_lang,
     contact_id, contact_lang, contact_reseller_id, cr_lang, reseller_lang) = row[:14]
    if user_id is not None and i18n.normalize(user_lang):
        return i18n.normalize(user_lang)
    customer = None
    if user_id is not None and user_customer_id is not None and uc_id is not None:
        customer = (uc_lang, uc_reseller_id, ucr_lang)
    if customer is None and user_id is None and contact_id is not None:
        customer = (contact_lang, contact_reseller_id, cr_lang)
    if customer is not None:
        language, reseller_id, its_reseller_lang = customer
        if i18n.normalize(language):
            return i18n.normalize(language)
        return (i18n.normalize(its_reseller_lang) if reseller_id is not None else None) or i18n.DEFAULT
    if user_id is not None:
        return (i18n.normalize(ur_lang) if user_reseller_id is not None else None) or i18n.DEFAULT
    return i18n.normalize(reseller_lang) or i18n.DEFAULT


def recipient_language(session: Session, address: str) -> str:
    """The language mail to ``address`` is written in (see ``_language_of``)."""
    addr = (address or "").strip().lower()
    if not addr:
        return i18n.DEFAULT
    return _language_of(session.exec(_RECIPIENT, params={"addr": addr}).one())


def _recipient_and_template(session: Session, address: str, event: str) -> tuple[str, tuple[str, str] | None]:
    """``recipient_language`` and the event's saved template in that language (None: not saved yet)."""
    row = session.exec(_RECIPIENT_AND_TEMPLATES, params={"addr": address.strip().lower(), "event": event}).one()
    language = _language_of(row)
    index = 14 + 2 * list(i18n.LANGUAGES).index(language)
    subject, body = row[index], row[index + 1]
    return language, (None if subject is None else (subject, body))


def may_receive(event: str, kind: str, variables: dict[str, str]) -> bool:
    """Whether a recipient of ``kind`` gets this event's mail: internal events (process steps,
    SLA warnings) never go to a customer's contact."""
    if kind != "customer":
        return True
    audience = mt.TEMPLATES[event].audience
    if audience is mt.Audience.STAFF:
        return False
    if audience is mt.Audience.PROCESS:
        return variables.get("event", "") in mt.CUSTOMER_PROCESS_EVENTS
    return True


def render_event(session: Session, event: str, variables: dict[str, str], language: str,
                 saved: tuple[str, str] | None = None) -> tuple[str, str]:
    """Subject and body of ``event`` in ``language`` from its saved template (``saved``: its
    subject and body, already read); a saved template that fails to render is logged and the
    built-in text used, so the mail still goes out."""
    if saved is None:
        row = template_for(session, event, language)
        saved = row.subject, row.body
    try:
        return render(*saved, variables, language)
    except BadInput as exc:
        log.error("template %s (%s) cannot be rendered, using the built-in text: %s", event, language, exc)
        _name, subject, body = default_text(event, language)
        return render(subject, body, variables, language)


def enqueue(
    session: Session,
    *,
    event: str,
    order_id: int | None,
    recipients: Iterable[tuple[str, str]],
    variables: dict[str, str],
    now: datetime,
    files: list[dict[str, str]] | None = None,
) -> list[int]:
    """Write one outbox message per distinct recipient (in the caller's transaction), each in
    its recipient's language; recipients who may not get this event (a customer and an
    internal event) are left out. Returns the new messages' ids.

    ``files``: attachments as ``{"path", "name", "type"}``; the sender attaches them.
    """
    if event not in mt.TEMPLATES:
        raise NotFound(_("No template for {event}.").format(event=event[:60]))
    rows, seen = [], set()
    rendered: dict[str, tuple[str, str]] = {}
    for kind, addr in recipients:
        addr = (addr or "").strip()
        if not addr or addr.lower() in seen or not may_receive(event, kind, variables):
            continue
        seen.add(addr.lower())
        language, saved = _recipient_and_template(session, addr, event)
        if language not in rendered:
            rendered[language] = render_event(session, event, variables, language, saved)
        subject, body = rendered[language]
        rows.append(session.execute(_OUTBOX_INSERT, {
            "created_at": now, "event": event, "order_id": order_id, "recipient_kind": kind, "to_addr": addr,
            "subject": subject, "body": body, "state": "pending", "attempts": 0, "next_attempt_at": now,
            "last_error": "", "attachments": json.dumps(files or []), "language": language}).scalar_one())
    return rows


# A Core insert (every move's customer e-mail): no unit-of-work flush; the row is in the
# transaction at once, and its id comes back.
_OUTBOX_INSERT = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id)


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
    mail["Date"] = mail_date(message.created_at)
    mail["Message-ID"] = message_id(config, message.id)
    mail["X-Ordertrack-Outbox-Id"] = str(message.id)
    mail.set_content(message.body)
    mail.add_alternative(html_part(message.subject, message.body, message.language or ""), subtype="html")
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
    for _round in range(batch):
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


# ---------------------------------------------------------------- the settings page


def preview_variables(session: Session, *, base_url: str = "") -> dict[str, str]:
    """Values for previewing every template with real data: the newest order, its customer,
    the newest provisioning failure, an SLA clock and a message; the sample values where the
    database has none yet."""
    from ordertrack.db.message_models import OrderMessage
    from ordertrack.db.notify_models import OrderFailure, Remedy
    from ordertrack.db.sla_models import OrderSla
    values = dict(mt.SAMPLE_VARIABLES)
    base = (base_url or "").rstrip("/") or values["order_link"].rsplit("/orders/", 1)[0]
    failure = session.exec(select(OrderFailure).order_by(col(OrderFailure.id).desc())).first()
    order_query = select(Order, Customer).join(Customer, Customer.id == Order.customer_id)
    if failure is not None:
        order_query = order_query.where(Order.id == failure.order_id)
    row = session.exec(order_query.order_by(col(Order.id).desc())).first()
    if row is None:
        return values
    order, customer = row
    link = f"{base}/orders/{order.number}"
    values.update(order_number=order.number, order_name=order.name, customer=customer.name, order_link=link,
                  subject_name=f"{order.number} {order.name}", company=customer.name, phase=order.phase,
                  status=order.status)  # keys: the preview labels them in the template's language
    if failure is not None:
        remedy = session.exec(select(Remedy).where(Remedy.reason_code == failure.reason_code)).first()
        values.update(reason=remedy.issue if remedy else failure.reason_code, remedy=remedy.steps if remedy else "",
                      details=failure.details, resolution=failure.resolution or values["resolution"])
    message = session.exec(select(OrderMessage).where(OrderMessage.order_id == order.id, OrderMessage.kind != "comment")
                           .order_by(col(OrderMessage.id).desc())).first()
    if message is not None:
        values.update(subject=message.subject, message=message.body, sender=message.author_name)
    clock = session.get(OrderSla, order.id)
    if clock is not None:
        values.update(target=f"{round(clock.target_hours, 1):g}",
                      used=f"{round(clock.target_hours * 0.75, 1):g}", percent="75")
    return values


def contact_languages(session: Session, *, customer_ids: Iterable[int]) -> dict[int, str]:
    """The language each customer's contact gets mail in: its own, else ``""`` (its reseller's)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    return {cid: (i18n.normalize(lang) or "") for cid, lang in
            session.exec(select(Customer.id, Customer.language).where(col(Customer.id).in_(ids))).all()}


def set_contact_language(session: Session, *, principal, customer_id: int, language: str) -> None:
    """Set the language of a customer contact's mail (``""``: its reseller's), for those who may
    edit the customer's contact (its reseller, support, administrators; the caller commits).

    Raises:
        BadInput: not a language of the product.  NotFound: a customer the principal may not edit.
    """
    from ordertrack.domain.roles import Role

    language = (language or "").strip()
    if language and i18n.normalize(language) != language:
        raise BadInput(_("Unknown language."))
    if principal.role not in (Role.RESELLER, Role.ADMIN, Role.SUPPORT):
        raise Forbidden(_("Only a reseller, support or an administrator may edit contact information."))
    customer = session.get(Customer, customer_id)
    if customer is None or (principal.role is Role.RESELLER and customer.reseller_id != principal.reseller_id):
        raise NotFound(_("Customer not found."))
    customer.language = language or None
    session.add(customer)
    session.flush()
