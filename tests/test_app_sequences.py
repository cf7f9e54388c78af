"""AppTest suite: random sequences of user actions, checked against a model of the step count.

A Hypothesis state machine presses the page's buttons and changes its widgets (by key only) and
after every action reads what the page shows: no exception, the "Step" metric equals the steps
taken since the last restart, training stays stopped once it stopped, and the step on show
exists. Session state is never read: how the page keeps it is its own business.
"""

from __future__ import annotations

import re

import hypothesis.internal.conjecture.engine as hypothesis_engine
import pytest
import streamlit as st
from app_helpers import (
    bound,
    click,
    errors,
    infos,
    metrics,
    new_app,
    ok,
    run,
    run_n,
    show,
    step,
    step_count,
    tables,
)
from hypothesis import Phase, event, settings
from hypothesis import strategies as hs
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from views.state import PLAY_INTERVALS, VIEWS

LEARNING_RATES = (0.01, 0.1, 0.5, 1.0, 2.0, 10.0)
# The presets the machine applies, and the initialisation and learning rate each one sets.
PRESET_INIT = {"good-default": "xavier", "zero-init": "zeros", "lr-too-high": "normal"}
PRESET_LR = {"good-default": 0.5, "zero-init": 0.5, "lr-too-high": 10.0}
PLAY_SPEEDS = tuple(PLAY_INTERVALS)
TRAINING_BUTTONS = ("btn_step", "btn_run_n", "btn_epoch", "btn_play")
STOPPED = "Training stopped"

K_OF_N = re.compile(r"^(\d[\d,]*) of (\d[\d,]*)$")
SHOWING = re.compile(r"Showing step ([\d,]+) of ([\d,]+)")
PICK_RANGE = re.compile(r"\(1 to ([\d,]+)\)")


def number(text: str) -> int:
    return int(text.replace(",", ""))


def widget(at, kind: str, key: str):
    """The widget of this kind and key, or None when the page does not draw it."""
    return bound(at, kind, key)


def position(at) -> tuple[str, int, int]:
    """("Batch" or "Next batch", k, K) from the metric that reads "k of K"."""
    shown = metrics(at)
    for label in ("Batch", "Next batch"):
        if label in shown:
            match = K_OF_N.match(shown[label])
            assert match, f"{label} metric reads {shown[label]!r}"
            return label, number(match[1]), number(match[2])
    raise AssertionError(f"no Batch / Next batch metric among {sorted(shown)}")


def stopped_messages(at) -> list[str]:
    return [text for text in errors(at) if STOPPED in text]


