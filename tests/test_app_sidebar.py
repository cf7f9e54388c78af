"""AppTest suite, part 3: every generator, network and training control of the sidebar."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from app_helpers import (
    batch_indices,
    frame,
    infos,
    metrics,
    new_app,
    ok,
    show,
    step,
    tables,
)


def first_batch(*changes) -> pd.DataFrame:
    """X | y of the first step after applying (widget kind, key, value) changes in order."""
    at = new_app()
    for kind, key, value in changes:
        ok(getattr(at, kind)(key=key).set_value(value).run())
    return frame(step(at), "X | y")


RAW = (("toggle", "standardise_inputs", False), ("toggle", "standardise_target", False))
FULL = (("toggle", "full_batch", True),)


def weights_before(*changes) -> dict[str, np.ndarray]:
    at = new_app()
    for kind, key, value in changes:
        ok(getattr(at, kind)(key=key).set_value(value).run())
    shown = tables(show(step(at), "Update"))
    return {name: shown[f"{name} before"].frame.to_numpy() for name in ("W1", "b1", "W2", "b2")}


def input_rows(shown: pd.DataFrame) -> set[tuple[float, float]]:
    return {(a, b) for a, b in shown[["x1", "x2"]].to_numpy()}


def sidebar_captions(at) -> list[str]:
    return [str(c.value) for c in at.sidebar.caption]


# ---- generated data ------------------------------------------------------------------------


def test_function_select_changes_y_but_not_x():
    at = new_app()
    assert any("sin(3 x1)" in text for text in sidebar_captions(at))
    ok(at.selectbox(key="gen_name").set_value("plane").run())
    assert any("0.8 x1" in text for text in sidebar_captions(at))
    plane = frame(step(at), "X | y")
    sine = first_batch()
    pd.testing.assert_frame_equal(plane[["x1", "x2"]], sine[["x1", "x2"]])
    assert not np.allclose(plane["y"], sine["y"])


def test_one_input_shows_one_feature():
    at = new_app()
    ok(at.segmented_control(key="gen_inputs").set_value(1).run())
    assert any("y = sin(3 x1)`" in text for text in sidebar_captions(at))
    shown = tables(step(at))
    assert list(shown["X | y"].frame.columns) == ["x1", "y"]
    assert shown["X | y"].header_shape == (16, 2)
    assert tables(show(at, "Backward pass"))["∇W1"].header_shape == (1, 3)
    show(at, "Network & units")


def test_samples_m_sets_the_training_rows():
    at = new_app()
    ok(at.number_input(key="gen_m").set_value(50).run())
    assert metrics(at)["Next batch"] == "1 of 3"  # 40 training rows in batches of 16
    ok(at.toggle(key="full_batch").set_value(True).run())
    assert tables(step(at))["X | y"].header_shape == (40, 3)


def test_noise_zero_gives_the_exact_function():
    for noise, exact in ((0.0, True), (0.05, False)):
        shown = first_batch(*RAW, ("slider", "gen_noise", noise))
        x1, x2, y = (shown[c].to_numpy() for c in ("x1", "x2", "y"))
        assert np.allclose(y, np.sin(3 * x1) * np.cos(3 * x2), rtol=0, atol=1e-12) is exact


def test_data_seed_draws_other_inputs():
    zero = first_batch(*RAW)
    one = first_batch(*RAW, ("number_input", "gen_seed", 1))
    assert np.abs(one[["x1", "x2"]].to_numpy()).max() <= 1  # uniform on [-1, 1]
    assert not np.isin(one["x1"].to_numpy(), zero["x1"].to_numpy()).any()


# ---- split and scaling ---------------------------------------------------------------------


def test_test_share_sets_the_split():
    at = new_app()
    ok(at.slider(key="test_fraction").set_value(0.5).run())
    assert metrics(at)["Next batch"] == "1 of 7"  # 100 training rows
    assert metrics(at)["Test loss"] != "—"
    ok(at.slider(key="test_fraction").set_value(0.0).run())
    m = metrics(at)
    assert (m["Next batch"], m["Test loss"], m["R² train · test"].split(" · ")[1]) == (
        "1 of 13",
        "—",
        "—",
    )
    step(at)
    assert metrics(at)["Step"] == "1"


def test_split_seed_picks_other_training_rows():
    zero = first_batch(*RAW, *FULL)
    one = first_batch(*RAW, *FULL, ("number_input", "split_seed", 1))
    assert zero.shape == one.shape == (160, 3)
    train_zero, train_one = input_rows(zero), input_rows(one)
    assert train_zero != train_one
    assert len(train_zero & train_one) > 100  # the same data, split differently


def test_standardise_inputs_toggle():
    scaled = first_batch(*FULL)[["x1", "x2"]].to_numpy()
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(scaled.std(axis=0), 1, rtol=1e-12)
    raw = first_batch(*FULL, ("toggle", "standardise_inputs", False))[["x1", "x2"]].to_numpy()
    assert np.abs(raw).max() <= 1
    assert np.all(np.abs(raw.std(axis=0) - 1) > 0.2)


def test_standardise_target_toggle():
    scaled = first_batch(*FULL)["y"].to_numpy()
    assert scaled.mean() == pytest.approx(0, abs=1e-12)
    assert scaled.std() == pytest.approx(1, rel=1e-12)
    raw = first_batch(*FULL, ("toggle", "standardise_target", False))
    assert abs(raw["y"].std() - 1) > 0.2
    # the inputs are still standardised
    np.testing.assert_allclose(raw[["x1", "x2"]].to_numpy().std(axis=0), 1, rtol=1e-12)


# ---- network and initialisation ------------------------------------------------------------


def test_hidden_units_set_the_shapes():
    at = new_app()
    ok(at.slider(key="n_hidden").set_value(5).run())
    shown = tables(step(at))
    assert shown["Z1"].header_shape == shown["Z1"].frame.shape == (16, 5)
    assert list(shown["A1"].frame.columns) == ["h1", "h2", "h3", "h4", "h5"]
    back = tables(show(at, "Backward pass"))
    assert back["δ1"].header_shape == (16, 5)
    assert back["∇W1"].header_shape == (2, 5)
    assert back["∇W2"].header_shape == (5, 1)


def test_zero_and_constant_initialisation():
    at = new_app()
    ok(at.selectbox(key="init_scheme").set_value("zeros").run())
    assert not [w for w in at.number_input if w.key == "init_scale"]
    zeros = weights_before(("selectbox", "init_scheme", "zeros"))
    assert all((w == 0).all() for w in zeros.values())
    const = weights_before(
        ("selectbox", "init_scheme", "constant"), ("number_input", "init_scale", 0.3)
    )
    assert (const["W1"] == 0.3).all() and (const["W2"] == 0.3).all()
    assert (const["b1"] == 0).all()


def test_uniform_and_normal_initialisation_use_the_scale():
    small = weights_before(
        ("selectbox", "init_scheme", "uniform"), ("number_input", "init_scale", 0.05)
    )
    assert np.abs(small["W1"]).max() <= 0.05
    assert len(np.unique(small["W1"])) == small["W1"].size
    at = new_app()
    ok(at.selectbox(key="init_scheme").set_value("normal").run())
    assert at.number_input(key="init_scale").label == "Std σ"
    ok(at.number_input(key="init_scale").set_value(2.0).run())
    assert any("restarted" in text for text in infos(at))
    big = weights_before(
        ("selectbox", "init_scheme", "normal"), ("number_input", "init_scale", 2.0)
    )
    assert np.abs(big["W1"]).max() > 0.5


def test_xavier_he_and_the_weight_seed():
    xavier = weights_before()
    he = weights_before(("selectbox", "init_scheme", "he"))
    seeded = weights_before(("number_input", "init_seed", 1))
    assert not np.array_equal(xavier["W1"], he["W1"])
    assert not np.array_equal(xavier["W1"], seeded["W1"])
    assert xavier["W1"].shape == he["W1"].shape == seeded["W1"].shape == (2, 3)


# ---- batches -------------------------------------------------------------------------------


def test_batch_size_sets_the_rows_of_every_batch_matrix():
    at = new_app()
    ok(at.number_input(key="batch_size").set_value(8).run())
    assert metrics(at)["Next batch"] == "1 of 20"
    shown = tables(step(at))
    for name in ("X | y", "Z1", "A1", "Z2 = A2"):
        assert shown[name].header_shape[0] == shown[name].frame.shape[0] == 8, name
    back = tables(show(at, "Backward pass"))
    assert back["δ2"].header_shape == (8, 1)
    assert back["δ1"].header_shape == (8, 3)


def test_full_batch_uses_every_training_row():
    at = new_app()
    ok(at.toggle(key="full_batch").set_value(True).run())
    assert at.number_input(key="batch_size").disabled
    assert metrics(at)["Next batch"] == "1 of 1"
    shown = tables(step(at))
    assert shown["X | y"].header_shape == (160, 3)
    assert sorted(batch_indices(at)) == sorted(set(batch_indices(at)))
    assert len(batch_indices(at)) == 160
    assert tables(show(at, "Backward pass"))["δ1"].header_shape == (160, 3)
    step(at)
    assert metrics(at)["Epoch"] == "2"


def test_shuffle_toggle_and_seed():
    at = new_app()
    ok(at.toggle(key="shuffle").set_value(False).run())
    assert at.number_input(key="shuffle_seed").disabled
    first = batch_indices(step(at))
    assert first == list(range(first[0], first[0] + 16))
    second = batch_indices(step(at))
    assert second == [i + 16 for i in first]

    shuffled = batch_indices(step(new_app()))
    assert shuffled != sorted(shuffled)
    at = new_app()
    ok(at.number_input(key="shuffle_seed").set_value(1).run())
    assert not at.number_input(key="shuffle_seed").disabled
    reseeded = batch_indices(step(at))
    assert set(reseeded) != set(shuffled)


def test_a_full_batch_of_80000_rows_stays_responsive():
    at = new_app()
    ok(at.number_input(key="gen_m").set_value(100_000).run())
    ok(at.toggle(key="full_batch").set_value(True).run())
    start = time.perf_counter()
    shown = tables(step(at))["X | y"]
    cut_notes = [c for c in at.caption if "of 80,000 rows" in str(c.value)]
    show(at, "Backward pass")
    show(at, "Explain a number")
    elapsed = time.perf_counter() - start
    assert shown.header_shape == (80_000, 3)
    assert 0 < len(shown.frame) <= 1_000  # a long batch is cut short on the page, and says so
    assert len(cut_notes) == 4
    assert elapsed < 20  # drawing it does not stall (it once took minutes)
