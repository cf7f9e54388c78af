"""Explain one number: pick any entry of the step and see its formula with the numbers in."""

from __future__ import annotations

import streamlit as st

from core.explain import EXPLAINABLE, UPDATABLE, explain, explain_update
from core.trainer import StepRecord
from views import state
from views.step_views import hidden_cols, input_labels

UPDATE_LABELS = {f"update {name}": name for name in UPDATABLE}
CHOICES = {**{label: name for name, label in EXPLAINABLE.items()}, **UPDATE_LABELS}


def _labels(rec: StepRecord, name: str, axis: int, features: tuple[str, ...]) -> list[str]:
    """Labels of the rows (axis 0) or columns (axis 1) of a matrix of the record. Batch rows are
    named by their place in the batch, which stays the same from step to step."""
    batch = [f"row {i + 1}" for i in range(len(rec.indices))]
    hidden, inputs = hidden_cols(rec), input_labels(features)
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


def _pick(label: str, attr: str, name: str, labels: list[str], container) -> int:
    """A selectbox over the labels of one axis of matrix `name`; the page keeps the position.
    Its key names the matrix and the axis's size, so each matrix gets a widget of its own."""
    page = state.get().page
    position = min(int(getattr(page, attr)), len(labels) - 1)
    setattr(page, attr, position)

    def to_position(label: str) -> dict[str, object]:
        if label in labels:
            setattr(state.get().page, attr, labels.index(label))
        return {}

    with container:
        chosen = st.selectbox(
            label,
            labels,
            disabled=len(labels) == 1,
            **state.bind(
                attr, key=f"{attr}_{name}_{len(labels)}", value=labels[position],
                transform=to_position,
            ),
        )  # fmt: skip
    return labels.index(chosen) if chosen in labels else position


def explain_view(rec: StepRecord, features: tuple[str, ...]) -> None:
    cols = st.columns(3)
    page = state.get().page
    if page.explain_matrix not in CHOICES:
        page.explain_matrix = EXPLAINABLE["Z1"]
    with cols[0]:
        choice = st.selectbox("Number from", list(CHOICES), **state.bind("explain_matrix"))
    name = CHOICES[choice]
    row = _pick("Row", "explain_row", name, _labels(rec, name, 0, features), cols[1])
    col = _pick("Column", "explain_col", name, _labels(rec, name, 1, features), cols[2])
    if name in UPDATABLE:
        ex = explain_update(rec, name, (row, col))
    else:
        ex = explain(rec, name, row, col)
    if name in ("Z1", "A1", "delta1", "Z2", "A2", "delta2"):
        st.caption(
            f"Row {row + 1} of this step's batch is row #{int(rec.indices[row]) + 1} of the "
            "training set."
        )
    st.markdown("**The formula**")
    st.latex(ex.formula)
    st.markdown("**With this step's numbers**")
    st.latex(ex.substituted)
    st.info(ex.note)
    st.caption(f"Stored value: {ex.value!r} · the terms add up to {ex.terms_value!r}")
