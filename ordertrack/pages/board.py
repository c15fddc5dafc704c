"""Track My Orders: the live kanban board and the Closed tab (seed 01)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import reflex as rx

from ordertrack import i18n, live, offload, routes
from ordertrack.auth import AppState, coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components import order_columns as oc
from ordertrack.components.forms import hidden, inline, text_input
from ordertrack.components.layout import dialog
from ordertrack.components.order_card import MoveMenu, kanban_column
from ordertrack.components.tables import Column, data_table, loading_state, pager
from ordertrack.components.transition_dialog import transition_dialog
from ordertrack.db.engine import session_scope
from ordertrack.domain import engine
from ordertrack.domain.roles import Role
from ordertrack.domain.workflows import ORDER_WORKFLOW, OrderStatus
from ordertrack.i18n import N_, _
from ordertrack.i18n.ui import T, Tn
from ordertrack.live import publish
from ordertrack.pages.frame import page
from ordertrack.services import board as board_service
from ordertrack.services import (
    board_moves,
    order_moves,
    order_views,
    process_queue,
    time_travel,
    wip,
)
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput
from ordertrack.services.order_views import PRIORITIES
from ordertrack.settings import get_settings

DROP_TARGETS = {"planning": "planning", "execution": "execution", "validation": "validation", "done": "closed"}
WINDOW = 25


def _column_targets(column: str) -> tuple[str, ...]:
    """The phases a drop on ``column`` may move an order to (closed first on the last column)."""
    return board_service.DONE_PHASES if column == "done" else (DROP_TARGETS[column],)


def _drop_move(detail, column: str):
    """The move a drop of this order on ``column`` makes, or None: it is already there, or the
    viewer has no such move (the workflow's guards, the viewer's roles)."""
    targets = _column_targets(column)
    if detail.card.phase in targets:
        return None
    return next((m for t in targets for m in detail.moves if m.target == t), None)


def focus_card(number: str, target: str | None = None) -> rx.EventSpec:
    """After a move (``target``): the focus goes to the card in its new column once it is there
    (a keyboard user goes on from where the card is); after a cancelled one (no ``target``): back
    to the card's "Move to…" button. Not when the user went elsewhere meanwhile."""
    column = next((c.key for c in board_service.COLUMNS if target in c.phases), "") if target else ""
    return rx.call_script(
        "(function(n, col){let tries = 0; const later = () => { if (++tries < 120) setTimeout(go, 50); };"
        "const go = () => {"
        "if (document.querySelector('[role=dialog],[role=alertdialog]')) return later();"  # still closing
        "const a = document.activeElement;"
        "if (a && a !== document.body && !a.closest('.ot-board')) return;"  # the user went elsewhere
        "const card = '[data-testid=order-card][data-number=\"' + CSS.escape(n) + '\"] ';"
        "const el = col ? document.querySelector('#column-' + col + ' ' + card + '.ot-card-link')"
        " : (document.querySelector(card + '[data-move-menu]') || document.querySelector(card + '.ot-card-link'));"
        "if (el) el.focus(); else later(); }; go();})"
        f"({json.dumps(number)}, {json.dumps(column)})")


READ_ONLY = N_("The board as of a past moment is read-only. Go back to now to move orders.")


def _shared_board(principal, filters: board_service.BoardFilters, limits: dict[str, int], lang: str):
    """One board computation per (scope, filters, window, language), shared by every tab that
    shows the same thing (a tab's own load and the live push use the same result)."""
    def compute():
        with i18n.use(lang), session_scope() as session:
            return board_service.load_board(session, principal=principal, now=get_clock().now(), filters=filters,
                                            limits=limits, calendar=business_calendar())

    return live.shared(("board", live.scope_of(principal), filters, tuple(sorted(limits.items())), lang), compute)


CLOSED_PAGE = 25
ANY = "any"


def _shared_wip(principal) -> dict[str, dict[str, str]]:
    """The WIP header of each limited column in the viewer's board scope (whatever the filters)."""
    def compute():
        with session_scope() as session:
            views = wip.usage(session, principal=principal)
        return {k: {"count": str(v.count), "limit": "" if v.limit is None else str(v.limit), "level": v.level,
                    "hard": "1" if v.hard else ""} for k, v in views.items() if v.limit is not None}

    return live.shared(("wip", live.scope_of(principal)), compute)


def column_vars(columns, card) -> dict:
    """One var per column for its cards (``cards_<column>``) and one for its total
    (``total_<column>``): a live push sends only the vars that changed, so a move resends the
    columns it touched, not the whole board."""
    out: dict = {}
    for c in columns:
        out[f"cards_{c.key}"] = [card(k) for k in c.cards]
        out[f"total_{c.key}"] = c.total
    return out


def _live_card(k) -> dict[str, str]:
    return {"number": k.number, "href": routes.order_url(k.number), "name": k.name,
            "customer": k.customer_name, "phase": k.phase_label, "status": k.status,
            "status_label": k.status_label, "in_phase": k.in_phase, "deadline": k.deadline,
            "deadline_level": k.deadline_level, "sla_level": k.sla_level, "owner": k.owner_name,
            "priority": k.priority, "priority_label": k.priority_label, "version": str(k.version),
            "failed": "1" if k.failed else "", "change": "", "change_label": ""}


def _past_card(k) -> dict[str, str]:
    return {"number": k.number, "href": routes.order_url(k.number), "name": k.name, "customer": k.customer_name,
            "phase": k.phase_label, "status": k.status, "status_label": k.status_label, "in_phase": k.in_phase,
            "deadline": "", "deadline_level": "", "sla_level": "", "owner": k.owner_name, "priority": k.priority,
            "priority_label": k.priority_label, "version": "0", "failed": "", "change": k.change,
            "change_label": k.change_label}


def _board_vars(principal, filters: board_service.BoardFilters, limits: dict[str, int], lang: str) -> dict:
    """The board's vars (a window of cards per column, one var each) as this principal sees them.

    The card lists are shared too: every tab showing the same board holds the same list
    objects (nothing mutates them; a change makes new ones), so a thousand open boards keep
    one copy of the cards, not a thousand (bench/memory.py)."""
    key = ("board-vars", live.scope_of(principal), filters, tuple(sorted(limits.items())), lang)
    cards = live.shared(key, lambda: column_vars(_shared_board(principal, filters, limits, lang), _live_card))
    return {"wip": _shared_wip(principal), "past_changes": {}, **cards}


