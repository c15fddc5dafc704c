"""APScheduler wiring only: an interval trigger is the clock; the sweep is a service.

Started from a Reflex lifespan task (once per worker, never at import). Business deadlines
are never APScheduler jobs: they live on rows and the sweep applies them with
compare-and-set, so several workers or a restart after downtime apply each exactly once.

While the sweep fails (the database refuses or does not answer), ``Sweeper`` backs off
(1 s, 2 s, 4 s ... at most 30 s between attempts), logs one line per kind of failure per
outage (no traceback when the database is simply unavailable) and one line when the sweep
works again, then returns to the normal interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from ordertrack.clock import get_clock
from ordertrack.db.engine import get_engine, session_scope, unreported
from ordertrack.db.errors import DatabaseUnavailable
from ordertrack.live import publish
from ordertrack.services import (
    board_snapshots,
    notifications,
    process_queue,
    process_run,
    provisioning,
    sla,
    status_moves,
    sweeping,
    timers,
)
from ordertrack.services.calendars import business_calendar
from ordertrack.settings import get_settings

log = logging.getLogger(__name__)
_last_sweep = None
FIRST_DELAY = 1.0  # seconds before the first retry of a failed sweep; doubles per failure
MAX_DELAY = 30.0
SNAPSHOTS_PER_SWEEP = 7  # board snapshot days written per sweep at most (a backfill spreads over sweeps)
DATABASE_DOWN = "sweep: the database is not answering ({error}); retrying with back-off up to {cap:g} s"
SWEEP_FAILED = "sweep failed ({kind}); retrying with back-off up to {cap:g} s"
RECOVERED = "sweep: working again after {failures} failed attempts in {seconds:.0f} s"


def recipients() -> provisioning.Recipients:
    """Where notifications go, from settings."""
    s = get_settings()
    return provisioning.Recipients(support=s.support_email, base_url=s.public_url)


def smtp_config() -> notifications.SmtpConfig:
    """The SMTP server of the outbox sender, from settings."""
    s = get_settings()
    return notifications.SmtpConfig(host=s.smtp_host, port=s.smtp_port, security=s.smtp_security,
                                    user=s.smtp_user, password=s.smtp_password, mail_from=s.mail_from,
                                    id_secret=s.secret_key)


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


def sweep_once(engine: Engine | None = None, now: datetime | None = None) -> timers.SweepResult:
    """One sweep (blocking; run in a thread): due order timers, failure escalations, process
    tasks, SLA warnings, wall colours, the outbox, then the board snapshots due (time travel:
    the day just begun, and any missing day of the last 90).

    Raises:
        Whatever the database raises when it cannot be reached: ``Sweeper`` backs off.
    """
    now, engine = now or get_clock().now(), engine or get_engine()
    result = timers.sweep(engine, now=now, calendar=business_calendar())
    escalated = provisioning.escalate_due(engine, now=now, recipients=recipients())
    escalated += provisioning.reconcile(engine, now=now)  # failures whose order was closed or provisioned since
    tasks = process_run.sweep_tasks(engine, now=now, calendar=business_calendar(), base_url=recipients().base_url,
                                  support=recipients().support)
    result.applied.extend(escalated + tasks)
    result.applied.extend(process_queue.reconcile_queues(engine, now=now, calendar=business_calendar()))
    warned = sla.sweep_due(engine, now=now, calendar=business_calendar(), base_url=recipients().base_url)
    result.applied.extend(order_id for order_id, _threshold in warned.fired)
    global _last_sweep
    with session_scope(engine) as session:
        if _last_sweep is not None and status_moves.crossed_threshold(session, since=_last_sweep, now=now):
            result.applied.append(0)  # an object changed colour by itself: push the walls
    _last_sweep = now
    notifications.deliver_due(engine, now=now, send=mail_sender())
    board_snapshots.take_due(engine, now=now, batch=SNAPSHOTS_PER_SWEEP)
    return result


def _one_line(exc: BaseException) -> str:
    """The driver's first line ("connection refused ..."), without SQL or links."""
    if isinstance(exc, DatabaseUnavailable) and exc.reason:
        return exc.reason
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0]}" if text else type(cause).__name__


class Sweeper:
    """Runs the sweep on each tick of the scheduler, backing off while it fails.

    ``step`` is the whole behaviour (tests call it with an injected ``clock`` and sweep):
    a tick before the back-off has passed does nothing; a failure doubles the wait (from
    ``first_delay`` up to ``max_delay``) and is logged once per kind until the sweep succeeds;
    the first success logs the recovery and restores the normal interval.
    """

    def __init__(self, sweep: Callable[[], timers.SweepResult], *, clock: Callable[[], float] = time.monotonic,
                 first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY) -> None:
        self._sweep, self._clock = sweep, clock
        self._first, self._max = first_delay, max_delay
        self.failures = 0  # consecutive failed sweeps
        self.next_at = float("-inf")  # no sweep before this (clock time)
        self._kinds: set[str] = set()  # failure kinds already logged in this outage
        self._since = 0.0

    def step(self) -> timers.SweepResult | None:
        """Sweep now unless backing off; None when skipped or failed."""
        if self._clock() < self.next_at:
            return None
        try:
            with unreported():  # one line per outage, written here
                result = self._sweep()
        except Exception as exc:  # the sweep's own rows never raise: this is the database or a bug
            self._failed(exc)
            return None
        if self.failures:
            log.warning(RECOVERED.format(failures=self.failures, seconds=self._clock() - self._since))
        self.failures, self.next_at = 0, float("-inf")
        self._kinds.clear()
        return result

    def _failed(self, exc: Exception) -> None:
        now = self._clock()
        if not self.failures:
            self._since = now
        self.failures += 1
        self.next_at = now + min(self._first * 2 ** (self.failures - 1), self._max)
        down = sweeping.is_database_unavailable(exc)
        kind = "database unavailable" if down else f"{type(exc).__module__}.{type(exc).__qualname__}"
        if kind in self._kinds:
            log.debug("sweep failed again (%d in a row): %s", self.failures, _one_line(exc))
            return
        self._kinds.add(kind)
        if down:
            log.error(DATABASE_DOWN.format(error=_one_line(exc), cap=self._max))
        else:
            log.error(SWEEP_FAILED.format(kind=_one_line(exc), cap=self._max), exc_info=exc)

    async def run(self) -> None:
        """The scheduled job: one step in a thread, then push what changed."""
        result = await asyncio.to_thread(self.step)
        if result is None:
            return
        if result.applied:
            publish()
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
        Sweeper(sweep_once).run,
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
