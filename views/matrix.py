"""One matrix on the page: its symbol, formula and shape, a table and a heatmap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from charts import matrix_heatmap
from views import state
from views.render import show_chart

SHORT_FORMAT, FULL_FORMAT = "%.4g", "%.17g"
# A full batch can have 100,000 rows; the page shows the first ones and the export has them all.
MAX_TABLE_ROWS = 1_000
# Each table's key names its matrix for an assistant reading the page over the agent API.
TABLE_KEYS = {"X | y": "X_y", "Z2 = A2": "A2", "δ2": "delta2", "δ1": "delta1"}
TABLE_KEYS |= {f"∇{p}": f"d{p}" for p in ("W1", "b1", "W2", "b2")}


def table_key(name: str) -> str:
    return "matrix_" + TABLE_KEYS.get(name, name)


def matrix_frame(
    M: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str]
) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(M), index=list(row_labels), columns=list(col_labels))


def show_matrix(
    name: str,
    caption: str,
    formula: str,
    M: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    kind: str = "signed",
    shape: tuple[int, int] | None = None,
) -> None:
    """Heading with name, meaning and shape, the formula in LaTeX, then the table and heatmap.

    `shape` is the symbol's own shape when the table shows more columns than the symbol has.
    """
    rows, cols = shape or M.shape
    st.markdown(f"##### {name} · {caption} · shape {rows}×{cols}")
    st.latex(rf"{formula} \qquad ({rows}\times{cols})")
    fmt = FULL_FORMAT if state.get().page.full_precision else SHORT_FORMAT
    shown = min(M.shape[0], MAX_TABLE_ROWS)
    frame = matrix_frame(M[:shown], row_labels[:shown], col_labels)
    left, right = st.columns([3, 2])
    left.dataframe(
        frame,
        column_config={c: st.column_config.NumberColumn(c, format=fmt) for c in frame.columns},
        height=min(38 + 35 * shown, 600),
        key=table_key(name),
    )
    if shown < M.shape[0]:
        left.caption(
            f"The table shows the first {shown:,} of {M.shape[0]:,} rows; Export has them all."
        )
    with right:
        show_chart(
            matrix_heatmap(np.asarray(M), name, list(row_labels), list(col_labels), kind=kind)
        )
