"""System notes in history, translated when they are read.

History is a record: a row is written once, by whoever or whatever made the change, and read
later by people in either language. So the notes the system writes ("SLA clock paused: in
Planning.") are stored in English, from templates registered here, and ``localize`` turns a
stored note into the reader's language: it finds the template the note was made from, reads the
template's arguments back out of it, translates each argument the same way (an argument may be
a label such as "Planning", or a note itself, such as the note inside "… (applied 2 h late after
downtime)") and fills the translated template. Text that matches no template (what a person
typed) is shown as it is, unless it is a message id of the catalog as a whole ("Approved").
Rows written before a template changed keep matching as long as the old wording stays
registered.
"""

from __future__ import annotations

import re

from ordertrack.i18n import _

_TEMPLATES: dict[str, re.Pattern[str]] = {}
_FIELD = re.compile(r"\{(\w+)\}")
_DEPTH = 3  # notes inside notes inside notes: more is not written anywhere


def _pattern(template: str) -> re.Pattern[str]:
    parts, seen = _FIELD.split(template), set()
    regex = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            regex.append(re.escape(part))
        elif part in seen:
            regex.append(f"(?P={part})")
        else:
            seen.add(part)
            regex.append(f"(?P<{part}>.+?)")
    return re.compile("".join(regex), re.S)


def _literal_length(template: str) -> int:
    return len(_FIELD.sub("", template))


def note_template(template: str) -> str:
    """Register ``template`` (an English message id with ``{fields}``) as one that history
    notes are written from; returns it, so a module keeps it as its constant::

        PAUSED_NOTE = note_template(N_("SLA clock paused: {reason}."))

    Where two templates fit one note, the one with more fixed text wins ("{process}: phase
    {phase}" before "{process}: {lines}").
    """
    global _ORDER
    if template not in _TEMPLATES:
        _TEMPLATES[template] = _pattern(template)
        _ORDER = sorted(_TEMPLATES.items(), key=lambda kv: -_literal_length(kv[0]))
    return template


_ORDER: list[tuple[str, re.Pattern[str]]] = []


def localize(text: str | None, *, _depth: int = 0) -> str:
    """``text`` (a stored note) in the current language."""
    if not text:
        return text or ""
    whole = _(text)
    if whole != text or _depth >= _DEPTH:  # a message of the catalog as it stands ("Order received.")
        return whole
    if _depth and "; " in text:  # a list of notes in one argument ("“A” done; “B” skipped")
        return "; ".join(localize(part, _depth=_depth) for part in text.split("; "))
    for template, pattern in _ORDER:
        found = pattern.fullmatch(text)
        if found is not None:
            args = {k: localize(v, _depth=_depth + 1) for k, v in found.groupdict().items()}
            try:
                return _(template).format(**args)
            except (KeyError, IndexError, ValueError):  # a translation that lost a field
                return template.format(**args)
    if "; " in text:  # several notes in one row ("Owner → Ann; Priority normal → high")
        return "; ".join(localize(part, _depth=_depth + 1) for part in text.split("; "))
    return text
