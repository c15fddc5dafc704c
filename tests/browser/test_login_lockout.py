"""Sign-in lockout in Chromium: after too many failures the form says when to retry, and
refuses even the right password until then. Uses its own account, so the demo accounts that
every other browser test signs in with are never locked."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from ordertrack.db.models import User
from ordertrack.db.ratelimit_models import RateLimitCounter
from ordertrack.services.accounts import hash_password

pytestmark = pytest.mark.browser

LOCKED = re.compile(r"^Too many sign-in attempts\. Try again in 1[45] minutes\.$")


def _counted(engine, username: str) -> int:
    with Session(engine) as s:
        row = s.exec(select(RateLimitCounter).where(RateLimitCounter.bucket == f"login:user:{username}")).first()
        return row.hits if row else 0


def _wait_counted(engine, username: str, hits: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while _counted(engine, username) != hits:
        assert time.monotonic() < deadline, f"attempt {hits} was not counted"
        time.sleep(0.05)


def test_too_many_failures_lock_the_account_and_the_form_says_when_to_retry(page, server):
    username = f"lockout-{uuid.uuid4().hex[:8]}"
    engine = create_engine(server.db_url)
    with Session(engine) as s:
        s.add(User(username=username, display_name="Lockout Test", role="support",
                   password_hash=hash_password("the right one")))
        s.commit()
    limit = int(server.env.get("ORDERTRACK_LOGIN_FAILURES_PER_ACCOUNT", "5"))

    page.goto("/login")
    page.get_by_label("Username").fill(username)
    for attempt in range(1, limit + 1):
        page.get_by_label("Password").fill(f"guess {attempt}")
        page.get_by_role("button", name="Sign in").click()
        _wait_counted(engine, username, attempt)
        expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")

    page.get_by_label("Password").fill("the right one")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(LOCKED)
    assert urlsplit(page.url).path.rstrip("/").endswith("/login"), "the right password does not sign in while locked"
    assert _counted(engine, username) == limit, "a refused attempt is not counted (nor checked)"
    page.goto("/orders")
    page.wait_for_url(re.compile(r"/login$"))  # still signed out
    engine.dispose()
