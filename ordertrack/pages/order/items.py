"""Order page section: the order's items (add, remove, approve a technical interview), the
provisioning attempts staff record per item, and the panel of an open provisioning failure with
its remedy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import reflex as rx
from sqlmodel import Session

from ordertrack.auth import coerce_int, coerce_str, current_principal, guard
from ordertrack.clock import get_clock
from ordertrack.components.forms import inline, select, text_input
from ordertrack.components.tables import Column, data_table
from ordertrack.db.engine import session_scope
from ordertrack.domain.tracking import ETI_WAITING
from ordertrack.i18n import N_, _
from ordertrack.i18n.format import money_text
from ordertrack.i18n.ui import T
from ordertrack.pages.order.common import Snapshot
from ordertrack.pages.order.moves import MovesState
from ordertrack.pages.order.state import OrderState
from ordertrack.services import customer_view, order_items, order_moves, provisioning, service_types
from ordertrack.services.calendars import business_calendar
from ordertrack.services.errors import BadInput
from ordertrack.settings import get_settings

ETI_WAITING_LABEL = N_("waiting for technical-interview approval")
NOT_COUNTED = N_("not counted in tracking status")
ITEM_STATUS_LABELS = {"pending": N_("pending"), "active": N_("active"), "provisioned": N_("provisioned"),
                      "provisioning_failed": N_("provisioning failed")}
ETI_MAY_REQUIRE = ("pending", "provisioning_failed")
CLAIMED_BY = "claimed by {name}"
OUTCOMES = (("failed", N_("Failed")), ("succeeded", N_("Succeeded")))


def read(session: Session, snap: Snapshot, *, with_reasons: bool = True) -> dict[str, Any]:
    """The items of the order in ``snap``, its open provisioning failure, and (staff, when asked)
    the failure reasons an attempt may record."""
    principal = snap.principal
    failure = provisioning.open_failure(session, principal=principal, order_id=snap.order_id, now=snap.now,
                                        calendar=business_calendar())
    priced = customer_view.prices(session, order_id=snap.order_id)
    none = customer_view.PricedItem(0, 0, 0, 0)

    def money(cents: int) -> str:
        return money_text(Decimal(cents) / 100, priced.currency)

    values: dict[str, Any] = {
        "items": [
            {"id": str(i.id), "kind": service_types.label(session, i.kind),
             "name": i.name,
             "status": _(ETI_WAITING_LABEL) if i.status == ETI_WAITING else
             _(ITEM_STATUS_LABELS[i.status]) if i.status in ITEM_STATUS_LABELS else i.status.replace("_", " "),
             "waiting": "1" if i.status == ETI_WAITING and principal.is_staff else "",
             "can_require": "1" if principal.is_staff and i.counts and i.status in ETI_MAY_REQUIRE
             and snap.detail.card.phase not in ("closed", "canceled") else "",
             "note": "" if i.counts else _(NOT_COUNTED),
             "quantity": str(priced.items.get(i.id, none).quantity),
             "price": money(priced.items.get(i.id, none).price_cents),
             "total": money(priced.items.get(i.id, none).total_cents)}
            for i in snap.detail.items
        ],
        "order_value": money(priced.total_cents),
        "failure": {} if failure is None else {
            "reason": failure.reason, "details": failure.details, "remedy": failure.remedy,
            "state": CLAIMED_BY.format(name=failure.claimed_by) if failure.state == "claimed" else "open",
            "countdown": failure.countdown, "age": failure.age,
        },
    }
    if principal.is_staff:
        values["kinds"] = [{"id": t.key, "name": t.name()} for t in service_types.active(session)]
    if principal.is_staff and with_reasons:
        values["reasons"] = [{"code": c, "issue": i} for _, c, i, _ in provisioning.remedies(session)]
    return values


class ItemsState(OrderState):
    """Items, provisioning attempts and the open failure."""

    items: list[dict[str, str]] = []
    kinds: list[dict[str, str]] = []  # the item kinds staff may add {"id", "name"}
    order_value: str = ""
    failure: dict[str, str] = {}
    reasons: list[dict[str, str]] = []

    def _read(self, session: Session, snap: Snapshot) -> dict[str, Any]:
        return read(session, snap, with_reasons=not self.reasons)

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
        return self._changed(_("Provisioning attempt recorded."))

    @rx.event
    @guard(staff=True)
    def add_item(self, form_data: dict):
        """Add an item to the order."""
        if not isinstance(form_data, dict) or not self._order_id:
            raise BadInput("Nothing to change.")
        with session_scope() as session:
            order_moves.add_item(session, principal=current_principal(), order_id=self._order_id,
                                 kind=coerce_str(form_data.get("kind"), name="Kind", max_len=20),
                                 name=coerce_str(form_data.get("name"), name="Item", max_len=200),
                                 expected_version=self._version, now=get_clock().now(),
                                 calendar=business_calendar())
        return self._changed(_("Item added."))

    @rx.event
    @guard(staff=True)
    def remove_item(self, item_id: str):
        """Remove an item from the order."""
        with session_scope() as session:
            order_moves.remove_item(session, principal=current_principal(), order_id=self._order_id,
                                    item_id=coerce_int(item_id, name="Item", minimum=1),
                                    expected_version=self._version, now=get_clock().now(),
                                    calendar=business_calendar())
        return self._changed(_("Item removed."))

    @rx.event
    @guard(staff=True)
    def approve_eti(self, item_id: str):
        """Record that an item passed its technical-interview approval (staff)."""
        item = coerce_int(item_id, name="Item", minimum=1)
        if not self._order_id:
            raise BadInput("Nothing to change.")
        with session_scope() as session:
            order_moves.approve_item_eti(
                session, principal=current_principal(), order_id=self._order_id, item_id=item,
                expected_version=self._version, now=get_clock().now(), calendar=business_calendar(),
            )
        return self._changed(_("Technical interview approved."))


    @rx.event
    @guard(staff=True)
    def require_eti(self, item_id: str):
        """Mark an item as needing a technical interview (staff): the order shows Approve ETI."""
        item = coerce_int(item_id, name="Item", minimum=1)
        if not self._order_id or str(item) not in {i["id"] for i in self.items}:
            raise BadInput(N_("That item is not part of this order."))
        with session_scope() as session:
            order_items.require_eti(session, principal=current_principal(), order_id=self._order_id, item_id=item,
                                    expected_version=self._version, now=get_clock().now(),
                                    calendar=business_calendar())
        return self._changed(_("Technical interview required."))


def failure_panel() -> rx.Component:
    """The open provisioning failure: reason, details, remedy, who handles it and until when."""
    f = ItemsState.failure
    return rx.cond(
        f.contains("reason"),
        rx.callout.root(
            rx.callout.icon(rx.icon("circle-alert")),
            rx.vstack(
                rx.text(T("Provisioning failed:"), " ", rx.text.strong(f["reason"]), size="3"),
                rx.text(f["details"], size="2"),
                rx.text(T("Steps to remedy"), weight="bold", size="2"),
                rx.text(f["remedy"], size="2", white_space="pre-line", id="failure-remedy"),
                rx.text(T("Support: {state} · {age} ago · {countdown}", state=f["state"], age=f["age"], countdown=f["countdown"]), size="1",
                        color_scheme="gray"),
                spacing="1",
            ),
            color_scheme="red",
            width="100%",
            id="failure-panel",
        ),
    )


def _eti(i: rx.Var) -> rx.Component:
    return rx.cond(
        i["waiting"] == "1",
        rx.button(T("Approve ETI"), size="1", on_click=ItemsState.approve_eti(i["id"]),
                  aria_label=T("Approve ETI: {item}", item=i["name"])),
        rx.hstack(
            rx.cond(i["can_require"] == "1",
                    rx.button(T("Require ETI"), size="1", variant="soft",
                              aria_label=T("Require ETI: {item}", item=i["name"]),
                              title=T("The item needs a technical interview before delivery"),
                              on_click=ItemsState.require_eti(i["id"]))),
            rx.text(i["note"], color_scheme="gray", size="1"),
            align="center",
        ),
    )


def _remove(i: rx.Var) -> rx.Component:
    return rx.cond(ItemsState.can_edit & (MovesState.moves.length() > 0),
                   rx.icon_button(rx.icon("trash-2", size=12), size="1", variant="ghost", color_scheme="red",
                                  aria_label=T("Remove item {name}", name=i["name"]), on_click=ItemsState.remove_item(i["id"])))


ITEM_COLUMNS = (Column(T("Item"), "name"), Column(T("Kind"), "kind"), Column(T("Quantity"), "quantity"),
                Column(T("Unit price"), "price"), Column(T("Total"), "total"), Column(T("Status"), "status"),
                Column("", _eti), Column("", _remove))


def _attempt_form() -> rx.Component:
    s = ItemsState
    return rx.form(
        inline(
            rx.text(T("Provisioning attempt"), weight="bold"),
            rx.el.select(rx.el.option(T("All items"), value="all"),
                         rx.foreach(s.items, lambda i: rx.el.option(i["name"], value=i["id"])),
                         name="item", aria_label=T("Item"), class_name="ot-native-select"),
            select("outcome", T("Outcome"), [(k, T(v)) for k, v in OUTCOMES]),
            rx.el.select(rx.el.option(T("— reason —"), value=""),
                         rx.foreach(s.reasons, lambda r: rx.el.option(r["issue"], value=r["code"])),
                         name="reason", aria_label=T("Reason"), class_name="ot-native-select"),
            text_input("details", T("Details"), width="260px"),
            rx.button(T("Record attempt"), type="submit", variant="soft"),
            spacing="3",
        ),
        on_submit=s.record_attempt,
        reset_on_submit=True,
    )


def section() -> list[rx.Component]:
    """Items: the heading, the table, adding an item and recording an attempt (staff)."""
    s = ItemsState
    return [
        rx.hstack(rx.heading(T("Items"), size="4"), rx.spacer(),
                  rx.text(T("Order value"), ": ", rx.text.strong(s.order_value, id="order-value"), size="3"),
                  width="100%", align="center"),
        data_table(s.items, ITEM_COLUMNS, empty=T("No items."), id="order-items"),
        rx.cond(s.can_edit & (MovesState.moves.length() > 0), rx.form(
            inline(
                select("kind", T("Item kind"), s.kinds),
                text_input("name", T("Item name"), width="260px"),
                rx.button(T("Add item"), type="submit", variant="soft", size="1"),
                spacing="3",
            ),
            on_submit=s.add_item,
            reset_on_submit=True,
        )),
    ]


def attempt_form() -> rx.Component:
    """Record a provisioning attempt (staff)."""
    return rx.cond(ItemsState.can_edit, _attempt_form())
