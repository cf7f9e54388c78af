"""AppTest suite: the storyboard, the page's default view of a step, and its explained numbers.

A click on a cell only happens in a browser (tests/browser/test_storyboard.py); here the picked
cell is set in the app state, as the click's callback sets it."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from app_helpers import (
    app_state,
    click,
    infos,
    new_app,
    ok,
    run,
    show,
    step,
    story_blocks,
    storyboard_data,
    walk,
)

from charts.storyboard import ROWS_NORMAL, ROWS_PRESENTING


def full_values(block: dict) -> np.ndarray:
    return np.array([[float(cell[2]) for cell in row] for row in block["cells"]])


def latex(at) -> str:
    return " ".join(str(el.value) for el in at.latex)


def pick(at, block: str, row: int, col: int):
    app_state(at).page.story_pick = (block, row, col)
    return run(at)


def test_the_storyboard_is_the_default_view_and_waits_for_the_first_step():
    at = new_app(view=None)
    assert at.segmented_control(key="view").value == "Storyboard"
    assert storyboard_data(at) is None
    assert any("Press **Step**" in text for text in infos(at))


def test_after_a_step_every_matrix_is_drawn_once_with_the_records_numbers():
    at = step(new_app(view=None))
    record = app_state(at).run.trainer.record(1)
    blocks = story_blocks(storyboard_data(at))
    k = ROWS_NORMAL
    expected = {
        "X": record.X[:k],
        "Z1": record.fwd.Z1[:k],
        "A1": record.fwd.A1[:k],
        "A2": record.fwd.A2[:k],
        "y": record.y[:k],
        "delta2": record.grads.delta2[:k],
        "delta1": record.grads.delta1[:k],
        "dW1": record.grads.dW1,
        "db1": record.grads.db1,
        "dW2": record.grads.dW2,
        "db2": record.grads.db2,
        "W1": record.params_before.W1,
        "after_b2": record.params_after.b2,
    }
    for name, matrix in expected.items():
        np.testing.assert_array_equal(full_values(blocks[name]), matrix, err_msg=name)
    assert blocks["Z1"]["shape"] == "16×3" and blocks["dW1"]["shape"] == "2×3"
    assert not at.dataframe, "the storyboard draws its matrices itself, not as tables as well"


def test_presenter_mode_shows_fewer_rows_and_more_rows_on_demand():
    at = step(new_app(view=None))
    assert storyboard_data(at)["rows_shown"] == ROWS_NORMAL
    ok(at.toggle(key="present").set_value(True).run())
    data = storyboard_data(at)
    assert (data["rows_shown"], data["more_rows"], data["presenting"]) == (
        ROWS_PRESENTING,
        16 - ROWS_PRESENTING,
        True,
    )
    app_state(at).page.story_expanded = True
    data = storyboard_data(run(at))
    assert (data["rows_shown"], data["more_rows"]) == (16, 0)


@pytest.mark.parametrize(
    ("block", "row", "col", "symbol"),
    [
        ("Z1", 1, 2, "Z_1[2,3]"),
        ("A1", 0, 0, "A_1[1,1]"),
        ("A2", 3, 0, "A_2[4]"),
        ("delta2", 2, 0, "delta_2[3]"),
        ("delta2W2T", 1, 1, "delta_1[2,2]"),
        ("sigma_prime", 1, 1, "delta_1[2,2]"),
        ("dW1", 1, 2, r"\nabla W_1[2,3] ="),
        ("db2", 0, 0, r"\nabla b_2 = \underbrace"),
        ("W1", 0, 1, "W_1[1,2]"),
        ("after_b1", 0, 2, r"b_1[3] \leftarrow"),
    ],
)
def test_a_picked_number_is_written_out_with_its_formula(block, row, col, symbol):
    at = pick(step(new_app(view=None)), block, row, col)
    text = latex(at)
    assert symbol in text, text
    data = storyboard_data(at)
    assert data["pick"] == [block, row, col]
    assert data["highlight"], "the cells it comes from are marked"


def test_an_input_or_target_is_named_with_its_training_row():
    at = pick(step(new_app(view=None)), "X", 2, 1)
    record = app_state(at).run.trainer.record(1)
    row = int(record.indices[2]) + 1
    assert any(f"Input x2 of training row #{row}" in text for text in infos(at))
    at = pick(at, "y", 0, 0)
    assert any(f"training row #{int(record.indices[0]) + 1}" in text for text in infos(at))


def test_the_pick_follows_the_next_steps_and_the_explain_view_opens_on_it():
    at = pick(step(new_app(view=None)), "delta1", 1, 2)
    step(at)
    assert storyboard_data(at)["pick"] == ["delta1", 1, 2]
    assert "delta_1[2,3]" in latex(at)


def test_a_pick_the_new_batch_does_not_have_is_dropped_without_an_error():
    at = pick(step(new_app(view=None)), "Z1", 15, 0)
    assert "Z_1[16,1]" in latex(at)
    ok(at.number_input(key="batch_size").set_value(4).run())
    step(at)
    assert storyboard_data(at)["pick"] is None
    assert not at.exception


def test_in_presenter_mode_the_views_are_a_menu_and_the_sidebar_can_be_empty():
    at = step(new_app(view=None))
    ok(at.toggle(key="present").set_value(True).run())
    ok(at.multiselect(key="hide").set_value(["data", "network", "training"]).run())
    assert not list(walk(at.sidebar)) or not [
        el for el in walk(at.sidebar) if getattr(el, "key", None)
    ], "nothing left in the sidebar"
    keys = {getattr(el, "key", None) for el in walk(at.main)}
    assert {"view_menu", "btn_leave_presenting", "present", "hide"} <= keys
    assert "view" not in keys
    ok(at.selectbox(key="view_menu").set_value("Backward pass").run())
    assert app_state(at).page.view == "Backward pass"
    click(at, "btn_leave_presenting")
    assert not app_state(at).config.present
    assert at.segmented_control(key="view").value == "Backward pass"
    assert any(getattr(el, "key", None) == "source" for el in walk(at.sidebar))


def test_step_run_n_and_play_have_keyboard_shortcuts():
    at = new_app(view=None)
    shortcuts = {key: at.button(key=key).proto.shortcut for key in ("btn_step", "btn_run_n")}
    assert shortcuts == {"btn_step": "s", "btn_run_n": "n"}
    assert at.button(key="btn_play").proto.shortcut == "p"
    click(at, "btn_play")
    assert at.button(key="btn_pause").proto.shortcut == "p"


def test_every_other_view_still_draws_after_the_storyboard():
    at = pick(step(new_app(view=None)), "Z1", 0, 0)
    for view in ("Forward pass", "Explain a number", "Storyboard"):
        show(at, view)
    assert storyboard_data(at)["pick"] == ["Z1", 0, 0]


def prediction_map(at) -> dict:
    """The prediction map's spec, with its datasets (sent as Arrow) back as DataFrames."""
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        if "Prediction of" in spec.get("description", ""):
            spec["datasets"] = {
                d.name: pa.ipc.open_stream(d.data.data).read_pandas() for d in el.proto.datasets
            }
            return spec
    raise AssertionError("no prediction map")


def test_the_prediction_map_squares_the_training_row_of_the_picked_number():
    at = pick(step(new_app(view=None)), "delta1", 2, 1)
    record = app_state(at).run.trainer.record(1)
    row = int(record.indices[2])
    X = app_state(at).run.experiment.split.X_train
    chart = prediction_map(at)
    assert f"training row #{row + 1}, picked in the storyboard squared" in chart["description"]
    top = chart["layer"][-1]
    assert top["mark"]["type"] == "square"
    square = chart["datasets"][top["data"]["name"]]
    assert (square["x1"].item(), square["x2"].item()) == (X[row, 0], X[row, 1])
    pick(at, "dW1", 0, 0)  # a gradient belongs to no single row: nothing is squared
    assert "squared" not in prediction_map(at)["description"]
    pick(at, "X", 2, 0)
    show(at, "Forward pass")  # only the storyboard links to the map
    assert "squared" not in prediction_map(at)["description"]
