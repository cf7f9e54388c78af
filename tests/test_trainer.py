"""Unit tests of core.trainer (with core.batches): mini-batches, replay, divergence."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from core import (
    BatchPlan,
    Params,
    Trainer,
    backward,
    forward,
    init_params,
    mse_loss,
    regression_metrics,
    sgd_update,
)
from core.history import FIELDS


def plane(m: int, seed: int = 1, n_in: int = 2):
    """Rows uniform in [-1, 1]^n, target y = x1 + x2 + ... (a plane)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (m, n_in))
    return X, X.sum(axis=1, keepdims=True)


LR = 0.5


def make(m=10, batch_size=3, shuffle=True, shuffle_seed=0, scheme="xavier", **kw):
    X, y = plane(m)
    return Trainer(
        X,
        y,
        init_params(scheme, X.shape[1], 3, seed=0),
        batch_size=batch_size,
        shuffle=shuffle,
        shuffle_seed=shuffle_seed,
        **kw,
    )


def assert_params_equal(a: Params, b: Params) -> None:
    for x, z in zip(a, b, strict=True):
        assert x.shape == z.shape
        assert np.array_equal(x, z)


def assert_same_history(a: Trainer, b: Trainer, fields=FIELDS) -> None:
    assert a.step_count == b.step_count
    assert np.array_equal(a.history.param_matrix(), b.history.param_matrix())
    for name in fields:
        assert np.array_equal(a.history.column(name), b.history.column(name), equal_nan=True), name


# ---------------------------------------------------------------------------------------------
# Learning.
# ---------------------------------------------------------------------------------------------


def test_loss_falls_on_a_plane():
    trainer = make(m=40, batch_size=8)
    initial = trainer.initial_metrics.train.loss
    assert initial > 0.1
    assert trainer.run(2000, LR) == 2000
    final = trainer.metrics().train.loss
    assert final < 0.2 * initial
    # The history's evaluated train loss at the last step (an epoch end) is that same number.
    assert trainer.history.column("train_loss")[-1] == final
    assert final == regression_metrics(trainer.params, trainer.X, trainer.y).loss


def test_metrics_with_and_without_test_set():
    X, y = plane(30)
    Xt, yt = plane(12, seed=2)
    params = init_params("he", 2, 3, seed=4)
    with_test = Trainer(X, y, params, batch_size=5, X_test=Xt, y_test=yt)
    assert with_test.metrics().train == regression_metrics(params, X, y)
    assert with_test.metrics().test == regression_metrics(params, Xt, yt)
    record = with_test.step(LR)
    assert record.test_loss == regression_metrics(with_test.params, Xt, yt).loss
    without = Trainer(X, y, params, batch_size=5)
    assert all(math.isnan(v) for v in without.metrics().test)
    assert math.isnan(without.step(LR).test_loss)


# ---------------------------------------------------------------------------------------------
# Batches and positions.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("m", "batch_size", "sizes"),
    [(10, 3, [3, 3, 3, 1]), (10, 5, [5, 5]), (7, 1, [1] * 7), (7, 7, [7]), (9, 4, [4, 4, 1])],
)
@pytest.mark.parametrize("shuffle", [True, False])
def test_each_epoch_covers_every_row_once(m, batch_size, sizes, shuffle):
    trainer = make(m=m, batch_size=batch_size, shuffle=shuffle)
    K = len(sizes)
    assert trainer.plan.n_batches == K
    for epoch in (1, 2, 3):
        records = [trainer.step(LR) for _ in range(K)]
        assert [r.epoch for r in records] == [epoch] * K
        assert [r.batch for r in records] == list(range(1, K + 1))
        assert all(r.n_batches == K for r in records)
        assert [len(r.indices) for r in records] == sizes
        assert [r.X.shape for r in records] == [(s, 2) for s in sizes]
        seen = np.concatenate([r.indices for r in records])
        assert sorted(seen.tolist()) == list(range(m))
        if not shuffle:
            assert seen.tolist() == list(range(m))
        for r in records:
            assert np.array_equal(r.X, trainer.X[r.indices])
            assert np.array_equal(r.y, trainer.y[r.indices])


