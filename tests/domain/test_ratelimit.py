"""The fixed-window arithmetic every rate-limit store implements, and address grouping."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordertrack.domain.ratelimit import Counter, address_key, hit, minutes_until, refund

T0 = datetime(2026, 11, 24, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _run(limit, window, times):
    counter, decisions = None, []
    for t in times:
        counter, decision = hit(counter, limit=limit, window=window, now=t)
        decisions.append(decision)
    return counter, decisions


def test_refuses_over_the_limit_until_the_window_that_began_with_the_first_hit_ends():
    counter, decisions = _run(3, HOUR, [T0 + timedelta(minutes=m) for m in (0, 10, 20, 30, 59)])
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert {d.reset_at for d in decisions} == {T0 + HOUR}, "a refused caller is told the window's end"
    assert decisions[3].hits == 3, "a refused hit is not counted"
    counter, again = hit(counter, limit=3, window=HOUR, now=T0 + HOUR)
    assert again.allowed and again.hits == 1 and again.reset_at == T0 + 2 * HOUR, "a new window starts"


def test_window_is_anchored_at_the_first_hit_not_the_clock():
    _, [first, *_] = _run(2, HOUR, [T0 + timedelta(minutes=47)])
    assert first.reset_at == T0 + timedelta(minutes=107)


def test_refund_gives_one_hit_back_within_the_window_only():
    counter, _ = _run(2, HOUR, [T0, T0])
    assert not hit(counter, limit=2, window=HOUR, now=T0)[1].allowed
    counter = refund(counter, now=T0 + timedelta(minutes=5))
    assert counter == Counter(hits=1, reset_at=T0 + HOUR)
    assert hit(counter, limit=2, window=HOUR, now=T0 + timedelta(minutes=6))[1].allowed
    assert refund(Counter(hits=0, reset_at=T0 + HOUR), now=T0).hits == 0, "never below zero"
    ended = Counter(hits=2, reset_at=T0 + HOUR)
    assert refund(ended, now=T0 + HOUR) == ended, "an ended window is left alone"
    assert refund(None, now=T0) is None


@pytest.mark.parametrize("limit, window", [(0, HOUR), (-1, HOUR), (True, HOUR), (2.5, HOUR), (1, timedelta(0))])
def test_nonsense_limits_are_refused(limit, window):
    with pytest.raises(ValueError):
        hit(None, limit=limit, window=window, now=T0)


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=80), st.integers(min_value=1, max_value=5))
def test_never_more_than_limit_per_window_nor_twice_the_limit_in_any_span_of_one_window(offsets, limit):
    window = timedelta(seconds=600)
    times = [T0 + timedelta(seconds=o) for o in sorted(offsets)]
    _, decisions = _run(limit, window, times)
    allowed = [(t, d) for t, d in zip(times, decisions, strict=True) if d.allowed]
    for reset_at in {d.reset_at for _, d in allowed}:
        assert sum(1 for _, d in allowed if d.reset_at == reset_at) <= limit
    for t, _ in allowed:
        assert sum(1 for u, _ in allowed if t <= u < t + window) <= 2 * limit
    for t, d in zip(times, decisions, strict=True):
        assert d.reset_at > t, "the window a decision names always lies ahead"


@given(st.lists(st.integers(min_value=0, max_value=3_000), min_size=1, max_size=60))
def test_a_refused_hit_happens_only_while_the_window_is_full(offsets):
    limit, window = 3, timedelta(seconds=600)
    times = [T0 + timedelta(seconds=o) for o in sorted(offsets)]
    _, decisions = _run(limit, window, times)
    for i, d in enumerate(decisions):
        if not d.allowed:
            same_window = [e for e in decisions[:i] if e.allowed and e.reset_at == d.reset_at]
            assert len(same_window) == limit and times[i] < d.reset_at


@pytest.mark.parametrize("raw, key", [
    ("203.0.113.7", "203.0.113.7"),
    (" 203.0.113.7 ", "203.0.113.7"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("", "unknown"),
    ("?", "unknown"),
    ("not an address", "unknown"),
])
def test_addresses_are_counted_per_ipv4_address_and_per_ipv6_slash_64(raw, key):
    assert address_key(raw) == key


@pytest.mark.parametrize("delta, minutes", [
    (timedelta(seconds=1), 1), (timedelta(seconds=60), 1), (timedelta(seconds=61), 2),
    (timedelta(minutes=15), 15), (timedelta(0), 1),
])
def test_minutes_until_rounds_up(delta, minutes):
    assert minutes_until(T0 + delta, T0) == minutes
