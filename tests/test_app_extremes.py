"""Divergence and extreme settings through the app: a clear message, never an exception or NaN."""

from __future__ import annotations

import math

import pytest
from app_helpers import (
    click,
    errors,
    infos,
    metrics,
    new_app,
    ok,
    run_n,
    show,
    step,
    step_count,
    tables,
)


def set_value(at, kind: str, key: str, value):
    return ok(getattr(at, kind)(key=key).set_value(value).run())


def shown_numbers_are_finite(at) -> None:
    for shown in tables(at).values():
        values = shown.frame.to_numpy(dtype=float)
        assert all(math.isfinite(v) for v in values.ravel()), shown.name


def test_learning_rate_10_diverges_with_a_message_and_reset_recovers():
    at = new_app()
    set_value(at, "select_slider", "lr", 10.0)
    set_value(at, "selectbox", "init_scheme", "normal")
    set_value(at, "number_input", "init_scale", 1.0)
    run_n(at, 200)
    message = " ".join(errors(at))
    assert "Training stopped at step" in message and "Lower the learning rate" in message
    stopped_at = step_count(at)
    assert stopped_at < 200
    assert at.button(key="btn_step").disabled
    shown_numbers_are_finite(at)  # the last applied step, not the one that blew up
    for value in metrics(at).values():
        assert "nan" not in value.lower() and "inf" not in value.lower()
    set_value(at, "select_slider", "lr", 0.1)
    click(at, "btn_reset")
    assert step_count(at) == 0 and not errors(at)
    step(at)
    assert step_count(at) == 1


def test_initial_scale_100_saturates_but_stays_finite():
    at = new_app()
    set_value(at, "selectbox", "init_scheme", "normal")
    set_value(at, "number_input", "init_scale", 100.0)
    run_n(at, 50)
    assert not errors(at)
    a1 = tables(at)["A1"].frame.to_numpy(dtype=float)
    assert ((a1 < 0.01) | (a1 > 0.99)).mean() > 0.5
    shown_numbers_are_finite(at)


@pytest.mark.parametrize(("batch", "full"), [(1, False), (16, True)])
def test_batch_size_1_and_the_whole_training_set(batch: int, full: bool):
    at = new_app()
    set_value(at, "number_input", "batch_size", batch)
    set_value(at, "toggle", "full_batch", full)
    step(at)
    rows = tables(at)["Z1"].header_shape[0]
    assert rows == (160 if full else 1)  # 200 samples, 20 % held out for testing
    assert metrics(at)["Batch"] == ("1 of 1" if full else "1 of 160")


@pytest.mark.parametrize("hidden", [1, 8])
def test_one_and_eight_hidden_units(hidden: int):
    at = new_app()
    set_value(at, "slider", "n_hidden", hidden)
    step(at)
    for view in ("Backward pass", "Gradient check", "Network & units"):
        show(at, view)
    show(at, "Forward pass")
    assert tables(at)["A1"].header_shape == (16, hidden)


def test_a_one_row_test_set_shows_no_nan_as_a_result():
    at = new_app()
    set_value(at, "number_input", "gen_m", 10)
    set_value(at, "slider", "test_fraction", 0.1)
    step(at)
    shown = metrics(at)
    assert shown["Test loss"] != "nan" and math.isfinite(float(shown["Test loss"]))
    assert (
        shown["R² train · test"].split(" · ")[1] == "—"
    )  # R² of a single value is undefined, shown as a dash


def test_the_gradient_check_passes_raw_car_data_at_a_small_initialisation():
    """Reported: raw inputs in the thousands made a fixed step h = 1e-5 fail right gradients."""
    at = new_app()
    ok(at.radio(key="source").set_value("Sample dataset").run())
    ok(at.toggle(key="standardise_inputs").set_value(False).run())
    ok(at.selectbox(key="init_scheme").set_value("normal").run())
    ok(at.number_input(key="init_scale").set_value(0.01).run())
    show(step(at), "Gradient check")
    assert not errors(at)
    (verdict,) = [str(s.value) for s in at.success]
    assert "None fails." in verdict and "entries pass by relative error" in verdict


def test_one_press_trains_for_at_most_its_time_and_says_how_far_it_got(monkeypatch):
    from views import state

    monkeypatch.setattr(state, "PRESS_SECONDS", 0.0)  # every look at the clock: time is up
    at = new_app()
    ok(at.number_input(key="run_n").set_value(1000).run())
    click(at, "btn_run_n")
    assert step_count(at) == 0
    assert any("ran 0 of 1,000 steps" in text for text in infos(at))
    monkeypatch.setattr(state, "PRESS_SECONDS", 60.0)
    click(at, "btn_run_n")
    assert step_count(at) == 1000
    assert not any("of 1,000 steps" in text for text in infos(at))
