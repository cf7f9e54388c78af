"""Charts of the whole run: loss curves, what the model predicts, the network and its units."""

from __future__ import annotations

import numpy as np
import streamlit as st

import charts
from core.experiment import Experiment
from core.network import Params, forward
from core.trainer import Trainer
from views import state
from views.render import show_chart


def loss_panel(trainer: Trainer, shown_step: int) -> None:
    columns = trainer.history.columns()  # one pass over the history, not one per column
    steps = np.arange(1, len(trainer.history) + 1)
    series = (columns["batch_loss"], columns["train_loss"], columns["test_loss"])
    choice = state.get().page.loss_scale
    log = choice == "log" or (choice == "auto" and charts.spans_decades(*series))
    marked = shown_step if 0 < shown_step < trainer.step_count else None
    show_chart(charts.loss_chart(steps, *series, log_scale=log, marked_step=marked))
    st.segmented_control(
        "Loss axis",
        LOSS_SCALES,
        format_func=LOSS_SCALES.get,
        required=True,
        help="Auto uses a log axis once the losses span more than two powers of ten.",
        **state.bind("loss_scale"),
    )
    st.caption(
        "Batch loss: the loss of each step's batch before its update. Train and test loss: over "
        "all rows, at the end of every epoch and after every button press or Play tick."
    )


LOSS_SCALES = {"auto": "auto", "linear": "linear", "log": "log"}


def model_panel(
    experiment: Experiment,
    params: Params,
    batch_rows: np.ndarray | None,
    focus_row: int | None = None,
) -> None:
    """The prediction of the network with `params` (the shown step's) in the data's own units,
    over the training data, with the shown step's batch ringed and the training row of the
    storyboard's picked number squared."""
    ds, scaling = experiment.dataset, experiment.scaling
    X, y = experiment.split.X_train, experiment.split.y_train
    label = "" if focus_row is None else f"training row #{focus_row + 1}, picked in the storyboard"
    if ds.n_inputs == 2:
        g1, g2, G = charts.input_grid(X)
        pred = scaling.inverse_y(forward(params, scaling.transform_X(G)).A2).ravel()
        focus = None if focus_row is None else charts.Focus(*X[focus_row, :2], label)
        chart = charts.prediction_surface(
            g1,
            g2,
            pred,
            X,
            y,
            ds.feature_names,
            ds.target_name,
            batch_rows=batch_rows,
            focus=focus,
        )
    elif ds.n_inputs == 1:
        g1, _, G = charts.input_grid(X)
        pred = scaling.inverse_y(forward(params, scaling.transform_X(G)).A2).ravel()
        bx = by = None
        if batch_rows is not None:
            bx, by = X[batch_rows, 0], y[batch_rows, 0]
        focus = None if focus_row is None else charts.Focus(X[focus_row, 0], y[focus_row, 0], label)
        chart = charts.fit_curve(
            X[:, 0],
            y[:, 0],
            g1,
            pred,
            ds.feature_names[0],
            ds.target_name,
            batch_x=bx,
            batch_y=by,
            focus=focus,
        )
    else:
        yhat = scaling.inverse_y(forward(params, experiment.X_train).A2)
        chart = charts.y_vs_yhat(y, yhat, ds.target_name)
    show_chart(chart)


def network_view(current) -> None:
    """The network's weights, its hidden units, its fit and the gradient norms so far."""
    experiment, trainer = current.experiment, current.trainer
    ds = experiment.dataset
    left, right = st.columns(2)
    with left:
        show_chart(charts.network_diagram(trainer.params, ds.feature_names, ds.target_name))
        yhat = experiment.scaling.inverse_y(forward(trainer.params, experiment.X_train).A2)
        show_chart(charts.y_vs_yhat(experiment.split.y_train, yhat, ds.target_name))
    with right:
        if ds.n_inputs <= 2:
            g1, g2, G = charts.input_grid(experiment.split.X_train)
            A1 = forward(trainer.params, experiment.scaling.transform_X(G)).A1
            show_chart(charts.hidden_unit_maps(g1, g2, A1, ds.feature_names))
        h = trainer.history
        show_chart(charts.grad_norm_chart(np.arange(1, len(h) + 1), *h.grad_norms()))
