"""The process engine (seed 05): flow, every task option and action, routes, validation, timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordertrack.domain import process as p
from ordertrack.domain.calendar import BusinessCalendar

T = p.TaskDef


def proc(*phases, pid=1, auto_user=7, active=True, name="New Voice Service"):
    return p.ProcessDef(id=pid, name=name, active=active, auto_user_id=auto_user, phases=tuple(phases))


def phase(pid, *tasks, routes=()):
    return p.PhaseDef(id=pid, name=pid.title(), tasks=tuple(tasks), routes=tuple(routes))


VOICE = proc(
    phase("confirm", T("t1", "Customer Order Confirmation", type=p.TaskType.CUSTOMER_ORDER_CONFIRMATION)),
    phase("provision", T("t2", "Provision Service"), T("t3", "Ship New Equipment")),
    phase("billing", T("t4", "Billing Completion", on_complete=p.OnComplete.COMPLETE_ORDER)),
)


def kinds(outcome):
    return [(e.kind.value, e.value) for e in outcome.effects]


def test_start_opens_the_first_phase_tasks():
    out = p.start(VOICE)
    assert out.run.phase_id == "confirm"
    assert [(t.task_id, t.status) for t in out.run.tasks] == [("t1", p.TaskStatus.OPEN)]
    assert kinds(out) == [("task_opened", "")]


def test_processing_and_skipping_advance_phase_by_phase_to_completion():
    run = p.start(VOICE).run
    run = p.finish_task(VOICE, run, "t1").run
    assert run.phase_id == "provision"
    run = p.finish_task(VOICE, run, "t2").run
    assert run.phase_id == "provision", "one task of the phase is still open"
    run = p.finish_task(VOICE, run, "t3", skip=True).run
    assert run.phase_id == "billing" and run.task("t3").status is p.TaskStatus.SKIPPED
    out = p.finish_task(VOICE, run, "t4")
    assert out.run.complete
    assert ("order_action", "complete") in kinds(out) and ("process_completed", "") in kinds(out)


def test_a_skipped_task_triggers_no_completion_action():
    run = p.start(VOICE).run
    for t in ("t1", "t2", "t3"):
        run = p.finish_task(VOICE, run, t).run
    assert ("order_action", "complete") not in kinds(p.finish_task(VOICE, run, "t4", skip=True))


def test_confirm_order_action():
    pr = proc(phase("a", T("x", "Confirm", on_complete=p.OnComplete.CONFIRM_ORDER)))
    assert ("order_action", "confirm") in kinds(p.finish_task(pr, p.start(pr).run, "x"))


@pytest.mark.parametrize(("on_cancel", "action"), [(p.OnCancel.HOLD_ORDER, "hold"), (p.OnCancel.ERROR_ORDER, "error"),
                                                   (p.OnCancel.NOTHING, None)])
def test_cancel_actions(on_cancel, action):
    pr = proc(phase("a", T("x", "X", on_cancel=on_cancel)))
    out = p.cancel_task(pr, p.start(pr).run, "x")
    assert out.run.task("x").status is p.TaskStatus.CANCELED
    assert [e.value for e in out.effects if e.kind is p.EffectKind.ORDER_ACTION] == ([action] if action else [])


def test_phase_can_complete_while_task_is_open():
    pr = proc(phase("a", T("x", "Main"), T("y", "Paperwork", phase_can_complete_while_open=True)),
              phase("b", T("z", "Next")))
    run = p.finish_task(pr, p.start(pr).run, "x").run
    assert run.phase_id == "b"
    assert run.task("y").status is p.TaskStatus.OPEN


def test_order_completion_completes_or_blocks_per_task_options():
    pr = proc(phase("a", T("x", "Blocks"), T("y", "Side job", order_can_complete_while_open=True),
                    T("z", "Auto", complete_with_order=True)))
    run = p.start(pr).run
    assert p.blocking_tasks(pr, run) == ["Blocks"]
    out = p.order_closed(pr, run, canceled=False)
    assert out.run.task("z").status is p.TaskStatus.DONE
    assert out.run.task("x").status is p.TaskStatus.CANCELED, "no task stays open on a closed order"
    assert ("notify", "Order completed") in kinds(out)


def test_order_cancel_cancels_every_open_task():
    pr = proc(phase("a", T("x", "Keep"), T("y", "Drop", cancel_with_order=True)))
    out = p.order_closed(pr, p.start(pr).run, canceled=True)
    assert out.run.task("y").status is p.TaskStatus.CANCELED and out.run.task("x").status is p.TaskStatus.CANCELED


def test_a_single_route_is_followed_and_several_wait_for_a_choice():
    pr = proc(
        phase("a", T("x", "Check credit"), routes=(p.RouteDef("r1", "Credit OK", "c"), p.RouteDef("r2", "Refused", "b"))),
        phase("b", T("y", "Tell customer"), routes=(p.RouteDef("r3", "Done", "c"),)),
        phase("c", T("z", "Provision")),
    )
    run = p.finish_task(pr, p.start(pr).run, "x").run
    assert run.awaiting_route and run.phase_id == "a"
    run = p.choose_route(pr, run, "r2").run
    assert run.phase_id == "b"
    assert p.finish_task(pr, run, "y").run.phase_id == "c"


def test_route_to_another_process_switches():
    pr = proc(phase("a", T("x", "Sell"), routes=(p.RouteDef("r", "To install", "inst", process_id=2),)))
    out = p.finish_task(pr, p.start(pr).run, "x")
    assert out.run.complete
    assert ("switch_process", "2:inst") in kinds(out)
    other = proc(phase("inst", T("i", "Install")), pid=2)
    assert p.start(other, phase_id="inst").run.phase_id == "inst"


def test_refusals_say_why():
    run = p.start(VOICE).run
    with pytest.raises(p.ProcessRefused, match="not the current one"):
        p.finish_task(VOICE, run, "t4")
    run = p.finish_task(VOICE, run, "t1").run
    with pytest.raises(p.ProcessRefused, match="already done"):
        p.finish_task(VOICE, run, "t1")
    with pytest.raises(p.ProcessRefused, match="not part of this process"):
        p.finish_task(VOICE, run, "nope")


def test_validation_lists_every_problem_with_its_phase():
    inactive = proc(phase("q", T("q1", "Q")), pid=3, active=False, name="Old install")
    draft = proc(
        phase("a", T("x", "Unassigned"), routes=(p.RouteDef("r", "Skip b", "c"),)),
        phase("b", T("y", "Orphan")),
        phase("c"),
        phase("d", T("w", "W"), routes=(p.RouteDef("r2", "Old", "q", process_id=3), p.RouteDef("r3", "Ghost", "zz"))),
        auto_user=None,
    )
    problems = p.validate(draft, others={3: inactive})
    text = [pr.message for pr in problems]
    assert "Phase “B” cannot be reached from the first phase." in text
    assert "Phase “C” has no tasks, so it has no way forward." in text
    assert any("inactive process “Old install”" in m for m in text)
    assert any("“Ghost” of phase “D” goes to a phase that does not exist" in m for m in text)
    unassigned = [pr for pr in problems if "no assignee" in pr.message]
    assert {pr.task_id for pr in unassigned} == {"x", "y", "w"} and unassigned[0].phase_id == "a"
    assert p.validate(VOICE) == []


def test_timed_task_types():
    cal = BusinessCalendar()
    friday = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    assert p.task_timer(T("a", "Wait", type=p.TaskType.WAIT_24H), opened_at=friday, calendar=cal) == (
        "complete", friday + timedelta(hours=24))
    assert p.task_timer(T("b", "Expire", type=p.TaskType.AUTO_EXPIRE_48H), opened_at=friday, calendar=cal) == (
        "expire", friday + timedelta(hours=48))
    assert p.task_timer(T("c", "Esc", type=p.TaskType.ESCALATION_2H), opened_at=friday, calendar=cal) == (
        "escalate", datetime(2026, 11, 23, 10, 30, tzinfo=UTC))
    assert p.task_timer(T("d", "Std"), opened_at=friday, calendar=cal) is None
    assert p.alarm_at(T("e", "Alarm", alarm_hours=4), opened_at=friday) == friday + timedelta(hours=4)


def test_seed_lists_are_complete():
    assert len(p.TaskType) == 22
    assert [s.value for s in p.TaskStep] == ["Not Started", "In Progress", "Waiting on someone else", "Deferred", "Done"]


STANDARD = proc(
    phase("review", T("credit", "Check credit"), T("addr", "Review address", on_complete=p.OnComplete.CONFIRM_ORDER)),
    phase("prov", T("ps", "Provision"), T("inv", "Assign inventory", phase_can_complete_while_open=True)),
    phase("act", T("bill", "Billing", on_complete=p.OnComplete.COMPLETE_ORDER)),
)


def test_board_phase_follows_the_step():
    assert p.board_phases(STANDARD) == {"review": "planning", "prov": "execution", "act": "execution"}
    run = p.start(STANDARD).run
    assert p.board_phase(STANDARD, run) == "planning"
    run = p.finish_task(STANDARD, run, "addr").run
    assert p.board_phase(STANDARD, run) == "planning", "confirming alone does not leave the step"
    run = p.finish_task(STANDARD, run, "credit").run
    assert p.board_phase(STANDARD, run) == "execution"


def test_skip_plan_names_the_steps_and_reaches_the_phase():
    run = p.start(STANDARD).run
    plan = p.skip_plan(STANDARD, run, "execution")
    assert plan == p.SkipPlan(("Review",), True)
    plan = p.skip_plan(STANDARD, run, "validation")
    assert plan.reachable and plan.steps == ("Review", "Prov", "Act")


def test_leftover_task_can_be_processed_after_the_phase_moved_on():
    run = p.start(STANDARD).run
    for t in ("addr", "credit", "ps"):
        run = p.finish_task(STANDARD, run, t).run
    assert run.phase_id == "act" and run.task("inv").status is p.TaskStatus.OPEN
    out = p.finish_task(STANDARD, run, "inv")
    assert out.run.phase_id == "act" and out.run.task("inv").status is p.TaskStatus.DONE


def test_cancel_of_the_last_open_task_advances():
    run = p.start(STANDARD).run
    run = p.finish_task(STANDARD, run, "addr").run
    assert p.cancel_task(STANDARD, run, "credit").run.phase_id == "prov"


def test_reopen_goes_back_to_the_last_step_of_the_phase_and_loops_open_new_instances():
    run = p.start(STANDARD).run
    for t in ("addr", "credit"):
        run = p.finish_task(STANDARD, run, t).run
    out = p.reopen_at(STANDARD, run, "planning")
    assert out.run.phase_id == "review"
    assert [t.status for t in out.run.tasks if t.task_id == "credit"] == [p.TaskStatus.DONE, p.TaskStatus.OPEN]
    assert all(t.status is p.TaskStatus.CANCELED for t in out.run.tasks if t.task_id in ("ps", "inv"))
    run = p.finish_task(STANDARD, out.run, "credit").run
    run = p.finish_task(STANDARD, run, "addr").run
    assert run.phase_id == "prov"


def test_validation_finds_every_phase_that_can_never_complete_loops_included():
    loop = proc(
        phase("a", T("x", "X"), routes=(p.RouteDef("r1", "to b", "b"),)),
        phase("b", T("y", "Y"), routes=(p.RouteDef("r2", "back to a", "a"),)),
        phase("c", T("z", "Z")),
    )
    text = [pr.message for pr in p.validate(loop)]
    assert "From phase “A” the process can never complete: every way from it loops back (it only leads to “B”, “A”)." \
        in text
    assert any(m.startswith("From phase “B”") for m in text)
    assert not any(m.startswith("From phase “C”") for m in text)
    one_way_out = proc(
        phase("a", T("x", "X"), routes=(p.RouteDef("r1", "to b", "b"),)),
        phase("b", T("y", "Y"), routes=(p.RouteDef("r2", "back", "a"), p.RouteDef("r3", "on", "c"))),
        phase("c", T("z", "Z")),
    )
    assert p.dead_ends(one_way_out) == {}
    self_loop = proc(phase("a", T("x", "X"), routes=(p.RouteDef("r", "again", "a"),)))
    assert list(p.dead_ends(self_loop)) == ["a"]
    to_other = proc(phase("a", T("x", "X"), routes=(p.RouteDef("r", "install", "q", process_id=3),)))
    assert p.dead_ends(to_other) == {}


def test_validation_checks_groups_and_their_members():
    pr = proc(phase("a", T("x", "X", group="Sales"), T("y", "Y", group="Ghosts")), auto_user=None)
    text = [x.message for x in p.validate(pr, groups={"Sales": 0})]
    assert "Task “X” in phase “A” is assigned to group “Sales”, which has no members." in text
    assert "Task “Y” in phase “A” is assigned to group “Ghosts”, which does not exist." in text
    assert p.validate(pr, groups={"Sales": 2, "Ghosts": 1}) == []


def test_diff_lists_phases_tasks_routes_and_notifications():
    from ordertrack.domain import process_edit as e

    old = VOICE
    new = e.rename_phase(VOICE, "confirm", "Customer Confirmation")
    new = e.upsert_task(new, "provision", T("t2", "Provision Service", alarm_hours=4))
    new = e.delete_task(new, "provision", "t3")
    new = e.add_phase(new, "Porting")
    new = e.add_route(new, "billing", p.RouteDef("", "Again", "confirm"))
    new = e.add_notification(new, p.NotificationDef("", p.NotifyEvent.ORDER_COMPLETED, p.NotifyTo.CUSTOMER))
    lines = e.diff(old, new)
    assert "Phase renamed: “Confirm” → “Customer Confirmation”" in lines
    assert "Task “Provision Service” in “Provision”: alarm hours 0.0 → 4" in lines
    assert "Task removed from “Provision”: “Ship New Equipment”" in lines
    assert "Phase added: “Porting”" in lines
    assert "Route added to “Billing”: “Again”" in lines
    assert "Notification: Order completed → The customer" in lines
    assert e.diff(VOICE, VOICE) == []