class PageSequences(RuleBasedStateMachine):
    """Model: `steps` since the last restart, whether training `stopped`, `n_batches` per epoch,
    and the choices the machine made that nothing else may change (view, η, play speed)."""

    def __init__(self) -> None:
        super().__init__()
        st.cache_data.clear()
        st.cache_resource.clear()
        self.at = new_app()
        self.steps = 0
        self.stopped = False
        self.n_batches = position(self.at)[2]
        self.play_press_ticks = None  # whether the Play press itself is a tick (today it is)
        self.view = self.at.segmented_control(key="view").value
        self.lr = self.at.select_slider(key="lr").value
        self.play_speed = self.at.selectbox(key="play_speed").value

    # ---- helpers -----------------------------------------------------------------------------

    def train(self, press, expected: int, button: str | None = None) -> None:
        """Press a training control that should take `expected` steps (fewer if training stops).

        Once training stopped its buttons are disabled (a browser cannot press them, nor can
        AppTest): then the page is only rerun, and the count must stay.
        """
        before = self.steps
        if self.stopped and button is not None:
            assert self.at.button(key=button).disabled, f"{button} is enabled after the stop"
            run(self.at)
        else:
            press()
        now = step_count(self.at)
        if self.stopped:
            assert now == before, f"training went on after it stopped: Step {before} → {now}"
        elif stopped_messages(self.at):
            assert before <= now < before + expected, (before, expected, now)
            self.steps, self.stopped = now, True
            event("training stopped")
        else:
            assert now == before + expected, f"Step {before} + {expected} ≠ shown {now}"
            self.steps = now

    def restarted(self) -> None:
        self.steps, self.stopped = 0, False
        self.n_batches = position(self.at)[2]

    def steps_per_tick(self) -> int:
        box = widget(self.at, "selectbox", "play_steps")
        return 1 if box is None else int(box.value)

    def draws(self, key: str) -> bool:
        return widget(self.at, "button", key) is not None

    # ---- training ----------------------------------------------------------------------------

    @rule()
    def press_step(self) -> None:
        self.train(lambda: click(self.at, "btn_step"), 1, "btn_step")

    @rule(n=hs.integers(1, 12))
    def press_run_n(self, n: int) -> None:
        self.train(lambda: run_n(self.at, n), n, "btn_run_n")

    @rule()
    def press_finish_epoch(self) -> None:
        # The batches left: K − k + 1 with "Next batch k of K" (k = steps % K + 1), a whole
        # epoch when one just ended. The position invariant checks the metric says the same.
        left = self.n_batches - self.steps % self.n_batches
        self.train(lambda: click(self.at, "btn_epoch"), left, "btn_epoch")

    @rule(per_tick=hs.sampled_from((1, 5)))
    def play_tick_pause(self, per_tick: int) -> None:
        box = widget(self.at, "selectbox", "play_steps")
        if box is not None and box.value != per_tick:
            ok(box.set_value(per_tick).run())
            assert step_count(self.at) == self.steps  # a play setting takes no step
        per_tick = self.steps_per_tick()
        before = self.steps
        # Pressing Play reruns the page, and that rerun may already be the first tick.
        self.train(lambda: click(self.at, "btn_play"), per_tick, "btn_play")
        pressed = self.steps - before
        if self.stopped:
            assert not self.draws("btn_pause"), "still playing after training stopped"
            assert self.draws("btn_play")
            return
        assert pressed in (0, per_tick), f"the Play press took {pressed} steps, not 0 or {per_tick}"
        ticks = pressed // per_tick
        if self.play_press_ticks is not None:
            assert ticks == self.play_press_ticks, "Play presses tick at once only sometimes"
        self.play_press_ticks = ticks
        assert self.draws("btn_pause"), "Play did not start playing"
        self.train(lambda: run(self.at), per_tick)  # the tick a run_every timer would fire
        if self.stopped:
            assert not self.draws("btn_pause"), "still playing after training stopped"
            return
        self.train(lambda: click(self.at, "btn_pause"), 0)
        assert self.draws("btn_play"), "Pause did not stop playing"
        self.train(lambda: run(self.at), 0)  # no tick once paused

    # ---- time travel and views ---------------------------------------------------------------

    @rule(key=hs.sampled_from(("btn_prev_step", "btn_next_step")))
    def nudge_shown_step(self, key: str) -> None:
        # Drawn in the step views only, and disabled before the first step: then nothing to do
        # (a no-op rather than a precondition, which would make shrinking slower).
        if not self.draws(key) or self.at.button(key=key).disabled:
            return
        click(self.at, key)
        event("◀/▶ pressed")
        assert step_count(self.at) == self.steps, "◀/▶ changed the step count"

    @rule(view=hs.sampled_from(VIEWS))
    def switch_view(self, view: str) -> None:
        show(self.at, view)
        self.view = view
        assert step_count(self.at) == self.steps, "switching the view changed the step count"

    @rule(speed=hs.sampled_from(PLAY_SPEEDS))
    def set_play_speed(self, speed: str) -> None:
        ok(self.at.selectbox(key="play_speed").set_value(speed).run())
        self.play_speed = speed
        assert step_count(self.at) == self.steps, "the play speed changed the step count"

    # ---- settings ----------------------------------------------------------------------------

    @rule(lr=hs.sampled_from(LEARNING_RATES))
    def set_learning_rate(self, lr: float) -> None:
        ok(self.at.select_slider(key="lr").set_value(lr).run())
        self.lr = lr
        assert step_count(self.at) == self.steps, "changing η changed the step count"

    @rule(n=hs.integers(1, 8))
    def set_hidden_units(self, n: int) -> None:
        changed = self.at.slider(key="n_hidden").value != n
        ok(self.at.slider(key="n_hidden").set_value(n).run())
        if changed:
            assert step_count(self.at) == 0, "a new number of hidden units did not restart"
            self.restarted()
        else:
            assert step_count(self.at) == self.steps, "the same number of hidden units restarted"

    @rule(seed=hs.integers(0, 3))
    def set_weight_seed(self, seed: int) -> None:
        changed = self.at.number_input(key="init_seed").value != seed
        ok(self.at.number_input(key="init_seed").set_value(seed).run())
        if changed:
            assert step_count(self.at) == 0, "a new weight seed did not restart"
            self.restarted()
        else:
            assert step_count(self.at) == self.steps, "the same weight seed restarted"

    @rule(name=hs.sampled_from(tuple(PRESET_INIT)))
    def apply_preset(self, name: str) -> None:
        # "Sets the data, network and training for this lesson; training restarts": always, even
        # when the set-up already was the preset's (a lesson starts from step 0).
        ok(self.at.selectbox(key="preset_choice").set_value(name).run())
        click(self.at, "btn_preset")
        scheme = self.at.selectbox(key="init_scheme").value
        assert scheme == PRESET_INIT[name], f"{name} left the initialisation at {scheme}"
        self.lr = PRESET_LR[name]
        assert step_count(self.at) == 0, f"preset {name} did not restart training"
        self.restarted()

    @rule()
    def press_reset(self) -> None:
        click(self.at, "btn_reset")
        assert step_count(self.at) == 0, "Reset did not go back to step 0"
        self.restarted()

    # ---- invariants --------------------------------------------------------------------------

    @invariant()
    def no_exception(self) -> None:
        ok(self.at)

    @invariant()
    def step_metric_counts_the_steps(self) -> None:
        assert step_count(self.at) == self.steps

    @invariant()
    def stopped_is_shown_and_training_is_off(self) -> None:
        messages = stopped_messages(self.at)
        if self.stopped:
            assert len(messages) == 1, errors(self.at)
            for key in TRAINING_BUTTONS:
                if self.draws(key):
                    assert self.at.button(key=key).disabled, key
        else:
            assert not messages, messages
            assert not self.at.button(key="btn_step").disabled

    @invariant()
    def choices_stay_as_made(self) -> None:
        assert self.at.segmented_control(key="view").value == self.view
        assert self.at.select_slider(key="lr").value == self.lr
        speed = widget(self.at, "selectbox", "play_speed")
        assert speed is None or speed.value == self.play_speed, speed and speed.value

    @invariant()
    def the_shown_step_exists(self) -> None:
        n = self.steps
        for text in infos(self.at):
            if match := SHOWING.search(text):
                event("time travel: a picked step is shown")
                s, total = number(match[1]), number(match[2])
                assert total == n, text
                assert 1 <= s <= total, text
        box = widget(self.at, "number_input", "pick_step")
        if box is not None and n >= 1:
            if match := PICK_RANGE.search(box.label):
                assert number(match[1]) == n, box.label
            assert 1 <= box.value <= n, f"{box.label!r} shows step {box.value} of {n}"

    @invariant()
    def the_position_metrics_are_of_the_shown_step(self) -> None:
        """Epoch and Batch are of the step on show: the latest, unless the page says (a "Shown
        step" metric or a "Showing step s of n" notice) that it shows another one."""
        shown_metrics = metrics(self.at)
        label, k, n_batches = position(self.at)
        assert n_batches == self.n_batches
        epoch = number(shown_metrics["Epoch"])
        if self.steps == 0:
            assert (label, k, epoch) == ("Next batch", 1, 1)
            return
        said = {number(m[1]) for text in infos(self.at) if (m := SHOWING.search(text))}
        if "Shown step" in shown_metrics:
            said.add(number(shown_metrics["Shown step"]))
        assert len(said) <= 1, f"the page names different shown steps: {said}"
        shown = said.pop() if said else self.steps
        assert label == "Batch"
        expected = ((shown - 1) % self.n_batches + 1, (shown - 1) // self.n_batches + 1)
        assert (k, epoch) == expected, f"step {shown}: batch {k}, epoch {epoch}"


# Sized for the ~90 s budget of this file on a 2-core machine: about 40 s when every sequence
# passes. A failure ends the search; only that one is shrunk and reported, and the shrinking is
# cut short after SHRINK_SECONDS (Hypothesis's own limit is 5 minutes; it then reports the
# shortest failing sequence found so far). The explain phase is left out: it reruns the failing
# sequence many more times.
SHRINK_SECONDS = 40
PageSequences.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    report_multiple_bugs=False,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
)
TestPageSequences = PageSequences.TestCase


