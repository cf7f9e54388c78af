"""Chalkboard mode: a small example typed in (or pasted) and initial weights set by hand."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from core.chalkboard import hand_params, typed_table
from core.loader import DataError
from settings.schema import Config
from views import state
from views.text import inert


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def typed_data_editor(config: Config) -> None:
    """Column names and an editable table. An edit that is not a table of finite numbers is
    refused with the row and column to fix; the run and the last good table stay."""
    st.text_input(
        "Column names (the last one is y)",
        help="Comma separated, e.g. x1, x2, y. Add a name to add a column.",
        **state.bind(
            "typed_columns",
            key="typed_names",
            value=", ".join(config.typed_columns),
            transform=_names_from_text,
        ),
    )
    frame = pd.DataFrame(list(config.typed_rows), columns=list(config.typed_columns))
    edited = st.data_editor(
        frame,
        num_rows="dynamic",
        hide_index=True,
        key=f"typed_editor_{_digest(config.typed_columns, config.typed_rows)}",
        column_config={c: st.column_config.NumberColumn(c, format="%g") for c in frame.columns},
    )
    app = state.get()
    rows = [list(row) for row in edited.itertuples(index=False)]
    try:
        typed_table(config.typed_columns, rows)
    except DataError as err:
        st.error(inert(f"{err} The previous table and training are kept."))
        return
    new_rows = tuple(tuple(float(v) for v in row) for row in rows)
    if new_rows != config.typed_rows:
        state.set_settings({"typed_rows": new_rows})
        app.notice = ""
    st.caption(
        f"{len(new_rows)} row(s). Paste cells from a spreadsheet, add rows at the bottom, "
        "delete them with the row's checkbox."
    )


def _names_from_text(text: str) -> dict[str, object]:
    """New column names; rows gain zeros for added columns and lose removed ones."""
    config = state.get().config
    names = tuple(name.strip() for name in str(text).split(",") if name.strip())
    width = len(names)
    rows = tuple(tuple(row[:width]) + (0.0,) * (width - len(row)) for row in config.typed_rows)
    return {"typed_columns": names, "typed_rows": rows}


def hand_weights_editor(config: Config) -> None:
    """W1, b1, W2 and b2 in their shapes, filled from the current weights; "Start from these
    weights" restarts training from them."""
    n_in = len(config.init_weights) and _inputs(config)
    h = config.n_hidden
    flat = np.array(config.init_weights, dtype=float)
    if flat.size != n_in * h + 2 * h + 1:
        st.info("The weights are filled in once the data and the network fit together.")
        return
    page = state.get().page
    shapes = {"W1": (n_in, h), "b1": (1, h), "W2": (h, 1), "b2": (1, 1)}
    hidden = [f"h{j + 1}" for j in range(h)]
    labels = {
        "W1": ([f"x{k + 1}" for k in range(n_in)], hidden),
        "b1": (["b1"], hidden),
        "W2": (hidden, ["W2"]),
        "b2": (["b2"], ["b2"]),
    }
    key = _digest(config.init_weights, n_in, h)
    edited, start = [], 0
    for name, (rows, cols) in shapes.items():
        size = rows * cols
        frame = pd.DataFrame(
            flat[start : start + size].reshape(rows, cols),
            index=labels[name][0],
            columns=labels[name][1],
        )
        start += size
        st.caption(f"{name} ({rows}×{cols})")
        out = st.data_editor(frame, key=f"hand_{name}_{key}", column_config=_number_columns(frame))
        edited.extend(out.to_numpy(dtype=object).ravel().tolist())
    try:
        params = hand_params(edited, n_in, h)
    except DataError as err:
        st.error(inert(str(err)))
        page.weights_draft = ()
        return
    page.weights_draft = tuple(float(v) for v in params.flat())
    changed = page.weights_draft != config.init_weights
    st.button(
        "Start from these weights",
        key="btn_hand_weights",
        on_click=on_start_from_weights,
        type="primary" if changed else "secondary",
        help="Training restarts at step 0 from the weights above.",
    )


def _number_columns(frame: pd.DataFrame) -> dict:
    return {c: st.column_config.NumberColumn(c, format="%g") for c in frame.columns}


def _inputs(config: Config) -> int:
    h = config.n_hidden
    return (len(config.init_weights) - 2 * h - 1) // h


def on_start_from_weights() -> None:
    app = state.get()
    draft = app.page.weights_draft
    if draft:
        state.set_settings({"init_weights": draft})
        state.sync_run(force=True)
        app.notice = "Training restarted at step 0 from the weights set by hand."
