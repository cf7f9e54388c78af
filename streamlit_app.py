"""Backprop Step-by-Step: watch every number of a small neural network's training."""

from __future__ import annotations

import streamlit as st

from core.trainer import StepRecord
from views import state
from views.classroom import hidden, lesson_banner, link_notices, page_header
from views.controls import (
    control_bar,
    messages,
    no_test_rows_note,
    status_line,
    view_menu_shown,
)
from views.exercise_view import exercise_view
from views.explain_view import explain_view
from views.export_view import export_view
from views.freed_memory import start_returning_freed_memory
from views.gradcheck_view import gradcheck_view
from views.initlab_view import initlab_view
from views.landscape_view import landscape_view
from views.model_views import loss_panel, model_panel, network_view
from views.page_style import page_style
from views.press_counter import press_counter
from views.sample_view import sample_view
from views.sidebar import sidebar
from views.startup_objects import freeze_startup_objects
from views.step_views import backward_view, forward_view, update_view
from views.storyboard import picked_training_row, storyboard_view
from views.timetravel import change_summary, picker, shown_step


def landscape(record: StepRecord, _features: tuple[str, ...]) -> None:
    landscape_view(state.get().run, record)


STEP_VIEWS = dict(
    zip(
        state.STEP_VIEWS,
        (
            storyboard_view,
            forward_view,
            backward_view,
            update_view,
            explain_view,
            sample_view,
            landscape,
            gradcheck_view,
            exercise_view,
            export_view,
        ),
        strict=True,
    )
)
RUN_VIEWS = dict(zip(state.RUN_VIEWS, (network_view, initlab_view), strict=True))


def main() -> None:
    st.set_page_config(page_title="Backprop Step-by-Step", page_icon="🧮", layout="wide")
    app = state.init_state()
    page_style()
    sidebar()
    state.sync_run()
    state.sync_url()
    page_header()
    link_notices()
    lesson_banner()
    app.page_timer = (app.playing, app.page.play_speed)
    interval = state.PLAY_INTERVALS[app.page.play_speed] if app.playing else None
    st.fragment(run_every=interval)(training_panel)()
    freeze_startup_objects()
    start_returning_freed_memory()


def training_panel() -> None:
    """Everything that changes when training moves; reruns alone on button presses and ticks."""
    app = state.get()
    if app.playing:
        state.on_play_tick()
    if (app.playing, app.page.play_speed) != app.page_timer:
        st.rerun()  # the panel's timer starts, stops or changes speed only with a full rerun
    if not hidden("controls"):
        press_counter()  # first: presses merged on the way are carried out before drawing
    trainer = app.run.trainer
    step = shown_step(trainer)
    record = trainer.record(step) if step else None
    if not hidden("controls"):
        control_bar()
    messages(trainer)
    status_line(trainer, record, app.run.experiment.scaling.y_scale)
    no_test_rows_note(trainer, app.config.test_fraction)
    details(app.run, record)
    left, right = st.columns(2)
    with left:
        loss_panel(trainer, step)
    with right:
        params = trainer.params if record is None else record.params_after
        batch = None if record is None else record.indices
        model_panel(app.run.experiment, params, batch, picked_training_row(record))


def details(current: state.Run, record: StepRecord | None) -> None:
    """The chosen view of the shown step (or of the whole network)."""
    if not view_menu_shown():
        st.segmented_control("Show", state.VIEWS, required=True, **state.bind("view"))
    view = state.get().page.view
    if view in RUN_VIEWS:
        RUN_VIEWS[view](current)
        return
    if view == "Storyboard":
        step_view(view, current, record)
        picker(current.trainer)  # below: the storyboard keeps its place on the screen
        return
    picker(current.trainer)
    st.toggle(
        "Full precision", help="Show all 17 significant digits.", **state.bind("full_precision")
    )
    step_view(view, current, record)


def step_view(view: str, current: state.Run, record: StepRecord | None) -> None:
    if record is None:
        if hidden("controls"):
            st.info(
                "No step yet. The training buttons are hidden in presenter mode: turn them on "
                "again in the sidebar's Classroom section (Hide when presenting)."
            )
        else:
            st.info("Press **Step** to run the first mini-batch; its matrices will appear here.")
        return
    change_summary(current.trainer, record)
    STEP_VIEWS[view](record, current.experiment.dataset.feature_names)


main()
