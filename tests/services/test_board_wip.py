"""WIP limits (issue 15.3): admins set them per scope; hard refuses, soft wants a reason that
goes into history; the header's count / limit and its level."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ordertrack.db.models import Order, StatusChange
from ordertrack.services import order_moves, wip
from ordertrack.services.errors import BadInput, Forbidden
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(session):
    r = f.reseller(session)
    mine = f.customer(session, now=NOW, reseller_id=r.id)
    other = f.customer(session, now=NOW)
    _, admin = f.user(session, role="admin")
    _, staff = f.user(session, role="operator")
    _, reseller = f.user(session, role="reseller", reseller_id=r.id)
    session.commit()
    return dict(r=r, mine=mine, other=other, admin=admin, staff=staff, reseller=reseller)


def _move(session, who, order, target, comment="", calendar=None):
    return order_moves.move_order(session, principal=who, order_id=order.id, target=target,
                                  expected_version=session.get(Order, order.id).version, now=NOW, comment=comment,
                                  calendar=calendar)


def test_only_admins_set_limits_and_bad_limits_change_nothing(session, world):
    with pytest.raises(Forbidden):
        wip.set_limit(session, principal=world["staff"], reseller_id=None, column="execution", limit=3, hard=True,
                      now=NOW)
    for bad in ("0", "-1", "abc", "100001"):
        with pytest.raises(BadInput):
            wip.set_limit(session, principal=world["admin"], reseller_id=None, column="execution", limit=bad,
                          hard=False, now=NOW)
    with pytest.raises(BadInput):
        wip.set_limit(session, principal=world["admin"], reseller_id=None, column="done", limit=3, hard=False, now=NOW)
    assert wip.usage(session, principal=world["staff"])["execution"].limit is None


def test_header_levels_and_scopes(session, world, calendar):
    for _ in range(2):
        f.order(session, customer_id=world["mine"].id, now=NOW, phase="execution")
    f.order(session, customer_id=world["other"].id, now=NOW, phase="execution")
    wip.set_limit(session, principal=world["admin"], reseller_id=None, column="execution", limit="3", hard=False,
                  now=NOW)
    wip.set_limit(session, principal=world["admin"], reseller_id=world["r"].id, column="execution", limit=1,
                  hard=True, now=NOW)
    session.commit()
    staff = wip.usage(session, principal=world["staff"])["execution"]
    assert (staff.count, staff.limit, staff.level) == (3, 3, "at")
    mine = wip.usage(session, principal=world["reseller"])["execution"]
    assert (mine.count, mine.limit, mine.hard, mine.level) == (2, 1, True, "over")
    assert wip.level_of(2, 3) == "ok" and wip.level_of(2, None) == ""


def test_soft_limit_asks_for_a_reason_that_goes_to_history(session, world, calendar):
    f.order(session, customer_id=world["other"].id, now=NOW, phase="execution")
    moving = f.order(session, customer_id=world["other"].id, now=NOW - timedelta(days=1))
    wip.set_limit(session, principal=world["admin"], reseller_id=None, column="execution", limit=1, hard=False,
                  now=NOW)
    session.commit()
    with pytest.raises(wip.WipReasonNeeded, match="at its WIP limit: 1 of 1"):
        _move(session, world["staff"], moving, "execution", calendar=calendar)
    session.rollback()
    _move(session, world["staff"], moving, "execution", comment="Carrier slot today", calendar=calendar)
    session.commit()
    row = session.exec(select(StatusChange).where(StatusChange.entity_id == moving.id, StatusChange.to_state ==
                                                  "execution")).one()
    assert row.comment == "Over the WIP limit of Execution (2 of 1): Carrier slot today"


def test_hard_limit_of_the_orders_reseller_refuses_and_others_pass(session, world, calendar):
    f.order(session, customer_id=world["mine"].id, now=NOW, phase="execution")
    blocked = f.order(session, customer_id=world["mine"].id, now=NOW)
    free = f.order(session, customer_id=world["other"].id, now=NOW)
    wip.set_limit(session, principal=world["admin"], reseller_id=world["r"].id, column="execution", limit=1,
                  hard=True, now=NOW)
    session.commit()
    with pytest.raises(BadInput, match="Execution is full: 1 of 1 orders"):
        _move(session, world["staff"], blocked, "execution", comment="please", calendar=calendar)
    session.rollback()
    assert session.get(Order, blocked.id).phase == "planning"
    _move(session, world["staff"], free, "execution", calendar=calendar)  # another tenant: no limit
    session.commit()
    assert session.get(Order, free.id).phase == "execution"
    # removing the limit lets it through
    wip.set_limit(session, principal=world["admin"], reseller_id=world["r"].id, column="execution", limit="",
                  hard=True, now=NOW)
    _move(session, world["staff"], blocked, "execution", calendar=calendar)
    session.commit()
    assert session.get(Order, blocked.id).phase == "execution"


@pytest.mark.parametrize("engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_on_postgresql_two_concurrent_moves_into_the_last_free_slot_one_wins(engine, session, world, calendar):
    """Issue 15: two people drop an order into a column with one free slot under a hard limit
    at the same moment; one move wins, the other is refused with the limit's message (the
    second counts only after the first commits). Skipped without PostgreSQL (the engine
    fixture says why); SQLite serialises writers anyway."""
    import threading
    import time

    from sqlmodel import Session

    f.order(session, customer_id=world["mine"].id, now=NOW, phase="execution")
    first, second = (f.order(session, customer_id=world["mine"].id, now=NOW) for _ in range(2))
    wip.set_limit(session, principal=world["admin"], reseller_id=None, column="execution", limit=2, hard=True,
                  now=NOW)
    session.commit()
    first_moved, second_started = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def move_first() -> None:
        with Session(engine, expire_on_commit=False) as s:
            _move(s, world["staff"], first, "execution", calendar=calendar)
            first_moved.set()
            second_started.wait(10)
            time.sleep(0.5)  # the second move is counting the column meanwhile
            s.commit()
            outcome["first"] = "moved"

    def move_second() -> None:
        first_moved.wait(10)
        with Session(engine, expire_on_commit=False) as s:
            second_started.set()
            started = time.monotonic()
            try:
                _move(s, world["staff"], second, "execution", calendar=calendar)
                s.commit()
                outcome["second"] = "moved"
            except BadInput as exc:
                s.rollback()
                outcome["second"] = str(exc)
            outcome["waited"] = time.monotonic() - started

    threads = [threading.Thread(target=move_first), threading.Thread(target=move_second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcome["first"] == "moved"
    assert outcome["second"] == "Execution is full: 2 of 2 orders (hard WIP limit). Move another order out first."
    assert outcome["waited"] >= 0.4  # it waited for the first move's transaction
    session.expire_all()
    assert session.get(Order, first.id).phase == "execution" and session.get(Order, second.id).phase == "planning"
    assert wip.usage(session, principal=world["staff"])["execution"].count == 2
