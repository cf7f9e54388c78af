"""AppTest suite: the Loss landscape view, its three kinds of slice and its cache."""

from __future__ import annotations

import json

import pytest
from app_helpers import app_state, bound, new_app, ok, run_n, show, step

from core import landscape as land


def landscape_spec(at) -> dict:
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        if spec.get("description", "").startswith("Loss landscape"):
            return spec
    raise AssertionError("no landscape chart")


def open_view(steps: int = 20):
    at = new_app(view=None)
    run_n(at, steps)
    return show(at, "Loss landscape")


def test_the_view_draws_the_landscape_of_the_shown_step_with_its_path():
    at = open_view(20)
    spec = landscape_spec(at)
    assert "around step 20" in spec["description"] and "path of 20 steps" in spec["description"]
    computed = app_state(at).landscape
    assert computed.result.loss.shape == (41, 41)
    assert computed.result.path.shape == (21, 2)  # steps 0 to 20
    assert any("160 training rows" in str(c.value) for c in at.caption)


def test_it_is_computed_once_per_step_and_slice():
    at = open_view(5)
    first = app_state(at).landscape
    ok(at.run())
    assert app_state(at).landscape is first  # a rerun reuses it
    step(at)
    assert app_state(at).landscape is not first
    assert "around step 6" in landscape_spec(at)["description"]


@pytest.mark.parametrize("mode", land.MODES)
def test_every_kind_of_slice(mode):
    at = open_view(10)
    ok(at.radio(key="land_mode").set_value(mode).run())
    result = app_state(at).landscape.result
    if mode == land.PARAMETERS:
        assert result.slice.labels == ("W1[1,1]", "W2[1]")
        ok(at.selectbox(key="land_y_13").set_value("b2").run())
        assert app_state(at).landscape.result.slice.labels == ("W1[1,1]", "b2")
        ok(at.selectbox(key="land_x_13").set_value("b2").run())  # the other one moves on
        labels = app_state(at).landscape.result.slice.labels
        assert labels[0] == "b2" and labels[1] != "b2"
    elif mode == land.RANDOM:
        before = result.slice.d1
        ok(at.number_input(key="land_seed").set_value(7).run())
        assert (app_state(at).landscape.result.slice.d1 != before).any()
    else:
        assert result.slice.labels[0].startswith("PC1")


def test_a_smaller_grid_and_an_earlier_step():
    at = open_view(10)
    ok(at.select_slider(key="land_grid").set_value(11).run())
    assert app_state(at).landscape.result.loss.shape == (11, 11)
    ok(bound(at, "toggle", "follow_latest").set_value(False).run())
    ok(bound(at, "number_input", "pick_step").set_value(3).run())
    assert "around step 3" in landscape_spec(at)["description"]


def test_one_input_and_a_big_network_and_presenter_mode():
    at = new_app(view=None)
    ok(at.segmented_control(key="gen_inputs").set_value(1).run())
    step(at, 3)
    show(at, "Loss landscape")
    assert app_state(at).landscape.result.slice.d1.size == 1 * 3 + 3 + 3 + 1
    ok(at.slider(key="n_hidden").set_value(8).run())
    ok(at.segmented_control(key="gen_inputs").set_value(2).run())
    step(at, 3)
    ok(at.toggle(key="present").set_value(True).run())
    assert app_state(at).landscape.result.slice.d1.size == 2 * 8 + 8 + 8 + 1
    assert landscape_spec(at)["title"]["fontSize"] >= 1.5 * 19
