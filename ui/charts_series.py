"""Per-step series: the loss curves and the gradient norms."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ui.charts_common import (
    GREEN,
    MAX_ROWS,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    PURPLE,
    axis,
    chart_title,
    even_indices,
    full_tooltip,
    full_values,
    legend,
    message_chart,
    num_tooltip,
)

EMPTY_TEXT = "Press Step to start training"
DOTS_UP_TO = 60  # series with at most this many points also show their points


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
) -> alt.Chart | alt.LayerChart:
    """Lines of several series against step; NaN and ±inf points are left out."""
    steps = np.asarray(steps, dtype=float).ravel()
    if steps.size == 0:
        return message_chart(EMPTY_TEXT, title, width, height)
    cap = max(2, min(int(max_points), MAX_ROWS // max(1, len(series))))
    frames, thinned, notes, infinite = [], {}, [], 0
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
        frames.append(
            pd.DataFrame(
                {
                    "step": steps[idx],
                    "series": name,
                    "value": v[idx],
                    "full": full_values(v[idx]),
                    "dot": 1.0 if idx.size <= DOTS_UP_TO else 0.0,
                    "width": widths.get(name, 2.5),
                }
            )
        )
    if not frames:
        return message_chart("No finite values yet", title, width, height)
    frame = pd.concat(frames, ignore_index=True)
    if len(set(thinned.values())) == 1 and len(thinned) > 1:
        total = next(iter(thinned.values()))
        notes.append(f"showing {cap:,} of {total:,} points per series (evenly spaced)")
    else:
        notes += [f"{k}: {cap:,} of {n:,} points shown (evenly spaced)" for k, n in thinned.items()]
    if infinite:
        notes.append(f"{infinite:,} infinite values left out")

    if log_scale:
        positive = frame["value"].to_numpy()[frame["value"].to_numpy() > 0]
        floor = float(positive.min()) / 10 if positive.size else 1e-12
        clipped = int((frame["value"] <= 0).sum())
        frame["plot"] = frame["value"].clip(lower=floor)
        if clipped:
            notes.append(f"{clipped:,} values ≤ 0 drawn at {floor:.1e} (log scale)")
        y_scale = alt.Scale(type="log")
    else:
        frame["plot"] = frame["value"]
        y_scale = alt.Scale(zero=False)

    present = [name for name in series if (frame["series"] == name).any()]
    colour = alt.Color(
        "series:N",
        sort=present,
        scale=alt.Scale(domain=present, range=[colours[name] for name in present]),
        legend=legend(None, orient="top", direction="horizontal", symbolStrokeWidth=4),
    )
    hover = alt.selection_point(
        fields=["step"], nearest=True, on="pointerover", clear="pointerout", empty=False
    )
    base = alt.Chart(frame).encode(
        x=alt.X("step:Q", axis=axis("step", format="~d", tickMinStep=1)),
        y=alt.Y(
            "plot:Q",
            scale=y_scale,
            axis=axis(y_title),
        ),
        color=colour,
    )
    lines = base.mark_line(interpolate="linear").encode(
        strokeWidth=alt.StrokeWidth("width:Q", scale=None)
    )
    dots = (
        base.mark_point(filled=True, size=70)
        .encode(
            opacity=alt.condition(hover, alt.value(1.0), alt.Opacity("dot:Q", scale=None)),
            tooltip=[
                alt.Tooltip("step:Q", format="d", title="step"),
                alt.Tooltip("series:N", title="series"),
                num_tooltip("value", "value"),
                full_tooltip(),
            ],
        )
        .add_params(hover)
    )
    rule = (
        alt.Chart(frame)
        .mark_rule(color="#777777", strokeDash=[4, 3])
        .encode(x="step:Q")
        .transform_filter(hover)
    )
    subtitle = ["log scale"] if log_scale else []
    return alt.layer(lines, rule, dots).properties(
        title=chart_title(title, subtitle + notes), width=width, height=height
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
) -> alt.Chart | alt.LayerChart:
    """Mini-batch, train and test loss per step; NaN (not evaluated) points are left out."""
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
    )


def grad_norm_chart(
    steps: np.ndarray,
    norm_layer1: np.ndarray,
    norm_layer2: np.ndarray,
    log_scale: bool = True,
    max_points: int = 2000,
    width: int = 600,
    height: int = 280,
) -> alt.Chart | alt.LayerChart:
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
    )