@pytest.fixture(autouse=True)
def _bounded_shrinking(monkeypatch):
    """A private constant of Hypothesis's engine, patched for this file's tests only (and left
    alone should a later Hypothesis drop it)."""
    if isinstance(getattr(hypothesis_engine, "MAX_SHRINKING_SECONDS", None), int):
        monkeypatch.setattr(hypothesis_engine, "MAX_SHRINKING_SECONDS", SHRINK_SECONDS)


# ---- regressions -----------------------------------------------------------------------------


def test_step_keeps_the_play_speed():
    at = new_app()
    ok(at.selectbox(key="play_speed").set_value("fast (0.25 s)").run())
    step(at)
    assert at.selectbox(key="play_speed").value == "fast (0.25 s)"


BATCH_POSITION = re.compile(r"^row \d+$")  # a batch row's place, as the Explain view names it


def shown_label(box) -> str | None:
    """The text a selectbox shows (its options are the formatted labels)."""
    return None if box.index is None else box.options[box.index]


def row_box(at):
    """The Explain view's Row selectbox: key `explain_row`, or one that starts with it (a widget
    per matrix, as in "explain_row_W1_2")."""
    boxes = [b for b in at.selectbox if b.key and b.key.startswith("explain_row")]
    assert len(boxes) == 1, [b.key for b in at.selectbox]
    return boxes[0]


