"""Intake on SQLite and PostgreSQL: signed resume links, drafts, submission and routing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ordertrack.services import intake
from ordertrack.services.errors import BadInput
from tests.conftest import NOW


def test_links_open_until_they_expire_and_refuse_tampering():
    token = intake.sign_link(42, secret="s3cret", now=NOW)
    assert intake.open_link(token, secret="s3cret", now=NOW + timedelta(days=13)) == 42
    with pytest.raises(BadInput, match="expired"):
        intake.open_link(token, secret="s3cret", now=NOW + timedelta(days=15))
    draft_id, expires, mac = token.split(".")
    for bad in (f"43.{expires}.{mac}", f"{draft_id}.{int(expires) + 999}.{mac}", "garbage", ""):
        with pytest.raises(BadInput, match="invalid or has expired"):
            intake.open_link(bad, secret="s3cret", now=NOW)
    with pytest.raises(BadInput, match="invalid or has expired"):
        intake.open_link(token, secret="other", now=NOW)


def test_draft_is_saved_resumed_and_submitted_once(session, calendar):
    draft = intake.save_draft(session, draft_id=None, data={"service_type": "hosting", "quantity": "2"}, step=2,
                              now=NOW)
    intake.save_draft(session, draft_id=draft, data={"service_type": "hosting", "quantity": "2",
                                                     "company": "Zephyr", "email": "z@z.test"}, step=3, now=NOW)
    data, step, submitted = intake.load_draft(session, draft_id=draft)
    assert (step, submitted, data["company"]) == (3, None, "Zephyr")
    created = intake.submit_draft(session, draft_id=draft, now=NOW, calendar=calendar, support="s@t", base_url="x")
    assert created.number.startswith("SO-") and created.queue == "Default order queue", "no queue of its own"
    with pytest.raises(BadInput, match="already submitted"):
        intake.submit_draft(session, draft_id=draft, now=NOW, calendar=calendar, support="s@t", base_url="x")
