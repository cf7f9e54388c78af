"""Time travel: pick any past step; its record is rebuilt from history exactly as it was."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.trainer import StepRecord, Trainer
from views.text import num


def shown_step(trainer: Trainer) -> int:
    """The step the views show: the latest, or the one picked while not following."""
    ss = st.session_state
    latest = trainer.step_count
    if ss.follow_latest or latest == 0:
        return latest
    return max(1, min(int(ss.pick_step), latest))


def on_follow_change() -> None:
    ss = st.session_state
    ss.pick_step = ss.run.trainer.step_count or 1


def on_nudge(delta: int) -> None:
    ss = st.session_state
    latest = ss.run.trainer.step_count
    ss.follow_latest = False
    ss.pick_step = max(1, min(int(ss.pick_step) + delta, latest))


def picker(trainer: Trainer) -> None:
    ss = st.session_state
    latest = trainer.step_count
    if ss.follow_latest:
        ss.pick_step = max(latest, 1)  # the greyed box shows the step being followed
    bar = st.container(horizontal=True, vertical_alignment="bottom")
    bar.toggle(
        "Follow the latest step",
        key="follow_latest",
        on_change=on_follow_change,
        disabled=latest == 0,
    )
    bar.number_input(
        f"Show step (1 to {latest:,})",
        1,
        None,
        key="pick_step",
        width=220,
        disabled=ss.follow_latest or latest == 0,
    )
    bar.button(
        "◀",
        key="btn_prev_step",
        on_click=on_nudge,
        args=(-1,),
        help="Step before",
        disabled=latest == 0,
    )
    bar.button(
        "▶",
        key="btn_next_step",
        on_click=on_nudge,
        args=(1,),
        help="Step after",
        disabled=latest == 0,
    )


def change_summary(trainer: Trainer, rec: StepRecord) -> None:
    """How this step differs from the one before it."""
    if rec.step == trainer.step_count and st.session_state.follow_latest:
        return
    st.info(f"Showing step {rec.step:,} of {trainer.step_count:,}, rebuilt from the history.")
    if rec.step == 1:
        return
    prev = trainer.record(rec.step - 1)
    moved = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(rec.params_after, rec.params_before, strict=True)
    )
    st.caption(
        f"Against step {prev.step:,}: batch loss before the update {num(prev.loss_before)} → "
        f"{num(rec.loss_before)}; η {prev.lr:g} → {rec.lr:g}; the largest weight change in "
        f"this step was {moved:.3g}."
    )
