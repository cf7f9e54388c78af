"""Time travel: pick any past step; its record is rebuilt from history exactly as it was."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.trainer import StepRecord, Trainer
from views import state
from views.text import num


def shown_step(trainer: Trainer) -> int:
    """The step the views show: the latest, or the one picked while not following."""
    page = state.get().page
    latest = trainer.step_count
    if page.follow_latest or latest == 0:
        return latest
    return max(1, min(int(page.pick_step), latest))


def _on_follow_change() -> None:
    app = state.get()
    app.page.pick_step = app.run.trainer.step_count or 1


def on_show(target: int) -> None:
    """◀ and ▶: show step `target`, chosen when the button was drawn from the step then on show.
    An absolute target makes a press that reaches the server twice (merged or replayed) land on
    the same step instead of moving twice."""
    app = state.get()
    latest = app.run.trainer.step_count
    app.page.follow_latest = False
    app.page.pick_step = max(1, min(int(target), latest))


def picker(trainer: Trainer) -> None:
    page = state.get().page
    latest = trainer.step_count
    shown = shown_step(trainer)
    if page.follow_latest:
        page.pick_step = max(latest, 1)  # the greyed box shows the step being followed
    bar = st.container(horizontal=True, vertical_alignment="bottom")
    # ◀ and ▶ change these two themselves, so they are bound with `rekey`; the containers keep
    # a stable key for the page's tests.
    with bar.container(key="follow_latest_box", width="content"):
        st.toggle(
            "Follow the latest step",
            disabled=latest == 0,
            **state.bind("follow_latest", then=_on_follow_change, rekey=True),
        )
    with bar.container(key="pick_step_box", width="content"):
        st.number_input(
            f"Show step (1 to {latest:,})",
            1,
            None,
            width=220,
            disabled=page.follow_latest or latest == 0,
            **state.bind("pick_step", value=max(shown, 1), rekey=True),
        )
    bar.button(
        "◀",
        key="btn_prev_step",
        on_click=on_show,
        args=(max(1, shown - 1),),
        help="Step before",
        disabled=latest == 0,
    )
    bar.button(
        "▶",
        key="btn_next_step",
        on_click=on_show,
        args=(min(latest, shown + 1),),
        help="Step after",
        disabled=latest == 0,
    )


def change_summary(trainer: Trainer, rec: StepRecord) -> None:
    """How this step differs from the one before it."""
    if rec.step == trainer.step_count and state.get().page.follow_latest:
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
