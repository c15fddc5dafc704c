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


def _other_tenant_order(session):
    c = f.customer(session, now=NOW, contact_email="it@other.test")
    o = f.order(session, customer_id=c.id, now=NOW)
    session.commit()
    return o


def test_an_upload_of_order_a_is_never_sent_with_a_message_of_order_b(session, world, files):
    """#12.5: upload on A, leave it unsent, send a follow-up on B naming it: refused, nothing sent."""
    import json

    from sqlmodel import select

    from ordertrack.db.message_models import Attachment, OrderMessage
    from ordertrack.db.notify_models import OutboxMessage

    upload = _store(session, world, files, name="secret-a.pdf")
    order_b = _other_tenant_order(session)
    with pytest.raises(BadInput, match="upload it again"):
        messages.post(session, principal=world["op"], order_id=order_b.id, kind="followup", body="see attached",
                      to="it@other.test", now=NOW, calendar=BusinessCalendar(), base_url="x",
                      attachment_ids=[upload.id], attachments_dir=str(files))
    session.rollback()
    assert session.exec(select(OrderMessage).where(OrderMessage.order_id == order_b.id)).all() == []
    assert session.exec(select(OutboxMessage)).all() == []
    assert session.get(Attachment, upload.id).message_id is None

    # on its own order, by its uploader, it is sent (and mailed) exactly once
    messages.post(session, principal=world["op"], order_id=world["order"].id, kind="followup", body="attached",
                  to="it@c.test", now=NOW, calendar=BusinessCalendar(), base_url="x", attachment_ids=[upload.id],
                  attachments_dir=str(files))
    mail = session.exec(select(OutboxMessage)).one()
    assert [a["name"] for a in json.loads(mail.attachments)] == ["secret-a.pdf"]
    with pytest.raises(BadInput):  # already sent: never again, not even on the same order
        messages.post(session, principal=world["op"], order_id=world["order"].id, kind="comment", body="again",
                      now=NOW, calendar=BusinessCalendar(), base_url="x", attachment_ids=[upload.id])


def test_another_staff_members_upload_or_an_unknown_id_is_refused(session, world, files):
    _, colleague = f.user(session, role="support")
    session.commit()
    theirs = _store(session, world, files, principal=colleague)
    for ids in ([theirs.id], [987654]):
        with pytest.raises(BadInput, match="upload it again"):
            messages.post(session, principal=world["op"], order_id=world["order"].id, kind="comment", body="x",
                          now=NOW, calendar=BusinessCalendar(), base_url="x", attachment_ids=ids)
        session.rollback()


def test_discarding_a_dialogs_uploads_removes_only_the_callers_unsent_files(session, world, files):
    from ordertrack.db.message_models import Attachment

    _, colleague = f.user(session, role="support")
    session.commit()
    mine = _store(session, world, files, name="mine.pdf")
    theirs = _store(session, world, files, name="theirs.pdf", principal=colleague)
    sent = _store(session, world, files, name="sent.pdf")
    messages.post(session, principal=world["op"], order_id=world["order"].id, kind="comment", body="x", now=NOW,
                  calendar=BusinessCalendar(), base_url="x", attachment_ids=[sent.id])
    assert svc.discard(session, principal=world["op"], attachment_ids=[mine.id, theirs.id, sent.id], folder=files) == 1
    assert session.get(Attachment, mine.id) is None
    assert session.get(Attachment, theirs.id) is not None and session.get(Attachment, sent.id) is not None
    assert len(list(files.iterdir())) == 2
