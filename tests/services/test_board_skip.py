"""A board drop on a column the order's queue has not reached, confirmed as "skip the remaining
actions" (issue 18.1): the actions are skipped and the order follows its queue; a stale drop is
refused and changes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ordertrack.db.models import Order
from ordertrack.db.process_models import ProcessRun, TaskInstance
from ordertrack.services import board_moves, process_queue
from ordertrack.services.errors import Conflict
from tests.conftest import NOW
from tests.services.test_queue_truth import _new, assert_one_truth, world  # noqa: F401 (fixture)


def _open_actions(session, order_id):
    return session.exec(select(TaskInstance.name).join(ProcessRun, ProcessRun.id == TaskInstance.run_id).where(
        ProcessRun.entity_kind == "order", ProcessRun.entity_id == order_id, TaskInstance.status == "open")).all()


def test_a_confirmed_skip_moves_the_order_to_the_dropped_column(session, world, calendar):  # noqa: F811
    created = _new(session, world, calendar, "server")
    with pytest.raises(process_queue.QueueNotReached) as refused:
        process_queue.check_move(session, order_id=created.id, target="execution")
    assert refused.value.steps == ("Order Review",)
    version = session.get(Order, created.id).version
    assert board_moves.skip_card(session, principal=world["op"], order_id=created.id, version=version,
                                 target="execution", now=NOW, calendar=calendar) == ("Order Review",)
    session.commit()
    assert session.get(Order, created.id).phase == "execution"
    assert sorted(_open_actions(session, created.id)) == ["Assign inventory", "Provision"]
    assert_one_truth(session, world["op"])


def test_a_stale_skip_is_refused_and_changes_nothing(session, world, calendar):  # noqa: F811
    created = _new(session, world, calendar, "server")
    version = session.get(Order, created.id).version
    with pytest.raises(Conflict):
        board_moves.skip_card(session, principal=world["op"], order_id=created.id, version=version + 1,
                              target="execution", now=NOW, calendar=calendar)
    session.rollback()
    assert session.get(Order, created.id).phase == "planning"
    assert sorted(_open_actions(session, created.id)) == ["Check credit", "Review address"]
