"""One sample: how one batch row's error reaches each weight, and how the rows add up.

The row shown follows the storyboard: a number picked there that belongs to one batch row (X, y,
Z1, A1, A2, δ2, δ1 and the factors of δ1) opens this view on that row. The pick wins only when it
changes: a row chosen here afterwards stays, through later steps too, until another number is
picked. The view remembers the pick it last followed in the page choices (`sample_pick`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from charts import batch_sum_chart, sample_graph_chart
from core.explain import fmt
from core.export import input_labels
from core.sample_graph import SampleGraph, sample_graph
from core.trainer import StepRecord
from views import state
from views.matrix import FULL_FORMAT, SHORT_FORMAT
from views.render import show_chart
from views.storyboard import BATCH_BLOCKS, current_pick

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def row_labels(rec: StepRecord) -> list[str]:
    """ "row 2 · training row #57" for every row of the batch."""
    return [f"row {i + 1} · training row #{int(idx) + 1}" for i, idx in enumerate(rec.indices)]


def follow_storyboard(rec: StepRecord) -> None:
    """Move to the batch row of the storyboard's pick when the pick is new to this view."""
    page = state.get().page
    pick = current_pick(rec)
    now = tuple(pick) if pick is not None and pick.block in BATCH_BLOCKS else None
    if now is not None and now != getattr(page, "sample_pick", None):
        page.sample_row = now[1]
    page.sample_pick = now


def pick_row(rec: StepRecord) -> int:
    """The "Batch row" selectbox; the page keeps the row. Its key names the batch size, so that a
    smaller last batch gets a widget of its own."""
    page = state.get().page
    m = len(rec.indices)
    row = min(max(int(page.sample_row), 0), m - 1)
    page.sample_row = row
    labels = row_labels(rec)

    def to_row(value: object) -> dict[str, object]:
        if isinstance(value, int) and 0 <= value < m:
            state.get().page.sample_row = value
        return {}

    chosen = st.selectbox(
        "Batch row",
        range(m),
        format_func=labels.__getitem__,
        disabled=m == 1,
        help="The row of this step's batch to follow through the network.",
        **state.bind("sample_row", key=f"sample_row_{m}", value=row, transform=to_row),
    )
    return chosen if isinstance(chosen, int) and 0 <= chosen < m else row


def contributions(g: SampleGraph, feature_names: tuple[str, ...]) -> pd.DataFrame:
    """Row g.i's part of every gradient entry beside the batch's total (the record's gradient)."""
    inputs = input_labels(feature_names)
    r = g.i + 1
    rows: list[tuple[str, str, str, float, float]] = []
    s = g.sums
    for k in range(g.n):
        for j in range(g.h):
            rows.append(
                (f"∇W1[{k + 1},{j + 1}]", f"{inputs[k]} → h{j + 1}", f"x{k + 1}·δ1[{r},{j + 1}]",
                 s.dW1.row[k, j], s.dW1.total[k, j])
            )  # fmt: skip
    for j in range(g.h):
        rows.append(
            (f"∇b1[{j + 1}]", f"1 → h{j + 1}", f"δ1[{r},{j + 1}]", s.db1.row[0, j],
             s.db1.total[0, j])
        )  # fmt: skip
    for j in range(g.h):
        rows.append(
            (f"∇W2[{j + 1}]", f"h{j + 1} → ŷ", f"a1{str(j + 1).translate(SUBSCRIPTS)}·δ2[{r}]",
             s.dW2.row[j, 0], s.dW2.total[j, 0])
        )  # fmt: skip
    rows.append(("∇b2", "1 → ŷ", f"δ2[{r}]", s.db2.row[0, 0], s.db2.total[0, 0]))
    columns = ["gradient", "connects", "this row's part", "value", "batch total"]
    return pd.DataFrame(rows, columns=columns)


def sample_view(rec: StepRecord, feature_names: tuple[str, ...]) -> None:
    follow_storyboard(rec)
    i = pick_row(rec)
    g = sample_graph(rec, i)
    r, m = i + 1, g.m
    st.latex(
        rf"\ell_{{{r}}} = \frac{{1}}{{2m}}\,(\hat y_{{{r}}} - y_{{{r}}})^2"
        rf" = \frac{{1}}{{2\cdot {m}}}\,({fmt(g.a2)} - {fmt(g.y, paren=True)})^2"
        rf" = {fmt(g.loss)}"
    )
    st.caption(
        f"ℓ{str(r).translate(SUBSCRIPTS)} is row {r}'s share of the batch loss: the {m} rows' "
        f"shares add up to L = {g.batch_loss:.4g}. Backpropagating ℓ{str(r).translate(SUBSCRIPTS)}"
        " alone gives every number's gradient below (how much this row's loss changes per unit "
        "of it) and this row's part of each weight's gradient (the edges' widths). The batch's "
        f"{m} rows' parts add up to the gradients ∇W1, ∇b1, ∇W2 and ∇b2 of the storyboard, "
        "which the update uses."
    )
    show_chart(sample_graph_chart(g, feature_names))
    left, right = st.columns([3, 2])
    with left:
        show_chart(batch_sum_chart(g))
    with right:
        st.caption(f"Row {r}'s part of every gradient entry and the batch's total (the gradient)")
        frame = contributions(g, feature_names)
        number = FULL_FORMAT if state.get().page.full_precision else SHORT_FORMAT
        st.dataframe(
            frame,
            hide_index=True,
            column_config={
                "value": st.column_config.NumberColumn(format=number),
                "batch total": st.column_config.NumberColumn(format=number),
            },
            height=min(38 + 35 * len(frame), 600),
        )
