"""Heatmaps of matrices and the network diagram."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from charts.common import (
    CELL_TEXT_SIZE,
    DIVERGING_SCHEME,
    LABEL_SIZE,
    MAX_ROWS,
    NEGATIVE,
    NEUTRAL,
    OUTLINE,
    POSITIVE,
    UNIT_SCHEME,
    Spec,
    add_data,
    axis,
    channel,
    chart_title,
    count,
    fmt_sig,
    full_tooltip,
    full_values,
    legend,
    message_chart,
    no_view_border,
    num_tooltip,
    spoken,
    top_level,
)
from core.network import Params

TEXT_MAX_ROWS, TEXT_MAX_COLS = 64, 8
CELL_WIDTH_TEXT = 56  # px per column with numbers in the cells
CELL_WIDTH = 24


def _unique(labels: Sequence[str]) -> list[str]:
    """The labels, with duplicates told apart (the axis needs distinct values)."""
    out: list[str] = []
    seen: set[str] = set()
    for label in map(str, labels):
        candidate, k = label, 2
        while candidate in seen:
            candidate, k = f"{label} ({k})", k + 1
        out.append(candidate)
        seen.add(candidate)
    return out


def _text_colour(values: np.ndarray, kind: str, limit: float) -> list[str]:
    """White on the dark ends of the scale, near-black elsewhere."""
    dark = np.abs(values) > 0.55 * limit if kind == "signed" else values < 0.45
    return ["white" if d else "#111111" for d in dark]


def matrix_heatmap(
    M: np.ndarray,
    title: str,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    kind: Literal["signed", "unit"] = "signed",
    max_rows: int = 64,
    legend_title: str = "value",
) -> Spec:
    """Heatmap of a 2-D matrix, rows top to bottom, with the values written in small matrices.

    "signed": diverging scale centred on 0 with domain [-max|M|, max|M|] (orange < 0 < blue);
    "unit": viridis on [0, 1]. Only the first `max_rows` rows are drawn (the subtitle says so).
    """
    M = np.asarray(M, dtype=float)
    if M.ndim == 1:
        M = M.reshape(1, -1)
    if M.ndim != 2:
        raise ValueError(f"matrix_heatmap needs a 2-D matrix, not shape {M.shape}.")
    total_rows, cols = M.shape
    if total_rows == 0 or cols == 0:
        empty = f"Heatmap of {title}: an empty matrix, {total_rows} rows by {cols} columns."
        return message_chart("(empty matrix)", title, width=200, height=60, description=empty)
    rows = min(total_rows, max(1, max_rows), max(1, MAX_ROWS // cols))
    shown = M[:rows]
    rlabels = _unique((row_labels if row_labels is not None else range(1, total_rows + 1))[:rows])
    clabels = _unique(col_labels if col_labels is not None else range(1, cols + 1))
    if len(rlabels) != rows or len(clabels) != cols:
        raise ValueError("row_labels/col_labels do not match the matrix shape.")

    finite = np.isfinite(shown)
    if kind == "signed":
        limit = float(np.max(np.abs(shown[finite]))) if finite.any() else 0.0
        limit = limit if limit > 0 else 1.0
        # Symmetric about 0; the limit is read from the data (its "lim" column), not written into
        # the spec, so the spec stays the same from step to step.
        scale = {
            "scheme": DIVERGING_SCHEME,
            "reverse": True,
            "domain": {"expr": "[-data('cells')[0].lim, data('cells')[0].lim]"},
            "domainMid": 0,
        }
    elif kind == "unit":
        limit = 1.0
        scale = {"scheme": UNIT_SCHEME, "domain": [0, 1]}
    else:
        raise ValueError(f"kind must be 'signed' or 'unit', not {kind!r}.")

    values = shown.ravel()
    datasets: dict[str, pd.DataFrame] = {}
    data = add_data(
        datasets,
        {
            "pos": np.repeat(np.arange(rows), cols),
            "row": np.repeat(rlabels, cols),
            "col": np.tile(clabels, rows),
            "value": np.where(np.isfinite(values), values, np.nan),
            "label": [fmt_sig(v) for v in values],
            "full": full_values(values),
            "ink": _text_colour(np.nan_to_num(values), kind, limit),
            "lim": limit,
        },
        name="cells",
    )
    with_text = rows <= TEXT_MAX_ROWS and cols <= TEXT_MAX_COLS
    col_step = CELL_WIDTH_TEXT if with_text else CELL_WIDTH
    row_step = 30 if rows <= 16 else (20 if rows <= TEXT_MAX_ROWS else max(3, 640 // rows))
    subtitle = f"first {rows:,} of {total_rows:,} rows shown" if rows < total_rows else None

    def position() -> Spec:
        return {
            "x": channel(
                "col:O",
                sort=clabels,
                axis=axis(None, orient="top", labelAngle=0, ticks=False, domain=False),
            ),
            "y": channel(
                "row:O", sort={"field": "pos"}, axis=axis(None, ticks=False, domain=False)
            ),
        }

    tooltip = [
        channel("row:O", title="row"),
        channel("col:O", title="column"),
        num_tooltip("value", "value"),
        full_tooltip(),
    ]
    cells = {
        "mark": {"type": "rect", "stroke": "white", "strokeWidth": 0.5},
        "encoding": position()
        | {
            "color": channel(
                "value:Q",
                scale=scale,
                legend=legend(
                    legend_title,
                    orient="bottom",
                    direction="horizontal",
                    gradientLength=max(120, min(240, col_step * cols)),
                ),
            ),
            "tooltip": tooltip,
        },
    }
    body: Spec = cells
    if with_text:
        text = {
            "mark": {"type": "text", "fontSize": CELL_TEXT_SIZE},
            "encoding": position()
            | {
                "text": channel("label:N"),
                "color": channel("ink:N", scale=None),
                "tooltip": tooltip,
            },
        }
        body = {"layer": [cells, text], "resolve": {"scale": {"color": "independent"}}}
    # Built from the shape and labels only, not the numbers: the spec must stay the same from step
    # to step (see above). Each cell carries its own value for screen readers (and its text).
    shape = f"{count(total_rows, 'row')} by {count(cols, 'column')}"
    shown_rows = f", the first {rows:,} rows shown" if rows < total_rows else ""
    columns = f" ({', '.join(clabels)})" if cols <= TEXT_MAX_COLS else ""
    colours = (
        "signed values coloured orange below 0 and blue above 0, on a scale symmetric about 0"
        if kind == "signed"
        else "values from 0 to 1 coloured from dark purple (0) to yellow (1)"
    )
    cell = "each cell shows its value" if with_text else "each cell's tooltip gives its value"
    description = f"Heatmap of {title}: {shape}{columns}{shown_rows}; {colours}; {cell}."
    return top_level(
        datasets,
        description,
        data=data,
        **body,
        title=chart_title(title, subtitle),
        width={"step": col_step},
        height={"step": row_step},
    )


def _layer_y(k: int, spacing: float = 1.0) -> np.ndarray:
    """Vertical positions of k nodes centred on 0, top to bottom."""
    return (np.arange(k)[::-1] - (k - 1) / 2) * spacing


def edge_width(abs_w: np.ndarray, max_abs: float, lo: float = 0.5, hi: float = 8.0) -> np.ndarray:
    """Stroke width in px, linear in |w| from `lo` (w = 0) to `hi` (the largest |w|)."""
    if max_abs <= 0 or not np.isfinite(max_abs):
        return np.full(np.shape(abs_w), lo)
    return lo + (hi - lo) * np.clip(np.asarray(abs_w) / max_abs, 0.0, 1.0)


def network_diagram(
    params: Params,
    input_names: Sequence[str],
    target_name: str = "ŷ",
    show_bias: bool = True,
    width: int = 560,
    height: int | None = None,
) -> Spec:
    """Inputs, hidden units h1..hh and the output; edge width ∝ |w|, blue > 0, orange < 0.

    With `show_bias`, a "1" node under the inputs feeds b1 and one under the hidden layer feeds b2.
    """
    W1, b1, W2, b2 = (np.asarray(a, dtype=float) for a in params)
    n, h = W1.shape
    names = [str(s) for s in input_names][:n]
    names += [f"x{i + 1}" for i in range(len(names), n)]

    extra = 1 if show_bias else 0
    tallest = max(n + extra, h + extra, 1)
    if height is None:  # about 45 px per node in the tallest layer
        height = int(np.clip(70 * (tallest + 1), 320, 620))
    y_in, y_hid, y_out = _layer_y(n + extra), _layer_y(h + extra), _layer_y(1)
    nodes = [
        {"x": 0.0, "y": y_in[i], "label": "", "side": names[i], "kind": "input", "tip": names[i]}
        for i in range(n)
    ]
    nodes += [
        {"x": 1.0, "y": y_hid[j], "label": f"h{j + 1}", "side": "", "kind": "hidden",
         "tip": f"hidden unit h{j + 1} (sigmoid)"}
        for j in range(h)
    ]  # fmt: skip
    nodes.append(
        {"x": 2.0, "y": y_out[0], "label": "", "side": target_name, "kind": "output",
         "tip": f"output {target_name} (linear)"}
    )  # fmt: skip
    if show_bias:
        nodes += [
            {"x": 0.0, "y": y_in[n], "label": "1", "side": "bias", "kind": "bias",
             "tip": "bias input 1 (feeds b1)"},
            {"x": 1.0, "y": y_hid[h], "label": "1", "side": "", "kind": "bias",
             "tip": "bias input 1 (feeds b2)"},
        ]  # fmt: skip

    edges: list[dict] = []

    def add(name: str, w: float, x: float, y: float, x2: float, y2: float) -> None:
        edges.append({"name": name, "w": w, "x": x, "y": y, "x2": x2, "y2": y2})

    for i in range(n):
        for j in range(h):
            add(f"W1[{i + 1},{j + 1}]", W1[i, j], 0.0, y_in[i], 1.0, y_hid[j])
    for j in range(h):
        add(f"W2[{j + 1},1]", W2[j, 0], 1.0, y_hid[j], 2.0, y_out[0])
    if show_bias:
        for j in range(h):
            add(f"b1[1,{j + 1}]", b1[0, j], 0.0, y_in[n], 1.0, y_hid[j])
        add("b2[1,1]", b2[0, 0], 1.0, y_hid[h], 2.0, y_out[0])

    ef = pd.DataFrame(edges)
    w = ef["w"].to_numpy()
    finite = np.isfinite(w)
    max_abs = float(np.max(np.abs(w[finite]))) if finite.any() else 0.0
    ef["width"] = edge_width(np.where(finite, np.abs(w), max_abs), max_abs)
    ef["sign"] = np.select([w > 0, w < 0], ["positive", "negative"], "zero")
    ef["weight"] = [f"{nm} = {fmt_sig(v, 4)}" for nm, v in zip(ef["name"], w, strict=True)]
    ef["full"] = full_values(w)
    ef = ef.drop(columns="w")
    # Draw the thin edges first so that thick ones stay on top.
    ef = ef.sort_values("width", kind="stable").reset_index(drop=True)

    pad = 0.8
    x_scale = {"domain": [-0.85, 2.75], "nice": False, "zero": False}
    y_scale = {"domain": [-tallest / 2 - pad / 2, tallest / 2 + pad / 2], "nice": False}

    def position() -> Spec:
        return {
            "x": channel("x:Q", scale=x_scale, axis=None),
            "y": channel("y:Q", scale=y_scale, axis=None),
        }

    signs = ["positive", "negative", "zero"]
    sign_colour = channel(
        "sign:N",
        scale={"domain": signs, "range": [POSITIVE, NEGATIVE, NEUTRAL]},
        legend=legend(
            "weight sign",
            orient="right",
            symbolStrokeWidth=4,
            values=[s for s in signs if (ef["sign"] == s).any()],
        ),
    )
    datasets: dict[str, pd.DataFrame] = {}
    edge_data = add_data(datasets, ef)

    def edge_layer(mark: Spec, **encoding: Any) -> Spec:
        return {
            "data": edge_data,
            "mark": mark,
            "encoding": position()
            | {
                "x2": {"field": "x2"},
                "y2": {"field": "y2"},
                "tooltip": [channel("weight:N", title="weight"), full_tooltip()],
            }
            | encoding,
        }

    lines = edge_layer(
        {"type": "rule", "opacity": 0.85, "strokeCap": "round"},
        color=sign_colour,
        strokeWidth=channel("width:Q", scale=None),
    )
    # Invisible wide strokes make thin edges easy to hover.
    hover = edge_layer({"type": "rule", "strokeWidth": 10, "opacity": 0.01, "color": "white"})

    fills = {"input": "#E8E8E8", "hidden": "#D6E6F4", "output": "#F6E3D4", "bias": "#FFFFFF"}
    node_data = add_data(datasets, pd.DataFrame(nodes))

    def node_layer(mark: Spec, keep: str | None = None, **encoding: Any) -> Spec:
        layer = {
            "data": node_data,
            "mark": mark,
            "encoding": position() | {"tooltip": channel("tip:N", title="node")} | encoding,
        }
        return layer | ({"transform": [{"filter": keep}]} if keep else {})

    circles = node_layer(
        {
            "type": "point",
            "filled": True,
            "size": 1100,
            "stroke": OUTLINE,
            "strokeWidth": 1.5,
            "opacity": 1,
        },
        shape=channel(
            "kind:N",
            scale={"domain": list(fills), "range": ["circle", "circle", "circle", "square"]},
            legend=None,
        ),
        fill=channel(
            "kind:N", scale={"domain": list(fills), "range": list(fills.values())}, legend=None
        ),
    )
    inner = node_layer(
        {"type": "text", "fontSize": LABEL_SIZE, "fontWeight": "bold", "color": OUTLINE},
        text=channel("label:N"),
    )
    side_text = {"type": "text", "fontSize": LABEL_SIZE + 1}
    left = node_layer(
        side_text | {"align": "right", "dx": -24, "limit": 150},
        "datum.x < 0.5",
        text=channel("side:N"),
    )
    right = node_layer(
        side_text | {"align": "left", "dx": 24, "limit": 110, "fontWeight": "bold"},
        "datum.x > 1.5",
        text=channel("side:N"),
    )
    inputs = names[0] if n == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
    signs_count = [f"{(ef['sign'] == sign).sum():,} {sign}" for sign in signs]
    described = f"Network {n}-{h}-1: " + (
        f"inputs {inputs} feed " if n > 1 else f"input {inputs} feeds "
    )
    described += f"{count(h, 'sigmoid hidden unit')}, which feed the linear output {target_name}"
    weights = f"{len(ef):,} weights and biases" if show_bias else count(len(ef), "weight")
    described += f"; {weights}: " + ", ".join(signs_count)
    if max_abs > 0:
        k = int(np.argmax(np.where(finite, np.abs(w), -1.0)))
        described += f"; largest in magnitude {edges[k]['name']} = {spoken(w[k], 4)}"
    return top_level(
        datasets,
        described + ".",
        layer=[lines, hover, circles, inner, left, right],
        title=chart_title(
            f"Network {n}-{h}-1",
            "edge width ∝ |weight|; blue positive, orange negative; hover an edge for its value",
        ),
        width=width,
        height=height,
        view=no_view_border(),
    )
