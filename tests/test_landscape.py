"""The loss landscape: the grid's losses against the network's own forward pass, the three ways of
choosing a slice, the projection of the path and the chart."""

from __future__ import annotations

import json

import numpy as np
import pytest
from core_helpers import random_problem
from test_charts import schema_validator, spec

import charts
from charts.landscape import landscape_chart
from core import landscape as land
from core.network import Params, forward
from core.trainer import Trainer

SIZES = [(1, 1), (2, 3), (4, 8), (3, 2)]


def loss_at(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """The seed's loss, (1/2m)‖A2 − y‖², in float64: the reference the grid is checked against."""
    return 0.5 * float(np.mean((forward(params, X).A2 - y) ** 2))


def trained(n_in: int, n_hidden: int, steps: int, lr: float = 0.5, seed: int = 0):
    params, X, y = random_problem(n_in, n_hidden, 60, seed)
    trainer = Trainer(X, y, params, batch_size=12, shuffle=True, shuffle_seed=seed)
    trainer.run(steps, lr)
    path = np.vstack([trainer.history.initial.flat(), trainer.history.param_matrix()])
    return trainer, path


@pytest.mark.parametrize(("n_in", "n_hidden"), SIZES)
def test_every_grid_point_is_the_loss_of_the_parameters_it_stands_for(n_in, n_hidden):
    params, X, y = random_problem(n_in, n_hidden, 150, seed=n_in * 10 + n_hidden)
    sl = land.random_slice(params, seed=3)
    alphas, betas = np.linspace(-1, 1, 7), np.linspace(-0.5, 2, 5)
    grid = land.loss_grid(X, y, sl, alphas, betas, n_in, n_hidden)
    assert grid.shape == (5, 7)
    for b, beta in enumerate(betas):
        for a, alpha in enumerate(alphas):
            at = Params.from_flat(sl.center + alpha * sl.d1 + beta * sl.d2, n_in, n_hidden)
            assert grid[b, a] == pytest.approx(loss_at(at, X, y), rel=2e-6)


def test_chunks_do_not_change_the_result(monkeypatch):
    params, X, y = random_problem(2, 3, 500, seed=1)
    sl = land.random_slice(params, seed=0)
    axis = np.linspace(-1, 1, 9)
    whole = land.loss_grid(X, y, sl, axis, axis, 2, 3)
    monkeypatch.setattr(land, "CHUNK_ELEMENTS", 9 * 9 * 3 * 7)  # 7 rows a chunk
    np.testing.assert_allclose(land.loss_grid(X, y, sl, axis, axis, 2, 3), whole, rtol=1e-6)


def test_saturated_units_give_finite_losses():
    params, X, y = random_problem(2, 3, 50, seed=2)
    huge = Params.of(params.W1 * 1e4, params.b1, params.W2, params.b2)
    sl = land.random_slice(huge, seed=0)
    grid = land.loss_grid(X, y, sl, np.array([-1.0, 0, 1]), np.array([0.0]), 2, 3)
    assert np.isfinite(grid).all()
    assert grid[0, 1] == pytest.approx(loss_at(huge, X, y), rel=1e-5)


def test_two_parameters_are_unit_directions_and_name_the_axes():
    params, *_ = random_problem(2, 3, 10, seed=0)
    names = land.param_names(2, 3)
    assert names[:3] == ["W1[1,1]", "W1[1,2]", "W1[1,3]"] and names[-1] == "b2"
    assert len(names) == params.flat().size
    sl = land.parameter_slice(params, "W1[2,1]", "W2[3]")
    assert sl.labels == ("W1[2,1]", "W2[3]")
    assert sl.d1[names.index("W1[2,1]")] == 1 and sl.d1.sum() == 1
    assert sl.d2[names.index("W2[3]")] == 1 and sl.d2.sum() == 1
    moved = Params.from_flat(sl.center + 0.25 * sl.d1, 2, 3)
    assert moved.W1[1, 0] == params.W1[1, 0] + 0.25  # W1[2,1] is row 2, column 1
    with pytest.raises(ValueError):
        land.parameter_slice(params, "b2", "b2")


def test_random_directions_have_each_layers_norm_and_depend_on_the_seed():
    params, *_ = random_problem(3, 4, 10, seed=0)
    theta = params.flat()
    first = 3 * 4 + 4
    sl = land.random_slice(params, seed=5)
    for d in (sl.d1, sl.d2):
        assert np.linalg.norm(d[:first]) == pytest.approx(np.linalg.norm(theta[:first]))
        assert np.linalg.norm(d[first:]) == pytest.approx(np.linalg.norm(theta[first:]))
    assert np.array_equal(sl.d1, land.random_slice(params, seed=5).d1)
    assert not np.array_equal(sl.d1, land.random_slice(params, seed=6).d1)
    zeros = Params.of(*(np.zeros_like(a) for a in params))
    assert np.linalg.norm(land.random_slice(zeros, seed=0).d1[:first]) == pytest.approx(1.0)


def test_pca_directions_are_orthonormal_and_hold_most_of_the_path():
    trainer, path = trained(2, 3, 120)
    centre = trainer.record(120).params_before
    sl = land.pca_slice(centre, path)
    D = np.stack([sl.d1, sl.d2])
    np.testing.assert_allclose(D @ D.T, np.eye(2), atol=1e-12)
    assert sl.labels[0].startswith("PC1 (") and "variance" in sl.labels[0]
    moves = path - centre.flat()
    centred = moves - moves.mean(axis=0)
    kept = np.linalg.norm(centred @ D.T) ** 2 / np.linalg.norm(centred) ** 2
    for _ in range(20):  # no other pair of orthonormal directions keeps more
        Q, _ = np.linalg.qr(np.random.default_rng(_).normal(size=(centre.flat().size, 2)))
        assert np.linalg.norm(centred @ Q) ** 2 / np.linalg.norm(centred) ** 2 <= kept + 1e-12


def test_a_path_of_one_step_is_filled_in_with_a_random_direction():
    trainer, path = trained(2, 3, 1)
    centre = trainer.record(1).params_before
    sl = land.pca_slice(centre, path)
    assert sl.labels[1] == "direction 2 (random)" and "fills in" in sl.note
    assert abs(sl.d1 @ sl.d2) < 1e-12 and np.linalg.norm(sl.d2) == pytest.approx(1.0)


def test_the_path_and_the_arrow_project_exactly_when_they_lie_in_the_slice():
    params, X, y = random_problem(2, 3, 40, seed=4)
    sl = land.random_slice(params, seed=1)
    coords = np.array([[0.0, 0.0], [0.3, -0.2], [1.5, 0.7]])
    points = sl.center + coords[:, :1] * sl.d1 + coords[:, 1:] * sl.d2
    found, residual = land.coordinates(points, sl)
    np.testing.assert_allclose(found, coords, atol=1e-12)
    assert residual < 1e-12
    after = Params.from_flat(points[2], 2, 3)
    result = land.landscape(X, y, sl, points, params, after, grid=11)
    np.testing.assert_allclose(result.step_from, [0, 0], atol=1e-12)
    np.testing.assert_allclose(result.step_to, [1.5, 0.7], atol=1e-12)
    assert result.alphas[-1] >= 1.5 and result.betas[-1] >= 0.7  # the whole path is on the map
    assert result.alphas[-1] >= land.MIN_SPAN and result.loss.shape == (11, 11)
    assert result.loss[5, 5] == pytest.approx(loss_at(params, X, y), rel=2e-6)  # the centre


def test_the_grid_is_capped_at_41():
    params, X, y = random_problem(1, 2, 20, seed=0)
    sl = land.random_slice(params, 0)
    result = land.landscape(X, y, sl, params.flat()[None], params, params, grid=500)
    assert result.loss.shape == (41, 41)


@pytest.mark.parametrize("mode", land.MODES)
def test_the_chart_is_valid_described_and_readable_on_a_projector(mode):
    trainer, path = trained(2, 3, 60)
    rec = trainer.record(60)
    centre = rec.params_before
    sl = {
        land.PARAMETERS: lambda: land.parameter_slice(centre, "W1[1,1]", "W2[2]"),
        land.RANDOM: lambda: land.random_slice(centre, 0),
        land.PCA: lambda: land.pca_slice(centre, path),
    }[mode]()
    result = land.landscape(trainer.X, trainer.y, sl, path, centre, rec.params_after, grid=21)
    offset = (float(centre.W1[0, 0]), float(centre.W2[1, 0])) if mode == land.PARAMETERS else (0, 0)
    chart = landscape_chart(result, 60, offset)
    s = spec(chart)
    schema_validator().validate(s)
    schema_validator().validate(spec(charts.enlarge_text(chart, 1.5)))
    assert "step 60" in s["description"] and "21×21" in s["description"]
    heat = next(rows for rows in s["datasets"].values() if rows and "loss" in rows[0])
    assert len(heat) == 21 * 21
    assert min(r["loss"] for r in heat) == pytest.approx(float(result.loss.min()))
    marks = [layer["mark"]["type"] for layer in s["layer"]]
    assert marks.count("line") == 2 and "rule" in marks  # the path and the arrow
    json.dumps({k: v for k, v in chart.items() if k != "datasets"}, allow_nan=False)
    if mode == land.PARAMETERS:  # the axes show the parameters' own values
        x = s["layer"][0]["encoding"]["x"]
        assert x["axis"]["title"] == "W1[1,1]"
        assert x["scale"]["domain"][0] < centre.W1[0, 0] < x["scale"]["domain"][1]
