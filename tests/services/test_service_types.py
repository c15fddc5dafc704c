"""Service types as data (issue #16.5): administrators add, rename and stop offering types; the
intake, SLA targets, reports and the process designer's routing read the table and refuse keys
it does not offer, saying which."""

from __future__ import annotations

import pytest

from ordertrack import i18n
from ordertrack.db.models import OrderItem
from ordertrack.domain import process as p
from ordertrack.domain import process_edit as e
from ordertrack.services import intake, process_design, process_run, service_types, sla, sla_report
from ordertrack.services.errors import BadInput, Forbidden, NotFound
from tests import factories as f
from tests.conftest import NOW


@pytest.fixture
def world(session):
    _, admin = f.user(session, role="admin")
    _, manager = f.user(session, role="manager")
    _, op = f.user(session, role="operator")
    c = f.customer(session, now=NOW, contact_email="it@c.test")
    session.commit()
    return dict(admin=admin, manager=manager, op=op, customer=c)


def _order(session, world, calendar, service):
    return intake.create_order(session, customer_id=world["customer"].id, name="Test", service_type=service,
                               items=[(service, "x")], now=NOW, calendar=calendar, source="test")


def test_the_built_in_types_are_there_with_their_keys_and_both_names(session):
    by_key = service_types.by_key(session)
    assert list(by_key)[:3] == ["server", "hosting", "voice"]
    assert len(by_key) == 8 and all(t.active for t in by_key.values())
    assert service_types.label(session, "server", language="en") == "Dedicated server"
    with i18n.use("ru"):
        assert service_types.label(session, "server") == "Выделенный сервер"
        assert [o["name"] for o in service_types.options(session)][0] == "Выделенный сервер"


def test_an_admin_adds_a_type_that_orders_slas_and_routing_then_accept(session, world, calendar):
    added = service_types.add(session, principal=world["admin"], key=" Satellite ", label_en="Satellite link",
                              label_ru="", sort_order="", now=NOW)
    assert (added.key, added.active, added.sort_order) == ("satellite", True, 90)
    with i18n.use("ru"):  # no Russian name: the English one
        assert service_types.label(session, "satellite") == "Satellite link"
    pid = process_design.create_process(session, principal=world["manager"], name="Sky", type="Order", now=NOW)
    process_design.set_service_types(session, principal=world["manager"], process_id=pid,
                                     service_types="satellite")
    task = p.TaskDef("", "Point the dish", user_id=world["op"].user_id)
    process_design.edit(session, principal=world["manager"], process_id=pid, now=NOW,
                        change=lambda d: e.upsert_task(e.add_phase(d, "Dish"), "ph1", task))
    process_design.activate(session, principal=world["manager"], process_id=pid, now=NOW)
    created = _order(session, world, calendar, "satellite")
    assert created.queue == "Sky"
    assert process_run.run_view(session, entity_kind="order", entity_id=created.id).process_name == "Sky"
    settings = sla.get_settings(session, principal=world["admin"])
    assert {t.service_label for t in settings.targets if t.service_type == "satellite"} == {"Satellite link"}
    sla.set_target(session, principal=world["admin"], service_type="satellite", priority="high", target_hours=4,
                   now=NOW)
    report = sla_report.report(session, principal=world["admin"], now=NOW, calendar=calendar,
                               filters=sla_report.Filters(reseller_id=None, service_type="satellite", period="13w"))
    assert report.open_clocks == 1


@pytest.mark.parametrize(("key", "message"), [
    ("", "A key is 1 to 40"), ("9lives", "A key is 1 to 40"), ("has space", "A key is 1 to 40"),
    ("x" * 41, "A key is 1 to 40"), ("*", "reserved"), ("any", "reserved"), ("server", "already exists"),
])
def test_a_bad_or_taken_key_is_refused_and_nothing_is_added(session, world, key, message):
    with pytest.raises(BadInput, match=message):
        service_types.add(session, principal=world["admin"], key=key, label_en="Name", now=NOW)
    assert len(service_types.all_types(session)) == 8


def test_names_and_sort_order_are_checked(session, world):
    for en, ru, order in (("", "", ""), ("x" * 101, "", ""), ("Ok", "ы" * 101, "")):
        with pytest.raises(BadInput, match="English name"):
            service_types.add(session, principal=world["admin"], key="newtype", label_en=en, label_ru=ru,
                              sort_order=order, now=NOW)
    for order in ("-1", "ten", "100001"):
        with pytest.raises(BadInput, match="sort order"):
            service_types.update(session, principal=world["admin"], key="server", label_en="Server",
                                 label_ru="", sort_order=order, active=True, now=NOW)
    with pytest.raises(NotFound):
        service_types.update(session, principal=world["admin"], key="nope", label_en="Nope", label_ru="",
                             sort_order="1", active=True, now=NOW)


