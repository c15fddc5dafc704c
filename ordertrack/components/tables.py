"""Data tables from column specs, the empty and loading states shown instead of a table, and
the pager. Components take Vars or plain values, never a State class."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

from ordertrack.i18n import N_
from ordertrack.i18n.ui import T


def _t(text: Any) -> Any:
    """Plain text (an English message id, marked where it is written) in the tab's language."""
    return T(text) if isinstance(text, str) and text else text


@dataclass(frozen=True)
class Column:
    """One column: its header and what a row shows in it (a key of the row dict, or a
    function from the row Var to a component)."""

    header: str
    cell: str | Callable[[rx.Var], rx.Component | rx.Var]
    width: str = ""


def empty_state(message: str | rx.Var, *, icon: str = "inbox", **props: Any) -> rx.Component:
    """What a list says when it has nothing to show (``color_scheme="green"`` and a check icon
    when nothing is good news: "Nothing is overdue.")."""
    return rx.callout(_t(message), icon=icon, width="100%", **props)


def loading_state() -> rx.Component:
    """A spinner where a list (or a page) is loading."""
    return rx.center(rx.spinner(size="3"), padding="3em", width="100%", aria_busy="true", aria_label=T("Loading"))


def data_table(rows: rx.Var, columns: Sequence[Column], *, empty: str | rx.Var | rx.Component | None = N_("Nothing here yet."),
               loading: rx.Var | None = None, row_props: Callable[[rx.Var], dict] | None = None,
               header: bool = True, **props: Any) -> rx.Component:
    """A table of ``rows`` (a list Var of dicts).

    Args:
        rows: the rows, one dict Var each.
        columns: what each column shows.
        empty: said instead of the table when there are no rows (a message, or a component such
            as ``empty_state(...)``); ``None``: the table with its headers and no rows.
        loading: while true, a spinner instead.
        row_props: props of each row from its row Var (``data-*`` attributes for tests and scripts).
        header: show the header row (a settings table of one form a row has none).
        props: the table root's props (``id``, ``size``, ``variant``, default "surface").
    """

    def cell(column: Column, row: rx.Var) -> rx.Component:
        content = row[column.cell] if isinstance(column.cell, str) else column.cell(row)
        return rx.table.cell(content)

    def row(r: rx.Var) -> rx.Component:
        return rx.table.row(*[cell(c, r) for c in columns], **(row_props(r) if row_props else {}))

    head = [rx.table.header(rx.table.row(*[
        rx.table.column_header_cell(_t(c.header), **({"width": c.width} if c.width else {})) for c in columns]))] \
        if header else []
    table = rx.table.root(
        *head,
        rx.table.body(rx.foreach(rows, row)),
        width="100%",
        variant=props.pop("variant", "surface"),
        **props,
    )
    if empty is None:
        body = table
    else:
        body = rx.cond(rows.length() > 0, table, empty if isinstance(empty, rx.Component) else empty_state(empty))
    return body if loading is None else rx.cond(loading, loading_state(), body)


def pager(page: rx.Var, pages: rx.Var, *, on_page: Callable[[rx.Var], Any], note: Sequence[Any] = ()) -> rx.Component:
    """Previous / "Page n of m" / Next (``page`` 0-based); ``note``: more text after the page
    count (e.g. ``(" · ", total, " orders")``)."""
    return rx.hstack(
        rx.button(T("Previous"), on_click=on_page(page - 1), disabled=page <= 0, variant="soft"),
        rx.text(T("Page {page} of {pages}", page=page + 1, pages=pages), *note),
        rx.button(T("Next"), on_click=on_page(page + 1), disabled=page + 1 >= pages, variant="soft"),
        align="center",
    )
