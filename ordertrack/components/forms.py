"""Form pieces every page uses: a labelled field, inputs with an accessible name, a native
select with an optional "none" (or "any") choice, a row of inline controls, a one-line form,
an error line, the submit row and hidden values. Components take Vars or plain values, never
a State class."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx

from ordertrack.i18n import N_
from ordertrack.i18n.ui import T


def _t(text: Any) -> Any:
    """Plain text (an English message id) in the tab's language; a Var as it is."""
    return T(text) if isinstance(text, str) and text else text


_DEFAULTS = (N_("Save"), N_("Cancel"))  # the default button labels below, for the catalog

Options = rx.Var | Sequence[tuple[str, str]]  # a Var of [{"id", "name"}] or (value, label) pairs


def field(label: str | rx.Var, control: rx.Component, *, html_for: str = "", hint: str = "",
          **props: Any) -> rx.Component:
    """A visible label above its control (``html_for``: the control's id, for screen readers),
    as wide as its form (the control keeps its own width: ``width="100%"`` to fill it)."""
    props.setdefault("width", "100%")
    return rx.vstack(
        rx.el.label(_t(label), html_for=html_for or None, class_name="rt-Text rt-r-size-2 rt-r-weight-medium"),
        control,
        *([rx.text(_t(hint), size="1", color_scheme="gray")] if not isinstance(hint, str) or hint else []),
        spacing="1",
        align="start",
        **props,
    )


def _text_props(label: str | rx.Var, value: rx.Var | str | None, placeholder: str | rx.Var | None,
                controlled: bool, width: str, props: dict[str, Any]) -> dict[str, Any]:
    if width:
        props["width"] = width
    if value is not None:
        props["value" if controlled else "default_value"] = value
    if placeholder is None:
        placeholder = label
    if not (isinstance(placeholder, str) and placeholder == ""):
        props["placeholder"] = _t(placeholder)
    return props


def text_input(name: str, label: str | rx.Var, *, value: rx.Var | str | None = None,
               placeholder: str | rx.Var | None = None, required: bool = False, width: str = "220px",
               type: str = "text", controlled: bool = False, icon: str = "", **props: Any) -> rx.Component:
    """An input named for its form and for screen readers (``label`` is its accessible name).

    Args:
        name: its name in the form data ("" for an input outside a form).
        label: its accessible name.
        value: its initial text; with ``controlled`` it always shows ``value`` (give it an
            ``on_change``). Leave search boxes uncontrolled: the server strips what it stores.
        placeholder: shown while empty; by default the label (for inputs without a visible
            label), ``""`` for none (inside a ``field``).
        required, type: as for ``rx.input``; ``props`` go to it too (``id``, ``on_change``).
        width: a CSS width ("" for the control's own).
        icon: a Lucide icon shown at the start (a search box's magnifier).
    """
    props = _text_props(label, value, placeholder, controlled, width, props)
    slot = [rx.input.slot(rx.icon(icon, size=16))] if icon else []
    return rx.input(*slot, name=name or None, aria_label=_t(label), required=required, type=type, **props)


def text_area(name: str, label: str | rx.Var, *, value: rx.Var | str | None = None,
              placeholder: str | rx.Var | None = None, rows: str = "3", required: bool = False, width: str = "100%",
              controlled: bool = False, **props: Any) -> rx.Component:
    """A multi-line input named for its form and for screen readers (arguments as for
    ``text_input``)."""
    props = _text_props(label, value, placeholder, controlled, width, props)
    return rx.text_area(name=name or None, aria_label=_t(label), rows=rows, required=required, **props)


def _option_list(options: Options) -> list[rx.Component] | rx.Component:
    if isinstance(options, rx.Var):
        return rx.foreach(options, lambda o: rx.el.option(o["name"], value=o["id"]))
    return [rx.el.option(_t(text), value=value) for value, text in options]


def select(name: str, label: str | rx.Var, options: Options, *, none: str = "", none_value: str = "none",
           value: rx.Var | str | None = None, on_change: Any = None, width: str = "", **props: Any) -> rx.Component:
    """A native select (keyboard- and form-friendly). ``options``: a Var of ``{"id", "name"}``
    rows or (value, label) pairs; ``none``: the label of an empty first choice (its value
    ``none_value``, e.g. "any" for an "All statuses" filter). With ``on_change`` the select
    follows ``value``; without, ``value`` is only its initial choice."""
    if value is not None:
        props["value" if on_change is not None else "default_value"] = value
    if on_change is not None:
        props["on_change"] = on_change
    if width:
        props["width"] = width
    children = [rx.el.option(_t(none), value=none_value)] if not isinstance(none, str) or none else []
    items = _option_list(options)
    children += items if isinstance(items, list) else [items]
    return rx.el.select(*children, name=name or None, aria_label=_t(label), class_name="ot-native-select", **props)


def form(*children: rx.Component, on_submit: Any, reset: bool = False, spacing: str = "2",
         **props: Any) -> rx.Component:
    """A form of fields one below the other (``reset``: empty it after submitting)."""
    return rx.form(rx.vstack(*children, spacing=spacing, width="100%"), on_submit=on_submit, reset_on_submit=reset,
                   **props)


def inline(*children: rx.Component, **props: Any) -> rx.Component:
    """Controls side by side, wrapping on narrow screens."""
    return rx.hstack(*children, align=props.pop("align", "center"), wrap="wrap", spacing=props.pop("spacing", "2"),
                     **props)


def inline_form(*controls: rx.Component, on_submit: Any, submit: str = "Save", reset: bool = False,
                **props: Any) -> rx.Component:
    """A one-line form: its controls side by side and a small submit button at the end (a row
    of a settings table, "start a process" on a card). ``reset``: empty the inputs after
    submitting."""
    return rx.form(
        inline(*controls, rx.button(_t(submit), size="1", type="submit", variant="soft"), align=props.pop("align", "center")),
        on_submit=on_submit,
        reset_on_submit=reset,
        **props,
    )


def error_line(message: rx.Var) -> rx.Component:
    """The form's error, announced to screen readers; nothing when empty."""
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="2", role="alert"))


def submit_row(label: str | rx.Var, *, on_cancel: Any = None, cancel: str = "Cancel",
               pending: rx.Var | bool = False, danger: rx.Var | bool = False, justify: str = "end",
               **props: Any) -> rx.Component:
    """Cancel (when given: a button that does not submit) and the submit button of a form;
    the button spins while ``pending`` and turns red when ``danger`` (a Var or a bool);
    ``props`` go to the submit button."""
    buttons = []
    if on_cancel is not None:
        buttons.append(rx.button(_t(cancel), type="button", variant="soft", color_scheme="gray", on_click=on_cancel))
    if isinstance(danger, rx.Var):
        props["color_scheme"] = rx.cond(danger, "red", "indigo")
    elif danger:
        props["color_scheme"] = "red"
    buttons.append(rx.button(_t(label), type="submit", loading=pending, **props))
    return rx.hstack(*buttons, justify=justify, width="100%" if justify == "end" else "auto", spacing="2")


def hidden(name: str, value: rx.Var | str | None = None, **props: Any) -> rx.Component:
    """A hidden form value (``None``: one that a script fills in)."""
    if value is not None:
        props["value"] = value
    return rx.el.input(type="hidden", name=name, **props)
