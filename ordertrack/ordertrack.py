"""The Reflex app: pages, theme, and the lifespan task that runs the timer sweep."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import reflex as rx

from ordertrack import live, routes
from ordertrack.auth import LoginState
from ordertrack.pages.board import BoardState, board_page
from ordertrack.pages.failures import FailuresState, failures_page
from ordertrack.pages.home import HomeState, home_page
from ordertrack.pages.login import login_page
from ordertrack.pages.notify_settings import NotifySettingsState, notify_settings_page
from ordertrack.pages.order import OrderState, order_page
from ordertrack.pages.order_form import OrderFormState, order_form_page
from ordertrack.pages.order_manager import OrderManagerState, order_manager_page
from ordertrack.pages.orders import OrdersState, orders_page
from ordertrack.pages.outbox import OutboxState, outbox_page
from ordertrack.pages.overdue import OverdueState, overdue_page
from ordertrack.pages.process_designer import (
    ProcessEditorState,
    ProcessListState,
    process_editor_page,
    process_list_page,
)
from ordertrack.pages.requests import RequestsState, requests_page
from ordertrack.pages.service_types import ServiceTypesState, service_types_page
from ordertrack.pages.sla import SlaReportState, sla_page
from ordertrack.pages.sla_settings import SlaSettingsState, sla_settings_page
from ordertrack.pages.statuses import StatusesState, clients_page, objects_page
from ordertrack.pages.ticket import TICKET, TicketState, ticket_page
from ordertrack.pages.urgency_settings import UrgencyState, urgency_page
from ordertrack.pages.wall import WallState, wall_page
from ordertrack.rest import api
from ordertrack.scheduler import scheduler_lifespan
from ordertrack.security import SecurityMiddleware, backend_exception_handler
from ordertrack.settings import InsecureSecretKey, get_settings
from ordertrack.signin import router as signin_router

api.include_router(signin_router)
app = rx.App(
    api_transformer=[api, SecurityMiddleware],
    backend_exception_handler=backend_exception_handler,
    toaster=rx.toast.provider(position="top-right", close_button=True),
    stylesheets=["/styles.css"],
)
@asynccontextmanager
async def refuse_insecure_secret():
    """The server does not start without a real secret key (links would be forgeable)."""
    try:
        get_settings().signing_key()
    except InsecureSecretKey as exc:
        logging.getLogger("ordertrack").critical("refusing to start: %s", exc)
        raise
    yield


app.register_lifespan_task(refuse_insecure_secret)
app.register_lifespan_task(live.lifespan)
app.register_lifespan_task(scheduler_lifespan)
app.add_page(login_page, route=routes.LOGIN, title="Sign in · ordertrack", on_load=LoginState.redirect_if_signed_in)
app.add_page(home_page, route=routes.HOME, title="ordertrack", on_load=[HomeState.load, HomeState.watch])
app.add_page(board_page, route=routes.BOARD, title="Track My Orders · ordertrack",
             on_load=BoardState.load)
app.add_page(failures_page, route=routes.FAILURES, title="Failed orders · ordertrack",
             on_load=[FailuresState.load, FailuresState.watch])
app.add_page(notify_settings_page, route=routes.NOTIFY_SETTINGS, title="Notifications · ordertrack",
             on_load=NotifySettingsState.load)
app.add_page(outbox_page, route=routes.OUTBOX, title="Outbox · ordertrack", on_load=OutboxState.load)
app.add_page(process_list_page, route=routes.PROCESSES, title="Processes · ordertrack", on_load=ProcessListState.load)
app.add_page(process_editor_page, route=routes.PROCESS, title="Edit process · ordertrack",
             on_load=ProcessEditorState.load)
app.add_page(order_manager_page, route=routes.MANAGER, title="Order Manager · ordertrack",
             on_load=[OrderManagerState.load, OrderManagerState.watch])
app.add_page(order_form_page, route=routes.ORDER_FORM, title="Order a service · ordertrack",
             on_load=OrderFormState.load)
app.add_page(clients_page, route=routes.CLIENTS, title="Clients · ordertrack",
             on_load=[StatusesState.load_clients, StatusesState.watch])
app.add_page(objects_page, route=routes.OBJECTS, title="Objects · ordertrack",
             on_load=[StatusesState.load_objects, StatusesState.watch])
app.add_page(wall_page, route=routes.WALL, title="Wall · ordertrack", on_load=WallState.load)
app.add_page(urgency_page, route=routes.URGENCY, title="Urgency colours · ordertrack", on_load=UrgencyState.load)
app.add_page(overdue_page, route=routes.OVERDUE, title="Overdue tasks · ordertrack",
             on_load=[OverdueState.load, OverdueState.watch])
app.add_page(requests_page, route=routes.REQUESTS, title="Requests · ordertrack",
             on_load=[RequestsState.load, RequestsState.watch])
app.add_page(orders_page, route=routes.ORDERS, title="Orders · ordertrack", on_load=[OrdersState.load, OrdersState.watch])
app.add_page(order_page, route=routes.ORDER, title="Order · ordertrack", on_load=[OrderState.load, OrderState.watch])
app.add_page(sla_settings_page, route=routes.SLA_SETTINGS, title="SLA targets · ordertrack",
             on_load=SlaSettingsState.load)
app.add_page(service_types_page, route=routes.SERVICE_TYPES, title="Service types · ordertrack",
             on_load=ServiceTypesState.load)
app.add_page(sla_page, route=routes.SLA, title="SLA · ordertrack", on_load=[SlaReportState.load, SlaReportState.watch])
app.add_page(ticket_page, route=TICKET, title="Ticket · ordertrack", on_load=TicketState.load)
