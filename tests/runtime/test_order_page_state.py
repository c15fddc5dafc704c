"""What the order page's sections rely on in Reflex's state managers (no server needed).

``OrderState.load``/``refresh``/``watch`` set every section substate directly: that works only
because an event of ``OrderState`` loads all its substates, also under the Redis state manager
(several workers), which loads a tree partially. An event of one section does NOT load its sibling
sections, which is why a section asks for ``OrderState.refresh`` after a change instead of
setting its siblings itself.
"""

from __future__ import annotations

from reflex.istate.manager.redis import StateManagerRedis

import ordertrack.ordertrack  # noqa: F401  (imports every page and its State)
from ordertrack.pages.order import OrderState
from ordertrack.pages.order.items import ItemsState
from ordertrack.pages.order.messages import MessagesState


def _loaded_with(state: type) -> set[type]:
    manager = object.__new__(StateManagerRedis)  # the class choice needs no connection
    return manager._get_required_state_classes(state, subclasses=True)


def _below(state: type) -> list[type]:
    return [d for sub in state.get_substates() for d in (sub, *_below(sub))]


def test_every_section_that_reads_data_is_a_direct_substate():
    readers = {s for s in _below(OrderState) if "_read" in vars(s)}
    assert len(readers) >= 6 and readers <= set(OrderState.get_substates()), "load() reaches direct substates only"


def test_an_event_of_the_order_state_loads_every_section_under_redis():
    assert set(OrderState.get_substates()) <= _loaded_with(OrderState)


def test_an_event_of_a_section_loads_its_parent_but_not_its_siblings_under_redis():
    loaded = _loaded_with(ItemsState)
    assert OrderState in loaded
    assert MessagesState not in loaded
