"""APScheduler wiring only: an interval trigger is the clock; the sweep is a service.

Started from a Reflex lifespan task (once per worker, never at import). Business deadlines
are never APScheduler jobs: they live on rows and the sweep applies them with
compare-and-set, so several workers or a restart after downtime apply each exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ordertrack.clock import get_clock
from ordertrack.db.engine import get_engine, session_scope
from ordertrack.live import publish
from ordertrack.services import notifications, processes, provisioning, status_moves, timers
from ordertrack.services.calendars import business_calendar
from ordertrack.settings import get_settings

log = logging.getLogger(__name__)
_last_sweep = None


def recipients() -> provisioning.Recipients:
    """Where notifications go, from settings."""
    s = get_settings()
    return provisioning.Recipients(support=s.support_email, base_url=s.public_url)


def smtp_config() -> notifications.SmtpConfig:
    """The SMTP server of the outbox sender, from settings."""
    s = get_settings()
    return notifications.SmtpConfig(host=s.smtp_host, port=s.smtp_port, security=s.smtp_security,
                                    user=s.smtp_user, password=s.smtp_password, mail_from=s.mail_from)


def mail_sender():
    """SMTP when a host is configured, else the local Maildir (demos, development)."""
    s = get_settings()
    if s.smtp_host:
        return notifications.smtp_sender(smtp_config())
    return notifications.maildir_sender(smtp_config(), s.mail_dir)


def mail_route() -> str:
    """Where the outbox delivers, in words (the outbox page shows it)."""
    s = get_settings()
    if s.smtp_host:
        return f"SMTP {s.smtp_host}:{s.smtp_port} ({s.smtp_security})"
    return f"no SMTP server configured: messages are written to the folder {s.mail_dir} (set ORDERTRACK_SMTP_HOST)"


def sweep_once() -> timers.SweepResult:
    """One sweep at the clock's now (blocking; run in a thread): due order timers, failure
    escalations, then the outbox."""
    now, engine = get_clock().now(), get_engine()
    result = timers.sweep(engine, now=now, calendar=business_calendar())
    escalated = provisioning.escalate_due(engine, now=now, recipients=recipients())
    tasks = processes.sweep_tasks(engine, now=now, calendar=business_calendar(), base_url=recipients().base_url,
                                  support=recipients().support)
    result.applied.extend(escalated + tasks)
    global _last_sweep
    with session_scope(engine) as session:
        if _last_sweep is not None and status_moves.crossed_threshold(session, since=_last_sweep, now=now):
            result.applied.append(0)  # an object changed colour by itself: push the walls
    _last_sweep = now
    notifications.deliver_due(engine, now=now, send=mail_sender())
    return result


async def run_sweep() -> None:
    """The scheduled job."""
    result = await asyncio.to_thread(sweep_once)
    if result.applied:
        publish()
    if result.applied or result.failed:
        log.info("sweep applied %d, skipped %d, failed %d", len(result.applied), result.skipped, result.failed)


@asynccontextmanager
async def scheduler_lifespan():
    """Run the sweep every ``ORDERTRACK_SWEEP_SECONDS`` while the app is up."""
    settings = get_settings()
    if settings.scheduler != "on":
        yield
        return
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        run_sweep,
        IntervalTrigger(seconds=settings.sweep_seconds),
        id="sweep",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)
