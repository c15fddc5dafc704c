"""The order page (``/orders/<number>``), one module per section.

``state`` holds ``OrderState`` (header, timeline, loading the whole page in one transaction and
the live watch); each section module (``planning``, ``moves``, ``process``, ``messages`` with its
``compose`` dialog, ``tickets``, ``client``, ``items``) holds a substate with only its vars,
handlers and reader, and its components; ``page`` composes them.
"""

from ordertrack.pages.order.page import order_page
from ordertrack.pages.order.state import OrderState

__all__ = ["OrderState", "order_page"]
