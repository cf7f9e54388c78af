"""Per-step series: the loss curves and the gradient norms."""

from __future__ import annotations

import numpy as np
import pandas as pd

from charts.common import (
    GREEN,
    MAX_ROWS,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    PURPLE,
    Spec,
    add_data,
    axis,
    channel,
    chart_title,
    count,
    even_indices,
    full_tooltip,
    full_values,
    legend,
    message_chart,
    num_tooltip,
    spoken,
    top_level,
)

EMPTY_TEXT = "Press Step to start training"
DOTS_UP_TO = 60  # series with at most this many points also show their points


def _step(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else spoken(value, 6)


def _trend(name: str, steps: np.ndarray, values: np.ndarray) -> str:
    """ "batch loss fell from 0.78 to 0.12", "train loss 0.54 at step 10", "no finite test loss
    values"."""
    keep = np.flatnonzero(np.isfinite(values))
    if keep.size == 0:
        return f"no finite {name} values"
    first, last = values[keep[0]], values[keep[-1]]
    if keep.size == 1:
        at = f" at step {_step(steps[keep[0]])}" if steps.size > 1 else ""
        return f"{name} {spoken(first)}{at}"
    a, b = spoken(first), spoken(last)
    verb = "stayed at" if a == b else ("fell from" if last < first else "rose from")
    return f"{name} {verb} {a}" + ("" if a == b else f" to {b}")


def _describe_series(
    title: str,
    steps: np.ndarray,
    series: dict[str, np.ndarray],
    spoken_names: dict[str, str],
    log_scale: bool,
    infinite: int,
    marked_step: int | None,
) -> str:
    lo, hi = _step(steps.min()), _step(steps.max())
    span = f"step {lo} only" if steps.size == 1 else f"{count(steps.size, 'step')}, {lo} to {hi}"
    trends = [
        _trend(spoken_names.get(name, name), steps, np.asarray(v, dtype=float).ravel())
        for name, v in series.items()
    ]
    extra = [f"{count(infinite, 'infinite value')} left out"] if infinite else []
    if marked_step is not None:
        extra.append(f"step {marked_step:,} marked")
    scale = ", log scale" if log_scale else ""
    return f"{title} ({span}{scale}): " + "; ".join(trends + extra) + "."


def _series_chart(
    steps: np.ndarray,
    series: dict[str, np.ndarray],
    colours: dict[str, str],
    widths: dict[str, float],
    title: str,
    y_title: str,
    log_scale: bool,
    max_points: int,
    width: int,
    height: int,
    dashes: dict[str, list[int]] | None = None,
    marked_step: int | None = None,
    spoken_names: dict[str, str] | None = None,
) -> Spec:
    """Lines of several series against step; NaN and ±inf points are left out. `dashes` gives a
    series a dash pattern (so lines that overlap stay apart); `marked_step` draws a labelled
    rule at that step; `spoken_names` name series in the text alternative."""
    steps = np.asarray(steps, dtype=float).ravel()
    if steps.size == 0:
        return message_chart(EMPTY_TEXT, title, width, height)
    cap = max(2, min(int(max_points), MAX_ROWS // max(1, len(series))))
    parts: list[tuple[str, np.ndarray, np.ndarray]] = []  # (name, step, value) per series
    thinned, notes, infinite = {}, [], 0
    for name, values in series.items():
        v = np.asarray(values, dtype=float).ravel()
        if v.shape != steps.shape:
            raise ValueError(f"{name}: {v.size} values for {steps.size} steps.")
        infinite += int(np.isinf(v).sum())
        idx = np.flatnonzero(np.isfinite(v))
        if idx.size == 0:
            continue
        if idx.size > cap:
            thinned[name] = idx.size
            idx = idx[even_indices(idx.size, cap)]
        parts.append((name, steps[idx], v[idx]))
    if not parts:
        return message_chart("No finite values yet", title, width, height)
    if len(set(thinned.values())) == 1 and len(thinned) > 1:
        total = next(iter(thinned.values()))
        notes.append(f"showing {cap:,} of {total:,} points per series (evenly spaced)")
    else:
        notes += [f"{k}: {cap:,} of {n:,} points shown (evenly spaced)" for k, n in thinned.items()]
    if infinite:
        notes.append(f"{infinite:,} infinite values left out")

    sizes = [v.size for _, _, v in parts]
    value = np.concatenate([v for _, _, v in parts])
    if log_scale:
        positive = value[value > 0]
        floor = float(positive.min()) / 10 if positive.size else 1e-12
        clipped = int((value <= 0).sum())
        plot = np.maximum(value, floor)
        if clipped:
            notes.append(f"{clipped:,} values ≤ 0 drawn at {floor:.1e} (log scale)")
        y_scale: Spec = {"type": "log"}
    else:
        plot = value
        y_scale = {"zero": False}

    present = [name for name, _, _ in parts]
    datasets: dict[str, pd.DataFrame] = {}
    data = add_data(
        datasets,
        {
            "step": np.concatenate([s for _, s, _ in parts]),
            "series": np.repeat(present, sizes),
            "value": value,
            "full": full_values(value),
            "dot": np.repeat([1.0 if k <= DOTS_UP_TO else 0.0 for k in sizes], sizes),
            "width": np.repeat([float(widths.get(name, 2.5)) for name in present], sizes),
            "plot": plot,
        },
    )

    def position() -> Spec:
        return {
            "x": channel("step:Q", axis=axis("step", format="~d", tickMinStep=1)),
            "y": channel("plot:Q", scale=y_scale, axis=axis(y_title)),
            "color": channel(
                "series:N",
                sort=present,
                scale={"domain": present, "range": [colours[name] for name in present]},
                legend=legend(None, orient="top", direction="horizontal", symbolStrokeWidth=4),
            ),
        }

    hover = {"param": "hover", "empty": False}
    lines = {
        "mark": {"type": "line", "interpolate": "linear"},
        "encoding": position()
        | {
            "strokeWidth": channel("width:Q", scale=None),
            "strokeDash": channel(
                "series:N",
                sort=present,
                scale={
                    "domain": present,
                    "range": [(dashes or {}).get(name, [1, 0]) for name in present],
                },
                legend=None,
            ),
        },
    }
    rule = {
        # Decorative and empty until hovered: hidden from screen readers (an empty mark would be
        # an unlabelled graphic to them).
        "mark": {"type": "rule", "color": "#777777", "strokeDash": [4, 3], "aria": False},
        "encoding": {"x": channel("step:Q")},
        "transform": [{"filter": hover}],
    }
    dots = {
        "params": [
            {
                "name": "hover",
                "select": {
                    "type": "point",
                    "fields": ["step"],
                    "nearest": True,
                    "on": "pointerover",
                    "clear": "pointerout",
                },
            }
        ],
        "mark": {"type": "point", "filled": True, "size": 70},
        "encoding": position()
        | {
            "opacity": channel("dot:Q", scale=None, condition=hover | {"value": 1.0}),
            "tooltip": [
                channel("step:Q", format="d", title="step"),
                channel("series:N", title="series"),
                num_tooltip("value", "value"),
                full_tooltip(),
            ],
        },
    }
    subtitle = ["log scale"] if log_scale else []
    layers = [lines, rule, dots]
    if marked_step is not None:
        marker = add_data(
            datasets, {"step": [float(marked_step)], "label": [f"step {marked_step:,}"]}
        )
        layers.append(
            {
                "data": marker,
                "mark": {"type": "rule", "color": "#111111", "strokeWidth": 2},
                "encoding": {"x": channel("step:Q")},
            }
        )
        layers.append(
            {
                "data": marker,
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 4,
                    "dy": -4,
                    "baseline": "top",
                    "fontSize": 14,
                    "fontWeight": "bold",
                    "color": "#111111",
                },
                "encoding": {
                    "x": channel("step:Q"),
                    "y": {"value": 0},
                    "text": channel("label:N"),
                },
            }
        )
    description = _describe_series(
        title, steps, series, spoken_names or {}, log_scale, infinite, marked_step
    )
    return top_level(
        datasets,
        description,
        data=data,
        layer=layers,
        title=chart_title(title, subtitle + notes),
        width=width,
        height=height,
    )


def loss_chart(
    steps: np.ndarray,
    batch_loss: np.ndarray,
    train_loss: np.ndarray,
    test_loss: np.ndarray,
    log_scale: bool = False,
    max_points: int = 2000,
    width: int = 600,
    height: int = 300,
    marked_step: int | None = None,
) -> Spec:
    """Mini-batch, train and test loss per step; NaN (not evaluated) points are left out. Test
    loss is dashed so that it stays visible where it runs on top of the train loss."""
    return _series_chart(
        steps,
        {"batch loss": batch_loss, "train loss": train_loss, "test loss": test_loss},
        {"batch loss": NEUTRAL, "train loss": POSITIVE, "test loss": NEGATIVE},
        {"batch loss": 1.5},
        "Loss per step",
        "loss",
        log_scale,
        max_points,
        width,
        height,
        dashes={"test loss": [8, 5]},
        marked_step=marked_step,
    )


def spans_decades(*series: np.ndarray, decades: float = 2.0) -> bool:
    """Whether the positive finite values span more than `decades` powers of ten: a linear axis
    would then flatten all but the largest of them."""
    values = np.concatenate([np.asarray(v, dtype=float).ravel() for v in series])
    values = values[np.isfinite(values) & (values > 0)]
    return values.size > 1 and float(np.log10(values.max() / values.min())) > decades


def grad_norm_chart(
    steps: np.ndarray,
    norm_layer1: np.ndarray,
    norm_layer2: np.ndarray,
    log_scale: bool = True,
    max_points: int = 2000,
    width: int = 600,
    height: int = 280,
) -> Spec:
    """The gradient's length per layer and step."""
    return _series_chart(
        steps,
        {"‖∇W1, ∇b1‖": norm_layer1, "‖∇W2, ∇b2‖": norm_layer2},
        {"‖∇W1, ∇b1‖": GREEN, "‖∇W2, ∇b2‖": PURPLE},
        {"‖∇W1, ∇b1‖": 1.5, "‖∇W2, ∇b2‖": 1.5},
        "Gradient norm per step",
        "gradient norm",
        log_scale,
        max_points,
        width,
        height,
        spoken_names={
            "‖∇W1, ∇b1‖": "layer 1 gradient norm (W1, b1)",
            "‖∇W2, ∇b2‖": "layer 2 gradient norm (W2, b2)",
        },
    )
