"""List prices of order items (seed 02: customers see their order's items with prices and the
order's value). Amounts are whole cents of ``CURRENCY``; an item keeps the price it was ordered
at (``order_item.price_cents``), so a later change of the list does not rewrite old orders."""

from __future__ import annotations

CURRENCY = "USD"

# Monthly list price per item kind, in cents.
LIST_PRICES: dict[str, int] = {
    "server": 24_900, "hosting": 4_900, "voice": 2_900, "network": 9_900, "security": 3_900,
    "colocation": 19_900, "license": 1_500, "backup": 1_900,
}
DEFAULT_PRICE = 0


def list_price(kind: str) -> int:
    """The list price of an item of ``kind`` in cents (0 for a kind without one)."""
    return LIST_PRICES.get(kind, DEFAULT_PRICE)


def line_total(price_cents: int, quantity: int) -> int:
    """The value of one line: price times quantity (never negative)."""
    return max(0, price_cents) * max(0, quantity)
