"""One sample's graph and how the batch's rows add up to the gradients (specs only, no Streamlit).

`sample_graph_chart`: batch row i as a graph of numbers, left to right x → z1 → a1 → ŷ → ℓᵢ, each
node with its value and ∂ℓᵢ/∂(node); each weight's edge as wide as row i's contribution to the
weight's gradient. `batch_sum_chart`: for every entry of ∇W1 and ∇W2, the m rows' contributions
stacked into a bar (row i's outlined) with a tick at their sum, the gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from charts.common import (
    LABEL_SIZE,
    NEGATIVE,
    NEUTRAL,
    OUTLINE,
    POSITIVE,
    Spec,
    add_data,
    axis,
    channel,
    chart_title,
    count,
    fmt_sig,
    full_values,
    legend,
    no_view_border,
    spoken,
    top_level,
)
from charts.matrix import edge_width
from core.sample_graph import SampleGraph

# Columns of the graph, left to right.
COLUMNS = {"input": 0.0, "z1": 1.0, "a1": 2.0, "z2": 3.0, "loss": 4.0}
BOX_WIDTH, BOX_HEIGHT = 0.86, 0.74  # in columns and rows of the layout
BIAS_WIDTH, BIAS_HEIGHT = 0.22, 0.42
ROW_PX = 90  # the plot's height per row of boxes: two lines of presenter-sized text fit a box
FILLS = {
    "input": "#E8E8E8",
    "z1": "#D6E6F4",
    "a1": "#D6E6F4",
    "z2": "#F6E3D4",
    "loss": "#EFE1EA",
    "bias": "#FFFFFF",
}
# The node labels shrink on a narrow screen so that two lines fit a box (the plot's width over
# this is the font size, at most LABEL_SIZE); the table beside the chart has every number.
WIDTH_PER_FONT_PX = 58
MIN_FONT = 8
# More rows than this and the other rows of the batch are drawn as two segments (their positive
# and their negative contributions); fewer, and each row is a segment of its own.
MAX_SEGMENT_ROWS = 64
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SIGNS = ("positive", "negative", "zero")


def sub(k: int) -> str:
    """A 1-based index as subscript digits: sub(12) == "₁₂"."""
    return str(k).translate(SUBSCRIPTS)


def _input_names(names: Sequence[str], n: int) -> list[str]:
    """The inputs' own names for the tooltips ("x1" where there is none)."""
    out = [str(s) for s in names][:n]
    return out + [f"x{k + 1}" for k in range(len(out), n)]


