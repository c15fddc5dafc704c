"""SLA clocks on SQLite and PostgreSQL: targets given at creation, admin-only settings, pauses
and resumes written to history, warnings once per threshold (two sweepers, restarts)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ordertrack.db.models import Order, StatusChange
from ordertrack.db.notify_models import OutboxMessage
from ordertrack.db.sla_models import OrderSla, SlaPause, SlaWarning
from ordertrack.services import intake, order_moves, order_views, service_types, sla, tickets
from ordertrack.services.errors import BadInput, Conflict, Forbidden
from tests import factories as f
from tests.conftest import NOW  # Tuesday 24 Nov 2026 10:00 in London (GMT)

H = timedelta(hours=1)


@pytest.fixture
def world(session, calendar):
    c = f.customer(session, now=NOW, contact_email="it@c.test")
    owner, op = f.user(session, role="operator", email="owner@t.test")
    _, admin = f.user(session, role="admin", email="admin@t.test")
    _, m1 = f.user(session, role="manager", email="m1@t.test")
    f.user(session, role="manager", email="m2@t.test")
    _, cust = f.user(session, role="customer", customer_id=c.id)
    sla.set_target(session, principal=admin, service_type="server", priority="normal", target_hours=8, now=NOW)
    session.commit()
    return dict(customer=c, owner=owner, op=op, admin=admin, manager=m1, cust=cust)


def _new(session, world, calendar, *, service="server", at=NOW, owned=True):
    created = intake.create_order(session, customer_id=world["customer"].id, name="Test", service_type=service,
                                  items=[(service, "x")], now=at, calendar=calendar, source="test")
    if owned:
        order = order_moves._load_for_write(session, principal=world["op"], order_id=created.id)[0]
        order_moves.update_planning(session, principal=world["op"], order_id=created.id, expected_version=order.version,
                                    change=order_moves.PlanningChange(None, None, world["owner"].id, "normal"), now=at,
                                    calendar=calendar)
    session.commit()
    return created.id


def _move(session, world, calendar, order_id, target, at, **kw):
    version = session.exec(select(Order.version).where(Order.id == order_id)).one()
    order_moves.move_order(session, principal=world["op"], order_id=order_id, target=target, expected_version=version,
                           now=at, calendar=calendar, comment=kw.pop("comment", "because"), **kw)
    session.commit()


def _sla_history(session, order_id):
    return [c.comment for c in session.exec(select(StatusChange).where(
        StatusChange.entity_kind == "sla", StatusChange.entity_id == order_id).order_by(StatusChange.from_version))]


def _mails(session):
    return sorted((m.order_id, m.to_addr, m.subject) for m in session.exec(
        select(OutboxMessage).where(OutboxMessage.event == "sla_threshold")).all())


def _clock(session, world, calendar, order_id, at):
    session.expire_all()
    return sla.clock_of(session, principal=world["op"], order_id=order_id, now=at, calendar=calendar)


# ------------------------------------------------------------------ targets and settings


def test_each_new_order_gets_the_target_in_force_when_it_was_created(session, world, calendar):
    first = _new(session, world, calendar)
    voice = _new(session, world, calendar, service="voice")
    sla.set_target(session, principal=world["admin"], service_type="server", priority="normal", target_hours=12,
                   now=NOW)
    session.commit()
    second = _new(session, world, calendar)
    rows = {r.order_id: r for r in session.exec(select(OrderSla)).all()}
    assert (rows[first].target_hours, rows[second].target_hours) == (8, 12)  # the old order keeps its target
    assert (rows[voice].target_hours, rows[voice].service_type) == (sla.default_target("voice", "normal"), "voice")
    assert _sla_history(session, second)[0] == (
        "SLA clock started: resolution target 12 business hours (Dedicated server, normal priority).")
    view = _clock(session, world, calendar, first, NOW + 4 * H)
    assert (view.state, view.elapsed_hours, view.remaining_hours, view.percent) == ("running", 4, 4, 50)
    assert view.deadline == NOW + 24 * H  # 7 h today, the last hour tomorrow at 10:00


def test_a_new_priority_takes_the_target_of_that_priority(session, world, calendar):
    order_id = _new(session, world, calendar)
    version = session.exec(select(Order.version).where(Order.id == order_id)).one()
    order_moves.update_planning(session, principal=world["op"], order_id=order_id, expected_version=version,
                                change=order_moves.PlanningChange(None, None, world["owner"].id, "urgent"), now=NOW + H,
                                calendar=calendar)
    session.commit()
    assert session.get(OrderSla, order_id).target_hours == sla.default_target("server", "urgent")
    assert "SLA target 8 → 32 business hours (priority urgent)." in _sla_history(session, order_id)


def test_only_administrators_change_the_settings_and_staff_read_them(session, world, calendar):
    before = sla.get_settings(session, principal=world["manager"])
    assert before.thresholds == (50, 75, 100) and before.version == 0
    assert {r.code for r in before.rules if r.active} == {"phase:validation", "hold:hold", "ticket:on_hold"}
    server = next(t for t in before.targets if (t.service_type, t.priority) == ("server", "normal"))
    assert (server.target_hours, server.default) == (8, False)
    assert len(before.targets) == len(service_types.active(session)) * len(sla.PRIORITIES)
    for who in ("op", "manager"):
        with pytest.raises(Forbidden):
            sla.set_target(session, principal=world[who], service_type="server", priority="normal", target_hours=1,
                           now=NOW)
        with pytest.raises(Forbidden):
            sla.set_policy(session, principal=world[who], thresholds="50", pause_rules=[], expected_version=0,
                           now=NOW, calendar=calendar)
    with pytest.raises(Forbidden):
        sla.get_settings(session, principal=world["cust"])
    assert sla.get_settings(session, principal=world["admin"]) == before


@pytest.mark.parametrize("bad", [
    dict(service_type="teleport"), dict(priority="asap"), dict(target_hours=0), dict(target_hours=-4),
    dict(target_hours="soon"), dict(target_hours=float("nan")), dict(target_hours=10_001),
])
def test_bad_targets_are_refused_and_change_nothing(session, world, bad):
    args = dict(principal=world["admin"], service_type="server", priority="normal", target_hours=5, now=NOW)
    with pytest.raises(BadInput):
        sla.set_target(session, **{**args, **bad})
    assert sla.target_for(session, service_type="server", priority="normal") == 8


@pytest.mark.parametrize("thresholds, rules", [
    ("", ["phase:validation"]), ("0, 50", []), ("50, 600", []), ("fifty", []), ("50.5", []),
    ("50", ["phase:closed"]), ("50", ["colour:red"]), ("50", ["validation"]),
])
def test_bad_policies_are_refused_and_change_nothing(session, world, calendar, thresholds, rules):
    with pytest.raises(BadInput):
        sla.set_policy(session, principal=world["admin"], thresholds=thresholds, pause_rules=rules,
                       expected_version=0, now=NOW, calendar=calendar)
    assert sla.policy(session).version == 0


def test_a_stale_settings_form_is_refused(session, world, calendar):
    sla.set_policy(session, principal=world["admin"], thresholds="50, 100", pause_rules=["phase:validation"],
                   expected_version=0, now=NOW, calendar=calendar)
    session.commit()
    with pytest.raises(Conflict):
        sla.set_policy(session, principal=world["admin"], thresholds="75", pause_rules=[], expected_version=0,
                       now=NOW, calendar=calendar)


# ------------------------------------------------------------------ pauses and resumes


def test_customer_validation_pauses_the_clock_a_reopen_resumes_it_and_the_close_stops_it(session, world, calendar):
    oid = _new(session, world, calendar)
    _move(session, world, calendar, oid, "execution", NOW + H)
    _move(session, world, calendar, oid, "validation", NOW + 2 * H)  # 12:00, 2 h used
    paused = _clock(session, world, calendar, oid, NOW + 26 * H)  # next day 12:00
    assert (paused.state, paused.elapsed_hours, paused.paused_hours) == ("paused", 2, 8)
    assert paused.pause_reason == "in Customer Validation" and paused.deadline is None
    assert session.get(OrderSla, oid).due_at is None  # no warning can fall due while paused
    _move(session, world, calendar, oid, "execution", NOW + 26 * H)
    resumed = session.get(OrderSla, oid)
    assert resumed.state == "running"
    assert resumed.due_at == NOW + 26 * H + 2 * H  # 50 % (4 h): 2 h more from the resume
    _move(session, world, calendar, oid, "validation", NOW + 27 * H)
    _move(session, world, calendar, oid, "closed", NOW + 30 * H, channel="email")
    done = _clock(session, world, calendar, oid, NOW + 100 * H)
    assert (done.state, done.elapsed_hours) == ("stopped", 3)
    assert _sla_history(session, oid)[1:] == [
        "SLA clock paused: in Customer Validation.",
        "SLA clock resumed: in Customer Validation ended.",
        "SLA clock paused: in Customer Validation.",
        "SLA clock stopped: 3 of 8 business hours used, target met.",
    ]
    pauses = session.exec(select(SlaPause).where(SlaPause.order_id == oid).order_by(SlaPause.id)).all()
    assert [(p.started_at, p.ended_at) for p in pauses] == [(NOW + 2 * H, NOW + 26 * H), (NOW + 27 * H, NOW + 30 * H)]
    number = session.get(Order, oid).number
    page = order_views.get_order(session, principal=world["op"], number=number, now=NOW + 30 * H)
    assert [h.comment for h in page.history[:2]] == [
        f"Customer approved by e-mail (recorded by {world['op'].display_name}). because",
        "SLA clock stopped: 3 of 8 business hours used, target met.",
    ]  # the move first, then what it did to the clock
    own = order_views.get_order(session, principal=world["cust"], number=number, now=NOW + 30 * H)
    assert not [h for h in own.history if h.comment.startswith("SLA")]  # the SLA is staff business


def test_a_ticket_on_hold_pauses_and_its_reopening_resumes(session, world, calendar):
    oid = _new(session, world, calendar)
    ticket = tickets.open_ticket(session, principal=world["cust"], order_id=oid, subject="Site access",
                                 body="Who has the keys?", now=NOW + H, calendar=calendar)
    assert session.get(OrderSla, oid).state == "running"  # an open ticket waits on us, not on the customer
    tickets.set_status(session, principal=world["op"], ticket_id=ticket, status="on_hold", now=NOW + 2 * H,
                       calendar=calendar)
    assert session.get(OrderSla, oid).state == "paused"
    tickets.set_status(session, principal=world["op"], ticket_id=ticket, status="open", now=NOW + 5 * H,
                       calendar=calendar)
    session.commit()
    assert _clock(session, world, calendar, oid, NOW + 5 * H).elapsed_hours == 2
    assert _sla_history(session, oid)[-2:] == ["SLA clock paused: a ticket is On Hold.",
                                               "SLA clock resumed: a ticket is On Hold ended."]


def test_an_order_on_hold_pauses_until_released_or_moved_on(session, world, calendar):
    oid = _new(session, world, calendar)
    assert sla.set_hold(session, principal=world["op"], order_id=oid, on=True, now=NOW + H, calendar=calendar)
    assert session.get(OrderSla, oid).state == "paused"
    _move(session, world, calendar, oid, "execution", NOW + 3 * H)  # moving it on ends the hold
    row = session.get(OrderSla, oid)
    assert (row.state, row.on_hold) == ("running", False)
    sla.set_hold(session, principal=world["op"], order_id=oid, on=True, now=NOW + 4 * H, calendar=calendar)
    sla.set_hold(session, principal=world["op"], order_id=oid, on=False, now=NOW + 5 * H, calendar=calendar)
    session.commit()
    assert _clock(session, world, calendar, oid, NOW + 6 * H).elapsed_hours == 3  # 10-11, 13-14, 15-16
    assert _sla_history(session, oid).count("SLA clock paused: order on hold.") == 2
    with pytest.raises(Forbidden):
        sla.set_hold(session, principal=world["cust"], order_id=oid, on=True, now=NOW, calendar=calendar)


def test_a_process_task_that_holds_the_order_pauses_its_clock(session, world, calendar):
    from ordertrack.db.process_models import TaskInstance
    from ordertrack.domain import process as p
    from ordertrack.domain import process_edit as e
    from ordertrack.services import process_design, process_run

    pid = process_design.create_process(session, principal=world["admin"], name="Credit", type="Order", now=NOW)
    process_design.edit(session, principal=world["admin"], process_id=pid, now=NOW, change=lambda d: e.upsert_task(
        e.add_phase(d, "Only"), "ph1", p.TaskDef("", "Check credit", user_id=1, on_cancel=p.OnCancel.HOLD_ORDER)))
    process_design.set_service_types(session, principal=world["admin"], process_id=pid, service_types="server")
    process_design.activate(session, principal=world["admin"], process_id=pid, now=NOW)
    oid = _new(session, world, calendar)  # its queue: "Credit"
    task = session.exec(select(TaskInstance)).first()
    process_run.cancel_task(session, principal=world["op"], task_instance_id=task.id, now=NOW + H, calendar=calendar)
    session.commit()
    row = session.get(OrderSla, oid)
    assert (row.state, row.on_hold, row.due_at) == ("paused", True, None)
    assert _sla_history(session, oid)[-1] == "SLA clock paused: order on hold."


def test_a_new_pause_rule_pauses_open_orders_at_once_and_thresholds_reschedule(session, world, calendar):
    oid = _new(session, world, calendar)
    _move(session, world, calendar, oid, "execution", NOW + H)
    sla.set_policy(session, principal=world["admin"], thresholds="25, 100",
                   pause_rules=["phase:validation", "phase:execution"], expected_version=0, now=NOW + 2 * H,
                   calendar=calendar)
    session.commit()
    row = session.get(OrderSla, oid)
    assert (row.state, row.next_threshold, row.due_at) == ("paused", 25, NOW + 2 * H)  # 2 h = 25 % reached
    assert _sla_history(session, oid)[-1] == "SLA clock paused: in Execution."
    sla.set_policy(session, principal=world["admin"], thresholds="50, 100", pause_rules=["phase:validation"],
                   expected_version=1, now=NOW + 3 * H, calendar=calendar)
    session.commit()
    row = session.get(OrderSla, oid)
    assert (row.state, row.next_threshold, row.due_at) == ("running", 50, NOW + 5 * H)


# ------------------------------------------------------------------ warnings


@pytest.fixture
def three(session, world, calendar):
    return [_new(session, world, calendar) for _ in range(3)]


def test_nothing_is_due_before_the_first_threshold(engine, session, world, calendar, three):
    assert sla.sweep_due(engine, now=NOW + 4 * H - timedelta(seconds=1), calendar=calendar).fired == []
    assert _mails(session) == []


def test_each_threshold_warns_the_owner_and_the_managers_once(engine, session, world, calendar, three):
    first = sla.sweep_due(engine, now=NOW + 4 * H, calendar=calendar, base_url="http://t")  # 14:00: 50 %
    assert sorted(first.fired) == [(oid, 50) for oid in three]
    assert sla.sweep_due(engine, now=NOW + 4 * H + timedelta(seconds=1), calendar=calendar).fired == []
    later = sla.sweep_due(engine, now=NOW + 24 * H, calendar=calendar)  # next day 10:00: 75 % and 100 %
    assert sorted(later.fired) == sorted([(oid, t) for oid in three for t in (75, 100)])
    session.expire_all()
    mails = _mails(session)
    assert len(mails) == 3 * 3 * 3  # three orders, three thresholds, owner and two managers
    assert {to for _, to, _ in mails} == {"owner@t.test", "m1@t.test", "m2@t.test"}
    number = session.get(Order, three[0]).number
    assert f"SLA 50 % reached: order {number} Test" in {s for _, _, s in mails}
    assert f"SLA breached: order {number} Test" in {s for _, _, s in mails}
    assert _sla_history(session, three[0])[-3:] == [
        "SLA 50 % reached: 4 of 8 business hours used.", "SLA 75 % reached: 6 of 8 business hours used.",
        "SLA breached: the 8 business-hour target is used up (100 %)."]
    assert session.get(OrderSla, three[0]).next_threshold is None
    session.rollback()  # end the reading transaction (SQLite has one writer)
    assert sla.sweep_due(engine, now=NOW + 300 * H, calendar=calendar).fired == []


def test_threshold_mail_arrives_once_in_each_recipients_language(engine, session, world, calendar, three):
    from ordertrack.db.models import User
    from ordertrack.services import notifications
    from tests.mailparts import SmtpSink, text_of

    manager = session.get(User, world["manager"].user_id)
    manager.language = "ru"
    session.add(manager)
    session.commit()
    number = session.get(Order, three[0]).number
    session.rollback()  # end the reading transaction (SQLite has one writer)
    with SmtpSink() as sink:
        for _round in range(2):  # a second sweep and delivery round sends nothing more
            sla.sweep_due(engine, now=NOW + 4 * H, calendar=calendar, base_url="http://t")
            notifications.deliver_due(engine, now=NOW + 4 * H, send=notifications.smtp_sender(sink.config))
        owner = [m for m in sink.to("owner@t.test") if number in m["Subject"]]
        assert [m["Subject"] for m in owner] == [f"SLA 50 % reached: order {number} Test"]
        body = text_of(owner[0])
        assert "has used 4 of its 8 business-hour resolution target (50 %)." in body
        assert "Target deadline: Wed 25 Nov 2026 10:00 GMT" in body  # 8 business hours from Tuesday 10:00
        assert f"Open the order: http://t/orders/{number}" in body
        [ru] = [m for m in sink.to("m1@t.test") if number in m["Subject"]]
        assert ru["Subject"] == f"Использовано 50 % SLA: заказ {number} Test"
        assert "израсходовал 4 из 8 рабочих часов" in text_of(ru)
        assert [m["Subject"] for m in sink.to("it@c.test")] == [], "never to the customer"


def test_two_sweepers_at_once_warn_once(engine, session, world, calendar):
    ids = [_new(session, world, calendar, owned=False) for _ in range(12)]  # no owner: the two managers
    results, barrier = [], threading.Barrier(2)

    def run():
        barrier.wait()
        results.append(sla.sweep_due(engine, now=NOW + 24 * H, calendar=calendar, batch=2))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    fired = sorted(sum((r.fired for r in results), []))
    assert fired == sorted((oid, t) for oid in ids for t in (50, 75, 100))
    assert sum(r.failed for r in results) == 0
    session.expire_all()
    assert len(session.exec(select(SlaWarning)).all()) == 36
    assert len(_mails(session)) == 36 * 2
    assert len([c for oid in ids for c in _sla_history(session, oid) if c.startswith("SLA 50 %")]) == 12


def test_a_sweeper_that_holds_claimed_rows_leaves_them_to_it(engine, session, world, calendar, monkeypatch):
    """The first sweeper stops mid-transaction (after writing its first warning) until the
    second one is done: the second must take only the other rows (PostgreSQL: SKIP LOCKED)
    or wait for the first (SQLite: one writer), never warn about the same threshold again."""
    ids = [_new(session, world, calendar, owned=False) for _ in range(4)]
    claimed, other_done = threading.Event(), threading.Event()
    real_mail = sla._mail

    def mail_then_wait(*args, **kwargs):
        real_mail(*args, **kwargs)
        if not claimed.is_set():
            claimed.set()
            other_done.wait(3)  # SQLite: the other sweeper waits for this write lock, so time out

    monkeypatch.setattr(sla, "_mail", mail_then_wait)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault(
        "first", sla.sweep_due(engine, now=NOW + 4 * H, calendar=calendar, batch=2)))
    first.start()
    assert claimed.wait(30)
    results["second"] = sla.sweep_due(engine, now=NOW + 4 * H, calendar=calendar, batch=2)
    other_done.set()
    first.join(60)
    fired = sorted(results["first"].fired + results["second"].fired)
    assert fired == sorted((oid, 50) for oid in ids)
    if engine.dialect.name == "postgresql":
        assert len(results["first"].fired) == 2 and len(results["second"].fired) == 2
    session.expire_all()
    assert len(session.exec(select(SlaWarning)).all()) == 4
    assert len(_mails(session)) == 4 * 2


def test_a_replayed_deadline_never_warns_twice(engine, session, world, calendar, three):
    sla.sweep_due(engine, now=NOW + 4 * H, calendar=calendar)
    with Session(engine) as s:  # as if a stale worker wrote back the old deadline after a restart
        row = s.get(OrderSla, three[0])
        row.next_threshold, row.due_at = 50, NOW + 4 * H
        s.add(row)
        s.commit()
    again = sla.sweep_due(engine, now=NOW + 4 * H + timedelta(seconds=5), calendar=calendar)
    assert again.fired == [] and again.rescheduled == 1
    session.expire_all()
    assert session.get(OrderSla, three[0]).next_threshold == 75
    assert len(_mails(session)) == 9
    session.rollback()
    with Session(engine) as s:  # and the database refuses a second warning outright
        s.add(SlaWarning(order_id=three[0], threshold=50, crossed_at=NOW, fired_at=NOW))
        with pytest.raises(IntegrityError):
            s.commit()


def test_a_pause_holds_back_the_warning_and_the_resume_reschedules_it(engine, session, world, calendar):
    oid = _new(session, world, calendar)
    _move(session, world, calendar, oid, "execution", NOW + H)
    _move(session, world, calendar, oid, "validation", NOW + 2 * H)  # paused at 2 h of 8
    assert sla.sweep_due(engine, now=NOW + 50 * H, calendar=calendar).fired == []
    _move(session, world, calendar, oid, "execution", NOW + 48 * H)  # Thursday 10:00, resumes
    assert sla.sweep_due(engine, now=NOW + 49 * H, calendar=calendar).fired == []
    assert sla.sweep_due(engine, now=NOW + 50 * H, calendar=calendar).fired == [(oid, 50)]


def test_the_timer_sweep_s_automatic_approval_stops_the_clock(engine, session, world, calendar):
    from ordertrack.services.timers import sweep

    oid = _new(session, world, calendar)
    _move(session, world, calendar, oid, "execution", NOW + H)
    _move(session, world, calendar, oid, "validation", NOW + 2 * H)
    assert sweep(engine, now=NOW + 2 * H + timedelta(days=2), calendar=calendar).applied == [oid]
    session.expire_all()
    row = session.get(OrderSla, oid)
    assert (row.state, row.elapsed_hours, row.due_at) == ("stopped", 2, None)
    assert _sla_history(session, oid)[-1] == "SLA clock stopped: 2 of 8 business hours used, target met."
    actors = session.exec(select(StatusChange.actor_name).where(StatusChange.entity_kind == "sla",
                                                                StatusChange.entity_id == oid)
                          .order_by(col(StatusChange.from_version).desc())).first()
    assert actors == "System"


def test_clocks_follow_tenancy(session, world, calendar):
    oid = _new(session, world, calendar)
    other = f.customer(session, now=NOW)
    _, stranger = f.user(session, role="customer", customer_id=other.id)
    assert sla.clocks_of(session, principal=stranger, order_ids=[oid], now=NOW, calendar=calendar) == {}
    assert set(sla.clocks_of(session, principal=world["cust"], order_ids=[oid], now=NOW, calendar=calendar)) == {oid}
