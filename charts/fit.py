"""What the model predicts over the data: prediction surface, fit curve, y vs ŷ."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from charts.common import (
    MAX_ROWS,
    NEGATIVE,
    NEUTRAL,
    OUTLINE,
    POSITIVE,
    VALUE_SCHEME,
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
    spoken,
    top_level,
    two_names,
    value_range,
)


def _range_of(name: str, values: np.ndarray) -> str:
    """ "y from −1 to 2", or "no finite y" """
    text = value_range(values)
    return f"{name} {text}" if text else f"no finite {name}"


class Focus(NamedTuple):
    """One data point to mark: where it is and what to call it ("training row #12, picked in
    the storyboard")."""

    x: float
    y: float
    label: str


def focus_layer(
    datasets: dict[str, pd.DataFrame],
    focus: Focus,
    x_field: str,
    y_field: str,
    x_scale: Spec | None = None,
    y_scale: Spec | None = None,
) -> Spec:
    """A bold square around the focus point, on top of everything."""
    x_extra = {"scale": x_scale} if x_scale else {}
    y_extra = {"scale": y_scale} if y_scale else {}
    return {
        "data": add_data(datasets, {x_field: [focus.x], y_field: [focus.y]}),
        "mark": {
            "type": "square",
            "size": 520,
            "filled": False,
            "stroke": OUTLINE,
            "strokeWidth": 4,
            "opacity": 1,
        },
        "encoding": {
            "x": channel(f"{x_field}:Q", **x_extra),
            "y": channel(f"{y_field}:Q", **y_extra),
        },
    }


def prediction_surface(
    g1: np.ndarray,
    g2: np.ndarray,
    pred: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    feature_names: Sequence[str],
    target_name: str,
    max_points: int = 2000,
    width: int = 440,
    height: int = 400,
    batch_rows: np.ndarray | None = None,
    focus: Focus | None = None,
) -> Spec:
    """The prediction over the plane of two inputs, with the data on top in the same colours;
    the rows of `batch_rows` (the shown step's batch) ringed and the `focus` row squared."""
    g1, g2 = np.asarray(g1, dtype=float).ravel(), np.asarray(g2, dtype=float).ravel()
    pred = np.asarray(pred, dtype=float).ravel()
    if pred.size != g1.size * g2.size:
        raise ValueError(f"pred has {pred.size} values for a {g1.size}×{g2.size} grid.")
    X = np.asarray(X, dtype=float)
    yv = np.asarray(y, dtype=float).ravel()
    f1, f2 = two_names(feature_names)

    m = X.shape[0]
    idx = even_indices(m, max(1, min(int(max_points), MAX_ROWS // 2)))
    notes = ["background: the model's prediction ŷ; dots: the data, coloured by actual y"]
    if idx.size < m:
        notes.append(sample_note(idx.size, m))
    cells, grid_note = grid_cells(g1, g2, pred, MAX_ROWS - idx.size)
    if grid_note:
        notes.append(grid_note)
    cells["full"] = full_values(cells["value"])
    points = {"x1": X[idx, 0], "x2": X[idx, 1], "value": yv[idx], "full": full_values(yv[idx])}

    both = np.concatenate([cells["value"], points["value"]])
    both = both[np.isfinite(both)]
    lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    # The darkest end of the scheme is left out so that the dark outline of the dots stays visible.
    colour = channel(
        "value:Q",
        scale={
            "scheme": {"name": VALUE_SCHEME, "extent": [0.15, 1.0]},
            "domain": [lo, hi],
            "clamp": True,
        },
        legend=legend(target_name, gradientLength=min(240, height - 60)),
    )
    x_scale = {"domain": [float(cells["xlo"].min()), float(cells["xhi"].max())], "nice": False}
    y_scale = {"domain": [float(cells["ylo"].min()), float(cells["yhi"].max())], "nice": False}

    datasets: dict[str, pd.DataFrame] = {}
    surface = {
        "data": add_data(datasets, cells),
        "mark": {"type": "rect"},
        "encoding": {
            "x": channel("xlo:Q", scale=x_scale, axis=axis(f1, grid=False)),
            "x2": {"field": "xhi"},
            "y": channel("ylo:Q", scale=y_scale, axis=axis(f2, grid=False)),
            "y2": {"field": "yhi"},
            "color": colour,
            "tooltip": [
                num_tooltip("x1", f1),
                num_tooltip("x2", f2),
                num_tooltip("value", f"predicted {target_name}"),
                full_tooltip(title="full prediction"),
            ],
        },
    }
    size = 60 if idx.size <= 500 else 30
    dots = {
        "data": add_data(datasets, points),
        "mark": {"type": "circle", "size": size, "stroke": OUTLINE, "strokeWidth": 1, "opacity": 1},
        "encoding": {
            "x": channel("x1:Q", scale=x_scale),
            "y": channel("x2:Q", scale=y_scale),
            "color": colour,
            "tooltip": [
                num_tooltip("x1", f1),
                num_tooltip("x2", f2),
                num_tooltip("value", f"actual {target_name}"),
                full_tooltip(title=f"full {target_name}"),
            ],
        },
    }
    layers = [surface, dots]
    if batch_rows is not None and len(batch_rows):
        rows = np.asarray(batch_rows, dtype=int)
        rows = rows[even_indices(rows.size, min(rows.size, MAX_ROWS // 4))]
        notes.append(f"rings: the {len(batch_rows):,} rows of the shown step's batch")
        ring = {"type": "circle", "size": 260, "filled": False, "stroke": OUTLINE}
        layers.append(
            {
                "data": add_data(datasets, {"x1": X[rows, 0], "x2": X[rows, 1]}),
                "mark": ring | {"strokeWidth": 2.5, "opacity": 1},
                "encoding": {
                    "x": channel("x1:Q", scale=x_scale),
                    "y": channel("x2:Q", scale=y_scale),
                },
            }
        )
    if focus is not None:
        notes.append(f"square: {focus.label}")
        layers.append(focus_layer(datasets, focus, "x1", "x2", x_scale, y_scale))
    description = (
        f"Prediction of {target_name} over {f1} and {f2}: across {_range_of(f1, g1)} and "
        f"{_range_of(f2, g2)} the model predicts {_range_of(target_name, pred)}; "
        f"{count(m, 'data point')} with actual {_range_of(target_name, yv)}"
    )
    if batch_rows is not None and len(batch_rows):
        description += f"; the shown step's batch of {count(len(batch_rows), 'row')} ringed"
    if focus is not None:
        description += f"; {focus.label} squared"
    return top_level(
        datasets,
        description + ".",
        layer=layers,
        title=chart_title(f"Prediction of {target_name} over the inputs", notes),
        width=width,
        height=height,
    )


def fit_curve(
    x: np.ndarray,
    y: np.ndarray,
    x_grid: np.ndarray,
    y_grid: np.ndarray,
    feature_name: str,
    target_name: str,
    max_points: int = 2000,
    batch_x: np.ndarray | None = None,
    batch_y: np.ndarray | None = None,
    width: int = 560,
    height: int = 340,
    focus: Focus | None = None,
) -> Spec:
    """One input: the data, the model's curve ŷ(x), the current mini-batch and the `focus` row
    squared."""
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    xg, yg = np.asarray(x_grid, dtype=float).ravel(), np.asarray(y_grid, dtype=float).ravel()
    order = np.argsort(xg, kind="stable")
    xg, yg = xg[order], yg[order]
    cap = max(1, min(int(max_points), (MAX_ROWS - xg.size) // 2))
    notes = []
    idx = even_indices(x.size, cap)
    if idx.size < x.size:
        notes.append(sample_note(idx.size, x.size, "data points"))

    parts = [("data", x[idx], y[idx]), ("prediction ŷ", xg, yg)]
    if batch_x is not None and batch_y is not None:
        bx, by = np.asarray(batch_x, dtype=float).ravel(), np.asarray(batch_y, dtype=float).ravel()
        bidx = even_indices(bx.size, cap)
        if bidx.size < bx.size:
            notes.append(sample_note(bidx.size, bx.size, "batch points"))
        parts.append(("current batch", bx[bidx], by[bidx]))
    present = [name for name, px, _ in parts if px.size]
    ys = np.concatenate([py for _, _, py in parts])
    datasets: dict[str, pd.DataFrame] = {}
    data = add_data(
        datasets,
        {
            "x": np.concatenate([px for _, px, _ in parts]),
            "y": ys,
            "series": np.repeat([name for name, _, _ in parts], [px.size for _, px, _ in parts]),
            "full": full_values(ys),
        },
    )
    palette = {"data": NEUTRAL, "prediction ŷ": POSITIVE, "current batch": NEGATIVE}

    def layer(series: str, mark: Spec) -> Spec:
        return {
            "mark": mark,
            "encoding": {
                "x": channel("x:Q", scale={"zero": False}, axis=axis(feature_name)),
                "y": channel("y:Q", scale={"zero": False}, axis=axis(target_name)),
                "color": channel(
                    "series:N",
                    sort=present,
                    scale={"domain": present, "range": [palette[s] for s in present]},
                    legend=legend(
                        None,
                        orient="top",
                        direction="horizontal",
                        symbolSize=150,
                        symbolOpacity=1,
                    ),
                ),
                "tooltip": [
                    channel("series:N", title="what"),
                    num_tooltip("x", feature_name),
                    num_tooltip("y", target_name),
                    full_tooltip(title=f"full {target_name}"),
                ],
            },
            "transform": [{"filter": f"datum.series == '{series}'"}],
        }

    marks = {
        "data": {"type": "circle", "size": 45 if idx.size <= 500 else 20, "opacity": 0.55},
        "prediction ŷ": {"type": "line", "strokeWidth": 3.5},
        "current batch": {
            "type": "circle",
            "size": 110,
            "opacity": 1,
            "stroke": OUTLINE,
            "strokeWidth": 1,
        },
    }
    title = f"Fit of {target_name} against {feature_name}"
    if not present:
        return message_chart("No data", title, width, height)
    said = [f"{count(x.size, 'data point')} with {_range_of(target_name, y)}"]
    finite = np.isfinite(yg)
    if finite.sum() > 1:
        (x0, x1), (y0, y1) = xg[finite][[0, -1]], yg[finite][[0, -1]]
        said.append(
            f"the model's curve ŷ runs from {spoken(y0)} at {feature_name} = {spoken(x0)} to "
            f"{spoken(y1)} at {feature_name} = {spoken(x1)}, ranging {value_range(yg)}"
        )
    elif finite.any():
        said.append(f"the model's curve ŷ has one finite value, {spoken(yg[finite][0])}")
    if batch_x is not None and batch_y is not None and np.size(batch_x):
        said.append(
            f"current batch: {count(np.size(batch_x), 'point')} with "
            f"{_range_of(target_name, np.asarray(batch_y, dtype=float))}"
        )
    # Only the series that have points get a layer: an empty mark would be an unlabelled graphic
    # to screen readers.
    layers = [layer(name, marks[name]) for name in present]
    if focus is not None:
        notes.append(f"square: {focus.label}")
        said.append(f"{focus.label} squared")
        layers.append(focus_layer(datasets, focus, "x", "y"))
    return top_level(
        datasets,
        f"{title}: " + "; ".join(said) + ".",
        data=data,
        layer=layers,
        title=chart_title(title, notes),
        width=width,
        height=height,
    )


def y_vs_yhat(
    y: np.ndarray,
    yhat: np.ndarray,
    target_name: str,
    max_points: int = 2000,
    width: int = 380,
    height: int = 380,
) -> Spec:
    """Predicted against actual target; points on the dashed diagonal are exact."""
    y, yhat = np.asarray(y, dtype=float).ravel(), np.asarray(yhat, dtype=float).ravel()
    if y.size != yhat.size:
        raise ValueError(f"{y.size} targets but {yhat.size} predictions.")
    title = f"Predicted vs actual {target_name}"
    if y.size == 0:
        return message_chart("No data", title, width, height)
    idx = even_indices(y.size, max(1, min(int(max_points), MAX_ROWS - 2)))
    notes = ["on the dashed line ŷ = y exactly"]
    if idx.size < y.size:
        notes.append(sample_note(idx.size, y.size))
    both = np.concatenate([y, yhat])
    both = both[np.isfinite(both)]
    lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    pad = 0.05 * (hi - lo) if hi > lo else 0.5
    lo, hi = lo - pad, hi + pad
    scale = {"domain": [lo, hi], "nice": False, "zero": False}
    datasets: dict[str, pd.DataFrame] = {}
    diagonal = {
        "data": add_data(datasets, {"a": np.array([lo, hi])}),
        "mark": {"type": "line", "color": "#555555", "strokeDash": [6, 4], "strokeWidth": 2},
        "encoding": {"x": channel("a:Q", scale=scale), "y": channel("a:Q", scale=scale)},
    }
    points = {
        "y": y[idx],
        "yhat": yhat[idx],
        "residual": yhat[idx] - y[idx],
        "full": full_values(yhat[idx]),
    }
    dots = {
        "data": add_data(datasets, points),
        "mark": {
            "type": "circle",
            "size": 50 if idx.size <= 500 else 22,
            "color": POSITIVE,
            "opacity": 0.6,
        },
        "encoding": {
            "x": channel("y:Q", scale=scale, axis=axis(f"actual {target_name} (y)")),
            "y": channel("yhat:Q", scale=scale, axis=axis(f"predicted {target_name} (ŷ)")),
            "tooltip": [
                num_tooltip("y", "actual y"),
                num_tooltip("yhat", "predicted ŷ"),
                num_tooltip("residual", "ŷ − y"),
                full_tooltip(title="full ŷ"),
            ],
        },
    }
    ok = np.isfinite(y) & np.isfinite(yhat)
    rmse = float(np.sqrt(np.mean((yhat[ok] - y[ok]) ** 2))) if ok.any() else float("nan")
    description = (
        f"{title} for {count(y.size, 'point')}: actual {_range_of(target_name, y)}, "
        f"{_range_of('predicted ŷ', yhat)}; root mean squared error {spoken(rmse)} (0 when "
        "every point lies on the diagonal ŷ = y)."
    )
    return top_level(
        datasets,
        description,
        layer=[diagonal, dots],
        title=chart_title(title, notes),
        width=width,
        height=height,
    )