def _closed_vars(principal, filters: board_service.BoardFilters, page: int, lang: str) -> dict:
    """One page of the Closed tab as this principal sees it, under the board's filters."""
    with i18n.use(lang), session_scope() as session:
        result = board_service.closed_orders(session, principal=principal, filters=filters,
                                             offset=page * CLOSED_PAGE, limit=CLOSED_PAGE)
        rows = [oc.order_row(c, since=c.phase_since.date().isoformat()) for c in result.cards]
    return {"closed_total": result.total, "closed_rows": rows}


def export_url(filters: board_service.BoardFilters, *, tab: str = "board") -> str:
    """The CSV download of what the tab shows under these filters (every order, not a window)."""
    path = "/api/v1/board/closed" if tab == "closed" else "/api/v1/board"
    return path + "?" + urlencode({**filters.to_params(), "format": "csv", "bom": "true"})


def _past_vars(principal, filters: board_service.BoardFilters, limits: dict[str, int], lang: str, at: datetime,
               changes: bool) -> dict:
    """The board as of ``at`` (read-only), with what changed since when ``changes``."""
    with i18n.use(lang), session_scope() as session:
        snap = time_travel.board_as_of(session, principal=principal, at=at, now=get_clock().now(), filters=filters,
                                       limits=limits, changes=changes)
    return {
        "wip": {},
        "past_changes": {c.key: {"moved": str(c.moved), "closed": str(c.closed), "appeared": str(c.appeared)}
                         for c in snap.columns} if changes else {},
        **column_vars(snap.columns, _past_card),
    }


HORIZON_HOURS = 90 * 24


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().business_tz)


def parse_moment(value: object, *, now: datetime) -> datetime | None:
    """A moment from the URL (ISO 8601 with offset) or the picker ("YYYY-MM-DDTHH:MM", business
    time zone); None when empty or unreadable."""
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=_zone())).astimezone(UTC)


def board_url(filters: board_service.BoardFilters, *, tab: str = "board", page: int = 0, asof: str = "",
              changes: bool = False) -> str:
    """The board's address for these filters (shareable; a reload shows the same board)."""
    params = filters.to_params()
    if asof and tab != "closed":
        params["asof"] = asof
        if changes:
            params["changes"] = "1"
    if tab == "closed":
        params["tab"] = "closed"
        if page > 0:
            params["page"] = str(page + 1)
    return routes.BOARD + ("?" + urlencode(params) if params else "")


STATUS_CHOICES = tuple(OrderStatus)


