"""Dry-run of a process on past orders (domain.simulate): pure, virtual clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ordertrack.domain import process as p
from ordertrack.domain import simulate as s
from ordertrack.domain.calendar import BusinessCalendar

CAL = BusinessCalendar()  # UTC, 9-17, Monday-Friday
MON = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00


def _proc(*phases, notifications=()):
    return p.ProcessDef(id=1, name="Q", active=True, phases=tuple(phases), notifications=tuple(notifications))


def _order(*tasks, sla=None, start=MON):
    return s.PastOrder(order_id=7, number="O-7", name="Seven", started_at=start, tasks=tuple(tasks), sla_hours=sla)


def test_real_timings_drive_the_clock_and_completion():
    proc = _proc(p.PhaseDef("a", "A", (p.TaskDef("t1", "Review"),)), p.PhaseDef("b", "B", (p.TaskDef("t2", "Ship"),)))
    order = _order(s.PastTask("t1", "Review", "a", timedelta(hours=2), "done"),
                   s.PastTask("t2", "Ship", "b", timedelta(hours=3), "done"))
    r = s.simulate_order(proc, order, calendar=CAL)
    assert r.completed and r.ended_at == MON + timedelta(hours=5)
    assert r.business_hours == 5 and r.assumed == 0 and r.timers == ()


def test_tasks_without_history_use_alarm_hours_and_timers():
    proc = _proc(p.PhaseDef("a", "A", (p.TaskDef("w", "Wait", type=p.TaskType.WAIT_24H),
                                        p.TaskDef("x", "Check", alarm_hours=4))),
                 p.PhaseDef("b", "B", (p.TaskDef("e", "Expire", type=p.TaskType.AUTO_EXPIRE_48H),)))
    r = s.simulate_order(proc, _order(), calendar=CAL)
    assert r.completed and r.ended_at == MON + timedelta(hours=24 + 48)
    assert [f.kind for f in r.timers] == ["complete", "expire"]
    assert r.assumed == 3


def test_escalation_and_alarm_fire_when_the_real_task_took_longer():
    proc = _proc(p.PhaseDef("a", "A", (p.TaskDef("t", "Call carrier", type=p.TaskType.ESCALATION_2H, alarm_hours=1),)))
    order = _order(s.PastTask("t", "Call carrier", "a", timedelta(hours=5), "done"))
    r = s.simulate_order(proc, order, calendar=CAL)
    assert sorted(f.kind for f in r.timers) == ["alarm", "escalate"]
    assert [n.event for n in r.notifications] == [s.ESCALATED]  # no "past its alarm hours" notification defined
    overdue = replace(proc, notifications=(p.NotificationDef("n", p.NotifyEvent.TASK_OVERDUE, p.NotifyTo.ME),))
    r = s.simulate_order(overdue, order, calendar=CAL)
    assert [n.event for n in r.notifications] == [p.NotifyEvent.TASK_OVERDUE.value, s.ESCALATED]
    assert r.ended_at == MON + timedelta(hours=5)


def test_tasks_matched_by_name_when_ids_differ_and_notifications_listed():
    proc = _proc(p.PhaseDef("a", "A", (p.TaskDef("new-id", "Review"),)),
                 notifications=(p.NotificationDef("n1", p.NotifyEvent.TASK_COMPLETED, p.NotifyTo.CUSTOMER),
                                p.NotificationDef("n2", p.NotifyEvent.PHASE_COMPLETED, p.NotifyTo.ME)))
    r = s.simulate_order(proc, _order(s.PastTask("old", "Review", "a", timedelta(minutes=30), "done")), calendar=CAL)
    assert r.assumed == 0 and r.ended_at == MON + timedelta(minutes=30)
    assert [(n.event, n.detail) for n in r.notifications] == [("Task completed", "Review"), ("Phase completed", "A")]


def test_route_follows_where_the_order_really_went():
    proc = _proc(p.PhaseDef("a", "A", (p.TaskDef("t1", "Decide"),),
                            (p.RouteDef("r1", "to B", "b"), p.RouteDef("r2", "to C", "c"))),
                 p.PhaseDef("b", "B", (p.TaskDef("t2", "Bee", alarm_hours=10),), (p.RouteDef("r3", "end", "c"),)),
                 p.PhaseDef("c", "C", (p.TaskDef("t3", "Sea"),)))
    order = _order(s.PastTask("t1", "Decide", "a", timedelta(hours=1), "done"),
                   s.PastTask("t3", "Sea", "c", timedelta(hours=1), "done"))
    r = s.simulate_order(proc, order, calendar=CAL)
    assert r.ended_at == MON + timedelta(hours=2)  # went A → C, never B


def test_sla_breach_in_business_hours_and_loop_detected():
    proc = _proc(p.PhaseDef("a", "A", (p.TaskDef("t", "Slow"),)))
    slow = _order(s.PastTask("t", "Slow", "a", timedelta(hours=10), "done"), sla=8)  # 09:00 → 19:00 = 8 business h
    assert s.simulate_order(proc, slow, calendar=CAL).sla_breached is False
    slower = _order(s.PastTask("t", "Slow", "a", timedelta(hours=30), "done"), sla=8)
    assert s.simulate_order(proc, slower, calendar=CAL).sla_breached is True
    loop = _proc(p.PhaseDef("a", "A", (p.TaskDef("t", "T"),), (p.RouteDef("r", "back", "b"),)),
                 p.PhaseDef("b", "B", (p.TaskDef("u", "U"),), (p.RouteDef("r2", "back", "a"),)))
    r = s.simulate_order(loop, _order(), calendar=CAL)
    assert r.outcome == "looping" and r.sla_breached is None


def test_totals_and_the_order_cap():
    proc = _proc(p.PhaseDef("a", "A", (p.TaskDef("t", "T", alarm_hours=2),)))
    results = s.simulate(proc, [_order()] * (s.MAX_ORDERS + 5), calendar=CAL)
    assert len(results) == s.MAX_ORDERS
    t = s.totals(results)
    assert (t.orders, t.completed, t.average_hours, t.timers) == (s.MAX_ORDERS, s.MAX_ORDERS, 2.0, 0)
    assert s.totals([]).average_hours is None


def test_an_unfinished_draft_does_not_complete_instead_of_failing():
    broken = _proc(p.PhaseDef("a", "A", (p.TaskDef("t", "T"),), (p.RouteDef("r", "nowhere", "gone"),)))
    assert s.simulate_order(broken, _order(), calendar=CAL).outcome == "stuck"
    empty = _proc(p.PhaseDef("a", "A", (p.TaskDef("t", "T"),)), p.PhaseDef("b", "B"))
    r = s.simulate_order(empty, _order(), calendar=CAL)
    assert r.outcome == "stuck" and r.ended_at is None and r.sla_breached is None
