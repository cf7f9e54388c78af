"""The storyboard view: the whole step on one screen, and any number explained by clicking it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from charts.storyboard import Pick, storyboard
from core.explain import EXPLAINABLE, UPDATABLE, Explanation, explain, explain_update
from core.export import input_labels
from core.trainer import StepRecord
from views import state
from views.text import inert

KEY = "storyboard"
_HERE = Path(__file__).parent
# Our own constant files (no user text): the component draws the data with textContent only.
_component = st.components.v2.component(
    "backprop_storyboard",
    html='<div class="storyboard" role="group" aria-label="The step as a storyboard"></div>',
    css=(_HERE / "storyboard.css").read_text(encoding="utf-8"),
    js=(_HERE / "storyboard.js").read_text(encoding="utf-8"),
)

# Storyboard blocks whose numbers core.explain writes out, and the matrix it knows them by.
EXPLAINED_AS = {
    "Z1": "Z1",
    "A1": "A1",
    "A2": "A2",
    "delta2": "delta2",
    "delta2W2T": "delta1",
    "sigma_prime": "delta1",
    "delta1": "delta1",
    "dW1": "dW1",
    "db1": "db1",
    "dW2": "dW2",
    "db2": "db2",
}


def block_shape(rec: StepRecord, block: str) -> tuple[int, int] | None:
    """The shape of a storyboard block in this step, or None for an unknown block."""
    m, h = rec.fwd.Z1.shape
    n = rec.X.shape[1]
    param = block.removeprefix("change_").removeprefix("after_")
    shapes = {
        "X": (m, n),
        **dict.fromkeys(("y", "A2", "delta2"), (m, 1)),
        **dict.fromkeys(("Z1", "A1", "delta2W2T", "sigma_prime", "delta1"), (m, h)),
        "dW1": (n, h),
        "db1": (1, h),
        "dW2": (h, 1),
        "db2": (1, 1),
    }
    if param in UPDATABLE:
        return getattr(rec.params_before, param).shape
    return shapes.get(block)


def current_pick(rec: StepRecord) -> Pick | None:
    """The picked cell, if it exists in this step (a smaller last batch may not have its row)."""
    pick = state.get().page.story_pick
    if pick is None:
        return None
    shape = block_shape(rec, pick[0])
    if shape is None or not (0 <= pick[1] < shape[0] and 0 <= pick[2] < shape[1]):
        return None
    return Pick(*pick)


BATCH_BLOCKS = ("X", "y", "Z1", "A1", "A2", "delta2", "delta2W2T", "sigma_prime", "delta1")


def picked_training_row(rec: StepRecord | None) -> int | None:
    """The training-set row (0-based) of the picked number, when it belongs to one row of the
    batch and the storyboard is shown: the prediction map marks that row."""
    if rec is None or state.get().page.view != "Storyboard":
        return None
    pick = current_pick(rec)
    if pick is None or pick.block not in BATCH_BLOCKS:
        return None
    return int(rec.indices[pick.row])


def _on_pick() -> None:
    value = st.session_state[KEY].get("pick")
    if isinstance(value, dict):
        try:
            pick = Pick(str(value["block"]), int(value["row"]), int(value["col"]))
        except (KeyError, TypeError, ValueError):
            return
        page = state.get().page
        page.story_pick = None if page.story_pick == tuple(pick) else tuple(pick)
        _sync_explain_view(pick)


def _sync_explain_view(pick: Pick) -> None:
    """The Explain view opens on the number last clicked here."""
    page = state.get().page
    name = EXPLAINED_AS.get(pick.block)
    param = pick.block.removeprefix("change_").removeprefix("after_")
    if name is not None:
        page.explain_matrix = EXPLAINABLE[name]
    elif param in UPDATABLE:
        page.explain_matrix = f"update {param}"
    else:
        return
    page.explain_row, page.explain_col = pick.row, pick.col


def _on_rows() -> None:
    value = st.session_state[KEY].get("rows")
    if value in ("all", "first"):
        state.get().page.story_expanded = value == "all"


def storyboard_view(rec: StepRecord, feature_names: tuple[str, ...]) -> None:
    app = state.get()
    pick = current_pick(rec)
    data = storyboard(
        rec,
        feature_names,
        expanded=app.page.story_expanded,
        pick=pick,
        presenting=app.config.present,
    )
    _component(key=KEY, data=data, on_pick_change=_on_pick, on_rows_change=_on_rows)
    explanation(rec, pick, feature_names)


def explanation(rec: StepRecord, pick: Pick | None, feature_names: tuple[str, ...]) -> None:
    """The clicked number written out: its formula, then the same with this step's numbers."""
    if pick is None:
        st.caption(
            "Click any number (or move to it with Tab and the arrow keys and press Enter) to see "
            "how it is computed; the numbers it comes from are outlined."
        )
        return
    ex = _explained(rec, pick)
    if ex is None:
        st.info(inert(_plain(rec, pick, feature_names)))
        return
    left, right = st.columns([1, 2])
    with left:
        st.latex(ex.formula)
        st.caption(inert(ex.note))
    with right:
        st.latex(ex.substituted)
        st.caption(f"Stored value: {ex.value!r}")


def _explained(rec: StepRecord, pick: Pick) -> Explanation | None:
    name = EXPLAINED_AS.get(pick.block)
    if name is not None:
        if pick.block in ("delta2W2T", "sigma_prime"):
            return explain(rec, "delta1", pick.row, pick.col)  # the δ1 they multiply into
        return explain(rec, name, pick.row, pick.col)
    param = pick.block.removeprefix("change_").removeprefix("after_")
    if param in UPDATABLE:
        return explain_update(rec, param, (pick.row, pick.col))
    return None


def _plain(rec: StepRecord, pick: Pick, feature_names: tuple[str, ...]) -> str:
    """What an input or a target is: numbers no formula of the step produces."""
    row = int(rec.indices[pick.row]) + 1
    if pick.block == "y":
        value = float(np.asarray(rec.y)[pick.row, 0])
        return f"The target y of training row #{row}: {value!r}."
    value = float(np.asarray(rec.X)[pick.row, pick.col])
    name = input_labels(feature_names)[pick.col]
    return f"Input {name} of training row #{row}, as the network sees it: {value!r}."
