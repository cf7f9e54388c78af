"""AppTest suite: the One sample view, its batch row, the storyboard's pick and its charts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from app_helpers import (
    app_state,
    csv_bytes,
    infos,
    new_app,
    ok,
    run,
    show,
    step,
    upload,
)

import views.state
from charts.common import spoken
from core.sample_graph import sample_graph

VIEW = "One sample"
pytestmark = pytest.mark.skipif(
    VIEW not in views.state.STEP_VIEWS,
    reason=f"the {VIEW!r} view is not in views.state.STEP_VIEWS yet",
)


def record(at):
    """The record of the step shown (the latest)."""
    trainer = app_state(at).run.trainer
    return trainer.record(trainer.step_count)


def specs(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def graph_spec(at) -> dict:
    (found,) = [s for s in specs(at) if "as a graph of numbers" in s.get("description", "")]
    return found


def sum_spec(at) -> dict:
    (found,) = [s for s in specs(at) if s.get("description", "").startswith("How the ")]
    return found


def table(at) -> pd.DataFrame:
    (found,) = [d.value for d in at.dataframe if "batch total" in d.value.columns]
    return found


def row_box(at):
    """The "Batch row" selectbox (its key names the batch size)."""
    (box,) = [s for s in at.selectbox if str(s.key).startswith("sample_row_")]
    return box


def choose_row(at, i: int):
    return ok(row_box(at).set_value(i).run())


def gradients(rec) -> np.ndarray:
    g = rec.grads
    return np.concatenate([g.dW1.ravel(), g.db1.ravel(), g.dW2.ravel(), g.db2.ravel()])


def shown_row(at) -> int:
    """The batch row (0-based) the view draws, read from the graph's text alternative."""
    text = graph_spec(at)["description"]
    return int(text.removeprefix("Batch row ").split(" ", 1)[0]) - 1


def assert_shows_row(at, i: int) -> None:
    rec = record(at)
    g = sample_graph(rec, i)
    text = graph_spec(at)["description"]
    assert text.startswith(f"Batch row {i + 1} of {g.m} (training row #{rec.indices[i] + 1})")
    assert f"ℓ{str(i + 1).translate(str.maketrans('0123456789', '₀₁₂₃₄₅₆₇₈₉'))} = " in text
    assert f"= {spoken(g.loss)} of the batch loss L = {spoken(rec.loss_before)}" in text
    assert f"ŷ = z2 = {spoken(g.a2)} against the target y = {spoken(g.y)}" in text
    assert f"row {i + 1} gives {spoken(g.sums.dW1.row[0, 0])}" in sum_spec(at)["description"]
    shown = table(at)
    row_parts = np.concatenate([s.row.ravel() for s in g.sums])
    np.testing.assert_array_equal(shown["value"].to_numpy(), row_parts)
    np.testing.assert_array_equal(shown["batch total"].to_numpy(), gradients(rec))
    assert row_box(at).value == i


def test_the_view_waits_for_a_step_then_draws_the_first_row():
    at = new_app(VIEW)
    assert any("Press **Step**" in text for text in infos(at))
    assert not specs(at) or all("as a graph" not in s.get("description", "") for s in specs(at))
    step(at)
    assert_shows_row(at, 0)
    assert row_box(at).options[:2] == [
        f"row 1 · training row #{record(at).indices[0] + 1}",
        f"row 2 · training row #{record(at).indices[1] + 1}",
    ]
    assert len(row_box(at).options) == 16


def test_the_tables_totals_are_the_records_gradients_with_their_labels():
    at = step(new_app(VIEW), 2)
    shown = table(at)
    np.testing.assert_array_equal(shown["batch total"].to_numpy(), gradients(record(at)))
    assert list(shown["gradient"][:3]) == ["∇W1[1,1]", "∇W1[1,2]", "∇W1[1,3]"]
    assert list(shown["gradient"][-4:]) == ["∇W2[1]", "∇W2[2]", "∇W2[3]", "∇b2"]
    assert list(shown["connects"][:2]) == ["x1 → h1", "x1 → h2"]
    assert shown["this row's part"].iloc[0] == "x1·δ1[1,1]"
    assert len(shown) == 2 * 3 + 3 + 3 + 1


def test_choosing_a_batch_row_changes_the_numbers_and_it_stays_through_steps():
    at = step(new_app(VIEW))
    first = table(at)["value"].to_numpy()
    choose_row(at, 5)
    assert app_state(at).page.sample_row == 5
    assert_shows_row(at, 5)
    assert not np.array_equal(table(at)["value"].to_numpy(), first)
    step(at)
    assert_shows_row(at, 5)  # the next batch, the same place in it


