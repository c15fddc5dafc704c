"""Every string a page shows is wrapped for translation (issue #13.1/13.5): a text literal
passed straight to a rendering component (``rx.text("Save")``, ``rx.toast.success("Saved.")``,
``aria_label="Menu"``) in the pages and components listed here fails this test; wrap it in
``T()`` (page text) or ``_()`` (Python-side text)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "ordertrack"
FILES = [
    "pages/frame.py", "pages/home.py", "pages/login.py", "pages/failures.py", "pages/order_form.py",
    "pages/orders.py", "pages/statuses.py", "pages/urgency_settings.py", "pages/wall.py", "pages/outbox.py",
    "pages/overdue.py", "pages/requests.py", "components/layout.py", "components/forms.py", "components/tables.py",
    "components/order_columns.py", "components/status_badge.py", "components/order_card.py",
    "components/transition_dialog.py", "components/process_run.py",
]
RENDERING = {
    "text", "button", "heading", "badge", "callout", "link", "strong", "em", "label", "option", "title",
    "description", "column_header_cell", "success", "error", "info", "warning", "empty_state", "tooltip",
    "icon_button", "code", "blockquote", "cell", "field", "text_input", "text_area", "select", "submit_row",
    "inline_form", "dialog", "public_page", "page", "tab", "trigger", "item", "checkbox", "switch", "radio",
}
NAME_FIRST = {"text_input", "text_area", "select"}  # their first argument is the form field's name
KEPT = {"ordertrack"}  # the product's name reads the same in every language
ATTRIBUTES = {"aria_label", "placeholder", "title", "content", "intro", "label", "cancel", "submit", "none",
              "empty", "hint", "alt"}


def _is_text(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and any(c.isalpha() for c in str(v.value)) for v in node.values)
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and any(c.isalpha() for c in node.value)


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def unwrapped(source: str) -> list[tuple[int, str]]:
    """(line, text) of every text literal handed to a rendering call unwrapped."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _name(node) in ("T", "Tn", "_", "N_", "ngettext", "Tv"):
            continue
        name = _name(node)
        args = list(node.args[1:] if name in NAME_FIRST else node.args) if name in RENDERING else []
        args += [k.value for k in node.keywords if k.arg in ATTRIBUTES]
        for arg in args:
            candidates = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            for c in candidates:
                if _is_text(c) and not (isinstance(c, ast.Constant) and c.value in KEPT):
                    found.append((c.lineno, ast.unparse(c)))
    return found


def test_the_checker_finds_what_it_should():
    assert unwrapped('rx.text("Hello")\nrx.button(T("Ok"))\nrx.icon("x")\nrx.text(" · ")') == [(1, "'Hello'")]
    assert unwrapped('rx.toast.success(f"Order {n} done")') and unwrapped('x(aria_label="Menu")')
    assert unwrapped('rx.button(_("Save"), aria_label=T("Save"))') == []


@pytest.mark.parametrize("path", FILES)
def test_page_text_is_wrapped_for_translation(path):
    assert unwrapped((ROOT / path).read_text()) == [], f"ordertrack/{path}: wrap these in T() or _()"


SERVICES = sorted(path.stem for path in (ROOT / "services").glob("*.py") if path.stem != "__init__")
NOT_SHOWN = {"now must be an aware datetime (the injected clock)"}  # a programming error, never a user's


def _raised_messages(source: str) -> set[str]:
    """The literal messages a module raises (``raise BadInput("...")``) or keeps as message
    constants (``CHANGED = "..."``): the guard shows them through ``_()``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            arg = node.exc.args[0]
            if isinstance(arg, ast.Call) and _name(arg) in ("_", "N_") and arg.args:
                arg = arg.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and " " in arg.value:
                found.add(arg.value)
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id.isupper()
                and node.value.value.endswith(".") and " " in node.value.value):
            found.add(node.value.value)
    return found


@pytest.mark.parametrize("module", SERVICES)
def test_service_refusals_read_in_russian(module):
    """A refusal from these services reaches the user through the guard's ``_()``: each has a
    Russian translation."""
    from ordertrack.i18n.build import merged

    catalog = {m.id for m in merged("ru") if m.id and m.string}
    messages = _raised_messages((ROOT / "services" / f"{module}.py").read_text())
    assert sorted(messages - catalog - NOT_SHOWN) == []


USER_FACING = {"BadInput", "Forbidden", "NotFound", "Conflict", "LoginFailed", "ServiceError", "UserFacingError",
               "ProcessRefused", "EditRefused", "TransitionRefused", "QueueNotReached"}
COERCERS = {"coerce_int", "coerce_str", "coerce_choice", "coerce_date", "coerce_datetime", "coerce_bool", "coerce_id"}


def _sources() -> list[tuple[str, ast.AST]]:
    return [(str(path.relative_to(ROOT)), ast.parse(path.read_text())) for path in sorted(ROOT.rglob("*.py"))]


def test_no_refusal_is_built_from_an_f_string():
    """An f-string message has no catalog entry, so it would reach a Russian reader in English:
    refusals are ``_("... {name} ...").format(name=...)`` instead."""
    found = []
    for rel, tree in _sources():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and _name(node.exc) in USER_FACING
                    and node.exc.args and isinstance(node.exc.args[0], ast.JoinedStr)):
                found.append(f"{rel}:{node.lineno}")
    assert found == []


def test_field_names_in_input_refusals_read_in_russian():
    """``coerce_int(x, name="Phase")`` refuses with "{name} must be a whole number.": the field's
    name is looked up in the catalog too."""
    from ordertrack.i18n.build import merged

    catalog = {m.id for m in merged("ru") if m.id and m.string}
    names = set()
    for _rel, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node) in COERCERS:
                names |= {k.value.value for k in node.keywords
                          if k.arg == "name" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
    assert names and sorted(names - catalog) == []
