"""Languages: the browser's preference, Russian plural forms, durations in words, and the
catalogs compiled for pages (the lookup the browser runs, executed here with Node.js)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordertrack.domain.timefmt import duration_words
from ordertrack.domain.workflows import CLIENT_WORKFLOW, ORDER_WORKFLOW
from ordertrack.i18n import _, negotiate, ngettext, normalize, use
from ordertrack.i18n.build import build


@pytest.mark.parametrize(("header", "language"), [
    ("ru-RU,ru;q=0.9,en-US;q=0.8", "ru"), ("en-GB,en;q=0.9,ru;q=0.8", "en"), ("de-DE,de", "en"),
    ("de;q=0.9,ru;q=0.5", "ru"), ("", "en"), (None, "en"), ("RU", "ru"), ("ru;q=abc,en;q=0.1", "en"),
])
def test_the_browsers_language_decides_ru_or_en(header, language):
    assert negotiate(header) == language


def test_codes_are_normalized_and_unknown_ones_refused():
    assert normalize("ru_RU") == "ru" and normalize("EN-gb") == "en"
    assert normalize("fr") is None and normalize(None) is None and normalize(5) is None


def test_durations_read_naturally_in_both_languages():
    assert duration_words(timedelta(days=2, hours=3)) == "2 days 3 h"
    with use("ru"):
        assert duration_words(timedelta(days=2, hours=3)) == "2 дня 3 ч"
        assert duration_words(timedelta(days=1)) == "1 день"
        assert duration_words(timedelta(days=5)) == "5 дней"
        assert duration_words(timedelta(days=21)) == "21 день"
        assert duration_words(timedelta(minutes=30)) == "30 мин"


@given(st.integers(min_value=0, max_value=10_000))
def test_russian_days_take_the_form_their_number_needs(n):
    with use("ru"):
        word = ngettext("{n} day", "{n} days", n).format(n=n).split()[1]
    if n % 10 == 1 and n % 100 != 11:
        assert word == "день"
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        assert word == "дня"
    else:
        assert word == "дней"


def test_seed_04_statuses_are_the_russian_originals():
    with use("ru"):
        assert [CLIENT_WORKFLOW.label(k) for k in ("new", "potential", "in_development", "test")] == [
            "Новый", "Потенциальный", "В разработке", "Тест"]
        assert ORDER_WORKFLOW.label("validation") == "Проверка клиентом"
    assert ORDER_WORKFLOW.label("validation") == "Customer Validation"
    with use("ru"), use("en"):
        assert _("Please sign in.") == "Please sign in."


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the browser's lookup")
def test_pages_look_up_the_same_catalog_with_plurals_and_placeholders(tmp_path: Path):
    asset = tmp_path / "ot_i18n.mjs"
    build(asset=asset)
    script = tmp_path / "check.mjs"
    script.write_text(
        f"import {{ otT, otN }} from {json.dumps(str(asset))};\n"
        "console.log(JSON.stringify([otT('ru', 'Customer Validation'), otT('en', 'Customer Validation'),"
        " otT('ru', 'Not in the catalog {x}', {x: 7}), otN('ru', '{n} day', '{n} days', 3),"
        " otN('ru', '{n} day', '{n} days', 11), otN('en', '{n} day', '{n} days', 1)]));\n")
    out = subprocess.run(["node", str(script)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == ["Проверка клиентом", "Customer Validation", "Not in the catalog 7", "3 дня",
                               "11 дней", "1 day"]


def test_the_glossary_and_the_russian_catalog_agree():
    """docs/glossary.md lists the terms; every one the catalog has must read the same there."""
    import re

    from ordertrack.i18n.build import merged

    root = Path(__file__).resolve().parents[2]
    pairs = {}
    for line in (root / "docs" / "glossary.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("English", "---") and not cells[0].startswith("-"):
            english, russian = (re.sub(r"\s*\(.*\)$", "", cell) for cell in cells)  # (synonyms)
            pairs[english] = russian
    catalog = {m.id: m.string for m in merged("ru") if isinstance(m.id, str) and m.string}
    checked = {k: v for k, v in pairs.items() if k in catalog}
    assert len(checked) >= 30, "the glossary's terms should be in the catalog"
    assert {k: catalog[k] for k in checked} == checked


def test_every_message_in_the_source_has_a_russian_translation():
    """Fails when text wrapped for translation (T, Tn, _, N_, ngettext) has no Russian entry:
    run `make i18n-update` and translate parts/untranslated.po."""
    from ordertrack.i18n.build import missing

    assert missing("ru") == {}