def test_only_administrators_edit_types(session, world):
    for who in ("manager", "op"):
        with pytest.raises(Forbidden, match="Only administrators"):
            service_types.add(session, principal=world[who], key="newtype", label_en="New", now=NOW)
        with pytest.raises(Forbidden):
            service_types.update(session, principal=world[who], key="server", label_en="S", label_ru="",
                                 sort_order="1", active=False, now=NOW)
        with pytest.raises(Forbidden):
            service_types.remove(session, principal=world[who], key="backup")
        with pytest.raises(Forbidden):
            service_types.admin_list(session, principal=world[who])
    assert service_types.by_key(session)["server"].active


def test_a_renamed_type_keeps_its_key_and_its_orders(session, world, calendar):
    created = _order(session, world, calendar, "hosting")
    service_types.update(session, principal=world["admin"], key="hosting", label_en="Web hosting",
                         label_ru="Веб-хостинг", sort_order="5", active=True, now=NOW)
    assert service_types.active(session)[0].key == "hosting"
    assert service_types.label(session, "hosting", language="ru") == "Веб-хостинг"
    kinds = session.exec(OrderItem.__table__.select().where(OrderItem.order_id == created.id)).all()
    assert [k.kind for k in kinds] == ["hosting"]


def test_a_deactivated_type_is_no_longer_offered_but_its_orders_and_queues_go_on(session, world, calendar):
    created = _order(session, world, calendar, "voice")
    service_types.update(session, principal=world["admin"], key="voice", label_en="SIP trunk / Cloud PBX",
                         label_ru="", sort_order="30", active=False, now=NOW)
    assert "voice" not in {o["id"] for o in service_types.options(session)}
    with pytest.raises(BadInput, match="no longer offered"):
        _order(session, world, calendar, "voice")
    with pytest.raises(BadInput, match="no longer offered"):
        sla.set_target(session, principal=world["admin"], service_type="voice", priority="normal",
                       target_hours=3, now=NOW)
    # the report still filters by it: its orders are reported
    sla_report.report(session, principal=world["admin"], now=NOW, calendar=calendar,
                      filters=sla_report.Filters(reseller_id=None, service_type="voice", period="13w"))
    assert created.number


def test_a_type_in_use_is_not_deleted_an_unused_one_is(session, world, calendar):
    _order(session, world, calendar, "backup")
    with pytest.raises(BadInput, match=r"in use \(orders: 1, processes: 0\)"):
        service_types.remove(session, principal=world["admin"], key="backup")
    pid = process_design.create_process(session, principal=world["admin"], name="L", type="Order", now=NOW)
    process_design.set_service_types(session, principal=world["admin"], process_id=pid, service_types="license")
    with pytest.raises(BadInput, match=r"processes: 1"):
        service_types.remove(session, principal=world["admin"], key="license")
    service_types.add(session, principal=world["admin"], key="spare", label_en="Spare", now=NOW)
    service_types.remove(session, principal=world["admin"], key="spare")
    assert "spare" not in service_types.by_key(session)
    rows = {r.view.key: (r.orders, r.processes) for r in service_types.admin_list(session, principal=world["admin"])}
    assert rows["backup"] == (1, 0) and rows["license"] == (0, 1)


def test_routing_refuses_unknown_keys_by_name_and_keeps_nothing(session, world):
    pid = process_design.create_process(session, principal=world["manager"], name="Q", type="Order", now=NOW)
    process_design.set_service_types(session, principal=world["manager"], process_id=pid, service_types="server")
    with pytest.raises(BadInput, match="Unknown service types: “servr”, “vpn”"):
        process_design.set_service_types(session, principal=world["manager"], process_id=pid,
                                         service_types="server, servr,vpn")
    assert process_design.load_draft(session, principal=world["manager"], process_id=pid).service_types == "server"
    process_design.set_service_types(session, principal=world["manager"], process_id=pid, service_types="*,server")
    assert process_design.load_draft(session, principal=world["manager"], process_id=pid).service_types == "*,server"


def test_an_inactive_type_may_stay_on_a_process_but_not_be_added(session, world):
    pid = process_design.create_process(session, principal=world["manager"], name="Q", type="Order", now=NOW)
    process_design.set_service_types(session, principal=world["manager"], process_id=pid, service_types="network")
    for key in ("network", "security"):
        service_types.update(session, principal=world["admin"], key=key, label_en=key.title(), label_ru="",
                             sort_order="1", active=False, now=NOW)
    process_design.set_service_types(session, principal=world["manager"], process_id=pid,
                                     service_types="network,server")
    with pytest.raises(BadInput, match="no longer offered: “Security”"):
        process_design.set_service_types(session, principal=world["manager"], process_id=pid,
                                         service_types="network,security")
    process_design.set_service_types(session, principal=world["manager"], process_id=pid, service_types="server")
    assert process_design.load_draft(session, principal=world["manager"], process_id=pid).service_types == "server"


def test_the_list_is_read_once_per_session_and_a_change_is_seen_at_once(session, world, engine):
    from sqlalchemy import event

    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    service_types.all_types(session)
    for key in ("server", "voice", "backup", "nope"):
        service_types.label(session, key)
    assert sum("FROM service_type" in s for s in statements) <= 1
    service_types.update(session, principal=world["admin"], key="server", label_en="Bare metal", label_ru="",
                         sort_order="10", active=True, now=NOW)
    assert service_types.label(session, "server", language="en") == "Bare metal"
