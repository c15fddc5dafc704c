"""Route constants and builders."""

from urllib.parse import quote

LOGIN = "/login"
SIGN_IN = "/auth/login"  # POST: the form (HTTP, sets the HttpOnly cookie)
SIGN_OUT = "/auth/logout"  # POST
HOME = "/"
ORDERS = "/orders"
BOARD = "/board"
FAILURES = "/failures"
NOTIFY_SETTINGS = "/settings/notifications"
OUTBOX = "/outbox"
PROCESSES = "/settings/processes"
MANAGER = "/manager"
ORDER_FORM = "/order-form"
CLIENTS = "/clients"
OBJECTS = "/objects"
WALL = "/wall"
OVERDUE = "/overdue"
REQUESTS = "/requests"
URGENCY = "/settings/urgency"
PROCESS = "/settings/processes/[pid]"
ORDER = "/orders/[number]"
SLA_SETTINGS = "/settings/sla"
SERVICE_TYPES = "/settings/service-types"
SLA = "/sla"


def process_url(pid: int) -> str:
    """The editor of one process."""
    return f"{PROCESSES}/{int(pid)}"


def order_url(number: str) -> str:
    """The page of one order."""
    return f"{ORDERS}/{quote(number, safe='')}"
