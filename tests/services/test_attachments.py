"""Attachments: random stored names, size and type limits, visibility of the message."""

from __future__ import annotations

import pytest

from ordertrack.domain.calendar import BusinessCalendar
from ordertrack.services import attachments as svc
from ordertrack.services import messages
from ordertrack.services.errors import BadInput, Forbidden, NotFound
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def files(tmp_path):
    return tmp_path / "files"


@pytest.fixture
def world(session):
    c = f.customer(session, now=NOW, contact_email="it@c.test")
    o = f.order(session, customer_id=c.id, now=NOW)
    _, op = f.user(session, role="operator")
    _, cust = f.user(session, role="customer", customer_id=c.id)
    session.commit()
    return dict(order=o, op=op, cust=cust)


def _store(session, world, files, name="plan.pdf", data=b"%PDF-1.4 hello", principal=None):
    return svc.store(session, principal=principal or world["op"], order_id=world["order"].id, filename=name,
                     data=data, folder=files, max_bytes=1024, now=NOW)


def test_stored_under_a_random_name_with_a_safe_display_name(session, world, files):
    view = _store(session, world, files, name="../../etc/pass wd.pdf")
    assert view.name == "pass wd.pdf"
    files = list(files.iterdir()) if files.exists() else []
    assert len(files) == 1 and files[0].name != "pass wd.pdf" and files[0].suffix == ".pdf"


@pytest.mark.parametrize(("name", "data", "message"), [
    ("tool.exe", b"MZ", "only"), ("big.pdf", b"x" * 2000, "larger than"), ("empty.txt", b"", "empty")])
def test_limits(session, world, files, name, data, message):
    with pytest.raises(BadInput, match=message):
        _store(session, world, files, name=name, data=data)
    assert list(files.iterdir()) if files.exists() else [] == []


def test_customers_cannot_upload_and_see_only_client_viewable_files(session, world, files):
    with pytest.raises(Forbidden):
        _store(session, world, files, principal=world["cust"])
    internal = _store(session, world, files, name="internal.txt", data=b"secret")
    shared = _store(session, world, files, name="quote.pdf")
    m1 = messages.post(session, principal=world["op"], order_id=world["order"].id, kind="comment", body="internal",
                       now=NOW, calendar=BusinessCalendar(), base_url="x")
    m2 = messages.post(session, principal=world["op"], order_id=world["order"].id, kind="comment", body="quote",
                       client_viewable=True, now=NOW, calendar=BusinessCalendar(), base_url="x")
    svc.attach_to_message(session, order_id=world["order"].id, message_id=m1, attachment_ids=[internal.id])
    svc.attach_to_message(session, order_id=world["order"].id, message_id=m2, attachment_ids=[shared.id])
    path, name, _ = svc.for_download(session, principal=world["cust"], attachment_id=shared.id, folder=files)
    assert name == "quote.pdf" and path.read_bytes().startswith(b"%PDF")
    with pytest.raises(NotFound):
        svc.for_download(session, principal=world["cust"], attachment_id=internal.id, folder=files)
