"""The order page: dates, items, the timeline of phase and status changes, and the moves
this user may make (through a dialog that asks for a comment and confirms irreversible moves)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import reflex as rx

from ordertrack import offload, routes
from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.layout import shell
from ordertrack.components.status_badge import status_badge
from ordertrack.components.transition_dialog import transition_dialog
from ordertrack.db.engine import session_scope
from ordertrack.db.models import Customer, Order
from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.tracking import ETI_WAITING
from ordertrack.live import publish, watch
from ordertrack.services import attachments, messages, processes, provisioning, tickets
from ordertrack.services import orders as order_service
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput, NotFound
from ordertrack.settings import get_settings


def _parse_date(value: object, name: str) -> date | None:
    text = coerce_str(value, name=name, max_len=10)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{name} must be a date (YYYY-MM-DD).") from None


def _fmt(at: datetime | None) -> str:
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(get_settings().business_tz)).strftime("%Y-%m-%d %H:%M")


class OrderState(AppState):
    """One order, loaded only by the guarded ``load`` (starts empty: nothing leaks on hydrate)."""

    state: str = "loading"  # loading | found | missing
    number: str = ""
    name: str = ""
    customer: str = ""
    phase_label: str = ""
    status: str = ""
    status_label: str = ""
    in_phase: str = ""
    next_deadline: str = ""
    requested: str = ""
    planned: str = ""
    owner: str = ""
    priority: str = ""
    items: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    moves: list[dict[str, str]] = []
    dialog_open: bool = False
    dialog_target: str = ""
    dialog_label: str = ""
    dialog_needs_comment: bool = False
    dialog_irreversible: bool = False
    dialog_error: str = ""
    dialog_channel: bool = False
    _phase: str = ""
    _customer_id: int = 0
    failure: dict[str, str] = {}
    messages: list[dict[str, str]] = []
    subscribed: bool = False
    compose_open: bool = False
    compose: dict[str, str] = {}
    compose_error: str = ""
    contact_email: str = ""
    client_hits: list[dict[str, str]] = []
    pending_files: list[dict[str, str]] = []
    message_files: list[dict[str, str]] = []
    _pending_ids: list[int] = []
    tickets: list[dict[str, str]] = []
    ticket_tasks: list[dict[str, str]] = []
    ticket_processes: list[dict[str, str]] = []
    ticket_tab: str = "open"
    process_name: str = ""
    process_status: str = ""
    phases: list[dict[str, str]] = []
    actions: list[dict[str, str]] = []
    routes: list[dict[str, str]] = []
    startable: list[dict[str, str]] = []
    reasons: list[dict[str, str]] = []
    can_edit: bool = False
    editing: bool = False
    owner_value: str = "none"
    priority_value: str = "normal"
    requested_value: str = ""
    planned_value: str = ""
    owners: list[dict[str, str]] = []
    _order_id: int = 0
    _version: int = 0
    _watcher: str = ""
    _watch_path: str = ""
    _move_targets: dict[str, dict[str, str]] = {}

    def _fetch(self, number: str) -> None:
        """Every section of the page, read in one transaction (one consistent snapshot)."""
        with session_scope() as session:
            self._fetch_in(session, number)

    def _fetch_in(self, session, number: str) -> None:
        now = get_clock().now()
        detail = order_service.get_order(session, principal=current_principal(), number=number, now=now)
        row_id = detail.card.id
        card = detail.card
        self._order_id, self._version, self._phase = row_id, card.version, card.phase
        self._customer_id = session.get(Order, row_id).customer_id
        self.number, self.name, self.customer = card.number, card.name, card.customer_name
        self.phase_label, self.status, self.status_label = card.phase_label, card.status, card.status_label
        self.in_phase = duration_words(now - card.phase_since)
        self.next_deadline = ""
        if card.due_at is not None and card.due_kind == "order:closed":
            remaining = card.due_at - now
            self.next_deadline = (
                f"Auto-approves in {duration_words(remaining)}" if remaining.total_seconds() > 0
                else "Auto-approval is due now"
            )
        self.requested = str(detail.requested_completion or "—")
        self.planned = str(detail.planned_completion or "—")
        self.owner = detail.owner_name or "—"
        self.priority = card.priority.capitalize()
        principal = current_principal()
        self.items = [
            {"id": str(i.id), "kind": i.kind, "name": i.name,
             "status": "waiting for technical-interview approval" if i.status == ETI_WAITING
             else i.status.replace("_", " "),
             "waiting": "1" if i.status == ETI_WAITING and principal.is_staff else "",
             "note": "" if i.counts else "not counted in tracking status"}
            for i in detail.items
        ]
        self.history = [
            {"at": _fmt(h.at), "who": h.actor_name, "from": h.from_label or "—", "to": h.to_label,
             "status": h.to_status_label, "comment": h.comment}
            for h in detail.history
        ]
        self.moves = [
            {"target": m.target, "label": m.label, "needs_comment": "1" if m.needs_comment else "",
             "irreversible": "1" if m.irreversible else ""}
            for m in detail.moves
        ]
        self._move_targets = {m["target"]: m for m in self.moves}
        principal = current_principal()
        self.can_edit = principal.is_staff
        if principal.is_staff and not self.reasons:
            self.reasons = [{"code": c, "issue": i} for _, c, i, _ in provisioning.remedies(session)]
        self.owner_value = str(detail.owner_id) if detail.owner_id else "none"
        self.priority_value = card.priority
        self.requested_value = detail.requested_completion.isoformat() if detail.requested_completion else ""
        self.planned_value = detail.planned_completion.isoformat() if detail.planned_completion else ""
        failure = provisioning.open_failure(session, principal=principal, order_id=row_id, now=now,
                                            calendar=business_calendar())
        self.failure = {} if failure is None else {
            "reason": failure.reason, "details": failure.details, "remedy": failure.remedy,
            "state": "claimed by " + failure.claimed_by if failure.state == "claimed" else "open",
            "countdown": failure.countdown, "age": failure.age,
        }
        self._fetch_process(row_id, principal, session)
        msgs = messages.list_messages(session, principal=principal, order_id=row_id)
        self.subscribed = messages.is_subscribed(session, principal=principal, order_id=row_id)
        self.contact_email = session.get(Customer, self._customer_id).contact_email if principal.is_staff else ""
        files = attachments.of_messages(session, message_ids=[m.id for m in msgs])
        self.message_files = [{"message": str(mid), "name": f.name, "href": f"/attachments/{f.id}",
                               "size": f"{max(1, f.size // 1024)} KB"} for mid, fs in files.items() for f in fs]
        self.messages = [
            {"id": str(m.id), "kind": {"followup": "Follow-up", "reply": "Reply", "comment": "Comment"}[m.kind],
             "author": m.author, "to": m.to, "subject": m.subject, "body": m.body, "at": _fmt(m.at),
             "internal": "" if m.client_viewable else "1"}
            for m in msgs
        ]
        found = tickets.tickets_of_order(session, principal=principal, order_id=row_id)
        runs = {t.id: processes.run_view(session, entity_kind="ticket", entity_id=t.id) for t in found} \
            if principal.is_staff else {}
        self.ticket_processes = [{"id": str(p.id), "name": p.name}
                                 for p in processes.startable(session, type="Ticket")] if principal.is_staff else []
        self.ticket_tasks = [
            {"ticket": str(tid), "id": str(t.id), "name": t.name, "status": t.status,
             "open": "1" if t.status == "open" and ph.state == "current" else ""}
            for tid, view in runs.items() if view is not None for ph in view.phases for t in ph.tasks
        ]
        self.tickets = [
            {"id": str(t.id), "subject": t.subject, "status": t.status, "status_label": tickets.STATUSES[t.status],
             "group": "closed" if t.status == "closed" else "open", "created": _fmt(t.created_at),
             "thread": "\n\n".join(f"{who} · {_fmt(at)}\n{body}" for who, body, at in t.messages),
             "process": (f"{runs[t.id].process_name}: {runs[t.id].status}" if runs.get(t.id) else "")}
            for t in found
        ]
        self.state = "found"

    @rx.event
    @guard()
    def load(self):
        """Load the order named in the URL; another tenant's order is simply "not found"."""
        self.dialog_open = False
        number = coerce_str(self.router.page.params.get("number", ""), name="Order number", max_len=40)
        try:
            self._fetch(number)
        except NotFound:
            self._reset_order()
            self.state = "missing"

    def _fetch_process(self, order_id: int, principal, session=None) -> None:
        if session is None:
            with session_scope() as own:
                return self._fetch_process(order_id, principal, own)
        view = processes.run_view(session, entity_kind="order", entity_id=order_id)
        startable = [] if (view and view.status == "running") or not principal.is_staff else [
            {"id": str(s.id), "name": s.name} for s in processes.startable(session, type="Order")]
        self.startable = startable
        if view is None:
            self.process_name, self.process_status, self.phases, self.actions, self.routes = "", "", [], [], []
            return
        self.process_name = f"{view.process_name} (version {view.version})"
        self.process_status = view.status
        self.phases = [{"id": ph.id, "name": ph.name, "state": ph.state} for ph in view.phases]
        self.actions = [
            {"id": str(t.id), "name": t.name, "phase": ph.name, "type": t.type, "status": t.status,
             "assignee": t.assignee or "—", "open": "1" if t.status == "open" and ph.state == "current"
             and principal.is_staff and not view.routes else ""}
            for ph in view.phases for t in ph.tasks
        ]
        self.routes = [{"id": rid, "label": label} for rid, label in view.routes] if principal.is_staff else []

    def _process_call(self, fn, **kwargs):
        settings = get_settings()
        with session_scope() as session:
            fn(session, principal=current_principal(), now=get_clock().now(), calendar=business_calendar(),
               base_url=settings.public_url, support=settings.support_email, **kwargs)
        self._fetch(self.number)
        publish(customers=[self._customer_id])

    @rx.event
    @guard(staff=True)
    def process_task(self, task_id: str):
        """Process (complete) an order action: it turns green and the next one appears."""
        self._process_call(processes.finish_task, task_instance_id=coerce_int(task_id, name="Task", minimum=1),
                           skip=False)
        return rx.toast.success("Done.")

    @rx.event
    @guard(staff=True)
    def skip_task(self, task_id: str):
        """Skip an order action."""
        self._process_call(processes.finish_task, task_instance_id=coerce_int(task_id, name="Task", minimum=1),
                           skip=True)
        return rx.toast.success("Skipped.")

    @rx.event
    @guard(staff=True)
    def take_route(self, route_id: str):
        """Choose where a completed phase goes next."""
        run = self._run_id()
        self._process_call(processes.choose_route, run_id=run,
                           route_id=coerce_str(route_id, name="Route", max_len=40, required=True))
        return rx.toast.success("Route taken.")

    @rx.event
    @guard(staff=True)
    def start_process(self, form_data: dict):
        """Start an active process on this order."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput("Choose a process.")
        process_id = coerce_int(form_data.get("process_id"), name="Process", minimum=1)
        self._process_call(processes.start_run, entity_kind="order", entity_id=self._order_id,
                           process_id=process_id)
        return rx.toast.success("Process started.")

    def _run_id(self) -> int:
        with session_scope() as session:
            run = processes.current_run(session, entity_kind="order", entity_id=self._order_id)
        if run is None:
            raise BadInput("No process runs on this order.")
        return run.id

    def _refresh(self) -> None:
        if self.number and not self.dialog_open and not self.editing:
            self._fetch(self.number)

    @rx.event(background=True)
    @guard(background=True)
    async def watch(self):
        """Keep this tab's order current while it is open (changes by others appear live)."""
        await watch(self, refresh=self._refresh)

    def _reset_order(self) -> None:
        self._order_id = self._version = 0
        self.number = self.name = self.customer = self.phase_label = self.status = self.status_label = ""
        self.items, self.history, self.moves, self._move_targets = [], [], [], {}
        self.failure = {}
        self.process_name, self.phases, self.actions, self.routes, self.startable = "", [], [], [], []

    @rx.event
    @guard(staff=True)
    def open_compose(self, kind: str, quote_id: str):
        """Open the Follow-up / Reply / Reply & Quote / Comment form."""
        kind = coerce_str(kind, name="Kind", max_len=20)
        if kind not in messages.KINDS:
            raise BadInput("Unknown message kind.")
        quote_id = coerce_str(quote_id, name="Message", max_len=20)
        quoted = next((m for m in self.messages if m["id"] == quote_id), None) if quote_id else None
        if quote_id and quoted is None:
            raise BadInput("That message is gone.")
        with session_scope() as session:
            self.owners = [{"id": str(i), "name": n} for i, n in order_service.staff_users(session)]
        body = ""
        if quoted is not None:
            body = "\n\n" + "\n".join("> " + line for line in quoted["body"].splitlines())
        self.compose = {
            "kind": kind, "title": {"followup": "Post a Follow-up", "reply": "Reply",
                                    "comment": "Add a Comment"}[kind] + (" & Quote" if quoted else ""),
            "to": self.contact_email if kind != "comment" else "",
            "subject": ("Re: " + quoted["subject"]) if quoted else f"Order {self.number}: {self.name}",
            "body": body,
        }
        self.compose_error = ""
        self.compose_open = True

    @rx.event
    @guard(staff=True)
    async def close_compose(self):
        """Close the form without sending."""
        self.compose_open = False

    @rx.event
    @guard(staff=True, upload=True)
    async def upload_attachments(self, files: list[rx.UploadFile]):
        """Attach files to the message being written (size and type checked on the server)."""
        if not self._order_id or not isinstance(files, list):
            raise BadInput("Nothing to attach to.")
        if len(files) + len(self._pending_ids) > 5:
            raise BadInput("Attach at most 5 files to a message.")
        settings = get_settings()
        order_id = self._order_id

        def store(name: str, data: bytes):
            with session_scope() as session:
                return attachments.store(session, principal=current_principal(), order_id=order_id,
                                         filename=name, data=data, folder=Path(settings.attachments_dir),
                                         max_bytes=settings.attachment_max_bytes, now=get_clock().now())

        for file in files:
            data = await file.read()
            view = await offload.run(store, file.name or "file", data)
            self._pending_ids = [*self._pending_ids, view.id]
            self.pending_files = [*self.pending_files, {"name": view.name,
                                                        "size": f"{max(1, view.size // 1024)} KB"}]
        return rx.toast.success("Attached.")

    @rx.event
    @guard(staff=True)
    def send_message(self, form_data: dict):
        """Send the follow-up/reply as e-mail, or add the comment."""
        if not isinstance(form_data, dict) or not self.compose or not self._order_id:
            raise BadInput("Nothing to send.")
        kind = self.compose["kind"]
        body = coerce_str(form_data.get("body"), name="Body", max_len=20000)
        template = coerce_str(form_data.get("template"), name="Template", max_len=20) or "none"
        if template not in messages.TEMPLATES:
            raise BadInput("Unknown template.")
        if not body and template != "none":
            body = messages.TEMPLATES[template][1]
        if not body:
            self.compose_error = "The message needs a body."
            return None
        assign = coerce_str(form_data.get("assign_to"), name="Assign to", max_len=10)
        settings = get_settings()
        with session_scope() as session:
            messages.post(
                session, principal=current_principal(), order_id=self._order_id, kind=kind, body=body,
                to=coerce_str(form_data.get("to"), name="To", max_len=320),
                subject=coerce_str(form_data.get("subject"), name="Subject", max_len=300),
                client_viewable=form_data.get("client_viewable") == "on",
                assign_to=None if assign in ("", "none") else coerce_int(assign, name="Assign to", minimum=1),
                subscribe=form_data.get("subscribe") == "on", now=get_clock().now(), calendar=business_calendar(),
                base_url=settings.public_url, expected_version=self._version,
                attachment_ids=list(self._pending_ids), attachments_dir=settings.attachments_dir,
            )
        self._pending_ids, self.pending_files = [], []
        self.compose_open = False
        self._fetch(self.number)
        publish(customers=[self._customer_id])
        return rx.toast.success("Comment added." if kind == "comment" else "Sent.")

    @rx.event
    @guard()
    async def set_ticket_tab(self, tab: str):
        """Open/On Hold Tickets or Closed Tickets."""
        tab = coerce_str(tab, name="Tickets", max_len=10)
        if tab not in ("open", "closed"):
            raise BadInput("Unknown list.")
        self.ticket_tab = tab

    @rx.event
    @guard()
    def new_ticket(self, form_data: dict):
        """Open a ticket about this order (clients and staff)."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput("Invalid form.")
        with session_scope() as session:
            tickets.open_ticket(session, principal=current_principal(), order_id=self._order_id,
                                subject=coerce_str(form_data.get("subject"), name="Subject", max_len=300),
                                body=coerce_str(form_data.get("body"), name="Message", max_len=20000),
                                now=get_clock().now(), calendar=business_calendar())
        self.ticket_tab = "open"
        self._fetch(self.number)
        publish(customers=[self._customer_id])
        return rx.toast.success("Ticket opened.")

    @rx.event
    @guard(staff=True)
    def start_ticket_process(self, form_data: dict):
        """Start an active Ticket process on one of this order's tickets."""
        if not isinstance(form_data, dict):
            raise BadInput("Choose a process.")
        ticket_id = coerce_int(form_data.get("ticket_id"), name="Ticket", minimum=1)
        if str(ticket_id) not in {t["id"] for t in self.tickets}:
            raise BadInput("That ticket is not on this order.")
        self._process_call(processes.start_run, entity_kind="ticket", entity_id=ticket_id,
                           process_id=coerce_int(form_data.get("process_id"), name="Process", minimum=1))
        return rx.toast.success("Process started on the ticket.")

    @rx.event
    @guard(staff=True)
    def set_ticket_status(self, ticket_id: str, status: str):
        """Put on hold, close or reopen a ticket (staff)."""
        with session_scope() as session:
            tickets.set_status(session, principal=current_principal(),
                               ticket_id=coerce_int(ticket_id, name="Ticket", minimum=1),
                               status=coerce_str(status, name="Status", max_len=10), now=get_clock().now(),
                               calendar=business_calendar())
        self._fetch(self.number)
        publish(customers=[self._customer_id])
        return rx.toast.success("Ticket updated.")

    @rx.event
    @guard(staff=True)
    def search_clients(self, form_data: dict):
        """Associate With Client: search by name, e-mail or id."""
        if not isinstance(form_data, dict):
            raise BadInput("Invalid form.")
        by = coerce_str(form_data.get("by"), name="Search", max_len=10)
        text = coerce_str(form_data.get("text"), name="For", max_len=100, required=True)
        with session_scope() as session:
            hits = order_service.search_clients(session, principal=current_principal(), by=by, text=text)
        self.client_hits = [{"id": str(h.id), "name": h.name, "email": h.email} for h in hits]
        if not hits:
            return rx.toast.info("No client matches.")
        return None

    @rx.event
    @guard(staff=True)
    def associate(self, customer_id: str):
        """Associate the order with the chosen client."""
        cid = coerce_int(customer_id, name="Client", minimum=1)
        if str(cid) not in {h["id"] for h in self.client_hits}:
            raise BadInput("Search for the client first.")
        with session_scope() as session:
            card = order_service.associate_client(session, principal=current_principal(), order_id=self._order_id,
                                                  customer_id=cid, expected_version=self._version,
                                                  now=get_clock().now(), calendar=business_calendar())
        self.client_hits = []
        self._fetch(self.number)
        publish()
        return rx.toast.success(f"Associated with {card.customer_name}.")

    @rx.event
    @guard(staff=True)
    def toggle_subscription(self):
        """Subscribe to (or unsubscribe from) copies of every follow-up, e-mail and comment."""
        with session_scope() as session:
            messages.set_subscription(session, principal=current_principal(), order_id=self._order_id,
                                      subscribed=not self.subscribed)
        self._fetch(self.number)
        return rx.toast.success("Subscribed." if self.subscribed else "Unsubscribed.")

    @rx.event
    @guard(staff=True)
    def record_attempt(self, form_data: dict):
        """An operator records a provisioning attempt: success resolves, failure opens the queue item."""
        if not isinstance(form_data, dict) or not self.number:
            raise BadInput("Nothing to record.")
        outcome = coerce_str(form_data.get("outcome"), name="Outcome", max_len=10)
        if outcome not in ("failed", "succeeded"):
            raise BadInput("Choose whether the attempt failed or succeeded.")
        reason = coerce_str(form_data.get("reason"), name="Reason", max_len=80)
        item = coerce_str(form_data.get("item"), name="Item", max_len=10)
        item_id = None if item in ("", "all") else coerce_int(item, name="Item", minimum=1)
        if item_id is not None and str(item_id) not in {i["id"] for i in self.items}:
            raise BadInput("That item is not part of this order.")
        if outcome == "failed" and reason not in {r["code"] for r in self.reasons}:
            raise BadInput("Choose the reason of the failure.")
        settings = get_settings()
        with session_scope() as session:
            provisioning.record_attempt(
                session, actor_name=current_principal().display_name, order_number=self.number,
                succeeded=outcome == "succeeded", reason_code=reason if outcome == "failed" else "",
                details=coerce_str(form_data.get("details"), name="Details", max_len=2000),
                now=get_clock().now(), calendar=business_calendar(), item_id=item_id,
                recipients=provisioning.Recipients(support=settings.support_email, base_url=settings.public_url),
            )
        self._fetch(self.number)
        publish(customers=[self._customer_id])
        return rx.toast.success("Provisioning attempt recorded.")

    @rx.event
    @guard(staff=True)
    def add_item(self, form_data: dict):
        """Add an item to the order."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput("Nothing to change.")
        with session_scope() as session:
            order_service.add_item(session, principal=current_principal(), order_id=self._order_id,
                                   kind=coerce_str(form_data.get("kind"), name="Kind", max_len=20),
                                   name=coerce_str(form_data.get("name"), name="Item", max_len=200),
                                   expected_version=self._version, now=get_clock().now(),
                                   calendar=business_calendar())
        self._fetch(self.number)
        publish(customers=[self._customer_id])
        return rx.toast.success("Item added.")

    @rx.event
    @guard(staff=True)
    def remove_item(self, item_id: str):
        """Remove an item from the order."""
        with session_scope() as session:
            order_service.remove_item(session, principal=current_principal(), order_id=self._order_id,
                                      item_id=coerce_int(item_id, name="Item", minimum=1),
                                      expected_version=self._version, now=get_clock().now(),
                                      calendar=business_calendar())
        self._fetch(self.number)
        publish(customers=[self._customer_id])
        return rx.toast.success("Item removed.")

    @rx.event
    @guard(staff=True)
    def approve_eti(self, item_id: str):
        """Record that an item passed its technical-interview approval (staff)."""
        item = coerce_int(item_id, name="Item", minimum=1)
        if not self._order_id:
            raise BadInput("Nothing to change.")
        with session_scope() as session:
            order_service.approve_item_eti(
                session, principal=current_principal(), order_id=self._order_id, item_id=item,
                expected_version=self._version, now=get_clock().now(), calendar=business_calendar(),
            )
        self._fetch(self.number)
        publish(customers=[self._customer_id])
        return rx.toast.success("Technical interview approved.")

    @rx.event
    @guard(staff=True)
    def start_edit(self):
        """Show the dates-and-ownership form (staff)."""
        with session_scope() as session:
            self.owners = [{"id": str(i), "name": n} for i, n in order_service.staff_users(session)]
        self.editing = True

    @rx.event
    @guard(staff=True)
    def cancel_edit(self):
        """Leave the form without saving."""
        self.editing = False

    @rx.event
    @guard(staff=True)
    def save_planning(self, form_data: dict):
        """Save requested/planned completion, owner and priority (staff)."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput("Nothing to change.")
        change = order_service.PlanningChange(
            requested_completion=_parse_date(form_data.get("requested"), "Requested completion"),
            planned_completion=_parse_date(form_data.get("planned"), "Planned completion"),
            owner_id=None if form_data.get("owner") in (None, "", "none")
            else coerce_int(form_data.get("owner"), name="Owner", minimum=1),
            priority=coerce_str(form_data.get("priority"), name="Priority", max_len=20) or "normal",
            name=coerce_str(form_data.get("name"), name="Name", max_len=200) or None,
        )
        with session_scope() as session:
            order_service.update_planning(
                session, principal=current_principal(), order_id=self._order_id,
                expected_version=self._version, change=change, now=get_clock().now(), calendar=business_calendar(),
            )
        self.editing = False
        self._fetch(self.number)
        publish(customers=[self._customer_id])
        return rx.toast.success("Saved.")

    @rx.event
    @guard()
    def open_move(self, target: str):
        """Open the confirmation dialog for a move the user may make."""
        target = coerce_str(target, name="Move", max_len=40)
        move = self._move_targets.get(target)
        if move is None:
            raise BadInput("That move is not available.")
        self.dialog_target, self.dialog_label = target, move["label"]
        self.dialog_needs_comment = bool(move["needs_comment"])
        self.dialog_irreversible = bool(move["irreversible"])
        self.dialog_channel = current_principal().is_staff and order_service.is_approval(self._phase, target)
        self.dialog_error = ""
        self.dialog_open = True

    @rx.event
    @guard()
    async def close_move(self):
        """Close the dialog without changing anything."""
        self.dialog_open = False

    @rx.event
    @guard()
    def confirm_move(self, form_data: dict):
        """Apply the move through the service (engine guard, compare-and-set, history)."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput("Nothing to change.")
        comment = coerce_str(form_data.get("comment"), name="Comment", max_len=4000)
        if self.dialog_needs_comment and not comment:
            self.dialog_error = "A comment is required for this change."
            return None
        channel = coerce_str(form_data.get("channel"), name="Channel", max_len=20)
        if self.dialog_channel and channel not in order_service.APPROVAL_CHANNELS:
            self.dialog_error = order_service.CHANNEL_REQUIRED
            return None
        now = get_clock().now()
        settings = get_settings()
        try:
            with session_scope() as session:
                if current_principal().is_staff:
                    processes.before_order_move(session, order_id=self._order_id, target=self.dialog_target)
                order_service.move_order(
                    session,
                    principal=current_principal(),
                    order_id=self._order_id,
                    target=self.dialog_target,
                    expected_version=self._version,
                    comment=comment,
                    now=now,
                    calendar=business_calendar(),
                    channel=channel or None,
                )
                processes.after_order_move(session, principal=current_principal(), order_id=self._order_id,
                                           target=self.dialog_target, now=now, calendar=business_calendar(),
                                           base_url=settings.public_url, support=settings.support_email)
        finally:
            self.dialog_open = False
            self._fetch(self.number)
        publish(customers=[self._customer_id])
        return rx.toast.success(f"{self.number}: {self.phase_label}")


def _move_button(move: rx.Var) -> rx.Component:
    return rx.button(
        move["label"],
        on_click=OrderState.open_move(move["target"]),
        color_scheme=rx.cond(move["irreversible"] == "1", "red", "indigo"),
        variant=rx.cond(move["irreversible"] == "1", "soft", "solid"),
    )


def _move_dialog() -> rx.Component:
    s = OrderState
    return transition_dialog(
        title=s.dialog_label, subtitle=s.number + " — " + s.name, open=s.dialog_open,
        needs_comment=s.dialog_needs_comment, irreversible=s.dialog_irreversible, error=s.dialog_error,
        on_submit=s.confirm_move, on_cancel=s.close_move, ask_channel=s.dialog_channel,
    )


def _action_row(a: rx.Var) -> rx.Component:
    done = (a["status"] == "done") | (a["status"] == "skipped") | (a["status"] == "expired")
    return rx.table.row(
        rx.table.cell(a["phase"]),
        rx.table.cell(rx.hstack(rx.cond(a["status"] == "done", rx.icon("circle-check", color=rx.color("green", 9),
                                                                           size=16)), rx.text(a["name"]))),
        rx.table.cell(a["type"]),
        rx.table.cell(a["assignee"]),
        rx.table.cell(rx.badge(a["status"], color_scheme=rx.cond(done, "green", rx.cond(
            a["status"] == "canceled", "gray", "amber")))),
        rx.table.cell(rx.cond(
            a["open"] == "1",
            rx.hstack(
                rx.button("Process", size="1", on_click=OrderState.process_task(a["id"])),
                rx.button("Skip", size="1", variant="soft", on_click=OrderState.skip_task(a["id"])),
            ),
        )),
        background=rx.cond(a["status"] == "done", rx.color("green", 2), "transparent"),
        data_action=a["name"],
        data_status=a["status"],
    )


def _order_actions() -> rx.Component:
    s = OrderState
    return rx.cond(
        s.process_name != "",
        rx.vstack(
            rx.hstack(rx.heading("Order Actions", size="4"), rx.badge(s.process_name, variant="soft"),
                      rx.badge(s.process_status, color_scheme=rx.cond(s.process_status == "complete", "green",
                                                                      "blue")), align="center"),
            rx.hstack(rx.foreach(s.phases, lambda ph: rx.badge(
                ph["name"], variant=rx.cond(ph["state"] == "current", "solid", "soft"),
                color_scheme=rx.cond(ph["state"] == "done", "green", rx.cond(ph["state"] == "current", "indigo",
                                                                           "gray")))), wrap="wrap"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("Phase", "Action", "Type", "Assigned to", "State", "")])),
                rx.table.body(rx.foreach(s.actions, _action_row)),
                width="100%", variant="surface", id="order-actions",
            ),
            rx.cond(s.routes.length() > 0, rx.hstack(
                rx.text("Where next?", weight="bold"),
                rx.foreach(s.routes, lambda r: rx.button(r["label"], size="1", on_click=OrderState.take_route(r["id"]))),
                align="center")),
            width="100%",
            spacing="2",
        ),
        rx.cond(
            s.startable.length() > 0,
            rx.form(
                rx.hstack(
                    rx.text("Order Actions", weight="bold"),
                    rx.el.select(rx.foreach(s.startable, lambda o: rx.el.option(o["name"], value=o["id"])),
                                 name="process_id", aria_label="Process", class_name="ot-native-select"),
                    rx.button("Start process", type="submit", variant="soft"),
                    align="center",
                ),
                on_submit=s.start_process,
            ),
        ),
    )


def _message(m: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(m["kind"], variant="soft"),
                rx.cond(m["internal"] == "1", rx.badge("internal", color_scheme="gray")),
                rx.text(m["author"], weight="medium", size="2"),
                rx.cond(m["to"] != "", rx.text("to ", m["to"], size="1", color_scheme="gray")),
                rx.spacer(),
                rx.text(m["at"], size="1", color_scheme="gray"),
                rx.cond(OrderState.can_edit, rx.hstack(
                    rx.button("Reply", size="1", variant="ghost", on_click=OrderState.open_compose("reply", "")),
                    rx.button("Reply & Quote", size="1", variant="ghost",
                              on_click=OrderState.open_compose("reply", m["id"])),
                )),
                width="100%",
                align="center",
            ),
            rx.text(m["subject"], weight="bold", size="2"),
            rx.text(m["body"], size="2", white_space="pre-wrap"),
            rx.hstack(rx.foreach(OrderState.message_files, lambda f: rx.cond(
                f["message"] == m["id"],
                rx.link(rx.hstack(rx.icon("paperclip", size=12), f["name"], " (", f["size"], ")"), href=f["href"],
                        is_external=True, size="1"),
            )), wrap="wrap"),
            spacing="1",
            width="100%",
        ),
        width="100%",
        data_message=m["body"],
    )


def _compose_dialog() -> rx.Component:
    s = OrderState
    c = s.compose
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(c["title"]),
            rx.form(
                rx.vstack(
                    rx.cond(c["kind"] != "comment", rx.vstack(
                        rx.el.label("To", html_for="m-to"),
                        rx.input(id="m-to", name="to", type="email", default_value=c["to"], width="100%"),
                        width="100%", spacing="1")),
                    rx.cond(c["kind"] == "comment", rx.vstack(
                        rx.el.label("Template", html_for="m-template"),
                        rx.el.select(*[rx.el.option(v[0] or "— none —", value=k) for k, v in messages.TEMPLATES.items()],
                                     id="m-template", name="template", class_name="ot-native-select"),
                        spacing="1")),
                    rx.el.label("Subject", html_for="m-subject"),
                    rx.input(id="m-subject", name="subject", default_value=c["subject"], width="100%"),
                    rx.el.label("Body", html_for="m-body"),
                    rx.text_area(id="m-body", name="body", default_value=c["body"], rows="6", width="100%"),
                    rx.cond(c["kind"] == "comment", rx.checkbox("Client Viewable", name="client_viewable")),
                    rx.el.label(rx.cond(c["kind"] == "comment", "Comment and assign order to",
                                        "Respond and assign order to"), html_for="m-assign"),
                    rx.el.select(rx.el.option("— keep the owner —", value="none"),
                                 rx.foreach(s.owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                                 id="m-assign", name="assign_to", class_name="ot-native-select"),
                    rx.checkbox("Subscribe to order", name="subscribe"),
                    rx.text("Attachments", weight="medium", size="2"),
                    rx.upload(rx.button("Choose File", type="button", variant="soft", size="1"), id="attach",
                              multiple=True, max_files=5, max_size=5 * 1024 * 1024, border="none", padding="0"),
                    rx.hstack(rx.foreach(rx.selected_files("attach"), lambda n: rx.badge(n, variant="outline")),
                              wrap="wrap"),
                    rx.button("Upload", type="button", size="1", variant="soft",
                              on_click=OrderState.upload_attachments(rx.upload_files(upload_id="attach"))),
                    rx.hstack(rx.foreach(s.pending_files, lambda f: rx.badge(rx.icon("paperclip", size=12), f["name"],
                                                                               " ", f["size"], color_scheme="green")),
                              wrap="wrap", id="pending-files"),
                    rx.cond(s.compose_error != "", rx.text(s.compose_error, color_scheme="red", role="alert")),
                    rx.hstack(
                        rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=s.close_compose),
                        rx.button(rx.cond(c["kind"] == "comment", "Add Comment", "Send Followup"), type="submit"),
                        justify="end", width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=s.send_message,
            ),
            max_width="600px",
        ),
        open=s.compose_open,
        on_open_change=lambda _o: OrderState.close_compose(),
    )


def _ticket(t: rx.Var) -> rx.Component:
    s = OrderState
    return rx.cond(
        t["group"] == s.ticket_tab,
        rx.card(
            rx.vstack(
                rx.hstack(rx.text("#", t["id"], " ", t["subject"], weight="bold"),
                          rx.badge(t["status_label"], variant="soft"), rx.spacer(),
                          rx.cond(s.can_edit, rx.hstack(
                              rx.button("On hold", size="1", variant="ghost",
                                        on_click=OrderState.set_ticket_status(t["id"], "on_hold")),
                              rx.button("Close", size="1", variant="ghost",
                                        on_click=OrderState.set_ticket_status(t["id"], "closed")),
                              rx.button("Reopen", size="1", variant="ghost",
                                        on_click=OrderState.set_ticket_status(t["id"], "open")))),
                          width="100%", align="center"),
                rx.text(t["thread"], size="2", white_space="pre-wrap"),
                rx.cond(t["process"] != "", rx.badge(t["process"], variant="soft", color_scheme="indigo")),
                rx.foreach(s.ticket_tasks, lambda k: rx.cond(
                    k["ticket"] == t["id"],
                    rx.hstack(
                        rx.text(k["name"], size="2"), rx.badge(k["status"], variant="outline"),
                        rx.cond(k["open"] == "1", rx.hstack(
                            rx.button("Process", size="1", on_click=OrderState.process_task(k["id"])),
                            rx.button("Skip", size="1", variant="soft", on_click=OrderState.skip_task(k["id"])))),
                        align="center", data_task=k["name"],
                    ),
                )),
                rx.cond(s.can_edit & (t["process"] == "") & (s.ticket_processes.length() > 0), rx.form(
                    rx.hstack(
                        rx.el.input(type="hidden", name="ticket_id", value=t["id"]),
                        rx.el.select(rx.foreach(s.ticket_processes, lambda p: rx.el.option(p["name"], value=p["id"])),
                                     name="process_id", aria_label="Ticket process", class_name="ot-native-select"),
                        rx.button("Start process", size="1", variant="soft", type="submit"),
                    ),
                    on_submit=OrderState.start_ticket_process,
                )),
                width="100%",
            ),
            width="100%",
            data_ticket=t["subject"],
        ),
    )


def _tickets() -> rx.Component:
    s = OrderState
    return rx.vstack(
        rx.hstack(
            rx.heading("Tickets", size="4"),
            rx.tabs.root(rx.tabs.list(rx.tabs.trigger("Open/On Hold Tickets", value="open"),
                                      rx.tabs.trigger("Closed Tickets", value="closed")),
                         value=s.ticket_tab, on_change=s.set_ticket_tab),
            align="center",
        ),
        rx.foreach(s.tickets, _ticket),
        rx.form(
            rx.hstack(
                rx.input(name="subject", placeholder="Ticket subject", aria_label="Ticket subject", width="220px"),
                rx.input(name="body", placeholder="Message", aria_label="Ticket message", width="320px"),
                rx.button("Open ticket", type="submit", variant="soft"),
                wrap="wrap",
            ),
            on_submit=s.new_ticket,
            reset_on_submit=True,
        ),
        width="100%",
        spacing="2",
    )


def _associate() -> rx.Component:
    s = OrderState
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.text("Associate With Client", weight="bold"),
                rx.el.select(rx.el.option("Client name", value="name"), rx.el.option("E-mail", value="email"),
                             rx.el.option("Client id", value="id"), name="by", aria_label="Search",
                             class_name="ot-native-select"),
                rx.input(name="text", placeholder="For…", aria_label="For", width="220px"),
                rx.button("Search", type="submit", variant="soft"),
                align="center",
                wrap="wrap",
            ),
            on_submit=s.search_clients,
            reset_on_submit=False,
        ),
        rx.foreach(s.client_hits, lambda h: rx.hstack(
            rx.text(h["name"], weight="medium"), rx.text(h["email"], color_scheme="gray", size="2"),
            rx.text("#", h["id"], color_scheme="gray", size="1"),
            rx.button("Associate with Client", size="1", on_click=OrderState.associate(h["id"])),
            align="center")),
        width="100%",
        spacing="2",
    )


def _messages() -> rx.Component:
    s = OrderState
    return rx.vstack(
        rx.hstack(
            rx.heading("Messages", size="4"),
            rx.cond(s.can_edit, rx.hstack(
                rx.button("Post a Follow-up", size="1", variant="soft", on_click=s.open_compose("followup", "")),
                rx.button("Add a Comment", size="1", variant="soft", on_click=s.open_compose("comment", "")),
                rx.button(rx.cond(s.subscribed, "Unsubscribe", "Subscribe"), size="1", variant="ghost",
                          on_click=s.toggle_subscription),
            )),
            align="center",
        ),
        rx.cond(s.messages.length() == 0, rx.text("No messages yet.", color_scheme="gray", size="2"),
                rx.vstack(rx.foreach(s.messages, _message), width="100%", spacing="2", id="order-messages")),
        _compose_dialog(),
        width="100%",
    )


def _field(label: str, value: rx.Var) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"), rx.text(value, weight="medium"), spacing="1")


def _planning_form() -> rx.Component:
    s = OrderState
    return rx.form(
        rx.vstack(rx.el.label("Order name", html_for="order-name"),
                  rx.input(id="order-name", name="name", default_value=s.name, width="100%"), width="100%"),
        rx.grid(
            rx.vstack(rx.el.label("Requested completion", html_for="requested"),
                      rx.input(id="requested", name="requested", type="date", default_value=s.requested_value)),
            rx.vstack(rx.el.label("Planned completion", html_for="planned"),
                      rx.input(id="planned", name="planned", type="date", default_value=s.planned_value)),
            rx.vstack(
                rx.el.label("Owner", html_for="owner"),
                rx.el.select(
                    rx.el.option("— nobody —", value="none"),
                    rx.foreach(s.owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                    id="owner", name="owner", default_value=s.owner_value, class_name="ot-native-select",
                ),
            ),
            rx.vstack(
                rx.el.label("Priority", html_for="priority"),
                rx.el.select(
                    *[rx.el.option(p.capitalize(), value=p) for p in order_service.PRIORITIES],
                    id="priority", name="priority", default_value=s.priority_value, class_name="ot-native-select",
                ),
            ),
            columns="4",
            spacing="4",
            width="100%",
        ),
        rx.hstack(
            rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=s.cancel_edit),
            rx.button("Save", type="submit"),
            margin_top="1em",
        ),
        on_submit=s.save_planning,
        width="100%",
    )


def order_page() -> rx.Component:
    """Order details, timeline and moves."""
    s = OrderState
    found = rx.vstack(
        rx.hstack(
            rx.heading(s.number, size="7", id="order-number"),
            status_badge(s.status, s.status_label),
            align="center",
            spacing="3",
        ),
        rx.text(s.name, size="4"),
        rx.cond(
            s.failure.contains("reason"),
            rx.callout.root(
                rx.callout.icon(rx.icon("circle-alert")),
                rx.vstack(
                    rx.text("Provisioning failed: ", rx.text.strong(s.failure["reason"]), size="3"),
                    rx.text(s.failure["details"], size="2"),
                    rx.text("Steps to remedy", weight="bold", size="2"),
                    rx.text(s.failure["remedy"], size="2", white_space="pre-line", id="failure-remedy"),
                    rx.text("Support: ", s.failure["state"], " · ", s.failure["age"], " ago · ",
                            s.failure["countdown"], size="1", color_scheme="gray"),
                    spacing="1",
                ),
                color_scheme="red",
                width="100%",
                id="failure-panel",
            ),
        ),
        rx.cond(
            s.editing,
            _planning_form(),
            rx.hstack(
                rx.heading("Dates and ownership", size="4"),
                rx.cond(s.can_edit, rx.button(rx.icon("pencil", size=14), "Edit", size="1", variant="soft",
                                              on_click=s.start_edit)),
                align="center",
            ),
        ),
        rx.grid(
            _field("Customer", s.customer),
            _field("Phase", s.phase_label),
            _field("Time in phase", s.in_phase),
            _field("Requested completion", s.requested),
            _field("Planned completion", s.planned),
            _field("Owner", s.owner),
            _field("Priority", s.priority),
            rx.cond(s.next_deadline != "", _field("Next deadline", s.next_deadline)),
            columns="4",
            spacing="4",
            width="100%",
        ),
        rx.cond(
            s.moves.length() > 0,
            rx.hstack(rx.foreach(s.moves, _move_button), spacing="3", wrap="wrap"),
        ),
        _order_actions(),
        _messages(),
        rx.cond(s.can_edit, _associate()),
        _tickets(),
        rx.heading("Items", size="4"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("Item", "Kind", "Status", "", "")])),
            rx.table.body(
                rx.foreach(
                    s.items,
                    lambda i: rx.table.row(
                        rx.table.cell(i["name"]), rx.table.cell(i["kind"]), rx.table.cell(i["status"]),
                        rx.table.cell(
                            rx.cond(
                                i["waiting"] == "1",
                                rx.button("Approve ETI", size="1", on_click=OrderState.approve_eti(i["id"])),
                                rx.text(i["note"], color_scheme="gray", size="1"),
                            )
                        ),
                        rx.table.cell(rx.cond(
                            OrderState.can_edit & (OrderState.moves.length() > 0),
                            rx.icon_button(rx.icon("trash-2", size=12), size="1", variant="ghost", color_scheme="red",
                                           aria_label="Remove item " + i["name"],
                                           on_click=OrderState.remove_item(i["id"])),
                        )),
                    ),
                )
            ),
            width="100%",
            variant="surface",
            id="order-items",
        ),
        rx.cond(s.can_edit & (s.moves.length() > 0), rx.form(
            rx.hstack(
                rx.el.select(*[rx.el.option(k, value=k) for k in order_service.ITEM_KINDS], name="kind",
                             aria_label="Item kind", class_name="ot-native-select"),
                rx.input(name="name", placeholder="Item name", aria_label="Item name", width="260px"),
                rx.button("Add item", type="submit", variant="soft", size="1"),
                align="center",
            ),
            on_submit=s.add_item,
            reset_on_submit=True,
        )),
        rx.cond(
            s.can_edit,
            rx.form(
                rx.hstack(
                    rx.text("Provisioning attempt", weight="bold"),
                    rx.el.select(rx.el.option("All items", value="all"),
                                 rx.foreach(s.items, lambda i: rx.el.option(i["name"], value=i["id"])),
                                 name="item", aria_label="Item", class_name="ot-native-select"),
                    rx.el.select(rx.el.option("Failed", value="failed"), rx.el.option("Succeeded", value="succeeded"),
                                 name="outcome", aria_label="Outcome", class_name="ot-native-select"),
                    rx.el.select(rx.el.option("— reason —", value=""),
                                 rx.foreach(s.reasons, lambda r: rx.el.option(r["issue"], value=r["code"])),
                                 name="reason", aria_label="Reason", class_name="ot-native-select"),
                    rx.input(name="details", placeholder="Details", aria_label="Details", width="260px"),
                    rx.button("Record attempt", type="submit", variant="soft"),
                    align="center",
                    wrap="wrap",
                ),
                on_submit=s.record_attempt,
                reset_on_submit=True,
            ),
        ),
        rx.heading("History", size="4"),
        rx.table.root(
            rx.table.header(
                rx.table.row(*[rx.table.column_header_cell(h) for h in ("When", "Who", "From", "To", "Status", "Comment")])
            ),
            rx.table.body(
                rx.foreach(
                    s.history,
                    lambda h: rx.table.row(
                        rx.table.cell(h["at"]), rx.table.cell(h["who"]), rx.table.cell(h["from"]),
                        rx.table.cell(h["to"]), rx.table.cell(h["status"]), rx.table.cell(h["comment"]),
                    ),
                ),
                id="order-history",
            ),
            width="100%",
            variant="surface",
        ),
        _move_dialog(),
        spacing="4",
        width="100%",
    )
    return shell(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), "All orders"), href=routes.ORDERS),
        rx.match(
            s.state,
            ("found", found),
            ("missing", rx.callout("Order not found.", icon="search-x", color_scheme="gray", id="order-missing",
                                   margin_top="1em")),
            rx.center(rx.spinner(size="3"), padding="3em"),
        ),
        user_name=s.user_name,
        role_label=s.user_role_label,
        nav=s.nav,
    )
