"""Exercise mode: one entry of the step is hidden, the student computes it, the app checks."""

from __future__ import annotations

import streamlit as st

from core.exercise import (
    EXERCISE_KINDS,
    accepted_note,
    check_answer,
    make_exercise,
    solution,
)
from core.trainer import StepRecord
from views import state
from views.state import ANY_EXERCISE

# The check accepts any answer the shown (rounded) numbers give, widened by 0.5 % for rounding
# along the way; the tiny absolute tolerance only rescues entries that are exactly 0.
REL_TOL, ABS_TOL = 5e-3, 1e-12


def on_new_exercise() -> None:
    ex = state.get().exercise
    ex.seed += 1
    _clear_answer()


def _clear_answer() -> None:
    app = state.get()
    app.page.ex_answer = ""
    app.exercise.check, app.exercise.revealed = None, False


def on_check(exercise) -> None:
    app = state.get()
    answer = st.session_state["ex_answer"]  # the form's own submit: its input's key is there
    app.page.ex_answer = answer
    app.exercise.check = check_answer(exercise, answer, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def on_reveal() -> None:
    state.get().exercise.revealed = True


def exercise_view(rec: StepRecord, features: tuple[str, ...]) -> None:
    app = state.get()
    ex = app.exercise
    cols = st.columns([2, 1], vertical_alignment="bottom")
    with cols[0]:
        kind_label = st.selectbox(
            "Exercise on", [ANY_EXERCISE, *EXERCISE_KINDS.values()], **state.bind("ex_kind")
        )
    cols[1].button("New exercise", key="btn_new_exercise", on_click=on_new_exercise)
    kind = next((k for k, label in EXERCISE_KINDS.items() if label == kind_label), None)
    exercise = make_exercise(rec, kind, seed=ex.seed)
    identity = (rec.step, kind, ex.seed)
    if ex.shown_for != identity:
        ex.shown_for = identity
        _clear_answer()

    st.markdown(f"**Compute {exercise.symbol}** for step {rec.step:,}.")
    st.write(exercise.prompt)
    st.code("\n".join(exercise.given_lines()), language=None)
    with st.form("exercise_form", border=False):
        st.session_state["ex_answer"] = app.page.ex_answer
        st.text_input("Your answer", key="ex_answer", placeholder="e.g. 0.4213 or -1.2e-3")
        st.form_submit_button("Check", on_click=on_check, args=(exercise,))
    check = ex.check
    if check is not None:
        (st.success if check.correct else st.warning)(check.message)
        st.caption(accepted_note(exercise, REL_TOL, ABS_TOL))
    if (check is not None and check.correct) or ex.revealed:
        worked = solution(rec, exercise)
        st.markdown("**Worked solution**")
        st.latex(worked.formula)
        st.latex(worked.substituted)
        st.info(worked.note)
    else:
        st.button("Show the solution", key="btn_reveal", on_click=on_reveal)
