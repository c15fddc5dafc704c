"""The scheduler's sweep while things fail: back-off, one log line per outage, recovery.

No sleeping: time is an injected clock and the test calls ``Sweeper.step`` once per tick of
the interval trigger (1 s), as APScheduler would.
"""

from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy.exc import OperationalError

from ordertrack import scheduler
from ordertrack.db.engine import make_engine
from ordertrack.services.timers import SweepResult
from tests.conftest import NOW


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Sweep:
    """A sweep that fails while ``error`` is set, and records when it was called."""

    def __init__(self, clock: FakeClock):
        self.clock, self.calls, self.error = clock, [], None

    def __call__(self) -> SweepResult:
        self.calls.append(self.clock.t)
        if self.error is not None:
            raise self.error
        return SweepResult(applied=[1])


def _db_down() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused'))


def _tick(sweeper: scheduler.Sweeper, clock: FakeClock, seconds: int) -> None:
    for _ in range(seconds):
        sweeper.step()
        clock.t += 1.0


@pytest.fixture
def records(caplog):
    caplog.set_level(logging.DEBUG)
    return lambda: [r for r in caplog.records if r.levelno >= logging.INFO]


def test_while_the_database_is_down_the_sweep_backs_off_and_logs_once(records):
    clock = FakeClock()
    sweep = Sweep(clock)
    sweeper = scheduler.Sweeper(sweep, clock=clock)
    sweep.error = _db_down()
    _tick(sweeper, clock, 120)
    assert sweep.calls == [0, 1, 3, 7, 15, 31, 61, 91], "1, 2, 4, 8, 16 s, then every 30 s"
    [line] = records()
    assert line.levelno == logging.ERROR and line.exc_info is None, "one line, no traceback"
    assert "database is not answering" in line.getMessage() and "Connection refused" in line.getMessage()
    assert "\n" not in line.getMessage()


def test_the_first_success_logs_the_recovery_and_restores_the_interval(records):
    clock = FakeClock()
    sweep = Sweep(clock)
    sweeper = scheduler.Sweeper(sweep, clock=clock)
    sweep.error = _db_down()
    _tick(sweeper, clock, 20)  # attempts at 0, 1, 3, 7, 15; the next is due at 31
    sweep.error = None
    _tick(sweeper, clock, 15)
    assert sweep.calls == [0, 1, 3, 7, 15, 31, 32, 33, 34]
    down, up = records()
    assert up.levelno == logging.WARNING and "working again after 5 failed attempts in 31 s" in up.getMessage()
    sweep.error = _db_down()  # a new outage is a new line
    _tick(sweeper, clock, 5)
    assert [r.levelno for r in records()] == [logging.ERROR, logging.WARNING, logging.ERROR]


def test_each_kind_of_failure_is_logged_once_per_outage_a_bug_with_its_traceback(records):
    clock = FakeClock()
    sweep = Sweep(clock)
    sweeper = scheduler.Sweeper(sweep, clock=clock)
    sweep.error = _db_down()
    _tick(sweeper, clock, 10)
    sweep.error = KeyError("due_kind")
    _tick(sweeper, clock, 100)
    sweep.error = _db_down()
    _tick(sweeper, clock, 100)
    database, bug = records()
    assert database.exc_info is None
    assert bug.levelno == logging.ERROR and bug.exc_info is not None and "KeyError" in bug.getMessage()


def test_a_postgresql_that_refuses_connections_gives_one_line_for_the_whole_outage(caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here: connections are refused
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test")
    clock = FakeClock()
    sweeper = scheduler.Sweeper(lambda: scheduler.sweep_once(engine, NOW), clock=clock)
    with caplog.at_level(logging.INFO):
        _tick(sweeper, clock, 20)
    engine.dispose()
    assert sweeper.failures == 5
    [line] = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert line.name == "ordertrack.scheduler" and line.exc_info is None
    assert "database is not answering (OperationalError: connection failed" in line.getMessage()


def test_each_sweep_writes_a_few_missing_board_snapshot_days_until_the_last_90_are_there(engine):
    """Time travel's daily snapshots come from the sweep, at the sweep's (injected) time: a fresh
    database's 91 days over 13 sweeps, then nothing until the next day has begun."""
    from datetime import timedelta

    from sqlmodel import Session, func, select

    from ordertrack.db.board_models import BoardSnapshotDay
    from ordertrack.services import board_snapshots

    def days() -> int:
        with Session(engine) as s:
            return s.exec(select(func.count()).select_from(BoardSnapshotDay)).one()

    for sweeps in range(1, 14):
        scheduler.sweep_once(engine, NOW)
        assert days() == min(91, sweeps * scheduler.SNAPSHOTS_PER_SWEEP)
    scheduler.sweep_once(engine, NOW + timedelta(hours=1))
    assert days() == 91
    scheduler.sweep_once(engine, board_snapshots.day_of(NOW) + timedelta(days=1, minutes=6))
    assert days() == 91  # the new day in, the oldest out
