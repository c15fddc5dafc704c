"""CSV export (issue 15.4): tenant scope, header row, ISO 8601, formula-safe cells, and 100,000
rows streamed under a memory ceiling."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import timedelta

import pytest
from sqlalchemy import insert

from ordertrack.db.models import Order
from ordertrack.services import board as svc
from ordertrack.services import export, order_moves
from tests import factories as f
from tests.conftest import NOW


def _read(chunks) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(chunks))))


def test_board_and_closed_exports_are_scoped_and_read_back(engine, session, calendar):
    r = f.reseller(session)
    mine = f.customer(session, now=NOW, reseller_id=r.id, name="Ünïcode GmbH")
    other = f.customer(session, now=NOW, name="=HYPERLINK(evil)")
    _, reseller = f.user(session, role="reseller", reseller_id=r.id)
    _, staff = f.user(session, role="operator", display_name="Olga Owner")
    a = f.order(session, customer_id=mine.id, now=NOW - timedelta(days=2), phase="execution",
                owner_id=staff.user_id, name="Заказ №1")
    f.order(session, customer_id=other.id, now=NOW, phase="planning")
    done = f.order(session, customer_id=mine.id, now=NOW - timedelta(days=60), phase="closed", status="closed")
    session.commit()
    rows = _read(export.board_csv(principal=reseller, filters=svc.BoardFilters(), now=NOW, engine=engine))
    assert rows[0] == list(export.ORDER_HEADER)
    assert [r[0] for r in rows[1:]] == [a.number]  # the other tenant's order and the old closed one are not there
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["name"], row["customer"], row["phase"], row["owner"]) == ("Заказ №1", "Ünïcode GmbH", "Execution",
                                                                          "Olga Owner")
    assert row["phase_since"] == (NOW - timedelta(days=2)).isoformat() and row["phase_since"].endswith("+00:00")
    closed = _read(export.closed_csv(principal=reseller, filters=svc.BoardFilters(), engine=engine))
    assert [r[0] for r in closed[1:]] == [done.number]
    everything = _read(export.board_csv(principal=staff, filters=svc.BoardFilters(), now=NOW, engine=engine))
    assert "'=HYPERLINK(evil)" in {r[2] for r in everything[1:]}  # never a live formula
    assert "".join(export.closed_csv(principal=reseller, filters=svc.BoardFilters(), bom=True,
                                     engine=engine)).startswith("\ufeffnumber,")


def test_history_export_hides_internal_rows_from_customers(session, calendar):
    c = f.customer(session, now=NOW)
    _, cust = f.user(session, role="customer", customer_id=c.id)
    _, staff = f.user(session, role="operator")
    o = f.order(session, customer_id=c.id, now=NOW - timedelta(days=1))
    order_moves.add_note(session, principal=staff, order_id=o.id, expected_version=1, comment="internal only",
                         now=NOW, calendar=calendar, internal=True)
    order_moves.move_order(session, principal=staff, order_id=o.id, target="execution", expected_version=2, now=NOW,
                           calendar=calendar, comment="started")
    session.commit()
    staff_rows = _read(export.history_csv(session, principal=staff, number=o.number, now=NOW))
    cust_rows = _read(export.history_csv(session, principal=cust, number=o.number, now=NOW))
    assert staff_rows[0] == list(export.HISTORY_HEADER)
    assert "internal only" in {r[6] for r in staff_rows} and "internal only" not in {r[6] for r in cust_rows}
    assert cust_rows[1][6] == "started" and cust_rows[1][0] == NOW.isoformat()


def test_100000_rows_stream_under_a_memory_ceiling(engine, session):
    c = f.customer(session, now=NOW)
    _, staff = f.user(session, role="manager")
    session.commit()
    n = 100_000
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            conn.execute(insert(Order), [
                {"number": f"SO-X{i:06d}", "name": f"Bulk order {i}", "customer_id": c.id, "phase": "closed",
                 "status": "closed", "phase_since": NOW - timedelta(minutes=i), "status_since": NOW,
                 "priority": "normal", "version": 1, "created_at": NOW - timedelta(days=1)}
                for i in range(start, start + 10_000)])
    tracemalloc.start()
    try:
        lines = total = 0
        for chunk in export.closed_csv(principal=staff, filters=svc.BoardFilters(), engine=engine):
            lines += chunk.count("\r\n")
            total += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == n + 1
    assert total > 8_000_000  # ~9 MB of CSV went through ...
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"  # ... without holding it


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("-3", "'-3"), ("@x", "'@x"), ("fine", "fine")])
def test_cells_never_start_a_formula(value, expected):
    assert export._clean(value) == expected
