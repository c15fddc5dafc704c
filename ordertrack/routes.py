"""Route constants and builders."""

from urllib.parse import quote

LOGIN = "/login"
HOME = "/"
ORDERS = "/orders"
BOARD = "/board"
FAILURES = "/failures"
NOTIFY_SETTINGS = "/settings/notifications"
OUTBOX = "/outbox"
ORDER = "/orders/[number]"


def order_url(number: str) -> str:
    """The page of one order."""
    return f"{ORDERS}/{quote(number, safe='')}"
