"""The initialisation lab: the same data and batch order under up to four schemes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from charts.common import AXIS_TITLE_SIZE, GUIDE_TEXT, LABEL_SIZE, TITLE_SIZE, count, spoken
from core.initlab import LAB_SCHEMES, MAX_CHOICES, LabRun, compare_inits
from views import state
from views.render import show_chart

MAX_LAB_STEPS = 20_000


def on_run_lab() -> None:
    app = state.get()
    current, page, lab = app.run, app.page, app.lab
    ex, s = current.experiment, current.settings
    try:
        runs = compare_inits(
            ex.X_train,
            ex.y_train,
            ex.X_test,
            ex.y_test,
            list(page.lab_choices),
            s.n_hidden,
            s.init_seed,
            ex.batch_size,
            app.config.lr,
            s.shuffle,
            s.shuffle_seed,
            int(page.lab_steps),
        )
    except ValueError as err:
        lab.error, lab.runs = str(err), None
        return
    # The page draws the runs' curves and diagnostics only: their trainers, each with a whole
    # history, are not kept in the session.
    lab.runs = tuple(run._replace(trainer=None) for run in runs)
    lab.error = ""
    lab.made_for = _identity(app)


def _identity(app: state.App) -> tuple:
    return (app.run.data_key, app.run.settings, app.config.lr)


def initlab_view(current: state.Run) -> None:
    app = state.get()
    lab = app.lab
    st.markdown(
        "Train one network per scheme on **the same data, batches and learning rate**, then "
        "compare. Zeros keeps every hidden unit identical (symmetry is never broken); large "
        "weights push the sigmoids to 0 or 1 where their slope A1(1 − A1) nearly vanishes."
    )
    cols = st.columns([3, 1, 1], vertical_alignment="bottom")
    with cols[0]:
        st.multiselect(
            "Schemes (up to 4)",
            list(LAB_SCHEMES),
            max_selections=MAX_CHOICES,
            **state.bind("lab_choices"),
        )
    with cols[1]:
        st.number_input("Steps", 1, MAX_LAB_STEPS, **state.bind("lab_steps"))
    cols[2].button(
        "Run comparison",
        key="btn_lab",
        on_click=on_run_lab,
        type="primary",
        disabled=not app.page.lab_choices,
    )
    if lab.error:
        st.error(lab.error)
    if not lab.runs:
        st.info("Choose schemes and press **Run comparison**.")
        return
    if lab.made_for != _identity(app):
        st.warning("The settings changed since this comparison ran; press Run comparison again.")
    show_chart(lab_chart(lab.runs))
    st.dataframe(diagnostics_frame(lab.runs), hide_index=True)
    st.caption(
        "Symmetry: the largest difference between any two hidden units' weights (0 = identical "
        "units). Saturated: share of A1 entries within 0.05 of 0 or 1. Slope: mean A1(1 − A1), "
        "the factor by which δ1 shrinks the error (at most 0.25)."
    )


def diagnostics_frame(runs: tuple[LabRun, ...]) -> pd.DataFrame:
    rows = []
    for r in runs:
        rows.append(
            {
                "scheme": r.name,
                "symmetry start → end": f"{r.start.symmetry:.3g} → {r.end.symmetry:.3g}",
                "identical units at end": "yes" if r.end.identical_units else "no",
                "saturated start → end": f"{r.start.saturation.share_near_0_or_1:.0%} → "
                f"{r.end.saturation.share_near_0_or_1:.0%}",
                "slope A1(1−A1) at start": r.start.saturation.mean_slope,
                "mean |δ1| at start": r.start.saturation.mean_abs_delta1,
                "final train loss": r.final_train_loss,
                "final test loss": r.final_test_loss,
                "stopped": r.divergence or "",
            }
        )
    return pd.DataFrame(rows)


def lab_chart(runs: tuple[LabRun, ...]) -> dict:
    frames = [
        pd.DataFrame({"step": r.eval_steps, "train loss": r.train_loss, "scheme": r.name})
        for r in runs
    ]
    data = pd.concat(frames, ignore_index=True)
    data = data[np.isfinite(data["train loss"]) & (data["train loss"] > 0)]
    axis = {
        "labelFontSize": LABEL_SIZE,
        "titleFontSize": AXIS_TITLE_SIZE,
        "labelColor": GUIDE_TEXT,
        "titleColor": GUIDE_TEXT,
    }
    ends = "; ".join(
        f"{r.name} ends at {spoken(float(r.train_loss[-1]))}"
        for r in runs
        if len(r.train_loss) and np.isfinite(r.train_loss[-1])
    )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": f"Train loss by initialisation over {count(len(runs), 'run')}: {ends}.",
        "title": {
            "text": "Train loss by initialisation",
            "fontSize": TITLE_SIZE,
            "anchor": "start",
            "subtitle": "same data, batches and learning rate; log scale",
            "subtitleFontSize": LABEL_SIZE,
        },
        "datasets": {"lab": data},
        "data": {"name": "lab"},
        "height": 320,
        "mark": {"type": "line", "strokeWidth": 3},
        "encoding": {
            "x": {"field": "step", "type": "quantitative", "axis": axis},
            "y": {
                "field": "train loss",
                "type": "quantitative",
                "scale": {"type": "log"},
                "axis": axis,
            },
            "color": {
                "field": "scheme",
                "type": "nominal",
                "legend": {
                    "labelFontSize": LABEL_SIZE,
                    "titleFontSize": AXIS_TITLE_SIZE,
                    "orient": "bottom",
                },
            },
            "tooltip": [
                {"field": "scheme"},
                {"field": "step", "type": "quantitative"},
                {"field": "train loss", "type": "quantitative", "format": ".4~g"},
            ],
        },
    }
