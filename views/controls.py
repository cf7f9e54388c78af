"""The training buttons and the status line above the step details."""

from __future__ import annotations

import streamlit as st

from core.trainer import StepRecord, Trainer
from views import state
from views.text import inert, num


def control_bar() -> None:
    app = state.get()
    stopped = app.run.trainer.stopped
    bar = st.container(horizontal=True, vertical_alignment="bottom", gap="small")
    bar.button(
        "Step",
        key="btn_step",
        on_click=state.on_step,
        disabled=stopped,
        type="primary",
        help="One mini-batch: forward, backward, update. Shortcut: S.",
        shortcut="S",
    )
    with bar:
        st.number_input(
            "Steps N",
            1,
            state.MAX_RUN_STEPS,
            width=110 if app.config.present else 130,
            label_visibility="collapsed" if app.config.present else "visible",
            **state.bind("run_n"),
        )
    bar.button("Run N", key="btn_run_n", on_click=state.on_run_n, disabled=stopped, shortcut="N")
    bar.button(
        "Finish epoch",
        key="btn_epoch",
        on_click=state.on_finish_epoch,
        disabled=stopped,
        shortcut="E",
    )
    # Two buttons that set the state (rather than one that toggles it): a press that reaches the
    # server twice cannot undo itself.
    if app.playing:
        bar.button(
            "Pause",
            key="btn_pause",
            on_click=state.on_pause,
            icon=":material/pause:",
            shortcut="P",
        )
    else:
        bar.button(
            "Play",
            key="btn_play",
            on_click=state.on_play,
            disabled=stopped,
            icon=":material/play_arrow:",
            shortcut="P",
        )
    bar.button("Reset", key="btn_reset", on_click=state.on_reset, icon=":material/restart_alt:")
    if view_menu_shown():
        bar.selectbox(
            "Show",
            state.VIEWS,
            width=180,
            label_visibility="collapsed",
            **state.bind("view", key="view_menu"),
        )
    with bar.popover("Play speed", icon=":material/speed:"):
        st.selectbox(
            "Tick every", list(state.PLAY_INTERVALS), **state.bind("play_speed", always=True)
        )
        st.selectbox("Steps per tick", state.PLAY_STEPS, **state.bind("play_steps", always=True))
        st.caption("The fastest tick is 0.25 s so that a shared server keeps up with a class.")


def view_menu_shown() -> bool:
    """In presenter mode the views are a menu in the button row, which saves the projector a row
    of its height; otherwise they are a row of their own."""
    config = state.get().config
    return config.present and "controls" not in config.hide


def status_line(trainer: Trainer, record: StepRecord | None, y_scale: float) -> None:
    """Where training is and how good the network is, at the step shown: the latest, or the one
    picked by time travel (then said so). The metrics wrap onto more lines on a narrow screen.

    A step's batch loss is always the loss of its batch before its update: the loss whose
    gradients the step follows, as the forward view and the loss chart show it."""
    row = st.container(horizontal=True, gap="medium" if state.get().config.present else "small")
    latest = trainer.step_count
    row.metric("Step", f"{latest:,}", width="content")
    if record is None:
        epoch, batch = trainer.next_position()
        row.metric("Epoch", f"{epoch}", width="content")
        row.metric("Next batch", f"{batch} of {trainer.plan.n_batches}", width="content")
        row.metric("Batch loss", "—", width="content")
        metrics = trainer.metrics()
    else:
        if record.step != latest:
            row.metric(
                "Shown step",
                f"{record.step:,}",
                width="content",
                help="Time travel: every number below is of this step.",
            )
        row.metric("Epoch", f"{record.epoch}", width="content")
        row.metric("Batch", f"{record.batch} of {record.n_batches}", width="content")
        row.metric(
            "Batch loss",
            num(record.loss_before),
            delta=f"{record.loss_after - record.loss_before:+.3g} by the update",
            delta_color="inverse",
            help="The loss of this step's batch with the weights before the update (the loss "
            "its gradients are of); the change is what the update did to the same batch.",
            width="content",
        )
        metrics = trainer.metrics(record.params_after) if record.step != latest else None
        metrics = metrics or trainer.metrics()
    after = "" if record is None else f" after step {record.step:,}"
    row.metric(
        "Train loss",
        num(metrics.train.loss),
        width="content",
        help=f"Over all training rows{after}.",
    )
    row.metric(
        "Test loss",
        num(metrics.test.loss),
        width="content",
        help=f"Over all test rows{after}; — when there are none.",
    )
    if state.get().config.present:
        return  # the back row reads the losses; the fit measures would push the step down
    fit = row.container(horizontal=True, gap="small", width="content", key="fit_metrics")
    fit.metric(
        "RMSE train · test",
        f"{num(metrics.train.rmse * y_scale)} · {num(metrics.test.rmse * y_scale)}",
        help="Root mean squared error over the training and the test rows, in the target's "
        "own units.",
        width="content",
    )
    fit.metric(
        "R² train · test",
        f"{num(metrics.train.r2, 3)} · {num(metrics.test.r2, 3)}",
        help="The share of the target's variance the network explains (1 is perfect, 0 is no "
        "better than the mean); — where it cannot be computed.",
        width="content",
    )


def no_test_rows_note(trainer: Trainer, test_fraction: float) -> None:
    """Say why the test metrics show a dash."""
    if len(trainer.X_test) == 0:
        rows = len(trainer.X)
        why = (
            "the test share is 0"
            if test_fraction == 0
            else (f"a test share of {test_fraction:g} of {rows:,} rows rounds to no row")
        )
        st.caption(f"No test rows ({why}), so the test metrics show —.")


def messages(trainer: Trainer) -> None:
    app = state.get()
    if app.build_error:
        st.error(inert(app.build_error))
    if trainer.stopped:
        st.error(trainer.stop_message, icon=":material/error:")
    elif app.notice:
        st.info(inert(app.notice))