def test_explain_row_belongs_to_the_matrix_after_switching_from_a_batch_matrix():
    at = step(new_app())
    # ∇W1 has W1's rows: one per input
    w1_rows = [str(label) for label in tables(show(at, "Backward pass"))["∇W1"].frame.index]
    show(at, "Explain a number")
    options = list(at.selectbox(key="explain_matrix").options)
    delta1 = next(o for o in options if o.startswith("δ1"))
    ok(at.selectbox(key="explain_matrix").set_value(delta1).run())
    rows = row_box(at)
    high = len(rows.options) - 1
    assert high >= len(w1_rows)  # a row W1 does not have
    ok(rows.set_value(rows.options[high]).run())
    assert BATCH_POSITION.match(shown_label(row_box(at)))

    w1 = next((o for o in options if o.startswith("update W1")), None)
    w1 = w1 or next(o for o in options if "W1" in o and not o.startswith("∇"))
    ok(at.selectbox(key="explain_matrix").set_value(w1).run())
    label = shown_label(row_box(at))
    assert label in w1_rows, f"Row shows {label!r}; W1's rows are {w1_rows}"
    assert not BATCH_POSITION.match(label)
    assert any(str(c.value).startswith("Stored value") for c in at.caption)


def test_five_steps_show_step_five():
    at = step(new_app(), 5)
    assert step_count(at) == 5
