"""Client and object statuses on SQLite and PostgreSQL: role matrix, comments, window,
permanence, device events, history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ordertrack.db.object_models import InstalledObject
from ordertrack.domain.engine import TransitionRefused
from ordertrack.services import status_moves as svc
from ordertrack.services.errors import BadInput, Forbidden, NotFound
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(session):
    r1, r2 = f.reseller(session), f.reseller(session)
    c1 = f.customer(session, now=NOW, reseller_id=r1.id)
    c2 = f.customer(session, now=NOW, reseller_id=r2.id)
    _, partner = f.user(session, role="partner", reseller_id=r1.id)
    _, admin = f.user(session, role="admin")
    _, mod = f.user(session, role="moderator")
    _, ts = f.user(session, role="techsupport")
    _, cust = f.user(session, role="customer", customer_id=c1.id)
    _, manager = f.user(session, role="manager")
    obj = InstalledObject(name="Terminal 1", customer_id=c1.id, status="verified", status_since=NOW)
    session.add(obj)
    session.commit()
    return dict(c1=c1, c2=c2, partner=partner, admin=admin, mod=mod, ts=ts, cust=cust, manager=manager, obj=obj)


def test_partner_changes_own_clients_status_with_comment_and_history(session, world):
    svc.change_status(session, principal=world["partner"], kind="customer", entity_id=world["c1"].id,
                      target="potential", expected_version=1, now=NOW, comment="Met at the fair")
    session.commit()
    rows = svc.history(session, principal=world["partner"], kind="customer", entity_id=world["c1"].id)
    assert [(r.status, r.user, r.comment) for r in rows] == [("Potential", world["partner"].display_name,
                                                              "Met at the fair")]


def test_empty_comment_and_other_roles_are_refused(session, world):
    with pytest.raises(TransitionRefused, match="comment is required"):
        svc.change_status(session, principal=world["admin"], kind="customer", entity_id=world["c1"].id,
                          target="potential", expected_version=1, now=NOW, comment="  ")
    with pytest.raises(Forbidden, match="Administrative group or a Partner"):
        svc.change_status(session, principal=world["manager"], kind="customer", entity_id=world["c1"].id,
                          target="potential", expected_version=1, now=NOW, comment="x")
    with pytest.raises((Forbidden, NotFound)):
        svc.change_status(session, principal=world["partner"], kind="customer", entity_id=world["c2"].id,
                          target="potential", expected_version=1, now=NOW, comment="x")


def test_client_window_on_verified_objects(session, world):
    obj = world["obj"]
    with pytest.raises(TransitionRefused, match="after 8 days in Verified"):
        svc.change_status(session, principal=world["cust"], kind="object", entity_id=obj.id, target="active",
                          expected_version=1, now=NOW + timedelta(days=9))
    svc.change_status(session, principal=world["cust"], kind="object", entity_id=obj.id, target="active",
                      expected_version=1, now=NOW + timedelta(days=7))
    session.commit()
    assert session.get(InstalledObject, obj.id).status == "active"


def test_out_of_service_returns_to_active_on_the_device_event(session, world):
    obj = world["obj"]
    svc.change_status(session, principal=world["mod"], kind="object", entity_id=obj.id, target="active",
                      expected_version=1, now=NOW)
    svc.change_status(session, principal=world["ts"], kind="object", entity_id=obj.id, target="out_of_service",
                      expected_version=2, now=NOW)
    assert svc.report_event(session, object_id=obj.id, event="object.in_service", actor="Terminal API", now=NOW) == \
        "active"
    session.commit()
    rows = svc.history(session, principal=world["ts"], kind="object", entity_id=obj.id)
    assert (rows[0].user, rows[0].comment) == ("System (Terminal API)", "object reported in service")
    with pytest.raises(BadInput, match="changes nothing"):
        svc.report_event(session, object_id=obj.id, event="object.in_service", actor="x", now=NOW)


def test_decommissioned_is_permanent(session, world):
    obj = InstalledObject(name="Old", customer_id=world["c1"].id, status="decommissioned", status_since=NOW)
    session.add(obj)
    session.commit()
    subject = svc.get_subject(session, principal=world["admin"], kind="object", entity_id=obj.id, now=NOW)
    assert subject.permanent and subject.moves == ()


def test_customer_sees_only_own_objects_and_colours_follow_time(session, world):
    other = InstalledObject(name="Elsewhere", customer_id=world["c2"].id, status="equipped",
                            status_since=NOW - timedelta(days=4))
    session.add(other)
    session.commit()
    assert [s.name for s in svc.list_objects(session, principal=world["cust"], now=NOW)] == ["Terminal 1"]
    by_name = {s.name: s for s in svc.list_objects(session, principal=world["mod"], now=NOW)}
    assert by_name["Elsewhere"].colour == "yellow" and by_name["Terminal 1"].blinking
    assert svc.crossed_threshold(session, since=NOW - timedelta(days=1, hours=1), now=NOW)
    assert not svc.crossed_threshold(session, since=NOW - timedelta(minutes=1), now=NOW)
