"""Bulk moves (issue 15.2): each card through the single-move path in its own transaction;
refusals come back with the engine's reason; at most 500 at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ordertrack.db.models import Order, StatusChange
from ordertrack.services import board as svc
from ordertrack.services import board_moves
from ordertrack.services.errors import BadInput, Forbidden
from tests import factories as f
from tests.conftest import NOW


def test_each_card_moves_or_is_refused_with_its_reason(engine, session, calendar):
    c = f.customer(session, now=NOW)
    _, staff = f.user(session, role="operator")
    ready = [f.order(session, customer_id=c.id, now=NOW - timedelta(days=1), phase="execution") for _ in range(3)]
    planning = f.order(session, customer_id=c.id, now=NOW - timedelta(days=1))
    stale = f.order(session, customer_id=c.id, now=NOW - timedelta(days=1), phase="execution")
    session.commit()
    items = [(o.number, 1) for o in ready] + [(planning.number, 1), (stale.number, 7), ("SO-NOPE", 1)]
    out = board_moves.move_cards(principal=staff, items=items, target="validation", comment="Batch activation",
                                 now=NOW, calendar=calendar, engine=engine)
    by = {o.number: o for o in out}
    assert [by[o.number].moved for o in ready] == [True, True, True]
    assert by[planning.number].detail == "There is no move from Planning and Provisioning to Customer Validation"
    assert "changed by someone else" in by[stale.number].detail
    assert by["SO-NOPE"].detail == "Order not found."
    assert board_moves.summary(out) == "3 orders moved, 3 refused."
    session.expire_all()
    assert [session.get(Order, o.id).phase for o in ready] == ["validation"] * 3
    assert session.get(Order, planning.id).phase == "planning"
    notes = session.exec(select(StatusChange.comment).where(StatusChange.entity_id == ready[0].id,
                                                            StatusChange.to_state == "validation")).all()
    assert notes == ["Batch activation"]


def test_limits_and_roles(session):
    _, staff = f.user(session, role="operator")
    _, customer = f.user(session, role="customer")
    with pytest.raises(BadInput, match="at most 500 orders at once; 501 are selected"):
        board_moves.check_bulk(principal=staff, count=501, target="execution")
    with pytest.raises(BadInput, match="Choose the phase"):
        board_moves.check_bulk(principal=staff, count=1, target="nowhere")
    with pytest.raises(Forbidden):
        board_moves.check_bulk(principal=customer, count=1, target="execution")


def test_select_all_in_a_column_follows_the_filters(session):
    a, b = f.customer(session, now=NOW), f.customer(session, now=NOW)
    _, staff = f.user(session, role="operator")
    mine = [f.order(session, customer_id=a.id, now=NOW - timedelta(hours=i), phase="execution") for i in range(4)]
    f.order(session, customer_id=b.id, now=NOW, phase="execution")
    session.commit()
    found = svc.column_selection(session, principal=staff, now=NOW, column="execution",
                                 filters=svc.BoardFilters(customer_id=a.id))
    assert {n for n, _v in found} == {o.number for o in mine} and all(v == 1 for _n, v in found)
    assert len(svc.column_selection(session, principal=staff, now=NOW, column="execution", cap=2)) == 2
