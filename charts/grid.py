"""The input grid and what each hidden unit computes over it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from charts.common import (
    GUIDE_TEXT,
    LABEL_SIZE,
    MAX_ROWS,
    POSITIVE,
    UNIT_SCHEME,
    Spec,
    add_data,
    axis,
    channel,
    chart_title,
    count,
    even_indices,
    full_tooltip,
    full_values,
    grid_cells,
    legend,
    message_chart,
    num_tooltip,
    sample_note,
    top_level,
    two_names,
    value_range,
)

UNITS_DESCRIBED = 8  # the text alternative names each unit's range up to this many units


def input_grid(
    X: np.ndarray, resolution: int = 50, margin: float = 0.1, fill_others: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regular grid over the data range of the first (two) columns of X, widened by `margin`.

    Two or more features: (g1 (r,), g2 (r,), G (r*r, 2)) with g1 varying fastest, i.e.
    G[j*r + i] = (g1[i], g2[j]). One feature: (g1 (r,), empty, G (r, 1)).
    With `fill_others`, G has all of X's columns and the others hold their column means.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError("input_grid needs at least one row and one column.")
    r = max(2, int(resolution))

    def axis_values(col: np.ndarray) -> np.ndarray:
        lo, hi = float(np.nanmin(col)), float(np.nanmax(col))
        span = hi - lo if hi > lo else max(abs(lo), 1.0)
        return np.linspace(lo - margin * span, hi + margin * span, r)

    n = X.shape[1]
    g1 = axis_values(X[:, 0])
    if n == 1:
        return g1, np.empty(0), g1.reshape(-1, 1)
    g2 = axis_values(X[:, 1])
    A, B = np.meshgrid(g1, g2)  # A[j, i] = g1[i], B[j, i] = g2[j]
    G = np.column_stack([A.ravel(), B.ravel()])
    if fill_others and n > 2:
        means = np.nanmean(X[:, 2:], axis=0)
        G = np.column_stack([G, np.tile(means, (G.shape[0], 1))])
    return g1, g2, G


def hidden_unit_maps(
    g1: np.ndarray,
    g2: np.ndarray,
    A1_grid: np.ndarray,
    feature_names: Sequence[str],
    panel: int = 150,
    columns: int = 4,
) -> Spec:
    """Each hidden unit's activation a = σ(z) over the inputs: a heatmap per unit (two inputs,
    A1_grid (r*r, h) in input_grid's order) or a curve per unit (one input, A1_grid (r, h))."""
    g1 = np.asarray(g1, dtype=float).ravel()
    g2 = np.asarray(g2, dtype=float).ravel()
    A = np.asarray(A1_grid, dtype=float)
    if A.ndim == 1:
        A = A.reshape(-1, 1)
    h = A.shape[1]
    title = "Hidden units: activation over the inputs"
    if h == 0 or A.shape[0] == 0:
        return message_chart("No hidden units", title)
    units = [f"unit {j + 1}" for j in range(h)]
    f1, f2 = two_names(feature_names)
    colour_legend = legend("A1", gradientLength=min(200, 2 * panel))
    notes = ["a = σ(z), 0 to 1"]

    if g2.size == 0:  # one input: a curve per unit
        if A.shape[0] != g1.size:
            raise ValueError(f"A1_grid has {A.shape[0]} rows for {g1.size} grid values.")
        keep = even_indices(g1.size, max(2, MAX_ROWS // h))
        if keep.size < g1.size:
            notes.append(sample_note(keep.size, g1.size, "grid values per unit"))
        data_columns = {
            "x1": np.tile(g1[keep], h),
            "value": A[keep].T.ravel(),
            "unit": np.repeat(units, keep.size),
            "full": full_values(A[keep].T),
        }
        panel_spec = {
            "mark": {"type": "line", "strokeWidth": 3, "color": POSITIVE},
            "encoding": {
                "x": channel("x1:Q", scale={"zero": False, "nice": False}, axis=axis(f1)),
                "y": channel("value:Q", scale={"domain": [0, 1]}, axis=axis("a", tickCount=3)),
                "tooltip": [
                    channel("unit:N", title="unit"),
                    num_tooltip("x1", f1),
                    num_tooltip("value", "activation"),
                    full_tooltip(),
                ],
            },
            "width": panel,
            "height": int(panel * 0.7),
        }
    else:
        if A.shape[0] != g1.size * g2.size:
            raise ValueError(f"A1_grid has {A.shape[0]} rows for a {g1.size}×{g2.size} grid.")
        parts, note = [], None
        for j in range(h):
            cells, note = grid_cells(g1, g2, A[:, j], MAX_ROWS // h)
            parts.append(cells)
        if note:
            notes.append(note)
        data_columns = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        data_columns["unit"] = np.repeat(units, [p["value"].size for p in parts])
        data_columns["full"] = full_values(data_columns["value"])
        x_scale = {
            "domain": [float(data_columns["xlo"].min()), float(data_columns["xhi"].max())],
            "nice": False,
        }
        y_scale = {
            "domain": [float(data_columns["ylo"].min()), float(data_columns["yhi"].max())],
            "nice": False,
        }
        panel_spec = {
            "mark": {"type": "rect"},
            "encoding": {
                "x": channel("xlo:Q", scale=x_scale, axis=axis(f1, tickCount=4, grid=False)),
                "x2": {"field": "xhi"},
                "y": channel("ylo:Q", scale=y_scale, axis=axis(f2, tickCount=4, grid=False)),
                "y2": {"field": "yhi"},
                "color": channel(
                    "value:Q", scale={"scheme": UNIT_SCHEME, "domain": [0, 1]}, legend=colour_legend
                ),
                "tooltip": [
                    channel("unit:N", title="unit"),
                    num_tooltip("x1", f1),
                    num_tooltip("x2", f2),
                    num_tooltip("value", "activation"),
                    full_tooltip(),
                ],
            },
            "width": panel,
            "height": panel,
        }
    datasets: dict[str, pd.DataFrame] = {}
    header = {
        "labelFontSize": LABEL_SIZE + 2,
        "labelFontWeight": "bold",
        "labelColor": GUIDE_TEXT,
        "title": None,
    }
    over = f"{f1}, one curve" if g2.size == 0 else f"{f1} and {f2}, one heatmap"
    whose = f"each of {count(h, 'hidden unit')}" if h > 1 else "the one hidden unit"
    ranges = [
        f"unit {j + 1} {value_range(A[:, j]) or 'not finite'}"
        for j in range(min(h, UNITS_DESCRIBED))
    ]
    if h > UNITS_DESCRIBED:
        ranges.append(f"{count(h - UNITS_DESCRIBED, 'more unit')} not listed")
    description = (
        f"Hidden units: sigmoid activation (between 0 and 1) of {whose} over {over} per "
        "unit; " + "; ".join(ranges) + "."
    )
    return top_level(
        datasets,
        description,
        data=add_data(datasets, data_columns),
        facet=channel("unit:N", sort=units, header=header),
        spec=panel_spec,
        columns=columns,
        title=chart_title(title, notes),
    )