def test_shuffle_changes_order_between_epochs():
    trainer = make(m=10, batch_size=3, shuffle=True)
    orders = []
    for _ in range(3):
        records = [trainer.step(LR) for _ in range(4)]
        orders.append(np.concatenate([r.indices for r in records]).tolist())
    assert orders[0] != list(range(10))
    assert orders[0] != orders[1] != orders[2]
    # The batch plan recomputes any epoch's order without having stored it.
    fresh = BatchPlan(10, 3, shuffle=True, seed=0)
    assert np.concatenate([fresh.indices(2, b) for b in range(1, 5)]).tolist() == orders[1]
    assert np.concatenate([fresh.indices(1, b) for b in range(1, 5)]).tolist() == orders[0]
    other = BatchPlan(10, 3, shuffle=True, seed=1)
    assert np.concatenate([other.indices(1, b) for b in range(1, 5)]).tolist() != orders[0]


def test_positions_and_next_position():
    trainer = make(m=10, batch_size=3)
    assert trainer.next_position() == (1, 1)
    for step in range(1, 14):
        record = trainer.step(LR)
        assert record.step == step
        assert (record.epoch, record.batch) == ((step - 1) // 4 + 1, (step - 1) % 4 + 1)
        assert trainer.next_position() == (step // 4 + 1, step % 4 + 1)
    assert trainer.plan.position(8) == (2, 4)
    assert trainer.plan.position(9) == (3, 1)


@pytest.mark.parametrize("batch_size", [0, 11, -1])
def test_bad_batch_size_rejected(batch_size):
    with pytest.raises(ValueError):
        make(m=10, batch_size=batch_size)


def test_batch_size_one_and_full_batch():
    X, y = plane(6)
    params = init_params("normal", 2, 3, seed=3, scale=0.5)
    ones = Trainer(X, y, params, batch_size=1, shuffle=False)
    for i in range(6):
        record = ones.step(0.2)
        assert record.indices.tolist() == [i]
        p = record.params_before
        manual = sgd_update(p, backward(p, X[[i]], y[[i]], forward(p, X[[i]])), 0.2)
        assert_params_equal(record.params_after, manual)
    full = Trainer(X, y, params, batch_size=6, shuffle=True)
    record = full.step(0.2)
    assert record.n_batches == 1
    assert sorted(record.indices.tolist()) == list(range(6))
    manual = sgd_update(params, backward(params, X, y, forward(params, X)), 0.2)
    for a, b in zip(record.params_after, manual, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-16)  # row order only changes rounding
    assert full.step(LR).epoch == 2


# ---------------------------------------------------------------------------------------------
# Determinism and replay.
# ---------------------------------------------------------------------------------------------


def test_same_settings_same_history():
    a = make(m=10, batch_size=3, shuffle=True, shuffle_seed=7)
    b = make(m=10, batch_size=3, shuffle=True, shuffle_seed=7)
    a.run(57, LR)
    b.run(57, LR)
    assert_same_history(a, b)
    assert_params_equal(a.params, b.params)
    c = make(m=10, batch_size=3, shuffle=True, shuffle_seed=8)
    c.run(57, LR)
    assert not np.array_equal(a.history.param_matrix(), c.history.param_matrix())


def record_arrays(record):
    yield "indices", record.indices
    yield "X", record.X
    yield "y", record.y
    for group in ("params_before", "fwd", "grads", "params_after"):
        for name, arr in getattr(record, group)._asdict().items():
            yield f"{group}.{name}", arr


def test_replay_is_bit_identical():
    X, y = plane(10)
    Xt, yt = plane(4, seed=9)
    params = init_params("uniform", 2, 3, seed=5)
    trainer = Trainer(X, y, params, batch_size=3, X_test=Xt, y_test=yt)
    live = []
    for k in range(25):
        live.append(trainer.step(0.4 if k < 10 else 0.1))
    assert trainer.step_count == 25
    for rec in live:
        again = trainer.record(rec.step)
        for (name, a), (_, b) in zip(record_arrays(rec), record_arrays(again), strict=True):
            assert np.array_equal(a, b), name
            assert not b.flags.writeable, name
        for name in ("step", "epoch", "batch", "n_batches", "lr", "loss_before", "loss_after"):
            assert getattr(rec, name) == getattr(again, name), name
        assert rec.train_loss == again.train_loss
        assert rec.test_loss == again.test_loss
        # The update shown is exactly the update applied.
        assert_params_equal(rec.params_after, sgd_update(rec.params_before, rec.grads, rec.lr))
        assert rec.loss_before == mse_loss(rec.fwd.A2, rec.y)
        assert rec.loss_after == mse_loss(forward(rec.params_after, rec.X).A2, rec.y)
        assert rec.train_loss == regression_metrics(rec.params_after, X, y).loss
        assert rec.test_loss == regression_metrics(rec.params_after, Xt, yt).loss
    assert_params_equal(live[0].params_before, params)
    for prev, rec in itertools.pairwise(live):
        assert_params_equal(prev.params_after, rec.params_before)
    assert_params_equal(live[-1].params_after, trainer.params)


def test_history_matches_an_independent_training_loop():
    trainer = make(m=11, batch_size=4, shuffle=True, shuffle_seed=3)
    trainer.run(20, 0.3)
    trainer.run(7, 0.05)
    p = trainer.history.params_after(0)
    for step in range(1, 28):
        idx = trainer.record(step).indices
        Xb, yb = trainer.X[idx], trainer.y[idx]
        fwd = forward(p, Xb)
        assert trainer.history.column("batch_loss")[step - 1] == mse_loss(fwd.A2, yb)
        p = sgd_update(p, backward(p, Xb, yb, fwd), 0.3 if step <= 20 else 0.05)
        assert_params_equal(trainer.history.params_after(step), p)


def test_run_and_step_interleaved_match_all_steps():
    stepped = make(m=10, batch_size=3)
    records = [stepped.step(LR) for _ in range(30)]
    assert all(r is not None for r in records)
    mixed = make(m=10, batch_size=3)
    assert mixed.run(3, LR) == 3
    assert mixed.step(LR).step == 4
    assert mixed.run(5, LR) == 5
    assert mixed.finish_epoch(LR) == 3
    assert mixed.step_count == 12
    mixed.step(LR)
    assert mixed.run(17, LR) == 17
    assert_same_history(stepped, mixed, fields=("lr", "batch_loss"))
    # Train loss was evaluated at every step() step; wherever the fast path evaluated it too,
    # the value is the same.
    a, b = stepped.history.column("train_loss"), mixed.history.column("train_loss")
    assert not np.isnan(a).any()
    both = ~np.isnan(b)
    assert both.any()
    assert np.array_equal(a[both], b[both])


def test_finish_epoch_lands_on_epoch_boundary():
    trainer = make(m=10, batch_size=3)  # 4 batches per epoch
    trainer.step(LR)
    assert trainer.finish_epoch(LR) == 3
    assert trainer.step_count == 4
    assert trainer.next_position() == (2, 1)
    trainer.run(2, LR)
    assert trainer.finish_epoch(LR) == 2
    assert trainer.step_count == 8
    # Right on a boundary it runs one whole epoch.
    assert trainer.finish_epoch(LR) == 4
    assert trainer.step_count == 12
    assert trainer.record(12).batch == 4


def test_fast_path_evaluates_every_epoch_end():
    # 600 rows: the fast path evaluates only every few steps, but always at an epoch's end.
    X, y = plane(600)
    trainer = Trainer(X, y, init_params("xavier", 2, 3), batch_size=130)
    K = trainer.plan.n_batches
    assert K == 5
    trainer.run(3 * K, LR)
    train_loss = trainer.history.column("train_loss")
    for step in (K, 2 * K, 3 * K):
        expected = regression_metrics(trainer.history.params_after(step), X, y).loss
        assert train_loss[step - 1] == expected
    for step in range(1, 3 * K + 1):
        value = train_loss[step - 1]
        if not np.isnan(value):
            assert value == regression_metrics(trainer.history.params_after(step), X, y).loss


def test_learning_rate_change_recorded_per_step():
    trainer = make(m=10, batch_size=3)
    trainer.run(3, 0.5)
    trainer.step(0.1)
    trainer.run(2, 0.01)
    assert trainer.history.column("lr").tolist() == [0.5, 0.5, 0.5, 0.1, 0.01, 0.01]
    assert trainer.record(4).lr == 0.1
    assert trainer.record(3).lr == 0.5
    for step in range(1, 7):
        rec = trainer.record(step)
        assert_params_equal(rec.params_after, sgd_update(rec.params_before, rec.grads, rec.lr))


# ---------------------------------------------------------------------------------------------
# Divergence.
# ---------------------------------------------------------------------------------------------


DIVERGING_LR = 1e3


def diverging_trainer() -> Trainer:
    X, y = plane(40)
    params = init_params("normal", 2, 3, seed=0, scale=5.0)
    return Trainer(X, y, params, batch_size=8)


def test_divergence_stops_training_cleanly():
    trainer = diverging_trainer()
    for _ in range(50):
        if trainer.step(DIVERGING_LR) is None:
            break
    div = trainer.divergence
    assert div is not None
    assert trainer.stopped
    assert f"step {div.step}" in div.message
    assert (div.epoch, div.batch) == trainer.plan.position(div.step)
    assert div.what in div.message
    count = trainer.step_count
    assert count == div.step - 1
    assert trainer.step(DIVERGING_LR) is None
    assert trainer.run(10, DIVERGING_LR) == 0
    assert trainer.finish_epoch(DIVERGING_LR) == 0
    assert trainer.step_count == count
    assert trainer.divergence == div
    # Nothing broken got into the history; the current weights are the last good ones.
    assert np.isfinite(trainer.history.param_matrix()).all()
    for name in ("lr", "batch_loss"):
        assert np.isfinite(trainer.history.column(name)).all(), name
    assert all(np.isfinite(norms).all() for norms in trainer.history.grad_norms())
    assert all(np.isfinite(a).all() for a in trainer.params)
    assert_params_equal(trainer.params, trainer.history.params_after(count))
    with pytest.raises(IndexError):
        trainer.record(div.step)


def test_divergence_on_fast_path_stops_at_same_step():
    stepped = diverging_trainer()
    while stepped.step(DIVERGING_LR) is not None:
        pass
    fast = diverging_trainer()
    taken = fast.run(1000, DIVERGING_LR)
    assert taken == fast.step_count == stepped.step_count
    assert fast.divergence == stepped.divergence


def test_a_run_that_diverges_records_train_and_test_loss_at_its_last_good_step():
    X, y = plane(40)
    Xt, yt = plane(8, seed=4)
    params = init_params("normal", 2, 3, seed=0, scale=5.0)
    trainer = Trainer(X, y, params, batch_size=8, X_test=Xt, y_test=yt)
    trainer.run(50, DIVERGING_LR)
    assert trainer.divergence is not None and trainer.step_count >= 1
    last = trainer.step_count
    expected = trainer.metrics(trainer.history.params_after(last))
    assert trainer.history.column("train_loss")[last - 1] == expected.train.loss
    assert trainer.history.column("test_loss")[last - 1] == expected.test.loss


def test_non_finite_loss_is_caught():
    X, y = plane(8)
    params = init_params("normal", 2, 3, seed=0, scale=5.0)
    with np.errstate(all="ignore"):
        trainer = Trainer(X, y, params, batch_size=8)
        taken = trainer.run(5, 1e300)
    assert trainer.divergence is not None
    assert taken == trainer.step_count == trainer.divergence.step - 1
    assert np.isfinite(trainer.history.param_matrix()).all()


def test_sane_training_does_not_diverge():
    trainer = make(m=40, batch_size=8)
    trainer.run(500, LR)
    assert trainer.divergence is None
    assert trainer.step_count == 500


# ---------------------------------------------------------------------------------------------
# record() bounds.
# ---------------------------------------------------------------------------------------------


def test_record_out_of_range_raises():
    trainer = make(m=10, batch_size=3)
    with pytest.raises(IndexError):
        trainer.record(1)
    trainer.run(5, LR)
    for bad in (0, -1, 6, 100):
        with pytest.raises(IndexError):
            trainer.record(bad)
    assert trainer.record(5).step == 5
    assert trainer.record(1).step == 1


def test_history_cap_stops_training_with_a_message():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    trainer = Trainer(X, X[:, :1], init_params("xavier"), batch_size=5, max_steps=30)
    assert trainer.run(100, LR) == 30
    assert trainer.full and trainer.stopped and trainer.divergence is None
    assert "30 steps" in trainer.stop_message
    assert trainer.step(LR) is None and trainer.step_count == 30


def test_grad_norms_from_history_equal_the_norms_of_each_steps_gradients():
    trainer = make(m=10, batch_size=3)
    records = [trainer.step(LR) for _ in range(7)]
    layer1, layer2 = trainer.history.grad_norms()
    for rec, n1, n2 in zip(records, layer1, layer2, strict=True):
        g = rec.grads
        expected1 = np.sqrt(np.sum(g.dW1**2) + np.sum(g.db1**2))
        expected2 = np.sqrt(np.sum(g.dW2**2) + np.sum(g.db2**2))
        assert n1 == pytest.approx(expected1, rel=1e-9)
        assert n2 == pytest.approx(expected2, rel=1e-9)


def test_fast_path_evaluates_at_epoch_ends_and_after_the_last_step():
    trainer = make(m=10, batch_size=3)  # 4 batches per epoch
    trainer.run(6, LR)
    evaluated = np.flatnonzero(~np.isnan(trainer.history.column("train_loss"))) + 1
    assert evaluated.tolist() == [4, 6]
