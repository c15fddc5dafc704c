"""Settings → Processes (seed 05): the process list and the editor of one process — phases,
tasks, routes, e-mail notifications, validation before activation, and the graph."""

from __future__ import annotations

import reflex as rx

from ordertrack import routes
from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.domain import process as p
from ordertrack.domain import process_edit as e
from ordertrack.domain.roles import Role
from ordertrack.i18n import _
from ordertrack.i18n.ui import T
from ordertrack.live import publish
from ordertrack.pages.frame import page
from ordertrack.pages.process_graph import flow_elements, graph_section
from ordertrack.pages.process_simulation import ProcessSimulationState, simulation_section
from ordertrack.services import order_views, process_design, process_groups, service_types
from ordertrack.services.errors import BadInput, NotFound

DESIGNERS = (Role.ADMIN, Role.MANAGER)
FLAGS = (
    ("assign_to_order_user", T("Assign task to the assigned user on the order")),
    ("phase_can_complete_while_open", T("Phase can complete while task is open")),
    ("order_can_complete_while_open", T("Order can be manually completed or sent while task is open")),
    ("complete_with_order", T("Complete task when order is completed")),
    ("cancel_with_order", T("Cancel task when order is canceled")),
)


class ProcessListState(AppState):
    """All processes, and the user groups their tasks are assigned to."""

    rows: list[dict[str, str]] = []
    archived_rows: list[dict[str, str]] = []
    groups: list[dict[str, str]] = []
    staff: list[dict[str, str]] = []
    confirm_group: str = ""
    confirm_group_name: str = ""

    def _fetch(self) -> None:
        with session_scope() as session:
            items = process_design.list_processes(session, principal=current_principal())
            found = process_groups.list_groups(session)
            staff = process_groups.staff_choices(session)
            names = {t.key: t.name() for t in service_types.all_types(session)}
        self.staff = [{"id": str(uid), "name": name} for uid, name in staff]
        self.groups = [{"id": str(g.id), "name": g.name,
                        "member_ids": "," + ",".join(str(uid) for uid, _ in g.members) + ",",
                        "members": ", ".join(name for _, name in g.members) or _("no members"),
                        "empty": "" if g.members else "1"} for g in found]
        self.rows = [
            {"id": str(r.id), "name": r.name, "type": r.type, "href": routes.process_url(r.id),
             "state": (_("Active") if r.active else _("Inactive")) + (" · " + _("changed since activation")
                                                                       if r.changed_since_activation else ""),
             "active": "1" if r.active else "", "version": f"v{r.version}" if r.version else _("never activated"),
             "size": _("{phases} phases, {tasks} tasks").format(phases=r.phases, tasks=r.tasks),
             "service_types": ", ".join(
                 _("every other service type") if k == process_design.DEFAULT_QUEUE else names.get(k, k)
                 for k in r.service_types.split(",") if k) or "—"}
            for r in items if not r.archived
        ]
        self.archived_rows = [{"id": str(r.id), "name": r.name, "href": routes.process_url(r.id),
                               "version": f"v{r.version}", "runs": str(r.runs)} for r in items if r.archived]

    @rx.event
    @guard(*DESIGNERS)
    def load(self):
        """Page load."""
        self._fetch()

    @rx.event
    @guard(*DESIGNERS)
    def create(self, form_data: dict):
        """New Process: create it inactive and open the editor."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        with session_scope() as session:
            pid = process_design.create_process(
                session, principal=current_principal(),
                name=coerce_str(form_data.get("name"), name="Name", max_len=200, required=True),
                type=coerce_str(form_data.get("type"), name="Type", max_len=20), now=get_clock().now())
        return rx.redirect(routes.process_url(pid))


    def _save_group(self, group_id: int | None, form_data: dict) -> None:
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        known = {u["id"] for u in self.staff}
        members = [int(k[2:]) for k, v in form_data.items()
                   if isinstance(k, str) and k.startswith("m-") and k[2:] in known and v in ("on", True, "true")]
        with session_scope() as session:
            process_groups.save_group(session, principal=current_principal(), group_id=group_id,
                                      name=coerce_str(form_data.get("name"), name="Group name", max_len=80,
                                                      required=True), member_ids=members)
        self._fetch()

    @rx.event
    @guard(*DESIGNERS)
    def add_group(self, form_data: dict):
        """A new user group (name, then its members)."""
        self._save_group(None, form_data)
        return rx.toast.success(_("Group added."))

    @rx.event
    @guard(*DESIGNERS)
    def save_group(self, form_data: dict):
        """Rename a group and set its members."""
        group_id = coerce_int((form_data or {}).get("group_id") if isinstance(form_data, dict) else None,
                              name="Group", minimum=1)
        self._save_group(group_id, form_data)
        return rx.toast.success(_("Group saved."))

    @rx.event
    @guard(*DESIGNERS)
    def ask_delete_group(self, group_id: str):
        """Ask before deleting a group."""
        group = next((g for g in self.groups if g["id"] == str(group_id)), None)
        if group is None:
            raise BadInput(_("That group does not exist."))
        self.confirm_group, self.confirm_group_name = group["id"], group["name"]

    @rx.event
    @guard(*DESIGNERS)
    async def keep_group(self):
        self.confirm_group = ""

    @rx.event
    @guard(*DESIGNERS)
    def delete_group(self):
        """Delete the group being confirmed."""
        group_id = coerce_int(self.confirm_group, name="Group", minimum=1)
        self.confirm_group = ""
        with session_scope() as session:
            process_groups.delete_group(session, principal=current_principal(), group_id=group_id)
        self._fetch()
        return rx.toast.success(_("Group deleted."))


class ProcessEditorState(AppState):
    """One process draft, flattened into lists the page can render."""

    pid: int = 0
    found: bool = False
    missing: bool = False
    name: str = ""
    ptype: str = "Order"
    active: bool = False
    version: int = 0
    changed: bool = False
    auto_user: str = "none"
    auto_group: str = ""
    service_types: str = ""
    phases: list[dict[str, str]] = []
    tasks: list[dict[str, str]] = []
    route_rows: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []
    problems: list[dict[str, str]] = []
    users: list[dict[str, str]] = []
    group_names: list[dict[str, str]] = []
    route_targets: list[dict[str, str]] = []
    flow_nodes: list[dict] = []
    flow_edges: list[dict] = []
    flow_key: str = ""
    flow_bounds: dict[str, float] = {}
    connect_source: str = ""
    connect_target: str = ""
    connect_text: str = ""
    task_open: bool = False
    task_form: dict[str, str] = {}
    confirm_phase: str = ""
    confirm_phase_name: str = ""
    # One confirmation for deleting a task or a route, archiving, deleting, restoring.
    confirm_kind: str = ""
    confirm_ids: list[str] = []
    confirm_text: str = ""
    archived: bool = False
    kinds: list[dict[str, str]] = []
    version_rows: list[dict[str, str]] = []
    diff_old: str = ""
    diff_new: str = "draft"
    diff_lines: list[str] = []
    diff_shown: bool = False

    def _fetch(self) -> None:
        """Fill the editor's vars from the database.

        Long because: it sets every var the editor shows (the draft's phases, tasks, routes and
        notifications, its problems, other processes, staff, groups, versions and graph) as plain
        rows from one transaction, one list after the other.
        """
        principal = current_principal()
        with session_scope() as session:
            draft = process_design.load_draft(session, principal=principal, process_id=self.pid)
            others = process_design.others(session, exclude=self.pid)
            users = order_views.staff_users(session)
            defined = [g.name for g in process_groups.list_groups(session)]
            summaries = process_design.list_processes(session, principal=principal)
            version_list = process_design.versions(session, principal=principal, process_id=self.pid)
            kinds = service_types.all_types(session)
        archived = {x.id for x in summaries if x.archived}
        draft_row_archived = self.pid in archived
        d = draft.definition
        named = {t.group for ph in d.phases for t in ph.tasks if t.group} | ({d.auto_group} if d.auto_group else set())
        self.group_names = [{"id": g, "name": g} for g in defined] + [
            {"id": g, "name": _("{name} (not a defined group)").format(name=g)} for g in sorted(named - set(defined))]
        self.found = True
        self.name, self.ptype, self.active = d.name, d.type.value, draft.active
        self.version, self.changed = draft.version, draft.changed_since_activation
        self.auto_user = str(d.auto_user_id) if d.auto_user_id else "none"
        self.auto_group, self.service_types = d.auto_group, draft.service_types
        names = {uid: name for uid, name in users}
        self.users = [{"id": str(uid), "name": name} for uid, name in users]
        self.phases = [{"id": ph.id, "name": ph.name, "tasks": str(len(ph.tasks)), "pos": str(i)}
                       for i, ph in enumerate(d.phases)]
        self.tasks = [
            {"phase_id": ph.id, "id": t.id, "name": t.name, "type": t.type.value,
             "assignee": names.get(t.user_id, "") or t.group or ("order's user" if t.assign_to_order_user
                                                                 else "auto-assign"),
             "actions": " · ".join(x for x in (
                 "" if t.on_complete is p.OnComplete.NOTHING else f"on completion: {t.on_complete.value}",
                 "" if t.on_cancel is p.OnCancel.NOTHING else f"on cancel: {t.on_cancel.value}",
                 f"alarm {t.alarm_hours:g} h" if t.alarm_hours else "") if x)}
            for ph in d.phases for t in ph.tasks
        ]
        phase_names = {ph.id: ph.name for ph in d.phases}
        self.route_rows = [
            {"phase_id": ph.id, "id": r.id, "description": r.description,
             "target": (phase_names.get(r.next_phase_id, _("missing phase")) if r.process_id in (None, self.pid)
                        else f"{others[r.process_id].name if r.process_id in others else _('missing process')}"
                             f" → {r.next_phase_id}")}
            for ph in d.phases for r in ph.routes
        ]
        self.notes = [{"id": n.id, "event": _(n.event.value), "to": _(n.to.value),
                       "target": names.get(int(n.target), n.target) if n.target.isdigit() else n.target}
                      for n in d.notifications]
        self.problems = [{"message": pr.message, "anchor": f"#task-{pr.task_id}" if pr.task_id else
                          (f"#phase-{pr.phase_id}" if pr.phase_id else "#")} for pr in draft.problems]
        self.route_targets = [{"value": f"this:{ph.id}", "label": _("This process → {phase}").format(phase=ph.name)}
                              for ph in d.phases] + [
            {"value": f"{oid}:{ph.id}", "label": f"{o.name} → {ph.name}"}
            for oid, o in sorted(others.items()) if o.type is d.type and oid not in archived for ph in o.phases
        ]
        self.archived = draft_row_archived
        chosen = {k for k in draft.service_types.split(",") if k}
        # The active types, and inactive ones only while this process still has them (to remove).
        self.kinds = [{"key": t.key, "label": t.name() if t.active else _("{name} (no longer offered)").format(
                          name=t.name()), "on": "1" if t.key in chosen else ""}
                      for t in kinds if t.active or t.key in chosen] + [
            {"key": process_design.DEFAULT_QUEUE, "label": _("Every other service type (default queue)"),
             "on": "1" if process_design.DEFAULT_QUEUE in chosen else ""}]
        self.version_rows = [{"version": str(v.version), "at": v.activated_at.strftime("%Y-%m-%d %H:%M"),
                              "by": v.activated_by, "current": "1" if v.current else "", "runs": str(v.runs)}
                             for v in version_list]
        if not self.diff_old and self.version_rows:
            self.diff_old = self.version_rows[0]["version"]
        self.flow_nodes, self.flow_edges, self.flow_key, self.flow_bounds = flow_elements(d, others, draft.problems)

    def _edit(self, change) -> None:
        with session_scope() as session:
            process_design.edit(session, principal=current_principal(), process_id=self.pid, change=change,
                           now=get_clock().now())
        self._fetch()

    @rx.event
    @guard(*DESIGNERS)
    def load(self):
        """Page load: the process named in the URL."""
        self.pid = coerce_int(self.router.page.params.get("pid", "0"), name="Process", minimum=0)
        self.task_open, self.found, self.missing = False, False, False
        try:
            self._fetch()
        except NotFound:
            self.missing = True
        return ProcessSimulationState.clear

    @rx.event
    @guard(*DESIGNERS)
    def save_header(self, form_data: dict):
        """Name, type, auto-assign and service types."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        name = coerce_str(form_data.get("name"), name="Name", max_len=200, required=True)
        ptype = coerce_str(form_data.get("type"), name="Type", max_len=20)
        if ptype not in {t.value for t in p.ProcessType}:
            raise BadInput(_("Type must be Order, Request or Ticket."))
        user = coerce_str(form_data.get("auto_user"), name="Auto-assign user", max_len=10)
        user_id = None if user in ("", "none") else coerce_int(user, name="Auto-assign user", minimum=1)
        if user_id is not None and str(user_id) not in {u["id"] for u in self.users}:
            raise BadInput(_("Choose a staff member to auto-assign."))
        group = coerce_str(form_data.get("auto_group"), name="Auto-assign group", max_len=80)
        from dataclasses import replace

        self._edit(lambda d: replace(d, name=name, type=p.ProcessType(ptype), auto_user_id=user_id, auto_group=group))
        # Every ticked box: the service refuses a key that is not an active service type, by name.
        kinds = [str(name)[5:45] for name, value in list(form_data.items())[:200]
                 if str(name).startswith("kind-") and value in ("on", True, "true")]
        with session_scope() as session:
            process_design.set_service_types(session, principal=current_principal(), process_id=self.pid,
                                        service_types=",".join(kinds))
        self._fetch()
        return rx.toast.success(_("Saved."))

    @rx.event
    @guard(*DESIGNERS)
    def activate(self):
        """Validate and activate (a changed draft becomes a new version)."""
        with session_scope() as session:
            version = process_design.activate(session, principal=current_principal(), process_id=self.pid,
                                         now=get_clock().now())
        self._fetch()
        publish()
        return rx.toast.success(_("Active: version {n}.").format(n=version))

    @rx.event
    @guard(*DESIGNERS)
    def deactivate(self):
        """Stop new orders from starting it; running ones go on."""
        with session_scope() as session:
            process_design.deactivate(session, principal=current_principal(), process_id=self.pid)
        self._fetch()
        return rx.toast.success(_("Deactivated."))

    @rx.event
    @guard(*DESIGNERS)
    def add_phase(self, form_data: dict):
        """Add New Phase."""
        name = coerce_str((form_data or {}).get("name") if isinstance(form_data, dict) else None, name="Phase name",
                          max_len=200, required=True)
        self._edit(lambda d: e.add_phase(d, name))

    @rx.event
    @guard(*DESIGNERS)
    def rename_phase(self, form_data: dict):
        """Rename a phase."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        phase_id = coerce_str(form_data.get("phase_id"), name="Phase", max_len=40)
        name = coerce_str(form_data.get("name"), name="Phase name", max_len=200, required=True)
        self._edit(lambda d: e.rename_phase(d, phase_id, name))
        return rx.toast.success(_("Phase renamed."))

    @rx.event
    @guard(*DESIGNERS)
    def move_phase(self, phase_id: str, delta: int):
        """Move a phase up (-1) or down (+1)."""
        phase_id = coerce_str(phase_id, name="Phase", max_len=40)
        delta = coerce_int(delta, name="Direction")
        if delta not in (-1, 1):
            raise BadInput(_("Move by one place."))
        self._edit(lambda d: e.move_phase(d, phase_id, delta))

    @rx.event
    @guard(*DESIGNERS)
    def delete_phase(self, phase_id: str):
        """Delete a phase; one with tasks asks first."""
        phase_id = coerce_str(phase_id, name="Phase", max_len=40)
        phase = next((ph for ph in self.phases if ph["id"] == phase_id), None)
        if phase is None:
            raise BadInput(_("That phase does not exist."))
        if self.confirm_phase != phase_id:
            self.confirm_phase, self.confirm_phase_name = phase_id, phase["name"]
            return None
        self.confirm_phase = ""
        self._edit(lambda d: e.delete_phase(d, phase_id))
        return rx.toast.success(_("Phase deleted."))

    @rx.event
    @guard(*DESIGNERS)
    async def cancel_delete(self):
        """Keep the phase."""
        self.confirm_phase = ""

    @rx.event
    @guard(*DESIGNERS)
    def open_task(self, phase_id: str, task_id: str):
        """Open the task form (empty task id: a new task)."""
        phase_id = coerce_str(phase_id, name="Phase", max_len=40)
        task_id = coerce_str(task_id, name="Task", max_len=40)
        with session_scope() as session:
            d = process_design.load_draft(session, principal=current_principal(), process_id=self.pid).definition
        phase = d.phase(phase_id)
        if phase is None:
            raise BadInput(_("That phase does not exist."))
        task = next((t for t in phase.tasks if t.id == task_id), None) if task_id else p.TaskDef("", "")
        if task is None:
            raise BadInput(_("That task does not exist."))
        self.task_form = {
            "phase_id": phase_id, "phase_name": phase.name, "id": task.id, "name": task.name,
            "subject": task.subject, "body": task.body, "type": task.type.value, "step": task.step.value,
            "user_id": str(task.user_id) if task.user_id else "none", "group": task.group,
            "alarm_hours": f"{task.alarm_hours:g}", "on_complete": task.on_complete.value,
            "on_cancel": task.on_cancel.value, **{k: "1" if getattr(task, k) else "" for k, _ in FLAGS},
        }
        self.task_open = True

    @rx.event
    @guard(*DESIGNERS)
    async def close_task(self):
        """Close the task form without saving."""
        self.task_open = False

    @rx.event
    @guard(*DESIGNERS)
    def save_task(self, form_data: dict):
        """Save the task form."""
        if not isinstance(form_data, dict) or not self.task_form:
            raise BadInput(_("Invalid form."))
        f = form_data
        try:
            ttype, step = p.TaskType(f.get("type")), p.TaskStep(f.get("step"))
            on_complete, on_cancel = p.OnComplete(f.get("on_complete")), p.OnCancel(f.get("on_cancel"))
        except ValueError:
            raise BadInput(_("Choose the task type, step and actions from the lists.")) from None
        user = coerce_str(f.get("user_id"), name="Assigned person", max_len=10)
        user_id = None if user in ("", "none") else coerce_int(user, name="Assigned person", minimum=1)
        if user_id is not None and str(user_id) not in {u["id"] for u in self.users}:
            raise BadInput(_("Choose a staff member."))
        try:
            alarm = float(coerce_str(f.get("alarm_hours"), name="Alarm hours", max_len=10) or 0)
        except ValueError:
            raise BadInput(_("Alarm hours must be a number.")) from None
        task = p.TaskDef(
            id=self.task_form["id"], name=coerce_str(f.get("name"), name="Task name", max_len=200, required=True),
            subject=coerce_str(f.get("subject"), name="Subject", max_len=300),
            body=coerce_str(f.get("body"), name="Body", max_len=5000), type=ttype, step=step, user_id=user_id,
            group=coerce_str(f.get("group"), name="Group", max_len=80), alarm_hours=alarm,
            on_complete=on_complete, on_cancel=on_cancel, **{k: f.get(k) == "on" for k, _ in FLAGS},
        )
        phase_id = self.task_form["phase_id"]
        self._edit(lambda d: e.upsert_task(d, phase_id, task))
        self.task_open = False
        return rx.toast.success(_("Task saved."))

    @rx.event
    @guard(*DESIGNERS)
    def delete_task(self, phase_id: str, task_id: str):
        """Ask before removing a task from its phase."""
        phase_id = coerce_str(phase_id, name="Phase", max_len=40)
        task_id = coerce_str(task_id, name="Task", max_len=40)
        task = next((t for t in self.tasks if t["id"] == task_id and t["phase_id"] == phase_id), None)
        if task is None:
            raise BadInput(_("That task does not exist."))
        self._ask("task", [phase_id, task_id], _("Delete task “{name}”?").format(name=task["name"]))

    def _ask(self, kind: str, ids: list[str], text: str) -> None:
        self.confirm_kind, self.confirm_ids, self.confirm_text = kind, ids, text

    @rx.event
    @guard(*DESIGNERS)
    async def keep(self):
        """Close the confirmation, changing nothing."""
        self.confirm_kind = ""

    @rx.event
    @guard(*DESIGNERS)
    def confirm(self):
        """Carry out what the confirmation asked."""
        kind, ids = self.confirm_kind, list(self.confirm_ids)
        self.confirm_kind = ""
        principal, now = current_principal(), get_clock().now()
        if kind == "task" and len(ids) == 2:
            self._edit(lambda d: e.delete_task(d, ids[0], ids[1]))
            return rx.toast.success(_("Task deleted."))
        if kind == "route" and len(ids) == 2:
            self._edit(lambda d: e.delete_route(d, ids[0], ids[1]))
            return rx.toast.success(_("Route deleted."))
        if kind in ("archive", "unarchive"):
            with session_scope() as session:
                process_design.archive(session, principal=principal, process_id=self.pid, archived=kind == "archive")
            self._fetch()
            publish()
            return rx.toast.success(_("Archived.") if kind == "archive" else _("Restored from the archive."))
        if kind == "delete":
            with session_scope() as session:
                process_design.delete_process(session, principal=principal, process_id=self.pid)
            return [rx.redirect(routes.PROCESSES), rx.toast.success(_("Process deleted."))]
        if kind == "restore" and len(ids) == 1:
            with session_scope() as session:
                process_design.restore_version(session, principal=principal, process_id=self.pid, version=ids[0], now=now)
            self._fetch()
            return rx.toast.success(_("Version {n} is the draft now: activate it to make it current.").format(
                n=ids[0]))
        raise BadInput(_("Nothing to confirm."))

    @rx.event
    @guard(*DESIGNERS)
    def ask_archive(self):
        """Archive (or bring back) this process, after asking."""
        if self.archived:
            self._ask("unarchive", [], _("Bring “{name}” back from the archive (inactive)?").format(name=self.name))
        else:
            self._ask("archive", [], _("Archive “{name}”? It stops taking new orders and leaves the list; orders "
                                       "running on it go on.").format(name=self.name))

    @rx.event
    @guard(*DESIGNERS)
    def ask_delete(self):
        """Delete this never-activated draft, after asking."""
        self._ask("delete", [], _("Delete “{name}”? It was never activated; this cannot be undone.").format(
            name=self.name))

    @rx.event
    @guard(*DESIGNERS)
    def ask_restore(self, version: str):
        """Restore an older version as the new draft, after asking."""
        version = coerce_str(version, name="Version", max_len=10, required=True)
        if version not in {v["version"] for v in self.version_rows}:
            raise BadInput(_("Choose a version."))
        self._ask("restore", [version], _("Restore version {n} as the new draft? The current draft is replaced."
                                          ).format(n=version))

    @rx.event
    @guard(*DESIGNERS)
    def compare(self, form_data: dict):
        """The differences between two versions (or a version and the draft)."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        old = coerce_str(form_data.get("old"), name="From", max_len=10, required=True)
        new = coerce_str(form_data.get("new"), name="To", max_len=10, required=True)
        with session_scope() as session:
            self.diff_lines = process_design.diff_versions(session, principal=current_principal(), process_id=self.pid,
                                                      old=old, new=new)
        self.diff_old, self.diff_new, self.diff_shown = old, new, True

    @rx.event
    @guard(*DESIGNERS)
    def add_route(self, form_data: dict):
        """Add a route: description, target process and next phase."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        phase_id = coerce_str(form_data.get("phase_id"), name="Phase", max_len=40)
        description = coerce_str(form_data.get("description"), name="Description", max_len=200, required=True)
        target = coerce_str(form_data.get("target"), name="Next phase", max_len=60, required=True)
        if target not in {t["value"] for t in self.route_targets}:
            raise BadInput(_("Choose the next phase."))
        proc, _sep, next_phase = target.partition(":")
        process_id = None if proc == "this" else int(proc)
        self._edit(lambda d: e.add_route(d, phase_id, p.RouteDef("", description, next_phase, process_id)))
        return rx.toast.success(_("Route added."))

    @rx.event
    @guard(*DESIGNERS)
    def delete_route(self, phase_id: str, route_id: str):
        """Ask before removing a route."""
        phase_id = coerce_str(phase_id, name="Phase", max_len=40)
        route_id = coerce_str(route_id, name="Route", max_len=40)
        route = next((r for r in self.route_rows if r["id"] == route_id and r["phase_id"] == phase_id), None)
        if route is None:
            raise BadInput(_("That route does not exist."))
        self._ask("route", [phase_id, route_id], _("Delete route “{name}”?").format(name=route["description"]))

    @rx.event
    @guard(*DESIGNERS)
    async def graph_connect(self, source: str, target: str):
        """Two phases connected on the graph: ask for the new route's description."""
        source = coerce_str(source, name="Phase", max_len=40, required=True)
        target = coerce_str(target, name="Next phase", max_len=60, required=True)
        names = {ph["id"]: ph["name"] for ph in self.phases}
        if source not in names or target not in names:
            raise BadInput(_("Connect two phases of this process; routes to other processes are added with the form."))
        self.connect_source, self.connect_target = source, f"this:{target}"
        self.connect_text = _("Route from “{a}” to “{b}”.").format(a=names[source], b=names[target])

    @rx.event
    @guard(*DESIGNERS)
    async def graph_connect_cancel(self):
        """Close the new-route dialog."""
        self.connect_source = self.connect_target = ""

    @rx.event
    @guard(*DESIGNERS)
    def graph_node_moved(self, node_id: str, x: float, y: float):
        """A node dragged on the graph: keep where it was dropped (a phase in the phase, the
        completion node and other processes' phases in the draft's places)."""
        node_id = coerce_str(node_id, name="Phase", max_len=90, required=True)
        phases = {ph["id"] for ph in self.phases}
        others = frozenset(n["id"] for n in self.flow_nodes if n["id"] not in phases)
        if node_id not in phases and node_id not in others:
            raise BadInput(_("That node is not on the graph."))
        try:
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            raise BadInput(_("That position is off the graph.")) from None
        if x != x or y != y:
            raise BadInput(_("That position is off the graph."))
        if node_id in phases:
            self._edit(lambda d: e.place_phase(d, node_id, x, y))
        else:
            self._edit(lambda d: e.place_node(d, node_id, x, y, keep=others))

    @rx.event
    @guard(*DESIGNERS)
    async def graph_edge_click(self, edge_id: str):
        """A route clicked on the graph: ask before deleting it."""
        edge_id = coerce_str(edge_id, name="Route", max_len=90, required=True)
        kind, _sep, rest = edge_id.partition(":")
        phase_id, _sep, route_id = rest.partition(":")
        if kind != "r":
            raise BadInput(_("This arrow is the default next phase; add a route to change it."))
        route = next((r for r in self.route_rows if r["id"] == route_id and r["phase_id"] == phase_id), None)
        if route is None:
            raise BadInput(_("That route does not exist."))
        self._ask("route", [phase_id, route_id], _("Delete route “{name}”?").format(name=route["description"]))

    @rx.event
    @guard(*DESIGNERS)
    def add_notification(self, form_data: dict):
        """E-mail on a process event to me, the customer, a team member or a group."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        try:
            event, to = p.NotifyEvent(form_data.get("event")), p.NotifyTo(form_data.get("to"))
        except ValueError:
            raise BadInput(_("Choose the event and the recipient.")) from None
        target = coerce_str(form_data.get("target"), name="Recipient", max_len=80)
        if to is p.NotifyTo.USER and target not in {u["id"] for u in self.users}:
            raise BadInput(_("Choose the team member to notify."))
        self._edit(lambda d: e.add_notification(d, p.NotificationDef("", event, to, target)))
        return rx.toast.success(_("Notification added."))

    @rx.event
    @guard(*DESIGNERS)
    def delete_notification(self, note_id: str):
        """Remove an e-mail notification."""
        note_id = coerce_str(note_id, name="Notification", max_len=40)
        self._edit(lambda d: e.delete_notification(d, note_id))


def _select(name: str, options, value, label) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"f-{name}"),
        rx.el.select(*[rx.el.option(o, value=o) for o in options], id=f"f-{name}", name=name, default_value=value,
                     class_name="ot-native-select"),
        spacing="1",
    )


def _task_dialog() -> rx.Component:
    s = ProcessEditorState
    f = s.task_form
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(f["id"] == "", T("New task"), T("Edit task")), " · ", f["phase_name"]),
            rx.form(
                rx.vstack(
                    rx.el.label(T("Task name"), html_for="f-name"),
                    rx.input(id="f-name", name="name", default_value=f["name"], required=True, width="100%"),
                    rx.el.label(T("Task subject"), html_for="f-subject"),
                    rx.input(id="f-subject", name="subject", default_value=f["subject"], width="100%"),
                    rx.el.label(T("Task body"), html_for="f-body"),
                    rx.text_area(id="f-body", name="body", default_value=f["body"], rows="3", width="100%"),
                    rx.grid(
                        _select("type", [t.value for t in p.TaskType], f["type"], T("Task type")),
                        _select("step", [t.value for t in p.TaskStep], f["step"], T("Task step")),
                        rx.vstack(
                            rx.el.label(T("Assigned to (person)"), html_for="f-user_id"),
                            rx.el.select(rx.el.option(T("— nobody —"), value="none"),
                                         rx.foreach(s.users, lambda u: rx.el.option(u["name"], value=u["id"])),
                                         id="f-user_id", name="user_id", default_value=f["user_id"],
                                         class_name="ot-native-select"),
                            spacing="1",
                        ),
                        rx.vstack(rx.el.label(T("Assigned to (group)"), html_for="f-group"),
                                  rx.el.select(rx.el.option(T("— no group —"), value=""),
                                               rx.foreach(s.group_names,
                                                          lambda g: rx.el.option(g["name"], value=g["id"])),
                                               id="f-group", name="group", default_value=f["group"],
                                               class_name="ot-native-select"), spacing="1"),
                        rx.vstack(rx.el.label(T("Alarm hours"), html_for="f-alarm"),
                                  rx.input(id="f-alarm", name="alarm_hours", type="number", min="0", step="0.5",
                                           default_value=f["alarm_hours"]), spacing="1"),
                        _select("on_complete", [o.value for o in p.OnComplete], f["on_complete"], T("On task completion")),
                        _select("on_cancel", [o.value for o in p.OnCancel], f["on_cancel"], T("On task cancelation")),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    rx.text(T("Options"), weight="bold"),
                    *[rx.checkbox(label, name=key, default_checked=f[key] == "1") for key, label in FLAGS],
                    rx.hstack(
                        rx.button(T("Cancel"), type="button", variant="soft", color_scheme="gray",
                                  on_click=s.close_task),
                        rx.button(T("Save task"), type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                ),
                on_submit=s.save_task,
            ),
            max_width="640px",
        ),
        open=s.task_open,
        on_open_change=lambda _o: ProcessEditorState.close_task(),
    )


def _phase_card(ph: rx.Var) -> rx.Component:
    """One phase of the draft: its name, options and tasks, each editable.

    Long because: one declarative card (the phase's fields, its tasks and their editors), read top
    to bottom as it looks.
    """
    s = ProcessEditorState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.form(
                    rx.hstack(
                        rx.el.input(type="hidden", name="phase_id", value=ph["id"]),
                        rx.input(name="name", default_value=ph["name"], aria_label=T("Phase name"), width="260px",
                                 weight="bold"),
                        rx.button(T("Rename"), size="1", variant="soft", type="submit"),
                    ),
                    on_submit=s.rename_phase,
                    reset_on_submit=False,
                    key=ph["id"] + ":" + ph["name"],
                ),
                rx.spacer(),
                rx.icon_button(rx.icon("arrow-up", size=14), size="1", variant="ghost", aria_label=T("Move phase up"),
                               on_click=s.move_phase(ph["id"], -1)),
                rx.icon_button(rx.icon("arrow-down", size=14), size="1", variant="ghost",
                               aria_label=T("Move phase down"), on_click=s.move_phase(ph["id"], 1)),
                rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red",
                               aria_label=T("Delete phase"), on_click=s.delete_phase(ph["id"])),
                width="100%",
                align="center",
            ),
            rx.foreach(s.tasks, lambda t: rx.cond(
                t["phase_id"] == ph["id"],
                rx.hstack(
                    rx.icon("square-check", size=14),
                    rx.link(t["name"], on_click=s.open_task(ph["id"], t["id"]), cursor="pointer"),
                    rx.badge(t["type"], variant="soft", size="1"),
                    rx.text(t["assignee"], size="1", color_scheme="gray"),
                    rx.text(t["actions"], size="1", color_scheme="gray"),
                    rx.spacer(),
                    rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="gray",
                                   aria_label=T("Delete task {name}", name=t["name"]), on_click=s.delete_task(ph["id"], t["id"])),
                    width="100%",
                    align="center",
                    id="task-" + t["id"],
                ),
            )),
            rx.button(rx.icon("plus", size=14), T("Add task"), size="1", variant="soft",
                      on_click=s.open_task(ph["id"], "")),
            rx.foreach(s.route_rows, lambda r: rx.cond(
                r["phase_id"] == ph["id"],
                rx.hstack(rx.icon("corner-down-right", size=14), rx.text(r["description"], weight="medium"),
                          rx.text("→ ", r["target"], size="2"), rx.spacer(),
                          rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="gray",
                                         aria_label=T("Delete route {name}", name=r["description"]),
                                         on_click=s.delete_route(ph["id"], r["id"])),
                          width="100%", align="center"),
            )),
            rx.form(
                rx.hstack(
                    rx.el.input(type="hidden", name="phase_id", value=ph["id"]),
                    rx.input(name="description", placeholder=T("Route description"), aria_label=T("Route description"),
                             size="1", width="180px"),
                    rx.el.select(rx.el.option(T("— next phase —"), value=""),
                                 rx.foreach(s.route_targets, lambda o: rx.el.option(o["label"], value=o["value"])),
                                 name="target", aria_label=T("Next phase"), class_name="ot-native-select"),
                    rx.button(T("Add route"), size="1", variant="soft", type="submit"),
                    align="center",
                ),
                on_submit=s.add_route,
                reset_on_submit=True,
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="phase-" + ph["id"],
        data_phase=ph["name"],
    )


def _header() -> rx.Component:
    s = ProcessEditorState
    return rx.form(
        rx.grid(
            rx.vstack(rx.el.label(T("Name"), html_for="p-name"),
                      rx.input(id="p-name", name="name", default_value=s.name, width="100%"), spacing="1"),
            rx.vstack(rx.el.label(T("Type"), html_for="p-type"),
                      rx.el.select(*[rx.el.option(t.value, value=t.value) for t in p.ProcessType], id="p-type",
                                   name="type", default_value=s.ptype, class_name="ot-native-select"), spacing="1"),
            rx.vstack(rx.el.label(T("Auto assign: user"), html_for="p-user"),
                      rx.el.select(rx.el.option(T("— nobody —"), value="none"),
                                   rx.foreach(s.users, lambda u: rx.el.option(u["name"], value=u["id"])),
                                   id="p-user", name="auto_user", default_value=s.auto_user,
                                   class_name="ot-native-select"), spacing="1"),
            rx.vstack(rx.el.label(T("Auto assign: user group"), html_for="p-group"),
                      rx.el.select(rx.el.option(T("— no group —"), value=""),
                                   rx.foreach(s.group_names, lambda g: rx.el.option(g["name"], value=g["id"])),
                                   id="p-group", name="auto_group", default_value=s.auto_group,
                                   class_name="ot-native-select"), spacing="1"),
            rx.vstack(rx.text(" "), rx.button(T("Save"), type="submit"), spacing="1"),
            columns="3",
            spacing="3",
            width="100%",
        ),
        rx.cond(s.ptype == "Order", rx.vstack(
            rx.text(T("Service types (orders routed here)"), size="2", weight="medium"),
            rx.flex(rx.foreach(s.kinds, lambda k: rx.checkbox(k["label"], name="kind-" + k["key"],
                                                              default_checked=k["on"] == "1", size="1")),
                    wrap="wrap", spacing="3", id="service-types", role="group",
                    aria_label=T("Service types (orders routed here)")),
            spacing="1", margin_top="0.5em")),
        on_submit=s.save_header,
        reset_on_submit=False,
        key=s.name + s.auto_user + s.auto_group + s.service_types + s.ptype,
    )


def process_list_page() -> rx.Component:
    """Settings → Processes."""
    s = ProcessListState
    return page(
        rx.vstack(
            rx.heading(T("Processes"), size="7"),
            rx.form(
                rx.hstack(
                    rx.input(name="name", placeholder=T("Process name"), aria_label=T("Process name"), required=True,
                             width="280px"),
                    rx.el.select(*[rx.el.option(t.value, value=t.value) for t in p.ProcessType], name="type",
                                 aria_label=T("Type"), class_name="ot-native-select"),
                    rx.button(rx.icon("plus", size=14), T("New Process"), type="submit"),
                ),
                on_submit=s.create,
            ),
            rx.cond(
                s.rows.length() == 0,
                rx.callout(T("No processes yet: create the first one."), icon="workflow", width="100%"),
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                                   (T("Name"), T("Type"), T("State"), T("Version"), T("Size"),
                                                    T("Service types"))])),
                    rx.table.body(rx.foreach(s.rows, lambda r: rx.table.row(
                        rx.table.cell(rx.link(r["name"], href=r["href"])), rx.table.cell(r["type"]),
                        rx.table.cell(rx.badge(r["state"], color_scheme=rx.cond(r["active"] == "1", "green", "gray"))),
                        rx.table.cell(r["version"]), rx.table.cell(r["size"]), rx.table.cell(r["service_types"])))),
                    width="100%",
                    variant="surface",
                ),
            ),
            rx.cond(s.archived_rows.length() > 0, rx.vstack(
                rx.heading(T("Archived"), size="4"),
                rx.foreach(s.archived_rows, lambda r: rx.hstack(
                    rx.link(r["name"], href=r["href"]), rx.text(r["version"], size="2", color_scheme="gray"),
                    data_archived=r["name"])),
                spacing="1", id="archived-processes")),
            _groups(),
            spacing="4",
            width="100%",
        ),
    )


def _group_members(g: rx.Var | None) -> rx.Component:
    s = ProcessListState
    return rx.flex(
        rx.foreach(s.staff, lambda u: rx.checkbox(
            u["name"], name="m-" + u["id"],
            default_checked=g["member_ids"].contains("," + u["id"] + ",") if g is not None else False,
            size="1")),
        wrap="wrap", spacing="3",
    )


def _group_row(g: rx.Var) -> rx.Component:
    s = ProcessListState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.hstack(
                    rx.el.input(type="hidden", name="group_id", value=g["id"]),
                    rx.input(name="name", default_value=g["name"], aria_label=T("Group name"), width="220px"),
                    rx.cond(g["empty"] == "1", rx.badge(T("no members"), color_scheme="amber")),
                    rx.spacer(),
                    rx.button(T("Save"), size="1", type="submit"),
                    rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red",
                                   type="button", aria_label=T("Delete group"),
                                   on_click=s.ask_delete_group(g["id"])),
                    align="center", width="100%",
                ),
                _group_members(g),
                spacing="2", width="100%",
            ),
            on_submit=s.save_group,
            reset_on_submit=False,
            key=g["id"] + g["member_ids"] + g["name"],
        ),
        width="100%", data_group=g["name"],
    )


def _groups() -> rx.Component:
    """User groups: a name and its members (tasks and auto-assign name a person or a group)."""
    s = ProcessListState
    return rx.vstack(
        rx.heading(T("User groups"), size="5", id="groups"),
        rx.text(T("Only a group task's assignee, the group's members or a manager may work on it; escalations "
                  "e-mail the members."), size="2", color_scheme="gray"),
        rx.cond(s.groups.length() == 0,
                rx.callout(T("No groups yet: tasks then name groups as free text that any staff member may work."),
                           icon="users", width="100%"),
                rx.vstack(rx.foreach(s.groups, _group_row), spacing="2", width="100%")),
        rx.form(
            rx.vstack(
                rx.hstack(rx.input(name="name", placeholder=T("Group name, e.g. Billing"), aria_label=T("New group name"),
                                   width="260px", required=True),
                          rx.button(rx.icon("plus", size=14), T("Add group"), type="submit"), align="center"),
                _group_members(None),
                spacing="2",
            ),
            on_submit=s.add_group,
            reset_on_submit=True,
        ),
        rx.alert_dialog.root(
            rx.alert_dialog.content(
                rx.alert_dialog.title(T("Delete group “{name}”?", name=s.confirm_group_name)),
                rx.alert_dialog.description(T("Tasks assigned to it will show up as problems until reassigned.")),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button(T("Keep it"), variant="soft", color_scheme="gray",
                                                     on_click=s.keep_group)),
                    rx.alert_dialog.action(rx.button(T("Delete group"), color_scheme="red", on_click=s.delete_group)),
                    justify="end",
                ),
            ),
            open=s.confirm_group != "",
        ),
        spacing="3", width="100%",
    )


def _version_row(v: rx.Var) -> rx.Component:
    s = ProcessEditorState
    return rx.table.row(
        rx.table.cell(rx.hstack(rx.text("v", v["version"]), rx.cond(v["current"] == "1",
                                                                   rx.badge(T("current"), color_scheme="green")))),
        rx.table.cell(v["at"]), rx.table.cell(v["by"]), rx.table.cell(v["runs"]),
        rx.table.cell(rx.button(T("Restore as new draft"), size="1", variant="soft",
                                on_click=s.ask_restore(v["version"]))),
        data_version=v["version"],
    )


def _versions() -> rx.Component:
    """Versions with their dates and authors, a diff between any two, restore as new draft."""
    s = ProcessEditorState
    choices = rx.foreach(s.version_rows, lambda v: rx.el.option("v" + v["version"], value=v["version"]))
    return rx.cond(s.version_rows.length() > 0, rx.card(rx.vstack(
        rx.heading(T("Versions"), size="3"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                T("Version"), T("Activated"), T("By"), T("Orders on it"), "")])),
            rx.table.body(rx.foreach(s.version_rows, _version_row)),
            width="100%", variant="ghost", id="versions",
        ),
        rx.form(
            rx.hstack(
                rx.text(T("Compare")),
                rx.el.select(choices, rx.el.option(T("draft"), value="draft"), name="old", aria_label=T("From"),
                             default_value=s.diff_old, class_name="ot-native-select"),
                rx.text("→"),
                rx.el.select(choices, rx.el.option(T("draft"), value="draft"), name="new", aria_label=T("Compare with"),
                             default_value=s.diff_new, class_name="ot-native-select"),
                rx.button(T("Show differences"), size="1", type="submit", variant="soft"),
                align="center", wrap="wrap",
            ),
            on_submit=s.compare,
            reset_on_submit=False,
        ),
        rx.cond(s.diff_shown, rx.cond(
            s.diff_lines.length() > 0,
            rx.vstack(rx.foreach(s.diff_lines, lambda line: rx.text("• ", line, size="2")), spacing="1",
                      id="version-diff"),
            rx.text(T("No differences."), size="2", id="version-diff"))),
        spacing="2", width="100%",
    ), width="100%"))


def process_editor_page() -> rx.Component:
    """Edit Process.

    Long because: one declarative page (header, phases, tasks, routes, notifications, versions,
    graph and dry-run sections in the order they are shown); each section is already its own
    function.
    """
    s = ProcessEditorState
    body = rx.vstack(
        rx.hstack(
            rx.heading(s.name, size="7", id="process-name"),
            rx.badge(rx.cond(s.active, T("Active"), T("Inactive")), color_scheme=rx.cond(s.active, "green", "gray")),
            rx.badge(rx.cond(s.version > 0, T("version {n}", n=s.version), T("never activated")), variant="soft"),
            rx.cond(s.changed, rx.badge(T("changed since activation"), color_scheme="amber")),
            rx.spacer(),
            rx.cond(s.archived, rx.badge(T("Archived"), color_scheme="gray")),
            rx.cond(s.active, rx.button(T("Deactivate"), variant="soft", color_scheme="gray", on_click=s.deactivate)),
            rx.cond(s.version > 0,
                    rx.button(rx.cond(s.archived, T("Bring back"), T("Archive")), variant="soft", color_scheme="gray",
                              on_click=s.ask_archive),
                    rx.button(T("Delete draft"), variant="soft", color_scheme="red", on_click=s.ask_delete)),
            rx.button(rx.cond(s.active & s.changed, T("Activate new version"), T("Activate")), on_click=s.activate,
                      disabled=(s.problems.length() > 0) | (s.active & ~s.changed) | s.archived,
                      title=rx.cond(s.active & ~s.changed, T("Active and unchanged: nothing to activate."), "")),
            width="100%",
            align="center",
        ),
        _header(),
        rx.cond(
            s.problems.length() > 0,
            rx.callout.root(
                rx.callout.icon(rx.icon("triangle-alert")),
                rx.vstack(rx.text(T("Fix these before activating:"), weight="bold"),
                          rx.foreach(s.problems, lambda pr: rx.link(pr["message"], href=pr["anchor"], size="2")),
                          spacing="1"),
                color_scheme="amber", width="100%", id="process-problems",
            ),
        ),
        rx.grid(
            rx.vstack(
                rx.foreach(s.phases, _phase_card),
                rx.form(
                    rx.hstack(rx.input(name="name", placeholder=T("Phase name, e.g. FOC Received"),
                                       aria_label=T("New phase name"), width="280px", required=True),
                              rx.button(rx.icon("plus", size=14), T("Add New Phase"), type="submit")),
                    on_submit=s.add_phase,
                    reset_on_submit=True,
                ),
                rx.card(
                    rx.vstack(
                        rx.heading(T("Email notifications"), size="3"),
                        rx.foreach(s.notes, lambda n: rx.hstack(
                            rx.text(n["event"], " → ", n["to"], " ", n["target"], size="2"), rx.spacer(),
                            rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="gray",
                                           aria_label=T("Delete notification"), on_click=s.delete_notification(n["id"])),
                            width="100%")),
                        rx.form(
                            rx.hstack(
                                rx.el.select(*[rx.el.option(T(x.value), value=x.value) for x in p.NotifyEvent],
                                             name="event", aria_label=T("When"), class_name="ot-native-select"),
                                rx.el.select(*[rx.el.option(T(x.value), value=x.value) for x in p.NotifyTo],
                                             name="to", aria_label=T("Send to"), class_name="ot-native-select"),
                                rx.el.select(rx.el.option("—", value=""),
                                             rx.foreach(s.users, lambda u: rx.el.option(u["name"], value=u["id"])),
                                             name="target", aria_label=T("Team member"), class_name="ot-native-select"),
                                rx.button(T("Add"), size="1", type="submit", variant="soft"),
                                wrap="wrap",
                            ),
                            on_submit=s.add_notification,
                            reset_on_submit=True,
                        ),
                        spacing="2",
                        width="100%",
                    ),
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            graph_section(s),
            columns="1",
            spacing="4",
            width="100%",
            # One column on phones and tablets (the graph under the forms), side by side from 1024 px.
            grid_template_columns=["minmax(0, 1fr)", "minmax(0, 1fr)", "minmax(0, 1fr)", "3fr 2fr", "1fr 1fr"],
        ),
        _versions(),
        rx.cond(s.ptype == "Order", simulation_section()),
        _task_dialog(),
        rx.alert_dialog.root(
            rx.alert_dialog.content(
                rx.alert_dialog.title(T("Are you sure?")),
                rx.alert_dialog.description(s.confirm_text),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button(T("Keep it"), variant="soft", color_scheme="gray",
                                                     on_click=s.keep)),
                    rx.alert_dialog.action(rx.button(T("Yes, go ahead"), color_scheme="red", on_click=s.confirm,
                                                     id="confirm-yes")),
                    justify="end",
                ),
            ),
            open=s.confirm_kind != "",
        ),
        rx.alert_dialog.root(
            rx.alert_dialog.content(
                rx.alert_dialog.title(T("Delete phase “{name}”?", name=s.confirm_phase_name)),
                rx.alert_dialog.description(T("Its tasks and routes are deleted with it.")),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button(T("Keep it"), variant="soft", color_scheme="gray",
                                                     on_click=s.cancel_delete)),
                    rx.alert_dialog.action(rx.button(T("Delete phase"), color_scheme="red",
                                                     on_click=s.delete_phase(s.confirm_phase))),
                    justify="end",
                ),
            ),
            open=s.confirm_phase != "",
        ),
        spacing="4",
        width="100%",
    )
    return page(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), T("All processes")), href=routes.PROCESSES),
        rx.cond(s.found, body, rx.cond(s.missing, rx.callout(T("Process not found."), icon="search-x"),
                                       rx.center(rx.spinner(size="3"), padding="3em"))),
        wide=True,
    )
