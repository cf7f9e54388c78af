"""Explain one number: pick any entry of the step and see its formula with the numbers in."""

from __future__ import annotations

import streamlit as st

from core.explain import EXPLAINABLE, UPDATABLE, explain, explain_update
from core.trainer import StepRecord
from views.step_views import batch_rows, hidden_cols, input_labels

UPDATE_LABELS = {f"update {name}": name for name in UPDATABLE}


def _labels(rec: StepRecord, name: str, axis: int, features: tuple[str, ...]) -> list[str]:
    """Labels of the rows (axis 0) or columns (axis 1) of a matrix of the record."""
    batch, hidden, inputs = batch_rows(rec), hidden_cols(rec), input_labels(features)
    table = {
        "Z1": (batch, hidden),
        "A1": (batch, hidden),
        "delta1": (batch, hidden),
        "Z2": (batch, ["·"]),
        "A2": (batch, ["·"]),
        "delta2": (batch, ["·"]),
        "dW2": (hidden, ["·"]),
        "db2": (["·"], ["·"]),
        "dW1": (inputs, hidden),
        "db1": (["·"], hidden),
        "W1": (inputs, hidden),
        "b1": (["·"], hidden),
        "W2": (hidden, ["·"]),
        "b2": (["·"], ["·"]),
    }
    return table[name][axis]


def _pick(label: str, key: str, labels: list[str], container) -> int:
    """A selectbox over positions; a stale choice from a larger matrix falls back to 0."""
    if st.session_state.get(key, 0) >= len(labels):
        st.session_state[key] = 0
    return container.selectbox(
        label,
        range(len(labels)),
        key=key,
        format_func=labels.__getitem__,
        disabled=len(labels) == 1,
    )


def explain_view(rec: StepRecord, features: tuple[str, ...]) -> None:
    choices = {**{label: name for name, label in EXPLAINABLE.items()}, **UPDATE_LABELS}
    cols = st.columns(3)
    choice = cols[0].selectbox("Number from", list(choices), key="explain_matrix")
    name = choices[choice]
    row = _pick("Row", "explain_row", _labels(rec, name, 0, features), cols[1])
    col = _pick("Column", "explain_col", _labels(rec, name, 1, features), cols[2])
    if name in UPDATABLE:
        ex = explain_update(rec, name, (row, col))
    else:
        ex = explain(rec, name, row, col)
    st.markdown("**The formula**")
    st.latex(ex.formula)
    st.markdown("**With this step's numbers**")
    st.latex(ex.substituted)
    st.info(ex.note)
    st.caption(f"Stored value: {ex.value!r} · the terms add up to {ex.terms_value!r}")
