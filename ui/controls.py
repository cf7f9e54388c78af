"""The training buttons and the status line above the step details."""

from __future__ import annotations

import streamlit as st

from core.trainer import StepRecord, Trainer
from ui import state
from ui.text import num


def control_bar() -> None:
    ss = st.session_state
    stopped = state.trainer().stopped
    bar = st.container(horizontal=True, vertical_alignment="bottom", gap="small")
    bar.button(
        "Step",
        key="btn_step",
        on_click=state.on_step,
        disabled=stopped,
        type="primary",
        help="One mini-batch: forward, backward, update.",
    )
    bar.number_input("Steps N", 1, state.MAX_RUN_STEPS, key="run_n", width=130)
    bar.button("Run N", key="btn_run_n", on_click=state.on_run_n, disabled=stopped)
    bar.button("Finish epoch", key="btn_epoch", on_click=state.on_finish_epoch, disabled=stopped)
    bar.button(
        "Pause" if ss.playing else "Play",
        key="btn_play",
        on_click=state.on_toggle_play,
        disabled=stopped,
        icon=":material/pause:" if ss.playing else ":material/play_arrow:",
    )
    bar.button("Reset", key="btn_reset", on_click=state.on_reset, icon=":material/restart_alt:")
    with bar.popover("Play speed", icon=":material/speed:"):
        st.selectbox("Tick every", list(state.PLAY_INTERVALS), key="play_speed")
        st.selectbox("Steps per tick", [1, 5, 25, 100], key="play_steps")
        st.caption("The fastest tick is 0.25 s so that a shared server keeps up with a class.")


def status_line(trainer: Trainer, record: StepRecord | None) -> None:
    metrics = trainer.metrics()
    cols = st.columns(8)
    cols[0].metric("Step", f"{trainer.step_count:,}")
    if record is None:
        epoch, batch = trainer.next_position()
        cols[1].metric("Epoch", f"{epoch}")
        cols[2].metric("Next batch", f"{batch} of {trainer.plan.n_batches}")
        cols[3].metric("Batch loss", "—")
    else:
        cols[1].metric("Epoch", f"{record.epoch}")
        cols[2].metric("Batch", f"{record.batch} of {record.n_batches}")
        cols[3].metric(
            "Batch loss",
            num(record.loss_after),
            delta=f"{record.loss_after - record.loss_before:+.3g}",
            delta_color="inverse",
            help="Loss of this batch after the update "
            "(the change is against the same batch before it).",
        )
    cols[4].metric("Train loss", num(metrics.train.loss))
    cols[5].metric("Test loss", num(metrics.test.loss))
    cols[6].metric("R² train", num(metrics.train.r2, 3))
    cols[7].metric("R² test", num(metrics.test.r2, 3))


def messages(trainer: Trainer) -> None:
    ss = st.session_state
    if ss.build_error:
        st.error(ss.build_error)
    if trainer.stopped:
        st.error(trainer.stop_message, icon=":material/error:")
    elif ss.notice:
        st.info(ss.notice)
