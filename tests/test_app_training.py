"""AppTest suite, part 1: the training buttons, Play/Pause, divergence, views and explanations."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from app_helpers import (
    APP_FILE,
    BACKWARD,
    FORWARD,
    TIMEOUT,
    app_state,
    bound,
    click,
    errors,
    explain_select,
    frame,
    infos,
    latex_value,
    metrics,
    new_app,
    ok,
    playing,
    run,
    run_n,
    show,
    step,
    step_count,
    tables,
    walk,
)
from streamlit.testing.v1 import AppTest

SIDEBAR_KEYS = {
    "source",
    "gen_name",
    "gen_inputs",
    "gen_m",
    "gen_noise",
    "gen_seed",
    "test_fraction",
    "split_seed",
    "standardise_inputs",
    "standardise_target",
    "n_hidden",
    "init_scheme",
    "init_seed",
    "lr",
    "full_batch",
    "batch_size",
    "shuffle",
    "shuffle_seed",
}
MAIN_KEYS = {
    "btn_step",
    "run_n",
    "btn_run_n",
    "btn_epoch",
    "btn_play",
    "btn_reset",
    "play_speed",
    "play_steps",
    "view",
    "full_precision",
    "loss_scale",
}
BASIC_VIEWS = ("Forward pass", "Backward pass", "Update", "Explain a number", "Network & units")


def keys_in(node) -> set[str]:
    return {el.key for el in walk(node) if getattr(el, "key", None)}


def snapshot(at, names=FORWARD) -> dict[str, pd.DataFrame]:
    shown = tables(at)
    return {name: shown[name].frame.copy() for name in names}


def assert_same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def chart_specs(at) -> list[str]:
    return [el.proto.spec for el in at.get("vega_lite_chart")]


# ---- first run and the training buttons ----------------------------------------------------


def test_first_run_shows_every_control_and_an_untrained_network():
    at = new_app()
    assert at.title[0].value == "Backprop Step-by-Step"
    assert keys_in(at.sidebar) >= SIDEBAR_KEYS
    assert keys_in(at.main) >= MAIN_KEYS
    m = metrics(at)
    assert (m["Step"], m["Epoch"], m["Next batch"], m["Batch loss"]) == ("0", "1", "1 of 10", "—")
    assert float(m["Train loss"]) > 0
    assert any("Press **Step**" in text for text in infos(at))
    assert not errors(at)
    assert not tables(at)  # no batch yet, so no matrices
    assert len(chart_specs(at)) >= 2  # the loss curve and the model's fit


def test_step_advances_the_count_and_changes_the_tables():
    at = step(new_app())
    m1 = metrics(at)
    assert (m1["Step"], m1["Batch"]) == ("1", "1 of 10")
    assert m1["Batch loss"] != "—"
    first = snapshot(at)
    assert set(first) == set(FORWARD)
    rows1 = set(first["X | y"].index.str.split("#").str[1])

    step(at)
    m2 = metrics(at)
    assert (m2["Step"], m2["Batch"]) == ("2", "2 of 10")
    assert m2["Train loss"] != m1["Train loss"]
    second = snapshot(at)
    for name in FORWARD:
        assert not first[name].equals(second[name]), name
    rows2 = set(second["X | y"].index.str.split("#").str[1])
    assert len(rows1) == len(rows2) == 16
    assert not rows1 & rows2  # batches of one epoch do not share rows


def test_header_shapes_match_the_batch_and_the_network():
    at = step(new_app())
    expected = {
        "forward": {"X | y": (16, 3), "Z1": (16, 3), "A1": (16, 3), "Z2 = A2": (16, 1)},
        "backward": {
            "δ2": (16, 1),
            "δ1": (16, 3),
            "∇W2": (3, 1),
            "∇b2": (1, 1),
            "∇W1": (2, 3),
            "∇b1": (1, 3),
        },
    }
    for view, shapes in zip(("Forward pass", "Backward pass"), expected.values(), strict=True):
        shown = tables(show(at, view))
        for name, shape in shapes.items():
            assert shown[name].header_shape == shape, name
            # Z2's table adds y and A2 − y beside the (m, 1) output
            columns = 3 if name == "Z2 = A2" else shape[1]
            assert shown[name].frame.shape == (shape[0], columns), name
            assert rf"({shape[0]}\times{shape[1]})" in shown[name].latex, name
    shown = tables(show(at, "Update"))
    for name, shape in {"W1": (2, 3), "b1": (1, 3), "W2": (3, 1), "b2": (1, 1)}.items():
        for title in (f"{name} before", f"−η·∇{name} (the change)", f"{name} after"):
            assert shown[title].frame.shape == shape


def test_run_n_takes_n_steps_and_agrees_with_step():
    at = run_n(new_app(), 24)
    m = metrics(at)
    assert (m["Step"], m["Epoch"], m["Batch"]) == ("24", "3", "4 of 10")
    step(at)
    assert step_count(at) == 25

    other = run_n(new_app(), 25)
    assert step_count(other) == 25
    assert metrics(other) == metrics(at)
    assert_same_tables(snapshot(at), snapshot(other))


def test_finish_epoch_runs_to_the_end_of_the_epoch():
    at = step(new_app(), 3)
    click(at, "btn_epoch")
    m = metrics(at)
    assert (m["Step"], m["Epoch"], m["Batch"]) == ("10", "1", "10 of 10")
    click(at, "btn_epoch")  # a whole epoch when one just ended
    m = metrics(at)
    assert (m["Step"], m["Epoch"], m["Batch"]) == ("20", "2", "10 of 10")
    step(at)
    m = metrics(at)
    assert (m["Epoch"], m["Batch"]) == ("3", "1 of 10")


def test_reset_returns_to_step_zero_with_the_same_initial_weights():
    at = new_app()
    initial = metrics(at)
    step(at)
    first = snapshot(at, (*FORWARD,))
    step(at, 2)
    run_n(at, 30)
    click(at, "btn_reset")
    assert metrics(at) == initial
    assert any("reset" in text.lower() for text in infos(at))
    assert not tables(at)
    step(at)
    assert step_count(at) == 1
    assert_same_tables(first, snapshot(at))


def test_changing_the_learning_rate_keeps_training_going():
    at = step(new_app(), 3)
    ok(at.select_slider(key="lr").set_value(0.1).run())
    assert step_count(at) == 3
    assert not any("restarted" in text for text in infos(at))
    step(at)
    assert step_count(at) == 4
    grad = frame(show(at, "Backward pass"), "∇W1").to_numpy()
    shown = tables(show(at, "Update"))
    assert any("η = 0.1 " in str(c.value) for c in at.caption)
    change = shown["−η·∇W1 (the change)"].frame.to_numpy()
    np.testing.assert_allclose(change, -0.1 * grad, rtol=1e-12, atol=0)
    before, after = shown["W1 before"].frame.to_numpy(), shown["W1 after"].frame.to_numpy()
    np.testing.assert_allclose(after, before + change, rtol=1e-12, atol=1e-15)


def test_the_same_settings_give_the_same_numbers():
    def session():
        at = new_app()
        ok(at.slider(key="n_hidden").set_value(4).run())
        run_n(at, 7)
        step(at)
        forward = snapshot(at)
        backward = snapshot(show(at, "Backward pass"), BACKWARD)
        return metrics(at), forward | backward

    (m1, t1), (m2, t2) = session(), session()
    assert m1 == m2
    assert m1["Step"] == "8"
    assert_same_tables(t1, t2)


def test_a_setting_that_invalidates_training_resets_it_with_a_notice():
    at = step(new_app(), 3)
    ok(at.slider(key="n_hidden").set_value(4).run())
    assert step_count(at) == 0
    notices = [text for text in infos(at) if "restarted" in text]
    assert len(notices) == 1
    assert "hidden" in notices[0].lower()
    assert not tables(at)
    step(at)
    assert tables(at)["Z1"].header_shape == (16, 4)
    assert not any("restarted" in text for text in infos(at))  # the notice goes with the step


# ---- Play / Pause --------------------------------------------------------------------------


def test_play_ticks_on_each_rerun_and_pause_stops():
    at = click(new_app(), "btn_play")
    assert playing(at) is True
    assert at.button(key="btn_pause").label == "Pause"
    start = step_count(at)
    run(at)
    assert step_count(at) == start + 1
    run(at)
    assert step_count(at) == start + 2

    ok(at.selectbox(key="play_steps").set_value(5).run())
    after_change = step_count(at)
    run(at)
    assert step_count(at) == after_change + 5

    ok(at.selectbox(key="play_speed").set_value("fast (0.25 s)").run())
    assert playing(at) is True
    before = step_count(at)
    run(at)
    assert step_count(at) == before + 5

    click(at, "btn_pause")
    assert playing(at) is False
    assert at.button(key="btn_play").label == "Play"
    paused = step_count(at)
    run(at)
    run(at)
    assert step_count(at) == paused


def test_a_restarting_setting_stops_play():
    at = click(new_app(), "btn_play")
    run(at)
    ok(at.slider(key="n_hidden").set_value(2).run())
    assert playing(at) is False
    assert at.button(key="btn_play").label == "Play"
    assert step_count(at) == 0
    run(at)
    assert step_count(at) == 0


# ---- divergence ----------------------------------------------------------------------------


def diverging_app():
    at = new_app()
    ok(at.selectbox(key="init_scheme").set_value("normal").run())
    ok(at.number_input(key="init_scale").set_value(5.0).run())
    ok(at.select_slider(key="lr").set_value(10.0).run())
    return at


def test_divergence_shows_a_clear_error_and_reset_recovers():
    at = run_n(diverging_app(), 100)
    stopped_at = step_count(at)
    assert stopped_at < 100
    messages = [text for text in errors(at) if "Training stopped" in text]
    assert len(messages) == 1
    assert f"step {stopped_at + 1}" in messages[0]
    assert "Reset" in messages[0]
    for key in ("btn_step", "btn_run_n", "btn_epoch", "btn_play"):
        assert at.button(key=key).disabled, key
    assert not at.button(key="btn_reset").disabled
    for view in BASIC_VIEWS:  # the last good step still shows everywhere
        show(at, view)

    click(at, "btn_reset")
    assert step_count(at) == 0
    assert not errors(at)
    assert not at.button(key="btn_step").disabled
    ok(at.select_slider(key="lr").set_value(0.05).run())
    run_n(at, 100)
    assert step_count(at) == 100
    assert not errors(at)


def test_divergence_while_playing_stops_play():
    at = click(diverging_app(), "btn_play")
    for _ in range(20):
        if not playing(at):
            break
        run(at)
    assert playing(at) is False
    assert any("Training stopped" in text for text in errors(at))
    assert at.button(key="btn_play").disabled


# ---- views, explanations, display toggles --------------------------------------------------


def test_every_view_renders_before_and_after_a_step():
    at = new_app()
    views = list(at.segmented_control(key="view").options)
    assert set(BASIC_VIEWS) <= set(views)
    for view in views:
        show(at, view)
        assert not errors(at), view
    step(at)
    expectations = {
        "Forward pass": lambda: set(FORWARD) <= set(tables(at)),
        "Backward pass": lambda: set(BACKWARD) <= set(tables(at)),
        "Update": lambda: {"W1 before", "b2 after"} <= set(tables(at)),
        "Explain a number": lambda: any("Stored value" in str(c.value) for c in at.caption),
        "Gradient check": lambda: any("entries pass" in str(s.value) for s in at.success),
        "Network & units": lambda: len(chart_specs(at)) >= 4,
    }
    for view in views:
        show(at, view)
        assert at.segmented_control(key="view").value == view
        if view in expectations:
            assert expectations[view](), view
            assert not errors(at), view


# (explain option prefix, view with the table, table name, column of the table or None)
EXPLAINED = [
    ("Z1 ", "Forward pass", "Z1", None),
    ("A1 ", "Forward pass", "A1", None),
    ("Z2 ", "Forward pass", "Z2 = A2", 0),
    ("A2 ", "Forward pass", "Z2 = A2", 0),
    ("δ2 ", "Backward pass", "δ2", None),
    ("δ1 ", "Backward pass", "δ1", None),
    ("∇W2 ", "Backward pass", "∇W2", None),
    ("∇b2 ", "Backward pass", "∇b2", None),
    ("∇W1 ", "Backward pass", "∇W1", None),
    ("∇b1 ", "Backward pass", "∇b1", None),
    ("update W1", "Update", "W1 after", None),
    ("update b1", "Update", "b1 after", None),
    ("update W2", "Update", "W2 after", None),
    ("update b2", "Update", "b2 after", None),
]


def test_explain_a_number_matches_the_tables():
    at = step(new_app(), 2)
    shown: dict[str, np.ndarray] = {}
    for view in ("Forward pass", "Backward pass", "Update"):
        shown |= {name: t.frame.to_numpy() for name, t in tables(show(at, view)).items()}
    show(at, "Explain a number")
    options = list(at.selectbox(key="explain_matrix").options)
    for prefix, _, name, fixed_col in EXPLAINED:
        label = next(o for o in options if o.startswith(prefix))
        ok(at.selectbox(key="explain_matrix").set_value(label).run())
        table = shown[name]
        row = col = 0
        if not explain_select(at, "row").disabled:
            row = min(2, table.shape[0] - 1)
            box = explain_select(at, "row")
            ok(box.set_value(box.options[row]).run())
        if fixed_col is None and not explain_select(at, "col").disabled:
            col = table.shape[1] - 1
            box = explain_select(at, "col")
            ok(box.set_value(box.options[col]).run())
        expected = table[row, fixed_col if fixed_col is not None else col]
        stored = [str(c.value) for c in at.caption if str(c.value).startswith("Stored value")]
        assert len(stored) == 1, label
        value = float(re.match(r"Stored value: (\S+)", stored[0])[1])
        assert value == expected, label
        latex = [str(x.value) for x in at.latex]
        assert len(latex) >= 2, label
        assert latex_value(latex[-1]) == pytest.approx(expected, rel=5e-4, abs=1e-12), label


def test_the_explained_number_is_kept_across_a_trip_to_another_view():
    at = show(step(new_app(), 2), "Explain a number")
    label = next(o for o in at.selectbox(key="explain_matrix").options if o.startswith("δ1 "))
    ok(at.selectbox(key="explain_matrix").set_value(label).run())
    ok(explain_select(at, "row").set_value("row 4").run())
    show(show(at, "Forward pass"), "Explain a number")
    assert at.selectbox(key="explain_matrix").value == label
    assert explain_select(at, "row").value == "row 4"


def test_full_precision_toggle_changes_the_number_format():
    def formats(at) -> set[str]:
        found = set()
        for shown in tables(at).values():
            config = json.loads(shown.element.proto.columns)
            found |= {c["type_config"]["format"] for c in config.values()}
        return found

    at = step(new_app())
    assert formats(at) == {"%.4g"}
    ok(at.toggle(key="full_precision").set_value(True).run())
    assert formats(at) == {"%.17g"}
    assert formats(show(at, "Update")) == {"%.17g"}
    show(at, "Network & units")  # the toggle is not drawn there ...
    assert formats(show(at, "Forward pass")) == {"%.17g"}  # ... and keeps its value
    ok(at.toggle(key="full_precision").set_value(False).run())
    assert formats(at) == {"%.4g"}


def test_the_loss_axis_is_linear_log_or_chosen_by_the_spread_of_the_losses():
    at = run_n(new_app(), 20)
    assert not any('"type": "log"' in spec for spec in chart_specs(at))  # auto: one decade
    ok(at.segmented_control(key="loss_scale").set_value("log").run())
    assert sum('"type": "log"' in spec for spec in chart_specs(at)) == 1
    ok(at.segmented_control(key="loss_scale").set_value("auto").run())
    ok(at.selectbox(key="preset_choice").set_value("lr-too-high").run())
    click(at, "btn_preset")
    step(at, 3)  # the batch loss grows from about 1 to about 14,000: four decades
    assert sum('"type": "log"' in spec for spec in chart_specs(at)) == 1


def test_time_travel_shows_an_earlier_step_exactly():
    at = new_app()
    seen = []
    for _ in range(4):
        seen.append(snapshot(step(at)))
    ok(bound(at, "toggle", "follow_latest").set_value(False).run())
    ok(bound(at, "number_input", "pick_step").set_value(2).run())
    assert metrics(at)["Batch"] == "2 of 10"
    assert step_count(at) == 4
    assert any("step 2 of 4" in text for text in infos(at))
    assert_same_tables(seen[1], snapshot(at))
    click(at, "btn_prev_step")
    assert_same_tables(seen[0], snapshot(at))
    click(at, "btn_next_step")
    click(at, "btn_next_step")
    assert_same_tables(seen[2], snapshot(at))
    ok(bound(at, "toggle", "follow_latest").set_value(True).run())
    assert_same_tables(seen[3], snapshot(at))


def test_a_learning_rate_change_travels_in_the_link_and_a_link_replays_it():
    at = run_n(new_app(), 5)
    ok(at.select_slider(key="lr").set_value(0.1).run())
    assert step_count(at) == 5  # η does not restart training
    run_n(at, 3)
    assert (at.query_params["eta"], at.query_params["lr"]) == ("5*0.5", "0.1")
    lrs = app_state(at).run.trainer.history.column("lr").tolist()
    assert lrs == [0.5] * 5 + [0.1] * 3

    other = AppTest.from_file(str(APP_FILE), default_timeout=TIMEOUT)
    other.query_params.update({"eta": "5*0.5", "lr": "0.1"})
    ok(other.run())
    run_n(other, 8)
    assert app_state(other).run.trainer.history.column("lr").tolist() == lrs
    np.testing.assert_array_equal(
        app_state(other).run.trainer.history.param_matrix(),
        app_state(at).run.trainer.history.param_matrix(),
    )
    assert any("steps 1–5 at η = 0.5, then 0.1 from step 6" in str(c.value) for c in other.caption)


def test_time_travel_says_which_step_is_shown_everywhere():
    at = run_n(new_app(), 6)
    ok(bound(at, "toggle", "follow_latest").set_value(False).run())
    ok(bound(at, "number_input", "pick_step").set_value(2).run())
    shown = metrics(at)
    assert shown["Step"] == "6" and shown["Shown step"] == "2" and shown["Batch"] == "2 of 10"
    record = app_state(at).run.trainer.record(2)
    assert shown["Batch loss"] == f"{record.loss_before:.4g}"
    specs = [json.loads(spec) for spec in chart_specs(at)]
    loss = next(s for s in specs if s["title"]["text"] == "Loss per step")
    marks = [layer for layer in loss["layer"] if layer["mark"].get("type") == "text"]
    assert len(marks) == 1  # the labelled rule at the shown step (its data: test_charts)
    surface = next(s for s in specs if s["title"]["text"].startswith("Prediction"))
    rings = [layer for layer in surface["layer"] if layer["mark"].get("filled") is False]
    assert len(rings) == 1
    assert any(f"rings: the {len(record.indices)} rows" in t for t in surface["title"]["subtitle"])
    ok(bound(at, "toggle", "follow_latest").set_value(True).run())  # following: no marker
    loss = next(json.loads(s) for s in chart_specs(at) if '"Loss per step"' in s)
    assert not [layer for layer in loss["layer"] if layer["mark"].get("type") == "text"]


def test_rmse_is_shown_in_the_targets_units():
    at = run_n(new_app(), 5)
    run = app_state(at).run
    train = run.trainer.metrics().train
    rmse_train = metrics(at)["RMSE train · test"].split(" · ")[0]
    assert rmse_train == f"{train.rmse * run.experiment.scaling.y_scale:.4g}"
    assert float(rmse_train) == pytest.approx(
        np.sqrt(2 * train.loss) * run.experiment.scaling.y_scale, rel=1e-3
    )


def test_with_the_training_buttons_hidden_the_page_does_not_say_press_step():
    at = AppTest.from_file(str(APP_FILE), default_timeout=TIMEOUT)
    at.query_params.update({"present": "1", "hide": "controls"})
    ok(at.run())
    assert not any(b.key == "btn_step" for b in at.button)
    texts = infos(at)
    assert not any("Press Step" in t for t in texts)
    assert any("training buttons are hidden" in t for t in texts)


def test_a_restart_notice_names_the_setting_in_words():
    at = step(new_app())
    ok(at.slider(key="n_hidden").set_value(5).run())
    assert "Training restarted from step 0 because the hidden units changed." in infos(at)
    ok(at.selectbox(key="init_scheme").set_value("normal").run())
    assert "Training restarted from step 0 because the initialisation changed." in infos(at)