def _sign(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return np.select([v > 0, v < 0], ["positive", "negative"], "zero")


def _sign_colour(title: str, present: Sequence[str]) -> Spec:
    return channel(
        "sign:N",
        scale={"domain": list(SIGNS), "range": [POSITIVE, NEGATIVE, NEUTRAL]},
        legend=legend(
            title, orient="bottom", symbolStrokeWidth=4, values=list(present), titleLimit=400
        ),
    )


def _rows_of(k: int) -> np.ndarray:
    """Vertical places of k boxes, centred on 0, top to bottom, one row apart."""
    return np.arange(k)[::-1] - (k - 1) / 2


def _label_font() -> Spec:
    return {"expr": f"min({LABEL_SIZE}, max({MIN_FONT}, width / {WIDTH_PER_FONT_PX}))"}


# ---- the graph --------------------------------------------------------------------------------


def sample_graph_chart(
    g: SampleGraph, input_names: Sequence[str] = (), width: int = 900, height: int | None = None
) -> Spec:
    """Batch row g.i as a graph: boxes with each number and ∂ℓ/∂(number), edges for the weights.

    Edge width ∝ |row i's contribution to the weight's gradient| (∂ℓᵢ/∂w); blue where it is
    positive, orange where negative. The grey links are the sigmoid (z → a) and the loss (ŷ → ℓ),
    which have no weight. A "1" box feeds each layer's biases.
    """
    n, h = g.n, g.h
    names = _input_names(input_names, n)
    slots = max(n + 1, h + 1)
    if height is None:
        height = ROW_PX * max(slots, 3)
    y_in, y_hid = _rows_of(n + 1), _rows_of(h + 1)
    place = {f"x{k + 1}": (COLUMNS["input"], y_in[k]) for k in range(n)}
    place |= {f"z1_{j + 1}": (COLUMNS["z1"], y_hid[j]) for j in range(h)}
    place |= {f"a1_{j + 1}": (COLUMNS["a1"], y_hid[j]) for j in range(h)}
    place |= {"z2": (COLUMNS["z2"], 0.0), "loss": (COLUMNS["loss"], 0.0)}
    bias_place = {"W1": (COLUMNS["input"], y_in[n]), "W2": (COLUMNS["a1"], y_hid[h])}

    r = g.i + 1
    boxes: list[dict[str, Any]] = []

    def box(
        node: str, kind: str, lines: tuple[str, str], tip: str, value: float, grad: float
    ) -> None:
        x, y = place[node]
        boxes.append(
            {"x": x, "y": y, "xlo": x - BOX_WIDTH / 2, "xhi": x + BOX_WIDTH / 2,
             "ylo": y - BOX_HEIGHT / 2, "yhi": y + BOX_HEIGHT / 2, "kind": kind,
             "line1": lines[0], "line2": lines[1], "mid": "", "node": tip,
             "value": repr(float(value)), "grad": repr(float(grad))}
        )  # fmt: skip

    for node in g.nodes:
        v, d = spoken(node.value), spoken(node.grad)
        k = node.index + 1
        if node.layer == "input":
            text = (f"x{k} = {v}", f"∂ℓ/∂x{k} = {d}")
            tip = f"input x{k} ({names[node.index]})" if names[node.index] != f"x{k}" else f"x{k}"
        elif node.layer == "z1":
            text = (f"z1{sub(k)} = {v}", f"∂ℓ/∂z = {d}")
            tip = f"z1{sub(k)}: hidden unit {k}'s weighted input; ∂ℓ/∂z = δ1[{r},{k}]"
        elif node.layer == "a1":
            text = (f"a1{sub(k)} = {v}", f"∂ℓ/∂a = {d}")
            tip = f"a1{sub(k)} = σ(z1{sub(k)}): hidden unit {k}'s output; ∂ℓ/∂a = δ2[{r}]·W2[{k}]"
        elif node.layer == "z2":
            text = (f"ŷ = z2 = {v}", f"∂ℓ/∂ŷ = {d}")
            tip = f"ŷ = z2 = a2, the prediction (linear output); ∂ℓ/∂ŷ = δ2[{r}] = (ŷ − y)/m"
        else:
            text = (f"ℓ{sub(r)} = {v}", "∂ℓ/∂ℓ = 1")
            tip = f"ℓ{sub(r)} = (ŷ − y)²/(2m), row {r}'s share of the batch loss"
        box(node.name, node.layer, text, tip, node.value, node.grad)
    for param, (x, y) in bias_place.items():
        boxes.append(
            {"x": x, "y": y, "xlo": x - BIAS_WIDTH / 2, "xhi": x + BIAS_WIDTH / 2,
             "ylo": y - BIAS_HEIGHT / 2, "yhi": y + BIAS_HEIGHT / 2, "kind": "bias",
             "line1": "", "line2": "", "mid": "1",
             "node": f"the constant 1 that feeds the {'b1' if param == 'W1' else 'b2'} bias",
             "value": "1.0", "grad": ""}
        )  # fmt: skip

    edges: list[dict[str, Any]] = []
    for e in g.edges:
        if e.source == "1":
            (x, y), (x2, y2) = bias_place["W1" if e.param == "b1" else "W2"], place[e.target]
        else:
            (x, y), (x2, y2) = place[e.source], place[e.target]
        edges.append(
            {"x": x, "y": y, "x2": x2, "y2": y2, "name": e.name, "contribution": e.contribution,
             "weight": e.weight, "formula": _edge_formula(e.param, e.index, r)}
        )  # fmt: skip
    ef = pd.DataFrame(edges)
    c = ef["contribution"].to_numpy()
    finite = np.isfinite(c)
    max_abs = float(np.max(np.abs(c[finite]))) if finite.any() else 0.0
    ef["width"] = edge_width(np.where(finite, np.abs(c), max_abs), max_abs)
    ef["sign"] = _sign(c)
    ef["shown"] = [
        f"{nm} = {fmt_sig(w, 4)}; {f} = {fmt_sig(v, 4)}"
        for nm, w, f, v in zip(ef["name"], ef["weight"], ef["formula"], c, strict=True)
    ]
    ef["weight_full"] = full_values(ef["weight"].to_numpy())
    ef["contribution_full"] = full_values(c)
    ef = ef.drop(columns=["weight", "contribution"])
    ef = ef.sort_values("width", kind="stable").reset_index(drop=True)  # thick edges on top

    links = [
        {"x": COLUMNS["z1"], "y": y_hid[j], "x2": COLUMNS["a1"], "y2": y_hid[j], "mid": 1.5,
         "tip": f"a1{sub(j + 1)} = σ(z1{sub(j + 1)}); slope σ′ = a(1 − a) = "
                f"{fmt_sig(g.a1[j] * (1 - g.a1[j]), 4)}"}
        for j in range(h)
    ]  # fmt: skip
    links.append(
        {"x": COLUMNS["z2"], "y": 0.0, "x2": COLUMNS["loss"], "y2": 0.0, "mid": 3.5,
         "tip": f"ℓ = (ŷ − y)²/(2m) with target y = {fmt_sig(g.y, 4)} and m = {g.m}"}
    )  # fmt: skip

    x_scale = {"domain": [-0.5, 4.5], "nice": False, "zero": False}
    half = slots / 2
    y_scale = {"domain": [-half, half], "nice": False, "zero": False}

    def position(x: str = "x", y: str = "y") -> Spec:
        return {
            "x": channel(f"{x}:Q", scale=x_scale, axis=None),
            "y": channel(f"{y}:Q", scale=y_scale, axis=None),
        }

    datasets: dict[str, pd.DataFrame] = {}
    edge_data = add_data(datasets, ef)
    edge_tip = [
        channel("shown:N", title="weight; this row's gradient part"),
        channel("weight_full:N", title="weight (full)"),
        channel("contribution_full:N", title="this row's part of its gradient (full)"),
    ]
    present = [s for s in SIGNS if (ef["sign"] == s).any()]
    lines = {
        "data": edge_data,
        "mark": {"type": "rule", "opacity": 0.85, "strokeCap": "round"},
        "encoding": position()
        | {
            "x2": {"field": "x2"},
            "y2": {"field": "y2"},
            "color": _sign_colour("this row's gradient part", present),
            "strokeWidth": channel("width:Q", scale=None),
            "tooltip": edge_tip,
        },
    }
    hover = {  # invisible wide strokes make thin edges easy to hover
        "data": edge_data,
        "mark": {"type": "rule", "strokeWidth": 10, "opacity": 0.01, "color": "white"},
        "encoding": position()
        | {"x2": {"field": "x2"}, "y2": {"field": "y2"}, "tooltip": edge_tip},
    }
    link_data = add_data(datasets, pd.DataFrame(links))
    link_lines = {
        "data": link_data,
        "mark": {"type": "rule", "color": NEUTRAL, "strokeWidth": 2, "strokeDash": [5, 3]},
        "encoding": position()
        | {"x2": {"field": "x2"}, "y2": {"field": "y2"}, "tooltip": channel("tip:N", title="link")},
    }
    sigma = {
        "data": link_data,
        "transform": [{"filter": "datum.mid < 2"}],
        "mark": {
            "type": "text",
            "text": "σ",
            "dy": -10,
            "fontSize": _label_font(),
            "color": "#333333",
        },
        "encoding": position("mid") | {"tooltip": channel("tip:N", title="link")},
    }
    box_data = add_data(datasets, pd.DataFrame(boxes))
    node_tip = [
        channel("node:N", title="node"),
        channel("value:N", title="value (full)"),
        channel("grad:N", title="∂ℓ/∂(node) (full)"),
    ]
    rects = {
        "data": box_data,
        "mark": {"type": "rect", "cornerRadius": 6, "stroke": OUTLINE, "strokeWidth": 1.5},
        "encoding": {
            "x": channel("xlo:Q", scale=x_scale, axis=None),
            "x2": {"field": "xhi"},
            "y": channel("ylo:Q", scale=y_scale, axis=None),
            "y2": {"field": "yhi"},
            "fill": channel(
                "kind:N", scale={"domain": list(FILLS), "range": list(FILLS.values())}, legend=None
            ),
            "tooltip": node_tip,
        },
    }

    def label(line: str, baseline: str, dy: int) -> Spec:
        """One line of every box: the value above the middle, the gradient below it (and the
        bias boxes' "1" in the middle)."""
        return {
            "data": box_data,
            "mark": {
                "type": "text",
                "fontSize": _label_font(),
                "color": "#111111",
                "align": "center",
                "baseline": baseline,
                "dy": dy,
            },
            "encoding": position() | {"text": channel(f"{line}:N"), "tooltip": node_tip},
        }

    target = {
        "data": add_data(datasets, {"x": [COLUMNS["loss"]], "y": [-BOX_HEIGHT / 2]}),
        "mark": {
            "type": "text",
            "text": f"target y = {spoken(g.y)}",
            "baseline": "top",
            "dy": 6,
            "fontSize": _label_font(),
            "color": "#333333",
        },
        "encoding": position(),
    }
    return top_level(
        datasets,
        _graph_description(g, names, ef),
        layer=[
            lines,
            hover,
            link_lines,
            rects,
            sigma,
            label("line1", "bottom", -1),
            label("line2", "top", 2),
            label("mid", "middle", 0),
            target,
        ],
        title=chart_title(
            f"Batch row {r} (training row #{g.row + 1}) as a graph of numbers",
            [
                "each box: its value, then how much this row's loss ℓ changes per unit of it",
                "edge width ∝ |this row's part of the weight's gradient|; blue positive, "
                "orange negative; hover for full values",
            ],
        ),
        width=width,
        height=height,
        # The height is the plot's: the title and legend come on top of it (and grow with
        # presenter mode's text, which must still fit the boxes).
        autosize={"type": "fit-x", "contains": "padding"},
        view=no_view_border(),
    )


def _edge_formula(param: str, index: tuple[int, int], r: int) -> str:
    """Row r's part of the weight's gradient, in words of the seed: x1·δ1[3,2]."""
    k, j = index
    if param == "W1":
        return f"x{k + 1}·δ1[{r},{j + 1}]"
    if param == "b1":
        return f"δ1[{r},{j + 1}]"
    if param == "W2":
        return f"a1{sub(k + 1)}·δ2[{r}]"
    return f"δ2[{r}]"


def _listed(values: np.ndarray) -> str:
    return ", ".join(spoken(v) for v in np.asarray(values).ravel())


def _graph_description(g: SampleGraph, names: list[str], ef: pd.DataFrame) -> str:
    r = g.i + 1
    inputs = ", ".join(
        f"x{k + 1}{'' if nm == f'x{k + 1}' else f' ({nm})'} = {spoken(v)}"
        for k, (nm, v) in enumerate(zip(names, g.x, strict=True))
    )
    text = (
        f"Batch row {r} of {g.m} (training row #{g.row + 1}) as a graph of numbers, left to "
        f"right. Inputs {inputs} feed {count(g.h, 'sigmoid hidden unit')} with weighted inputs "
        f"z1 = ({_listed(g.z1)}) and outputs a1 = ({_listed(g.a1)}); the prediction ŷ = z2 = "
        f"{spoken(g.a2)} against the target y = {spoken(g.y)} gives the row's loss share "
        f"ℓ{sub(r)} = (ŷ − y)²/(2m) = {spoken(g.loss)} of the batch loss L = "
        f"{spoken(g.batch_loss)}. Gradients of ℓ{sub(r)}: ∂ℓ/∂ŷ = δ2[{r}] = {spoken(g.dz2)}; "
        f"∂ℓ/∂a1 = ({_listed(g.da1)}); ∂ℓ/∂z1 = δ1[{r}] = ({_listed(g.dz1)}); ∂ℓ/∂x = "
        f"({_listed(g.dx)}). Edge width shows the size of this row's part of each weight's "
        "gradient, blue positive and orange negative"
    )
    c = np.array([e.contribution for e in g.edges])
    if np.isfinite(c).any() and np.nanmax(np.abs(c)) > 0:
        k = int(np.nanargmax(np.abs(c)))
        e = g.edges[k]
        text += f"; the largest is {e.name}'s, {_edge_formula(e.param, e.index, r)} = "
        text += spoken(e.contribution)
    return text + "."


# ---- the batch's sum --------------------------------------------------------------------------


def batch_sum_chart(g: SampleGraph, width: int = 900) -> Spec:
    """For every entry of ∇W1 and ∇W2, the batch rows' contributions stacked into a bar (positive
    ones to the right of 0, negative ones to the left), row g.i's outlined in black, and a black
    tick at their sum: the gradient. With more than MAX_SEGMENT_ROWS rows, the other rows are
    drawn as two segments, their positive and their negative contributions."""
    r, m = g.i + 1, g.m
    entries: list[tuple[str, np.ndarray, float]] = []  # (label, every row's part, gradient)
    for name, s in (("W1", g.sums.dW1), ("W2", g.sums.dW2)):
        for index in np.ndindex(s.total.shape):
            k, j = index
            label = f"∇W1[{k + 1},{j + 1}]" if name == "W1" else f"∇W2[{k + 1}]"
            entries.append((label, s.rows[(slice(None), *index)], float(s.total[index])))

    grouped = m > MAX_SEGMENT_ROWS
    segments: list[dict[str, Any]] = []
    ticks: list[dict[str, Any]] = []
    for order, (label, parts, total) in enumerate(entries):
        if grouped:
            others = np.delete(parts, g.i)
            pieces = [
                (f"row {r} (this row)", parts[g.i], True),
                (f"the other rows' positive parts ({(others > 0).sum():,})",
                 float(others[others > 0].sum()), False),
                (f"the other rows' negative parts ({(others < 0).sum():,})",
                 float(others[others < 0].sum()), False),
            ]  # fmt: skip
        else:
            pieces = [(f"row {i + 1}", parts[i], i == g.i) for i in range(m)]
        up = down = 0.0
        for who, value, this in pieces:
            value = float(value)
            if value >= 0:
                lo, hi = up, up + value
                up = hi
            else:
                lo, hi = down + value, down
                down = lo
            segments.append(
                {"entry": label, "order": order, "who": who, "this": bool(this), "lo": lo,
                 "hi": hi, "value": value, "shown": f"{who}: {fmt_sig(value, 4)}"}
            )  # fmt: skip
        ticks.append(
            {"entry": label, "order": order, "total": total,
             "text": f"Σ = {spoken(total)}",
             "end": max(up, total, 0.0), "shown": f"{label} = {fmt_sig(total, 4)}"}
        )  # fmt: skip

    sf = pd.DataFrame(segments)
    sf["sign"] = _sign(sf["value"].to_numpy())
    sf["full"] = full_values(sf["value"].to_numpy())
    sf = sf.drop(columns="value")
    tf = pd.DataFrame(ticks)
    tf["full"] = full_values(tf["total"].to_numpy())
    lo = min(float(sf["lo"].min()), float(tf["total"].min()), 0.0)
    hi = max(float(sf["hi"].max()), float(tf["total"].max()), 0.0)
    span = (hi - lo) or 1.0
    # Room on the right for the "Σ = ..." labels.
    x_scale = {"domain": [lo - 0.02 * span, hi + 0.45 * span], "nice": False, "zero": False}
    order = [label for label, _, _ in entries]

    def y() -> Spec:  # a new dict for every layer: enlarge_text scales every dict it meets
        return channel("entry:N", sort=order, axis=axis(None, ticks=False, labelLimit=160))

    def x() -> Spec:
        title = "each row's part (stacked) and Σ, the gradient"
        return channel("lo:Q", scale=x_scale, axis=axis(title))

    datasets: dict[str, pd.DataFrame] = {}
    seg_data = add_data(datasets, sf)
    seg_tip = [
        channel("entry:N", title="gradient entry"),
        channel("shown:N", title="contribution"),
        channel("full:N", title="full value"),
    ]
    present = [s for s in SIGNS if (sf["sign"] == s).any()]
    bars = {
        "data": seg_data,
        "mark": {"type": "bar", "stroke": "white", "strokeWidth": 0.5},
        "encoding": {
            "y": y(),
            "x": x(),
            "x2": {"field": "hi"},
            "color": _sign_colour("a row's part", present),
            "tooltip": seg_tip,
        },
    }
    this_row = {
        "data": seg_data,
        "transform": [{"filter": "datum.this"}],
        "mark": {"type": "bar", "fillOpacity": 0, "stroke": OUTLINE, "strokeWidth": 3},
        "encoding": {"y": y(), "x": x(), "x2": {"field": "hi"}, "tooltip": seg_tip},
    }
    zero = {
        "data": add_data(datasets, {"zero": [0.0]}),
        "mark": {"type": "rule", "color": "#666666", "strokeWidth": 1},
        "encoding": {"x": channel("zero:Q", scale=x_scale)},
    }
    tick_data = add_data(datasets, tf)
    tick_tip = [channel("shown:N", title="the gradient (Σ)"), channel("full:N", title="full value")]
    tick = {
        "data": tick_data,
        "mark": {"type": "tick", "color": OUTLINE, "thickness": 3, "bandSize": 26},
        "encoding": {"y": y(), "x": channel("total:Q", scale=x_scale), "tooltip": tick_tip},
    }
    sums = {
        "data": tick_data,
        "mark": {
            "type": "text",
            "align": "left",
            "dx": 8,
            "fontSize": LABEL_SIZE,
            "color": "#111111",
        },
        "encoding": {
            "y": y(),
            "x": channel("end:Q", scale=x_scale),
            "text": channel("text:N"),
            "tooltip": tick_tip,
        },
    }
    how = f"the other {m - 1:,} rows grouped by sign" if grouped else f"one segment per row ({m:,})"
    return top_level(
        datasets,
        _sum_description(g, entries, grouped),
        layer=[bars, this_row, zero, tick, sums],
        title=chart_title(
            "How the batch's rows add up to ∇W1 and ∇W2",
            [
                f"{how}; row {r}'s part outlined in black",
                "the black tick and Σ: their sum, the gradient the update uses",
            ],
        ),
        width=width,
        height={"step": 34 if len(entries) <= 12 else 26},
    )


def _sum_description(
    g: SampleGraph, entries: list[tuple[str, np.ndarray, float]], grouped: bool
) -> str:
    r = g.i + 1
    how = (
        f"row {r}'s part, then the other rows' positive and negative parts grouped"
        if grouped
        else "one segment per row"
    )
    listed = "; ".join(
        f"{label} = {spoken(total)}, row {r} gives {spoken(parts[g.i])}"
        for label, parts, total in entries
    )
    return (
        f"How the {count(g.m, 'row')} of the batch add up to ∇W1 and ∇W2: for each of the "
        f"{len(entries)} entries a bar of the rows' parts ({how}; blue positive, orange "
        f"negative), row {r}'s outlined in black, and a black tick at their sum, the gradient. "
        f"{listed}."
    )
