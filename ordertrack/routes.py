"""Route constants and builders."""

from urllib.parse import quote

LOGIN = "/login"
HOME = "/"
ORDERS = "/orders"
BOARD = "/board"
ORDER = "/orders/[number]"


def order_url(number: str) -> str:
    """The page of one order."""
    return f"{ORDERS}/{quote(number, safe='')}"
