"""Unit tests of core.history: exact storage, read-only views, growth and memory."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import History, Params, init_params
from core.history import FIELDS

MB = 1_000_000


def varied_params(n_in: int, n_hidden: int, k: int) -> Params:
    """A distinct parameter record per k, with values that need all 53 mantissa bits."""
    rng = np.random.default_rng(k)
    return Params.of(
        rng.normal(size=(n_in, n_hidden)),
        rng.normal(size=(1, n_hidden)),
        rng.normal(size=(n_hidden, 1)),
        rng.normal(size=(1, 1)),
    )


def test_params_round_trip_exactly_through_growth():
    initial = init_params("he", 3, 5, seed=1)
    history = History(initial, chunk_rows=4)
    stored = [varied_params(3, 5, k) for k in range(11)]  # fills three chunks of 4 rows
    for k, p in enumerate(stored):
        history.append(p, lr=0.1 * k, batch_loss=float(k))
    assert len(history) == 11
    assert history.params_after(0) is initial
    for step, p in enumerate(stored, start=1):
        back = history.params_after(step)
        for a, b in zip(back, p, strict=True):
            assert a.shape == b.shape
            assert np.array_equal(a, b)
            assert not a.flags.writeable
    assert history.column("lr").tolist() == [0.1 * k for k in range(11)]
    assert history.column("batch_loss").tolist() == [float(k) for k in range(11)]
    matrix = history.param_matrix()
    assert matrix.shape == (11, 3 * 5 + 5 + 5 + 1)
    for row, p in zip(matrix, stored, strict=True):
        assert np.array_equal(row, p.flat())


def test_unset_scalars_are_nan_and_set_eval_fills_them():
    history = History(init_params("zeros"))
    history.append(init_params("zeros"), lr=0.5, batch_loss=1.0)
    history.append(init_params("zeros"), lr=0.5, batch_loss=2.0)
    for name in ("train_loss", "test_loss"):
        assert np.isnan(history.column(name)).all()
    history.set_eval(2, 0.25, 0.75)
    assert np.isnan(history.column("train_loss")[0])
    assert history.column("train_loss")[1] == 0.25
    assert history.column("test_loss")[1] == 0.75
    assert history.column("batch_loss").tolist() == [1.0, 2.0]  # untouched by set_eval


def test_views_are_read_only_and_sized_to_length():
    history = History(init_params("zeros"))
    for k in range(5):
        history.append(varied_params(2, 3, k), lr=0.1)
    for name in FIELDS:
        col = history.column(name)
        assert col.shape == (5,)
        assert not col.flags.writeable
        with pytest.raises(ValueError):
            col[0] = 1.0
    matrix = history.param_matrix()
    assert matrix.shape == (5, 13)
    with pytest.raises(ValueError):
        matrix[0, 0] = 1.0


def test_stored_params_independent_of_caller_arrays():
    W1 = np.ones((2, 3))
    p = Params(W1, np.zeros((1, 3)), np.ones((3, 1)), np.zeros((1, 1)))  # writeable on purpose
    history = History(init_params("zeros"))
    history.append(p)
    W1[:] = 9.0
    assert (history.params_after(1).W1 == 1.0).all()


@pytest.mark.parametrize("step", [3, 4, -1])
def test_params_after_out_of_range_raises(step):
    history = History(init_params("zeros"))
    history.append(varied_params(2, 3, 1))
    history.append(varied_params(2, 3, 2))
    with pytest.raises(IndexError):
        history.params_after(step)


def fill(n_in: int, n_hidden: int, steps: int) -> History:
    p = init_params("he", n_in, n_hidden)
    history = History(p)
    for step in range(steps):
        history.append(p, lr=0.1, batch_loss=1.0)
        if step % 1000 == 0:
            history.set_eval(step + 1, 1.0, 1.0)
    return history


def test_memory_default_network_100k_steps():
    history = fill(2, 3, 100_000)
    assert len(history) == 100_000
    per_step = (13 + len(FIELDS)) * 8  # 136 bytes
    assert history.nbytes >= 100_000 * per_step
    assert history.nbytes < 25 * MB  # "well under" 50 MB
    # Old rows survived all the reallocations.
    assert history.column("lr")[0] == 0.1
    assert history.column("train_loss")[0] == 1.0 and math.isnan(history.column("train_loss")[1])


def test_memory_largest_network_100k_steps():
    history = fill(4, 8, 100_000)
    assert len(history) == 100_000
    assert history.nbytes < 50 * MB


def test_a_non_finite_update_is_refused():
    history = History(init_params("zeros"))
    bad = init_params("constant", scale=float("inf"))
    assert history.append(bad, lr=0.1, batch_loss=1.0) is False
    assert len(history) == 0


def test_a_short_history_stays_small_and_chunks_grow_to_full_size():
    """10 steps of the default network take 64 rows (8.7 kB), not a whole 4,096-row chunk."""
    history = fill(2, 3, 10)
    assert history.nbytes == 64 * 17 * 8
    history = fill(2, 3, 10_000)  # 64 + 128 + ... + 2,048 rows, then chunks of 4,096
    sizes = [64, 128, 256, 512, 1024, 2048, 4096, 10_000 - 4032 - 4096]
    assert [len(rows) for _, rows in history.blocks()] == sizes
    assert history.nbytes < 10_000 * 17 * 8 + 4096 * 17 * 8


def test_param_path_and_blocks_agree_with_the_stored_steps():
    initial = init_params("he", 3, 5, seed=1)
    history = History(initial, chunk_rows=4)
    stored = [varied_params(3, 5, k) for k in range(11)]
    for p in stored:
        history.append(p, lr=0.5)
    for step in (0, 1, 4, 5, 11):
        path = history.param_path(step)
        assert path.shape == (step + 1, 26) and not path.flags.writeable
        assert np.array_equal(path[0], initial.flat())
        for row, p in zip(path[1:], stored, strict=False):
            assert np.array_equal(row, p.flat())
    with pytest.raises(IndexError):
        history.param_path(12)
    firsts = [first for first, _ in history.blocks()]
    assert firsts == [1, 5, 9]
    assert np.array_equal(
        np.vstack([rows for _, rows in history.blocks()])[:, :26], history.param_matrix()
    )
    assert history.value(7, "lr") == 0.5 and math.isnan(history.value(7, "train_loss"))
