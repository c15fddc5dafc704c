"""Form pieces every page uses: a labelled field, inputs with an accessible name, a native
select with an optional "none" choice, a row of inline controls, an error line and the
submit row. Components take Vars or plain values, never a State class."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx

Options = rx.Var | Sequence[tuple[str, str]]  # a Var of [{"id", "name"}] or (value, label) pairs


def field(label: str, control: rx.Component, *, html_for: str = "", hint: str = "") -> rx.Component:
    """A visible label above its control (``html_for``: the control's id, for screen readers)."""
    return rx.vstack(
        rx.el.label(label, html_for=html_for or None, class_name="rt-Text rt-r-size-2 rt-r-weight-medium"),
        control,
        *([rx.text(hint, size="1", color_scheme="gray")] if hint else []),
        spacing="1",
        align="stretch",
    )


def text_input(name: str, label: str, *, value: rx.Var | str | None = None, placeholder: str = "",
               required: bool = False, width: str = "220px", type: str = "text", **props: Any) -> rx.Component:
    """An input named for its form and for screen readers (``label`` is its accessible name)."""
    if value is not None:
        props["default_value"] = value
    return rx.input(name=name, aria_label=label, placeholder=placeholder or label, required=required,
                    width=width, type=type, **props)


def text_area(name: str, label: str, *, value: rx.Var | str | None = None, placeholder: str = "",
              rows: str = "3", required: bool = False, **props: Any) -> rx.Component:
    """A multi-line input named for its form and for screen readers."""
    if value is not None:
        props["default_value"] = value
    return rx.text_area(name=name, aria_label=label, placeholder=placeholder or label, rows=rows,
                        required=required, width="100%", **props)


def _option_list(options: Options) -> list[rx.Component] | rx.Component:
    if isinstance(options, rx.Var):
        return rx.foreach(options, lambda o: rx.el.option(o["name"], value=o["id"]))
    return [rx.el.option(text, value=value) for value, text in options]


def select(name: str, label: str, options: Options, *, none: str = "", value: rx.Var | str | None = None,
           on_change: Any = None, width: str = "", **props: Any) -> rx.Component:
    """A native select (keyboard- and form-friendly). ``options``: a Var of ``{"id", "name"}``
    rows or (value, label) pairs; ``none``: the label of an empty first choice (value "none")."""
    if value is not None:
        props["value" if on_change is not None else "default_value"] = value
    if on_change is not None:
        props["on_change"] = on_change
    if width:
        props["width"] = width
    children = [rx.el.option(none, value="none")] if none else []
    items = _option_list(options)
    children += items if isinstance(items, list) else [items]
    return rx.el.select(*children, name=name, aria_label=label, class_name="ot-native-select", **props)


def inline(*children: rx.Component, **props: Any) -> rx.Component:
    """Controls side by side, wrapping on narrow screens."""
    return rx.hstack(*children, align=props.pop("align", "center"), wrap="wrap", spacing=props.pop("spacing", "2"),
                     **props)


def error_line(message: rx.Var) -> rx.Component:
    """The form's error, announced to screen readers; nothing when empty."""
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="2", role="alert"))


def submit_row(label: str | rx.Var, *, on_cancel: Any = None, cancel: str = "Cancel",
               pending: rx.Var | bool = False, danger: bool = False) -> rx.Component:
    """Cancel (when given) and the submit button at the end of a form; the button spins while
    ``pending``."""
    buttons = []
    if on_cancel is not None:
        buttons.append(rx.button(cancel, type="button", variant="soft", color_scheme="gray", on_click=on_cancel))
    buttons.append(rx.button(label, type="submit", loading=pending,
                             **({"color_scheme": "red"} if danger else {})))
    return rx.hstack(*buttons, justify="end", width="100%", spacing="2")


def hidden(name: str, value: rx.Var | str) -> rx.Component:
    """A hidden form value."""
    return rx.el.input(type="hidden", name=name, value=value)
