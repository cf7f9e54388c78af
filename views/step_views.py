"""The batch just stepped: forward pass, backward pass and update, matrix by matrix."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.export import input_labels
from core.trainer import StepRecord
from views import state
from views.matrix import FULL_FORMAT, SHORT_FORMAT, matrix_frame, show_matrix

BACKWARD_LATEX = r"""
\begin{aligned}
\delta_2 &= \tfrac{1}{m}(A_2 - y) & \nabla_{W_2} &= A_1^\top \delta_2 &
\nabla_{b_2} &= \mathrm{rowsum}(\delta_2) \\
\delta_1 &= (\delta_2 W_2^\top) \odot A_1(1 - A_1) & \nabla_{W_1} &= X^\top \delta_1 &
\nabla_{b_1} &= \mathrm{rowsum}(\delta_1)
\end{aligned}
"""


def batch_rows(rec: StepRecord) -> list[str]:
    """Row labels: position in the batch and, after #, the training-set row it came from."""
    return [f"{i + 1} · #{idx + 1}" for i, idx in enumerate(rec.indices)]


def hidden_cols(rec: StepRecord) -> list[str]:
    return [f"h{j + 1}" for j in range(rec.fwd.Z1.shape[1])]


def forward_view(rec: StepRecord, feature_names: tuple[str, ...]) -> None:
    rows, hidden = batch_rows(rec), hidden_cols(rec)
    st.caption(
        f"Batch {rec.batch} of {rec.n_batches} in epoch {rec.epoch}: m = {len(rec.indices)} rows "
        "(# is the row in the training set). Computed with the weights before the update."
    )
    data = np.hstack([rec.X, rec.y])
    show_matrix(
        "X | y",
        "the batch's inputs and targets",
        r"X \;|\; y",
        data,
        rows,
        [*input_labels(feature_names), "y"],
    )
    show_matrix("Z1", "hidden pre-activations", r"Z_1 = X W_1 + b_1", rec.fwd.Z1, rows, hidden)
    show_matrix(
        "A1",
        "hidden activations",
        r"A_1 = \sigma(Z_1) = \frac{1}{1 + e^{-Z_1}}",
        rec.fwd.A1,
        rows,
        hidden,
        kind="unit",
    )
    out = np.hstack([rec.fwd.A2, rec.y, rec.fwd.A2 - rec.y])
    show_matrix(
        "Z2 = A2",
        "the output ŷ, with y and A2 − y beside it",
        r"Z_2 = A_1 W_2 + b_2,\quad A_2 = Z_2",
        out,
        rows,
        ["A2 = ŷ", "y", "A2 − y"],
        shape=(len(rec.indices), 1),
    )
    st.latex(
        rf"\mathcal{{L}} = \frac{{1}}{{2m}}\lVert A_2 - y\rVert^2 = {rec.loss_before:.6g}"
        rf"\quad (m = {len(rec.indices)})"
    )


def backward_view(rec: StepRecord, feature_names: tuple[str, ...]) -> None:
    rows, hidden = batch_rows(rec), hidden_cols(rec)
    g = rec.grads
    st.latex(BACKWARD_LATEX)
    st.caption(
        "rowsum adds up a matrix's rows: the sum over the batch's m rows, so each bias gradient "
        "is one number per unit."
    )
    show_matrix(
        "δ2", "output error ∂L/∂Z2", r"\delta_2 = \tfrac{1}{m}(A_2 - y)", g.delta2, rows, ["δ2"]
    )
    show_matrix(
        "δ1",
        "hidden error ∂L/∂Z1",
        r"\delta_1 = (\delta_2 W_2^\top) \odot A_1(1 - A_1)",
        g.delta1,
        rows,
        hidden,
    )
    show_matrix(
        "∇W2", "gradient of W2", r"\nabla_{W_2} = A_1^\top \delta_2", g.dW2, hidden, ["∇W2"]
    )
    show_matrix(
        "∇b2", "gradient of b2", r"\nabla_{b_2} = \mathrm{rowsum}(\delta_2)", g.db2, ["b2"], ["∇b2"]
    )
    show_matrix(
        "∇W1",
        "gradient of W1",
        r"\nabla_{W_1} = X^\top \delta_1",
        g.dW1,
        input_labels(feature_names),
        hidden,
    )
    show_matrix(
        "∇b1", "gradient of b1", r"\nabla_{b_1} = \mathrm{rowsum}(\delta_1)", g.db1, ["b1"], hidden
    )


UPDATES = (
    ("W1", "dW1", r"W_1 \leftarrow W_1 - \eta\,\nabla_{W_1}"),
    ("b1", "db1", r"b_1 \leftarrow b_1 - \eta\,\nabla_{b_1}"),
    ("W2", "dW2", r"W_2 \leftarrow W_2 - \eta\,\nabla_{W_2}"),
    ("b2", "db2", r"b_2 \leftarrow b_2 - \eta\,\nabla_{b_2}"),
)


def update_view(rec: StepRecord, feature_names: tuple[str, ...]) -> None:
    hidden = hidden_cols(rec)
    labels = {
        "W1": (input_labels(feature_names), hidden),
        "b1": (["b1"], hidden),
        "W2": (hidden, ["W2"]),
        "b2": (["b2"], ["b2"]),
    }
    st.caption(f"Learning rate η = {rec.lr:g} for this step.")
    for name, grad, formula in UPDATES:
        before = getattr(rec.params_before, name)
        change = -rec.lr * getattr(rec.grads, grad)
        after = getattr(rec.params_after, name)
        st.markdown(f"#### {name}")
        st.latex(formula)
        rows, cols = labels[name]
        titles = (f"{name} before", f"−η·∇{name} (the change)", f"{name} after")
        parts = zip(st.columns(3), titles, (before, change, after), PARTS, strict=True)
        for column, title, M, part in parts:
            with column:
                show_compact(title, M, rows, cols, key=f"update_{name}_{part}")


PARTS = ("before", "change", "after")


def show_compact(title: str, M: np.ndarray, rows: list[str], cols: list[str], key: str) -> None:
    fmt = FULL_FORMAT if state.get().page.full_precision else SHORT_FORMAT
    frame = matrix_frame(M, rows, cols)
    st.caption(title)
    st.dataframe(
        frame,
        column_config={c: st.column_config.NumberColumn(c, format=fmt) for c in frame},
        key=key,
    )
