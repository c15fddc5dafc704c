"""Issue 15.4 in Chromium: the board's and the Closed tab's "Export CSV" download every order
under the filters, read back as UTF-8 CSV with a header row and ISO 8601 dates."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import Customer, Order
from ordertrack.services.export import ORDER_HEADER
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _download(page) -> list[dict]:
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == ORDER_HEADER
        return list(reader)


def test_export_the_filtered_board_and_closed_tab_and_read_them_back(page, server):
    with Session(create_engine(server.db_url)) as s:
        cid, name = s.exec(select(Customer.id, Customer.name).order_by(Customer.id)).first()
        rows = s.exec(select(Order.number, Order.phase, Order.phase_since).where(Order.customer_id == cid)).all()
    month_ago = datetime.now(UTC) - timedelta(days=30)
    on_board = {n for n, phase, since in rows
                if phase not in ("closed", "canceled") or since.replace(tzinfo=UTC) >= month_ago}
    closed = {n for n, phase, _since in rows if phase in ("closed", "canceled")}
    login(page, "manager")
    page.goto("/board")
    page.get_by_label("Customer").select_option(str(cid))
    expect(page).to_have_url(f"{server.url}/board?customer={cid}")
    exported = _download(page)
    assert {r["number"] for r in exported} == on_board
    assert all(r["customer"] == name for r in exported)
    since = datetime.fromisoformat(exported[0]["phase_since"])  # ISO 8601 with its offset
    assert since.tzinfo is not None and since.utcoffset() == timedelta(0)

    page.get_by_role("tab", name="Closed").click()
    expect(page.locator("#closed-count")).to_have_text(f"{len(closed)} orders")
    exported = _download(page)
    assert {r["number"] for r in exported} == closed
    assert {r["status"] for r in exported} <= {"Closed", "Canceled"}