def test_a_storyboard_pick_in_a_batch_row_selects_that_row_once():
    at = step(new_app(VIEW))
    app_state(at).page.story_pick = ("Z1", 3, 0)
    assert_shows_row(run(at), 3)
    choose_row(at, 1)  # a row chosen here afterwards stays
    assert_shows_row(run(at), 1)
    step(at)
    assert_shows_row(at, 1)
    app_state(at).page.story_pick = ("delta1", 7, 1)  # a new pick wins again
    assert_shows_row(run(at), 7)
    app_state(at).page.story_pick = ("dW1", 0, 0)  # a gradient belongs to no single row
    assert_shows_row(run(at), 7)
    app_state(at).page.story_pick = ("y", 2, 0)
    assert_shows_row(run(at), 2)


def test_a_smaller_last_batch_gets_its_own_widget_and_a_row_that_exists():
    at = new_app(VIEW)
    ok(at.number_input(key="batch_size").set_value(150).run())  # 160 rows: batches of 150 and 10
    step(at)
    choose_row(at, 120)
    assert_shows_row(at, 120)
    step(at)
    assert len(record(at).indices) == 10
    assert row_box(at).key == "sample_row_10"
    assert_shows_row(at, 9)


def test_one_input():
    at = new_app(VIEW)
    ok(at.segmented_control(key="gen_inputs").set_value(1).run())
    step(at)
    assert_shows_row(at, 0)
    text = graph_spec(at)["description"]
    assert "Inputs x1 = " in text and "x2" not in text
    assert len(table(at)) == 1 * 3 + 3 + 3 + 1


def test_four_inputs_and_eight_hidden_units():
    at = new_app(VIEW)
    ok(at.radio(key="source").set_value("Sample dataset").run())
    ok(at.selectbox(key="sample_name").set_value("diabetes").run())
    features = ["bmi", "blood_pressure", "ldl", "hdl"]
    ok(at.multiselect(key="features").set_value(features).run())
    ok(at.slider(key="n_hidden").set_value(8).run())
    step(at)
    choose_row(at, 15)
    assert_shows_row(at, 15)
    text = graph_spec(at)["description"]
    assert "8 sigmoid hidden units" in text and "x4 (hdl) = " in text
    shown = table(at)
    assert len(shown) == 4 * 8 + 8 + 8 + 1
    assert shown["connects"].iloc[-18] == "x4 hdl → h8"  # the last ∇W1 entry


def test_column_names_are_shown_as_typed():
    at = new_app(VIEW)
    ok(at.radio(key="source").set_value("Upload CSV").run())
    name = "**b**_[x](y)"
    data = csv_bytes(30).decode().replace("a,b,c", f"a,{name},c", 1).encode()
    upload(at, "d.csv", data)
    step(at)
    shown = table(at)
    assert f"x2 {name} → h1" in set(shown["connects"])
    assert f"x2 ({name}) = " in graph_spec(at)["description"]


def test_presenter_mode_enlarges_the_charts():
    at = step(new_app(VIEW))
    choose_row(at, 2)
    normal = graph_spec(at)["title"]["fontSize"]
    ok(at.toggle(key="present").set_value(True).run())
    assert app_state(at).page.view == VIEW
    assert_shows_row(at, 2)
    assert graph_spec(at)["title"]["fontSize"] == pytest.approx(1.5 * normal)
    assert sum_spec(at)["title"]["fontSize"] == pytest.approx(1.5 * normal)
    ok(at.selectbox(key="view_menu").set_value("Forward pass").run())
    ok(at.selectbox(key="view_menu").set_value(VIEW).run())
    assert_shows_row(at, 2)


def test_other_views_still_draw_after_this_one():
    at = step(new_app(VIEW))
    choose_row(at, 4)
    for view in ("Storyboard", "Explain a number", VIEW):
        show(at, view)
    assert_shows_row(at, 4)


def test_a_batch_of_one_row():
    at = new_app(VIEW)
    ok(at.number_input(key="batch_size").set_value(1).run())
    step(at)
    assert row_box(at).key == "sample_row_1" and row_box(at).disabled
    assert_shows_row(at, 0)
    shown = table(at)
    np.testing.assert_array_equal(shown["value"], shown["batch total"])  # one row is the sum
