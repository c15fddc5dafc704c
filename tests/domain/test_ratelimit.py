"""The sliding window that limits anonymous order-form drafts per address."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ordertrack.domain.ratelimit import SlidingWindow

T0 = datetime(2026, 11, 24, 9, tzinfo=UTC)


def test_refuses_over_the_limit_then_frees_up_as_the_window_slides():
    w = SlidingWindow(3, timedelta(hours=1))
    assert [w.allow("1.2.3.4", T0 + timedelta(minutes=m)) for m in (0, 10, 20, 30)] == [True, True, True, False]
    assert w.allow("5.6.7.8", T0 + timedelta(minutes=30)), "other addresses have their own budget"
    assert not w.allow("1.2.3.4", T0 + timedelta(minutes=59))
    assert w.allow("1.2.3.4", T0 + timedelta(minutes=60)), "the first event left the window"


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=60), st.integers(min_value=1, max_value=5))
def test_never_more_than_limit_allowed_in_any_window(offsets, limit):
    w = SlidingWindow(limit, timedelta(seconds=600))
    allowed = [T0 + timedelta(seconds=o) for o in sorted(offsets) if w.allow("k", T0 + timedelta(seconds=o))]
    for t in allowed:
        assert sum(1 for u in allowed if t <= u < t + timedelta(seconds=600)) <= limit


def test_memory_stays_bounded():
    w = SlidingWindow(1, timedelta(hours=1), max_keys=100)
    for i in range(1_000):
        w.allow(f"10.0.{i // 256}.{i % 256}", T0)
    assert len(w._events) <= 100