class BoardState(AppState):
    """Per column a window of cards; filters (mirrored in the URL) and the Closed tab page live
    on the server."""

    tab: str = "board"
    loading: bool = True
    # one var per column (see ``column_vars``): a live push resends only the columns that changed
    cards_planning: list[dict[str, str]] = []
    cards_execution: list[dict[str, str]] = []
    cards_validation: list[dict[str, str]] = []
    cards_done: list[dict[str, str]] = []
    total_planning: int = 0
    total_execution: int = 0
    total_validation: int = 0
    total_done: int = 0
    wip: dict[str, dict[str, str]] = {}
    is_admin: bool = False
    wip_open: bool = False
    wip_scope: str = "all"
    wip_scopes: list[dict[str, str]] = []
    wip_rows: list[dict[str, str]] = []
    wip_error: str = ""
    export_href: str = ""
    asof: str = ""  # UTC ISO 8601 of the moment shown; "" is now (live)
    asof_local: str = ""  # the picker's value (business time zone)
    asof_label: str = ""
    asof_slider: int = HORIZON_HOURS  # hours from 90 days ago; the right end is now
    asof_min: str = ""
    asof_max: str = ""
    show_changes: bool = False
    past_changes: dict[str, dict[str, str]] = {}
    selecting: bool = False
    selected: list[str] = []
    bulk_target: str = ""
    bulk_running: bool = False
    bulk_done: int = 0
    bulk_total: int = 0
    bulk_result_open: bool = False
    bulk_summary: str = ""
    bulk_moved: list[dict[str, str]] = []
    bulk_refused: list[dict[str, str]] = []
    _versions: dict[str, int] = {}
    _anchor: dict[str, str] = {}
    _bulk_job: dict = {}
    search: str = ""
    search_key: int = 0  # bumped when the search box must show a search from the URL
    f_customer: str = ANY
    f_status: str = ANY
    f_owner: str = ANY
    f_priority: str = ANY
    f_sla: str = ANY
    is_staff: bool = False
    can_move: bool = False  # staff whose roles move orders: they drag cards and get "Move to…"
    can_filter_customer: bool = False
    customers: list[dict[str, str]] = []
    owners: list[dict[str, str]] = []
    statuses: list[dict[str, str]] = []
    closed_rows: list[dict[str, str]] = []
    closed_total: int = 0
    closed_page: int = 0
    drop_open: bool = False
    drop_title: str = ""
    drop_subtitle: str = ""
    drop_needs_comment: bool = False
    drop_irreversible: bool = False
    drop_error: str = ""
    drop_channel: bool = False
    _drop: dict[str, int | str] = {}
    move_for: str = ""  # the card whose "Move to…" menu is open ("" while its targets load)
    move_targets: list[dict[str, str]] = []
    skip_open: bool = False
    skip_text: str = ""
    _skip: dict[str, int | str] = {}
    _limits: dict[str, int] = {}

    def _filters(self) -> board_service.BoardFilters:
        def opt_int(value: str) -> int | None:
            return None if value == ANY else coerce_int(value, name="Filter", minimum=1)

        return board_service.BoardFilters(
            search=self.search,
            customer_id=opt_int(self.f_customer),
            status=None if self.f_status == ANY else self.f_status,
            owner_id=opt_int(self.f_owner) if self.is_staff else None,
            priority=None if self.f_priority == ANY or not self.is_staff else self.f_priority,
            sla=None if self.f_sla == ANY else self.f_sla,
        )

    def _fetch(self) -> None:
        """Recompute what this tab shows and keep pushing it on changes (``fanout``)."""
        filters, lang = self._filters(), self.lang
        self.export_href = export_url(filters, tab=self.tab)
        if self.tab == "closed":
            page = self.closed_page
            live.serve(self, ("closed", filters, page, lang),
                       lambda: _closed_vars(current_principal(), filters, page, lang))
        elif self.asof:
            at, changes = datetime.fromisoformat(self.asof), self.show_changes
            limits = {c.key: self._limits.get(c.key, WINDOW) for c in board_service.COLUMNS}
            live.serve(self, ("asof", at, changes, filters, tuple(sorted(limits.items())), lang),
                       lambda: _past_vars(current_principal(), filters, limits, lang, at, changes))
        else:
            limits = {c.key: self._limits.get(c.key, WINDOW) for c in board_service.COLUMNS}
            live.serve(self, ("board", filters, tuple(sorted(limits.items())), lang),
                       lambda: _board_vars(current_principal(), filters, limits, lang))
        self.loading = False

    def _keep_url(self):
        """Write the filters into the address bar (no navigation): shareable, kept on reload."""
        url = board_url(self._filters(), tab=self.tab, page=self.closed_page, asof=self.asof,
                        changes=self.show_changes)
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {json.dumps(url)})")

    @rx.var
    def closed_pages(self) -> int:
        return max(1, -(-self.closed_total // CLOSED_PAGE))

    @rx.event
    @guard()
    def load(self):
        """Page load: the board (or the Closed tab) for this viewer, filtered as the URL says."""
        principal = current_principal()
        self.drop_open = self.skip_open = False  # a dialog left open elsewhere does not come back
        self._drop, self._skip = {}, {}
        self.is_staff = principal.is_staff
        self.can_move = principal.is_staff and any(t.roles & principal.roles for t in ORDER_WORKFLOW.transitions)
        self.is_admin = principal.role is Role.ADMIN
        with session_scope() as session:
            options = board_service.filter_options(session, principal=principal)
        self.customers = [{"id": i, "name": n} for i, n in options["customers"]]
        self.owners = [{"id": i, "name": n} for i, n in options["owners"]]
        self.can_filter_customer = bool(self.customers)
        self.statuses = [{"id": x.value, "name": x.label} for x in STATUS_CHOICES]
        params = self.router.page.params or {}
        f = board_service.BoardFilters.from_params(params, staff=principal.is_staff)
        known_customers = {c["id"] for c in self.customers}
        known_owners = {o["id"] for o in self.owners}
        self.search = f.search
        self.search_key += 1
        self.f_customer = str(f.customer_id) if str(f.customer_id) in known_customers else ANY
        self.f_status = f.status or ANY
        self.f_owner = str(f.owner_id) if str(f.owner_id) in known_owners else ANY
        self.f_priority = f.priority or ANY
        self.f_sla = f.sla or ANY
        self.tab = "closed" if params.get("tab") == "closed" else "board"
        page = params.get("page", "")
        self.closed_page = int(page) - 1 if isinstance(page, str) and page.isdigit() and 0 < int(page) < 100_000 else 0
        now = get_clock().now()
        at = parse_moment(params.get("asof"), now=now)
        self.show_changes = params.get("changes") == "1"
        self._set_moment(at if at is not None and now - time_travel.HORIZON <= at <= now else None)
        self._fetch()
        if self.tab == "closed" and self.closed_page >= self.closed_pages:
            self.closed_page = 0
            self._fetch()

    def _set_moment(self, at: datetime | None) -> None:
        """Show the board as of ``at`` (None: now, live); the picker and the slider follow."""
        now, zone = get_clock().now(), _zone()
        self.asof_min = (now - time_travel.HORIZON).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        self.asof_max = now.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        if at is None:
            self.asof, self.asof_local, self.asof_label, self.asof_slider = "", "", "", HORIZON_HOURS
            self.past_changes = {}
            return
        at = time_travel.check_moment(at.replace(second=0, microsecond=0), now=now)
        local = at.astimezone(zone)
        self.asof = at.isoformat()
        self.asof_local = local.strftime("%Y-%m-%dT%H:%M")
        self.asof_label = f"{local:%Y-%m-%d %H:%M} ({zone.key})"
        self.asof_slider = max(0, HORIZON_HOURS - int((now - at).total_seconds() // 3600))
        if self.selecting:
            self.selecting = False
            self._set_selection({})

    @rx.event
    @guard()
    def set_asof(self, value: str):
        """The date-time picker: show the board as it stood then (within the last 90 days)."""
        value = coerce_str(value, name="As of", max_len=40)
        at = parse_moment(value, now=get_clock().now())
        if value and at is None:
            raise BadInput(_("Unknown date or time."))
        self._set_moment(at)
        self.tab = "board"
        self._fetch()
        return self._keep_url()

    @rx.event
    @guard()
    def slide_asof(self, value: list):
        """The slider over the last 90 days (hours; the right end is now)."""
        hours = coerce_int(value[0] if isinstance(value, list) and value else value, name="As of", minimum=0,
                           maximum=HORIZON_HOURS)
        now = get_clock().now()
        self._set_moment(None if hours >= HORIZON_HOURS else now - timedelta(hours=HORIZON_HOURS - hours))
        self.tab = "board"
        self._fetch()
        return self._keep_url()

    @rx.event
    @guard()
    def back_to_now(self):
        """Leave time travel: the live board."""
        self._set_moment(None)
        self._fetch()
        return self._keep_url()

    @rx.event
    @guard()
    def toggle_changes(self, on: bool):
        """Mark (or stop marking) the cards that moved, appeared or closed since the moment shown."""
        self.show_changes = on is True
        self._fetch()
        return self._keep_url()

    def _live_only(self) -> None:
        if self.asof:
            raise BadInput(_(READ_ONLY))

    @rx.event
    @guard()
    def set_tab(self, tab: str):
        """Switch between the board and the Closed tab."""
        tab = coerce_str(tab, name="Tab", max_len=10)
        if tab not in ("board", "closed"):
            raise BadInput(_("Unknown tab."))
        self.tab = tab
        self.closed_page = 0
        self._fetch()
        return self._keep_url()

    @rx.event
    @guard()
    def set_search(self, value: str):
        """Search by order number or name."""
        self.search = coerce_str(value, name="Search", max_len=100).strip()
        self.closed_page = 0
        self._fetch()
        return self._keep_url()

    @rx.event
    @guard()
    def set_filter(self, name: str, value: str):
        """Filters: customer (staff, resellers, partners), status and SLA level (everyone), owner
        and priority (staff); "any" clears one."""
        name = coerce_str(name, name="Filter", max_len=20)
        value = coerce_str(value, name="Filter value", max_len=40) or ANY
        allowed = {
            "customer": {c["id"] for c in self.customers},
            "status": {s.value for s in OrderStatus},
            "sla": set(board_service.SLA_LEVELS),
        }
        if current_principal().is_staff:
            allowed |= {"owner": {o["id"] for o in self.owners}, "priority": set(PRIORITIES)}
        if name not in allowed or (value != ANY and value not in allowed[name]):
            raise BadInput(_("Unknown filter."))
        setattr(self, f"f_{name}", value)
        self.closed_page = 0
        self._fetch()
        return self._keep_url()

    @rx.event
    @guard()
    def clear_filters(self):
        """Back to every order this viewer may see."""
        self.search = ""
        self.search_key += 1
        self.f_customer = self.f_status = self.f_owner = self.f_priority = self.f_sla = ANY
        self.closed_page = 0
        self._fetch()
        return self._keep_url()

    @rx.event
    @guard()
    def show_more(self, column: str):
        """Show 25 more cards in one column."""
        column = coerce_str(column, name="Column", max_len=20)
        if column not in {c.key for c in board_service.COLUMNS}:
            raise BadInput(_("Unknown column."))
        self._limits[column] = min(self._limits.get(column, WINDOW) + WINDOW, board_service.WINDOW_MAX)
        self._fetch()

    def _move(self, order_id: int, version: int, target: str, comment: str, channel: str | None = None) -> list:
        now, settings = get_clock().now(), get_settings()
        with session_scope() as session:
            card = board_moves.move_card(
                session, principal=current_principal(), order_id=order_id, version=version, target=target,
                comment=comment, now=now, calendar=business_calendar(), channel=channel,
                base_url=settings.public_url, support=settings.support_email,
            )
        publish()  # first: it bumps the change number the shared board cache is keyed on
        self._fetch()
        # the toast is announced by the page's live region (polite); the focus follows the card
        return [rx.toast.success(f"{card.number}: {card.phase_label}"), focus_card(card.number, target)]

    @rx.event
    @guard(staff=True)
    def open_move_menu(self, number: str, open: bool):
        """A card's "Move to…" menu opened (staff, live board): the phases a drop of it would move
        it to (the same guards as a drop: the workflow's moves for this viewer's roles)."""
        if open is not True:
            return
        self._live_only()
        number = coerce_str(number, name="Order", max_len=40, required=True)
        self.move_for, self.move_targets = "", []
        with session_scope() as session:
            detail = order_views.get_order(session, principal=current_principal(), number=number, now=get_clock().now())
        targets = []
        for column in DROP_TARGETS:
            move = _drop_move(detail, column)
            if move is not None:
                targets.append({"column": column, "label": ORDER_WORKFLOW.label(move.target)})
        self.move_targets, self.move_for = targets, number

    @rx.event
    @guard(staff=True)
    def drop_card(self, form_data: dict):
        """A card dropped on a column (staff): move it, asking for a comment when the move needs
        one. On "Canceled / Closed" the order closes where that move exists (approval), else the
        cancel dialog opens."""
        self._live_only()
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid drop."))
        number = coerce_str(form_data.get("number"), name="Order", max_len=40, required=True)
        version = coerce_int(form_data.get("version"), name="Version", minimum=1)
        column = coerce_str(form_data.get("column"), name="Column", max_len=20)
        if column not in DROP_TARGETS:
            raise BadInput(_("Unknown column."))
        now = get_clock().now()
        with session_scope() as session:
            detail = order_views.get_order(session, principal=current_principal(), number=number, now=now)
        if column == "done" and detail.card.phase in board_service.DONE_PHASES:
            return None
        targets = _column_targets(column)
        if detail.card.phase in targets:
            return None
        move = _drop_move(detail, column)
        if move is None:
            engine.decide(ORDER_WORKFLOW, current=detail.card.phase, target=targets[-1],
                          roles=current_principal().roles, status_since=detail.card.phase_since, now=now,
                          comment="(drag)")
            raise BadInput(_("{number} cannot be moved there.").format(number=number))
        target = move.target
        with session_scope() as session:
            try:
                process_queue.check_move(session, order_id=detail.card.id, target=target)
            except process_queue.QueueNotReached as refused:
                if not refused.steps:
                    raise
                return self._ask_skip(detail.card.id, number, version, target, refused.steps)
            full = wip.breaches_for_order(session, order_id=detail.card.id, target=target)
        if full and full[0].hard:
            raise BadInput(full[0].message())
        approval = order_moves.is_approval(detail.card.phase, target)  # staff record how the customer approved
        if move.needs_comment or move.irreversible or approval or full:
            self._drop = {"id": detail.card.id, "number": number, "version": version, "target": target}
            self.drop_channel = approval
            self.drop_title = f"{number}: {_(move.label)}"
            self.drop_subtitle = f"{detail.card.name} · {full[0].message()}" if full else detail.card.name
            self.drop_needs_comment, self.drop_irreversible = move.needs_comment or bool(full), move.irreversible
            self.drop_error = ""
            self.drop_open = True
            return None
        return self._move(detail.card.id, version, target, "")

    def _ask_skip(self, order_id: int, number: str, version: int, target: str, steps: tuple[str, ...]) -> None:
        """The order's queue has not reached ``target``: offer to skip the remaining actions of
        ``steps`` (the order then follows its queue there)."""
        self._skip = {"id": order_id, "number": number, "version": version, "target": target}
        self.skip_text = _("Skip the remaining actions of {steps}? The order moves to {phase}.").format(
            steps=", ".join(f"“{s}”" for s in steps), phase=ORDER_WORKFLOW.label(target))
        self.skip_open = True

    @rx.event
    @guard(staff=True)
    def confirm_skip(self):
        """Skip the remaining actions of the order's queue step(s) up to the dropped column; the
        order moves there. Refused when the order changed since the drop."""
        self._live_only()
        skip, self._skip, self.skip_open = self._skip, {}, False
        if not skip:
            raise BadInput(_("Nothing to skip."))
        settings = get_settings()
        with session_scope() as session:
            board_moves.skip_card(session, principal=current_principal(), order_id=int(skip["id"]),
                                  version=int(skip["version"]), target=str(skip["target"]), now=get_clock().now(),
                                  calendar=business_calendar(), base_url=settings.public_url,
                                  support=settings.support_email)
        publish()
        self._fetch()
        number, target = str(skip.get("number", "")), str(skip["target"])
        return [rx.toast.success(_("Remaining actions skipped: {number} is now in {phase}.").format(
                    number=number, phase=ORDER_WORKFLOW.label(target))),
                focus_card(number, target)]

    @rx.event
    @guard()
    async def cancel_skip(self):
        """Keep working: nothing is skipped, nothing moves (the focus goes back to the card)."""
        number = str(self._skip.get("number", ""))
        self._skip, self.skip_open = {}, False
        return focus_card(number) if number else None

    @rx.event
    @guard(staff=True)
    def confirm_drop(self, form_data: dict):
        """Apply the dropped move with the comment from the dialog."""
        if not isinstance(form_data, dict) or not self._drop:
            raise BadInput(_("Nothing to move."))
        comment = coerce_str(form_data.get("comment"), name="Comment", max_len=4000)
        if self.drop_needs_comment and not comment:
            self.drop_error = _("A comment is required for this change.")
            return None
        channel = coerce_str(form_data.get("channel"), name="Channel", max_len=20)
        if self.drop_channel and channel not in order_moves.APPROVAL_CHANNELS:
            self.drop_error = _(order_moves.CHANNEL_REQUIRED)
            return None
        drop, self._drop, self.drop_open = self._drop, {}, False
        return self._move(int(drop["id"]), int(drop["version"]), str(drop["target"]), comment, channel or None)

    @rx.event
    @guard()
    async def cancel_drop(self):
        """Close the drop dialog; nothing moves (the focus goes back to the card)."""
        number = str(self._drop.get("number", ""))
        self._drop, self.drop_open = {}, False
        return focus_card(number) if number else None

    @rx.event
    @guard()
    def go_to_closed_page(self, page: int):
        """A page of the Closed tab (0-based)."""
        page = coerce_int(page, name="Page", minimum=0)
        self.closed_page = min(page, max(0, -(-self.closed_total // CLOSED_PAGE) - 1))
        self._fetch()
        return self._keep_url()

    def _load_wip(self, scope: str) -> None:
        reseller_id = wip.parse_scope(scope)
        with session_scope() as session:
            rows = wip.limits_of(session, principal=current_principal(), reseller_id=reseller_id)
            self.wip_scopes = [{"id": k, "name": n} for k, n in wip.scopes(session)]
        self.wip_scope = scope
        self.wip_rows = [{"column": r.column, "label": r.column_label, "limit": "" if r.limit is None else str(r.limit),
                          "mode": "hard" if r.hard else "soft"} for r in rows]

    @rx.event
    @guard(Role.ADMIN)
    def open_wip(self):
        """Admins: the WIP limits dialog, for the whole board first."""
        self._load_wip("all")
        self.wip_error = ""
        self.wip_open = True

    @rx.event
    @guard(Role.ADMIN)
    def choose_wip_scope(self, scope: str):
        """Admins: show the limits of another scope (the whole board or one reseller)."""
        self._load_wip(coerce_str(scope, name="Scope", max_len=40))
        self.wip_error = ""

    @rx.event
    @guard(Role.ADMIN)
    def save_wip(self, form_data: dict):
        """Admins: save the limits of the shown scope (an empty limit removes it). Nothing is
        saved when one value is bad."""
        if not isinstance(form_data, dict):
            raise BadInput(_("Invalid form."))
        reseller_id = wip.parse_scope(self.wip_scope)
        now = get_clock().now()
        try:
            with session_scope() as session:
                for column in wip.WIP_COLUMNS:
                    limit = coerce_str(form_data.get(f"limit_{column}"), name="Limit", max_len=10)
                    mode = coerce_str(form_data.get(f"mode_{column}"), name="Mode", max_len=10)
                    if mode not in ("soft", "hard"):
                        raise BadInput(_("Unknown filter."))
                    wip.set_limit(session, principal=current_principal(), reseller_id=reseller_id, column=column,
                                  limit=limit, hard=mode == "hard", now=now)
        except BadInput as exc:
            self.wip_error = exc.message
            return None
        self.wip_open = False
        publish()
        self._fetch()
        return rx.toast.success(_("WIP limits saved."))

    @rx.event
    @guard()
    async def close_wip(self):
        """Close the WIP limits dialog without saving."""
        self.wip_open = False


    # ------------------------------------------------------------ bulk moves (staff)

    def _set_selection(self, versions: dict[str, int]) -> None:
        self._versions = versions
        self.selected = list(versions)

    @rx.event
    @guard(staff=True)
    async def toggle_selecting(self):
        """Start or stop selecting cards for a bulk move (stopping clears the selection)."""
        self._live_only()
        self.selecting = not self.selecting
        self._set_selection({})
        self._anchor = {}

    @rx.event
    @guard(staff=True)
    async def toggle_select(self, number: str, shift: bool = False):
        """A card's checkbox: select or unselect it; with shift, every card from the last one
        clicked to this one in the same column."""
        number = coerce_str(number, name="Order", max_len=40, required=True)
        where = next(((c.key, i) for c in board_service.COLUMNS
                      for i, card in enumerate(getattr(self, f"cards_{c.key}")) if card["number"] == number), None)
        if where is None:
            raise BadInput(_("Order not found."))
        column, index = where
        cards = getattr(self, f"cards_{column}")
        versions = dict(self._versions)
        anchor = self._anchor
        if shift is True and anchor.get("column") == column:
            start = next((i for i, c in enumerate(cards) if c["number"] == anchor.get("number")), index)
            lo, hi = sorted((start, index))
            for c in cards[lo:hi + 1]:
                versions[c["number"]] = int(c["version"])
        elif number in versions:
            versions.pop(number)
        else:
            versions[number] = int(cards[index]["version"])
        if len(versions) > board_moves.BULK_MAX:
            raise BadInput(_(board_moves.TOO_MANY).format(max=board_moves.BULK_MAX, count=len(versions)))
        self._anchor = {"column": column, "number": number}
        self._set_selection(versions)

    @rx.event
    @guard(staff=True)
    def select_column(self, column: str):
        """Select every order of a column under the current filters (not only the cards shown)."""
        self._live_only()
        column = coerce_str(column, name="Column", max_len=20)
        with session_scope() as session:
            found = board_service.column_selection(session, principal=current_principal(), now=get_clock().now(),
                                                   column=column, filters=self._filters(),
                                                   cap=board_moves.BULK_MAX + 1)
        versions = {**self._versions, **dict(found)}
        if len(versions) > board_moves.BULK_MAX:
            raise BadInput(_(board_moves.TOO_MANY).format(max=board_moves.BULK_MAX, count=_("more than 500")))
        self._set_selection(versions)

    @rx.event
    @guard(staff=True)
    async def clear_selection(self):
        """Unselect every card."""
        self._set_selection({})
        self._anchor = {}

    @rx.event
    @guard(staff=True)
    async def set_bulk_target(self, target: str):
        """The phase the selected orders go to."""
        target = coerce_str(target, name="Phase", max_len=20)
        if target and target not in board_moves.TARGETS:
            raise BadInput(_("Choose the phase to move the orders to."))
        self.bulk_target = target

    @rx.event
    @guard(staff=True)
    def start_bulk(self, form_data: dict):
        """Move the selected orders to the chosen phase with one comment (each card on its own)."""
        self._live_only()
        if not isinstance(form_data, dict) or self.bulk_running:
            raise BadInput(_("Invalid form."))
        comment = coerce_str(form_data.get("comment"), name="Comment", max_len=4000).strip()
        items = sorted(self._versions.items())
        board_moves.check_bulk(principal=current_principal(), count=len(items), target=self.bulk_target)
        self._bulk_job = {"items": items, "target": self.bulk_target, "comment": comment}
        self.bulk_running, self.bulk_done, self.bulk_total = True, 0, len(items)
        return BoardState.run_bulk

    @rx.event(background=True)
    @guard(staff=True, background=True)
    async def run_bulk(self):
        """Apply the bulk move started by ``start_bulk`` in chunks (each card in its own
        transaction), showing progress, then the moved and refused cards."""
        async with self:
            job, self._bulk_job = self._bulk_job, {}
            lang = self.lang
        if not job:
            return
        principal, settings = current_principal(), get_settings()
        outcomes: list[board_moves.BulkOutcome] = []
        items = job["items"]
        try:
            for start in range(0, len(items), 20):
                def chunk(part=items[start:start + 20]):
                    with i18n.use(lang):
                        return board_moves.move_cards(
                            principal=principal, items=part, target=job["target"], comment=job["comment"],
                            now=get_clock().now(), calendar=business_calendar(), base_url=settings.public_url,
                            support=settings.support_email)
                outcomes += await offload.run(chunk)
                async with self:
                    self.bulk_done = len(outcomes)
        finally:
            publish()
            with i18n.use(lang):
                summary = board_moves.summary(outcomes)
            async with self:
                self.bulk_running = False
                self.bulk_summary = summary
                self.bulk_moved = [{"number": o.number, "detail": o.detail} for o in outcomes if o.moved]
                self.bulk_refused = [{"number": o.number, "detail": o.detail} for o in outcomes if not o.moved]
                self.bulk_result_open = True
                self._set_selection({n: v for n, v in items if n in {o.number for o in outcomes if not o.moved}})
                self._fetch()

    @rx.event
    @guard()
    async def close_bulk_result(self):
        """Close the bulk move's result."""
        self.bulk_result_open = False


def _bulk_bar() -> rx.Component:
    """While selecting: how many are selected, the target phase, one comment, Move."""
    s = BoardState
    return rx.cond(
        s.selecting,
        rx.form(
            inline(
                rx.text(Tn("{n} selected", "{n} selected", s.selected.length()), weight="medium",
                        id="bulk-count"),
                rx.el.select(rx.el.option(T("Move to…"), value=""),
                             *[rx.el.option(T(ORDER_WORKFLOW.status(t).label), value=t) for t in board_moves.TARGETS],
                             aria_label=T("Target phase"), class_name="ot-native-select", value=s.bulk_target,
                             on_change=s.set_bulk_target),
                rx.input(name="comment", placeholder=T("One comment for every order"),
                         aria_label=T("Bulk comment"), width="280px"),
                rx.button(T("Move selected"), type="submit", loading=s.bulk_running,
                          disabled=(s.selected.length() == 0) | (s.bulk_target == "")),
                rx.cond(s.bulk_running, rx.text(T("{done} of {total}", done=s.bulk_done, total=s.bulk_total),
                                                size="2", color_scheme="gray")),
                rx.button(T("Clear selection"), type="button", variant="ghost", on_click=s.clear_selection),
            ),
            on_submit=s.start_bulk,
            padding="0.6em",
            border=f"1px solid {rx.color('indigo', 6)}",
            border_radius="var(--radius-3)",
            background=rx.color("indigo", 2),
            width="100%",
            id="bulk-bar",
        ),
    )


def _bulk_result() -> rx.Component:
    s = BoardState

    def rows(items, colour):
        return rx.foreach(items, lambda r: rx.table.row(
            rx.table.cell(rx.link(r["number"], href=routes.ORDERS + "/" + r["number"])),
            rx.table.cell(rx.text(r["detail"], color_scheme=colour, size="2")),
        ))

    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("Bulk move")),
            rx.dialog.description(s.bulk_summary),
            rx.cond(s.bulk_refused.length() > 0, rx.vstack(
                rx.heading(T("Refused"), size="3"),
                rx.table.root(rx.table.body(rows(s.bulk_refused, "red")), width="100%", id="bulk-refused"),
                width="100%")),
            rx.cond(s.bulk_moved.length() > 0, rx.vstack(
                rx.heading(T("Moved"), size="3"),
                rx.table.root(rx.table.body(rows(s.bulk_moved, "green")), width="100%", id="bulk-moved"),
                width="100%")),
            rx.hstack(rx.button(T("Close"), on_click=s.close_bulk_result), justify="end", width="100%",
                      margin_top="1em"),
            max_width="560px",
            max_height="80vh",
            overflow_y="auto",
        ),
        open=s.bulk_result_open,
    )


def _time_travel() -> rx.Component:
    """"As of": a date-time picker and a slider over the last 90 days; "Changes since"; back to now."""
    s = BoardState
    return rx.cond(
        s.tab == "board",
        rx.vstack(
            inline(
                rx.icon("history", size=16),
                rx.el.label(T("As of"), html_for="board-asof", class_name="rt-Text rt-r-size-2 rt-r-weight-medium"),
                rx.el.input(type="datetime-local", id="board-asof", value=s.asof_local, min=s.asof_min,
                            max=s.asof_max, on_change=s.set_asof, class_name="ot-native-select",
                            key=s.asof_local),
                rx.box(
                    rx.slider(min=0, max=HORIZON_HOURS, step=1, value=[s.asof_slider], on_value_commit=s.slide_asof,
                              aria_label=T("As of: the last 90 days"), size="1", id="board-asof-slider"),
                    width=rx.breakpoints(initial="100%", sm="260px"),
                ),
                rx.el.label(
                    rx.el.input(type="checkbox", checked=s.show_changes, id="board-changes",
                                on_change=s.toggle_changes, disabled=s.asof == ""),
                    " ", T("Changes since"), class_name="rt-Text rt-r-size-2",
                ),
                rx.cond(s.asof != "", rx.button(T("Back to now"), size="1", variant="soft", on_click=s.back_to_now)),
                spacing="3",
            ),
            rx.cond(
                s.asof != "",
                rx.callout(T("The board as it stood at {moment}. Read-only: nothing can be moved here.",
                             moment=s.asof_label), icon="history", color_scheme="amber", size="1", width="100%",
                           id="asof-banner", role="status"),
            ),
            spacing="2",
            width="100%",
        ),
    )


def _changes_note(key: str) -> rx.Component:
    """Under a column's header while comparing with now: moved, closed and new since."""
    c = BoardState.past_changes.get(key, {})
    return rx.cond(
        BoardState.past_changes.contains(key),
        rx.text(T("{moved} moved · {closed} closed · {appeared} new since", moved=c["moved"], closed=c["closed"],
                  appeared=c["appeared"]), size="1", color_scheme="amber", data_testid="column-changes"),
    )


def _wip_badge(key: str) -> rx.Component:
    """The column's count / limit: gray below, amber at, red above the limit."""
    w = BoardState.wip.get(key, {})
    return rx.cond(
        BoardState.wip.contains(key),
        rx.tooltip(
            rx.badge(w["count"], " / ", w["limit"], variant="solid", radius="full", data_testid="wip-badge",
                     custom_attrs={"data-level": w["level"]},
                     color_scheme=rx.match(w["level"], ("at", "amber"), ("over", "red"), "gray")),
            content=rx.cond(w["hard"] == "1", T("Hard WIP limit: moves into a full column are refused"),
                            T("Soft WIP limit: moving into a full column asks for a reason")),
        ),
        rx.badge(getattr(BoardState, f"total_{key}"), variant="soft", color_scheme="gray", radius="full",
                 data_testid="column-count"),
    )


def _wip_dialog() -> rx.Component:
    s = BoardState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("WIP limits")),
            rx.dialog.description(T("At most this many orders per column. Soft: a move into a full column asks "
                                    "for a reason (kept in history). Hard: it is refused."), size="2"),
            rx.vstack(
                rx.el.select(rx.foreach(s.wip_scopes, lambda o: rx.el.option(o["name"], value=o["id"])),
                             aria_label=T("Board scope"), class_name="ot-native-select", value=s.wip_scope,
                             on_change=s.choose_wip_scope, width="100%"),
                rx.form(
                    rx.vstack(
                        rx.foreach(s.wip_rows, lambda r: rx.hstack(
                            rx.text(r["label"], size="2", flex="1"),
                            rx.input(name="limit_" + r["column"], default_value=r["limit"], type="number", min="1",
                                     max="100000", width="90px", placeholder=T("none"),
                                     aria_label=T("Limit of {column}", column=r["label"]), key=s.wip_scope + r["column"] + r["limit"]),
                            rx.el.select(rx.el.option(T("Soft"), value="soft"), rx.el.option(T("Hard"), value="hard"),
                                         name="mode_" + r["column"], default_value=r["mode"],
                                         key=s.wip_scope + r["column"] + r["mode"],
                                         aria_label=T("Kind of limit of {column}", column=r["label"]),
                                         class_name="ot-native-select"),
                            align="center", width="100%", spacing="3",
                        )),
                        rx.cond(s.wip_error != "", rx.text(s.wip_error, color_scheme="red", role="alert", size="2")),
                        rx.hstack(
                            rx.button(T("Cancel"), type="button", variant="soft", color_scheme="gray",
                                      on_click=s.close_wip),
                            rx.button(T("Save"), type="submit"),
                            justify="end", width="100%",
                        ),
                        spacing="3", width="100%",
                    ),
                    on_submit=s.save_wip,
                    width="100%",
                ),
                spacing="3", width="100%",
            ),
            max_width="480px",
        ),
        open=s.wip_open,
    )


def _select(label: rx.Var, name: str, value: rx.Var, options, *, none: rx.Var, width: str = "170px") -> rx.Component:
    """A filter: a native select whose first choice (``none``, translated) clears it."""
    items = rx.foreach(options, lambda o: rx.el.option(o["name"], value=o["id"])) if isinstance(options, rx.Var) \
        else [rx.el.option(text, value=key) for key, text in options]
    return rx.el.select(rx.el.option(none, value=ANY), *(items if isinstance(items, list) else [items]),
                        aria_label=label, class_name="ot-native-select", value=value, width=width,
                        on_change=lambda v: BoardState.set_filter(name, v))


def _filters() -> rx.Component:
    s = BoardState
    return inline(
        rx.box(
            text_input("", T("Search orders"), placeholder=T("Search number or name"), value=s.search, icon="search",
                       on_change=s.set_search.debounce(300), width="260px"),
            key=s.search_key.to_string(),
        ),
        rx.cond(s.can_filter_customer,
                _select(T("Customer"), "customer", s.f_customer, s.customers, none=T("Any customer"), width="200px")),
        _select(T("Status"), "status", s.f_status, s.statuses, none=T("Any status")),
        _select(T("SLA"), "sla", s.f_sla, [(k, T(v)) for k, v in board_service.SLA_LEVELS.items()],
                none=T("Any SLA level"), width="150px"),
        rx.cond(
            s.is_staff,
            inline(
                _select(T("Owner"), "owner", s.f_owner, s.owners, none=T("Any owner")),
                _select(T("Priority"), "priority", s.f_priority,
                        [(p, T(board_service.PRIORITY_LABELS[p])) for p in PRIORITIES], none=T("Any priority"), width="130px"),
            ),
        ),
        rx.button(T("Clear"), variant="ghost", on_click=s.clear_filters),
        rx.cond(s.is_staff & (s.asof == ""), rx.button(rx.icon("list-checks", size=16),
                                      rx.cond(s.selecting, T("Stop selecting"), T("Select for bulk move")),
                                      variant=rx.cond(s.selecting, "solid", "soft"), on_click=s.toggle_selecting)),
        rx.cond(s.is_admin, rx.button(rx.icon("gauge", size=16), T("WIP limits"), variant="soft",
                                      on_click=s.open_wip)),
        rx.cond(s.asof == "", rx.el.a(
            rx.button(rx.icon("download", size=16), T("Export CSV"), variant="soft", tab_index=-1),
            href=s.export_href, download=True, id="board-export", target="_blank", rel="noopener",
            title=T("Every order under these filters, as a spreadsheet (CSV)"))),
    )


def _board() -> rx.Component:
    s = BoardState
    return rx.cond(
        s.loading,
        loading_state(),
        rx.flex(
            *[
                kanban_column(
                    key=c.key, title=T(c.title), total=getattr(s, f"total_{c.key}"), cards=getattr(s, f"cards_{c.key}"),
                    on_more=s.show_more(c.key), draggable=s.can_move & (s.asof == ""),
                    header_extra=_wip_badge(c.key), note=_changes_note(c.key),
                    selecting=s.selecting, selected=s.selected, on_toggle=s.toggle_select,
                    on_select_all=s.select_column(c.key),
                    menu=MoveMenu(targets=s.move_targets, menu_for=s.move_for, on_open=s.open_move_menu,
                                  on_choose=s.drop_card),
                )
                for c in board_service.COLUMNS
            ],
            spacing="3",
            width="100%",
            align="start",
            direction=rx.breakpoints(initial="column", sm="row"),
            overflow_x="auto",
            class_name="ot-board",
        ),
    )


CLOSED_COLUMNS = (oc.NUMBER, oc.NAME, oc.CUSTOMER, oc.STATUS, Column("Since", "since"))


def _closed_tab() -> rx.Component:
    s = BoardState
    return rx.vstack(
        data_table(s.closed_rows, CLOSED_COLUMNS, empty=T("No closed or canceled orders."), id="closed-table"),
        pager(s.closed_page, s.closed_pages, on_page=s.go_to_closed_page,
              note=(" · ", rx.el.span(Tn("{n} order", "{n} orders", s.closed_total), id="closed-count"))),
        width="100%",
        spacing="3",
    )


def board_page() -> rx.Component:
    """The board with its tabs."""
    s = BoardState
    tabs = rx.tabs.list(rx.tabs.trigger(T("Board"), value="board"), rx.tabs.trigger(T("Closed"), value="closed"))
    return page(
        rx.tabs.root(  # the tab list controls the panels below the filters (one mounted at a time)
            rx.vstack(
                rx.hstack(rx.heading(T("Track My Orders"), size="7"), rx.spacer(), tabs, align="center", spacing="3",
                          wrap="wrap", width="100%"),
                _filters(),
                _time_travel(),
                rx.tabs.content(rx.vstack(_bulk_bar(), _board(), spacing="4", width="100%"), value="board",
                                width="100%"),
                rx.tabs.content(_closed_tab(), value="closed", width="100%"),
                spacing="4",
                width="100%",
            ),
            value=s.tab,
            on_change=s.set_tab,
            width="100%",
        ),
        rx.form(
            hidden("number"),
            hidden("version"),
            hidden("column"),
            id="ot-drop-form",
            on_submit=s.drop_card,
            reset_on_submit=True,
            display="none",
        ),
        transition_dialog(
            title=s.drop_title, subtitle=s.drop_subtitle, open=s.drop_open,
            needs_comment=s.drop_needs_comment, irreversible=s.drop_irreversible, error=s.drop_error,
            on_submit=s.confirm_drop, on_cancel=s.cancel_drop, ask_channel=s.drop_channel,
        ),
        dialog(T("Skip the remaining actions?"), rx.text(s.skip_text),
               rx.hstack(rx.button(T("Keep working"), variant="soft", color_scheme="gray", on_click=s.cancel_skip),
                         rx.button(T("Skip them"), on_click=s.confirm_skip, id="confirm-skip"),
                         justify="end", width="100%", margin_top="1em"),
               open=s.skip_open, on_close=s.cancel_skip, max_width="30em"),
        _wip_dialog(),
        _bulk_result(),
        rx.script(src="/board-dnd.js"),
        rx.script(src="/slider-label.js"),
        wide=True,
    )
