"""The loss landscape: the loss over a 2-D slice as a heatmap, the path training took projected on
it, and the shown step's update −η∇ as an arrow."""

from __future__ import annotations

import math

import numpy as np

from charts.common import (
    OUTLINE,
    Spec,
    add_data,
    axis,
    channel,
    chart_title,
    even_indices,
    full_values,
    legend,
    num_tooltip,
    spoken,
    top_level,
    value_range,
)
from core.landscape import Landscape

MAX_PATH_POINTS = 400
LOSS_SCHEME = "viridis"


def _edges(centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each grid cell's left and right edge, halfway to its neighbours, and a little beyond, so
    that neighbouring cells overlap instead of leaving hairline seams."""
    half = (centres[1] - centres[0]) / 2 if centres.size > 1 else 0.5
    return centres - half * 1.12, centres + half * 1.12


def landscape_chart(
    land: Landscape,
    step: int,
    offset: tuple[float, float] = (0.0, 0.0),
    width: int = 520,
    height: int = 440,
) -> Spec:
    """Heatmap of the loss (log colour when it spans more than a power of ten), the path from
    step 0 to the shown step as a line, its start, the shown step and its arrow −η∇.

    `offset` is added to both coordinates for display: with two chosen parameters the axes then
    show the parameters' own values."""
    ox, oy = offset
    a_lo, a_hi = _edges(land.alphas + ox)
    b_lo, b_hi = _edges(land.betas + oy)
    g = land.alphas.size
    loss = land.loss.ravel()  # row by row: b outer, a inner
    cells = {
        "xlo": np.tile(a_lo, g),
        "xhi": np.tile(a_hi, g),
        "ylo": np.repeat(b_lo, g),
        "yhi": np.repeat(b_hi, g),
        "x": np.tile(land.alphas + ox, g),
        "y": np.repeat(land.betas + oy, g),
        "loss": loss,
        "full": full_values(loss),
    }
    finite = loss[np.isfinite(loss) & (loss > 0)]
    log = finite.size > 0 and float(finite.max()) > 10 * float(finite.min())
    x_title, y_title = land.slice.labels
    x_domain = [float(land.alphas[0] + ox), float(land.alphas[-1] + ox)]
    y_domain = [float(land.betas[0] + oy), float(land.betas[-1] + oy)]
    x_scale = {"domain": x_domain, "nice": False, "zero": False}
    y_scale = {"domain": y_domain, "nice": False, "zero": False}
    colour = channel(
        "loss:Q",
        scale={"scheme": LOSS_SCHEME, "type": "log" if log else "linear"},
        legend=legend("train loss" + (" (log)" if log else ""), gradientLength=height - 80),
    )
    datasets: dict = {}
    heat = {
        "data": add_data(datasets, cells),
        "mark": {"type": "rect", "clip": True},
        "encoding": {
            "x": channel("xlo:Q", scale=x_scale, axis=axis(x_title, grid=False)),
            "x2": {"field": "xhi"},
            "y": channel("ylo:Q", scale=y_scale, axis=axis(y_title, grid=False)),
            "y2": {"field": "yhi"},
            "color": colour,
            "tooltip": [
                num_tooltip("x", x_title),
                num_tooltip("y", y_title),
                num_tooltip("loss", "train loss"),
                {"field": "full", "type": "nominal", "title": "full value"},
            ],
        },
    }
    keep = even_indices(len(land.path), MAX_PATH_POINTS)
    path = {
        "x": land.path[keep, 0] + ox,
        "y": land.path[keep, 1] + oy,
        "step": land.steps[keep].astype(float),
    }
    line = {
        "data": add_data(datasets, path),
        "encoding": {
            "x": channel("x:Q", scale=x_scale),
            "y": channel("y:Q", scale=y_scale),
            "order": channel("step:Q"),
            "tooltip": [num_tooltip("step", "after step")],
        },
    }
    # A white line on a dark one: visible on every colour of the heatmap.
    under = line | {"mark": {"type": "line", "stroke": OUTLINE, "strokeWidth": 5}}
    over = line | {"mark": {"type": "line", "stroke": "white", "strokeWidth": 2.5}}
    start = {
        "data": add_data(datasets, {"x": path["x"][:1], "y": path["y"][:1], "what": ["start"]}),
        "mark": {"type": "point", "shape": "square", "size": 160, "filled": True,
                 "fill": "white", "stroke": OUTLINE, "strokeWidth": 2},
        "encoding": {
            "x": channel("x:Q", scale=x_scale),
            "y": channel("y:Q", scale=y_scale),
            "tooltip": [{"field": "what", "type": "nominal", "title": "step 0"}],
        },
    }  # fmt: skip
    (x0, y0), (x1, y1) = land.step_from + offset, land.step_to + offset
    # Vega's triangle points up; its angle turns it clockwise, and screen y grows downwards.
    sx = (x_scale["domain"][1] - x_scale["domain"][0]) / width
    sy = (y_scale["domain"][1] - y_scale["domain"][0]) / height
    angle = math.degrees(math.atan2((x1 - x0) / sx, (y1 - y0) / sy)) % 360
    arrow_data = {"x": [x0], "y": [y0], "x2": [x1], "y2": [y1], "angle": [angle]}
    shaft = {
        "data": add_data(datasets, arrow_data),
        "mark": {"type": "rule", "stroke": "#D55E00", "strokeWidth": 4},
        "encoding": {
            "x": channel("x:Q", scale=x_scale),
            "y": channel("y:Q", scale=y_scale),
            "x2": {"field": "x2"},
            "y2": {"field": "y2"},
        },
    }
    head = {
        "data": add_data(datasets, arrow_data),
        "mark": {"type": "point", "shape": "triangle", "size": 260, "filled": True,
                 "fill": "#D55E00", "stroke": OUTLINE, "strokeWidth": 1, "opacity": 1},
        "encoding": {
            "x": channel("x2:Q", scale=x_scale),
            "y": channel("y2:Q", scale=y_scale),
            "angle": {"field": "angle", "type": "quantitative", "scale": None},
        },
    }  # fmt: skip
    here = {
        "data": add_data(datasets, {"x": [x0], "y": [y0]}),
        "mark": {"type": "point", "shape": "circle", "size": 220, "filled": True,
                 "fill": "#D55E00", "stroke": "white", "strokeWidth": 2.5, "opacity": 1},
        "encoding": {"x": channel("x:Q", scale=x_scale), "y": channel("y:Q", scale=y_scale)},
    }  # fmt: skip
    notes = [
        f"colour: the train loss at each point of a {g}×{g} grid",
        f"white line: the path from step 0 (square) to step {step:,}; "
        "orange arrow: this step's update −η∇",
    ]
    if land.residual > 0.05:
        notes.append(f"the path lies {land.residual:.0%} off this slice (it is a projection)")
    description = (
        f"Loss landscape around step {step:,}: over {x_title} and {y_title} on a {g}×{g} grid, "
        f"the train loss ranges {value_range(loss) or 'nowhere finite'}; the path of "
        f"{int(land.steps[-1]):,} steps runs from ({spoken(path['x'][0])}, {spoken(path['y'][0])}) "
        f"to ({spoken(x0)}, {spoken(y0)}); this step's update moves to ({spoken(x1)}, "
        f"{spoken(y1)})."
    )
    return top_level(
        datasets,
        description,
        layer=[heat, under, over, start, shaft, here, head],
        title=chart_title("Loss landscape around the shown step", notes),
        width=width,
        height=height,
    )
