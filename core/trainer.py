"""Mini-batch gradient descent that owns the batch plan, the history and the stop on divergence."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from core.batches import BatchPlan
from core.history import History
from core.metrics import EMPTY, Metrics, regression_metrics
from core.network import Backward, Forward, Params, backward, forward, mse_loss, sgd_update

EXPLOSION_FACTOR = 1e6
# A session keeps at most this many steps (about 15 MB for the default network, 44 MB for the
# largest), so that a server holding a whole class stays within its memory.
MAX_STEPS = 100_000


class StepRecord(NamedTuple):
    """Everything about one mini-batch step, computed with the parameters before it."""

    step: int
    epoch: int
    batch: int
    n_batches: int
    lr: float
    indices: np.ndarray
    X: np.ndarray
    y: np.ndarray
    params_before: Params
    fwd: Forward
    grads: Backward
    params_after: Params
    loss_before: float
    loss_after: float
    train_loss: float
    test_loss: float


class Divergence(NamedTuple):
    """Why training stopped: the step that blew up and what went wrong."""

    step: int
    epoch: int
    batch: int
    what: str

    @property
    def message(self) -> str:
        return (
            f"Training stopped at step {self.step} (epoch {self.epoch}, batch {self.batch}): "
            f"{self.what}. That step was not applied. Lower the learning rate or the initial "
            "weight scale, then press Reset."
        )


class Trainer:
    """Trains one network on one training set, keeping a replayable history.

    The learning rate is an argument of every step (and recorded with it), so it may change
    between steps; anything else that changes the run (data, batch size, shuffling, initial
    weights) needs a new Trainer.
    """

    def __init__(
        self,
        X_train: np.ndarray,
        y_train: np.ndarray,
        params: Params,
        batch_size: int,
        shuffle: bool = True,
        shuffle_seed: int = 0,
        X_test: np.ndarray | None = None,
        y_test: np.ndarray | None = None,
        max_steps: int = MAX_STEPS,
    ) -> None:
        self.X, self.y = X_train, y_train
        n_in = X_train.shape[1]
        self.X_test = np.empty((0, n_in)) if X_test is None else X_test
        self.y_test = np.empty((0, 1)) if y_test is None else y_test
        self.plan = BatchPlan(X_train.shape[0], batch_size, shuffle, shuffle_seed)
        self.params = params
        self.history = History(params)
        self.divergence: Divergence | None = None
        self.max_steps = max_steps
        self.initial_metrics = self.metrics(params)
        self._metrics_at = (0, self.initial_metrics)
        self._reference_loss = max(self.initial_metrics.train.loss, 1.0)

    @property
    def step_count(self) -> int:
        return len(self.history)

    @property
    def full(self) -> bool:
        """The history holds max_steps steps: training cannot go on without a reset."""
        return self.step_count >= self.max_steps

    @property
    def stopped(self) -> bool:
        return self.divergence is not None or self.full

    @property
    def stop_message(self) -> str:
        if self.divergence is not None:
            return self.divergence.message
        if self.full:
            return (
                f"Training stopped after {self.max_steps:,} steps, the most one session keeps. "
                "Export the history if you need it, then press Reset."
            )
        return ""

    def next_position(self) -> tuple[int, int]:
        """(epoch, batch) of the step that would run next."""
        return self.plan.position(self.step_count + 1)

    def metrics(self, params: Params | None = None) -> TrainTest:
        """Train and test metrics of `params`, by default the current ones (remembered per step,
        since a page redraw asks for them again and a pass over 100,000s of rows is not free)."""
        if params is None:
            if self._metrics_at[0] != self.step_count:
                self._metrics_at = (self.step_count, self.metrics(self.params))
            return self._metrics_at[1]
        return TrainTest(
            regression_metrics(params, self.X, self.y),
            regression_metrics(params, self.X_test, self.y_test) if len(self.X_test) else EMPTY,
        )

    def step(self, lr: float) -> StepRecord | None:
        """One mini-batch update with learning rate `lr` and its full record, or None once
        training has stopped."""
        if not self._advance(lr, evaluate=True):
            return None
        return self.record(self.step_count)

    def run(self, n: int, lr: float) -> int:
        """Up to n steps with learning rate `lr` on the fast path (no records built); returns the
        steps taken.

        Train and test loss are evaluated at the end of every epoch and after the last step.
        """
        taken = 0
        while taken < n and self._advance(lr, evaluate=taken == n - 1):
            taken += 1
        return taken

    def finish_epoch(self, lr: float) -> int:
        """Run to the end of the current epoch (a whole epoch if one just ended)."""
        _, batch = self.next_position()
        return self.run(self.plan.n_batches - batch + 1, lr)

    def _advance(self, lr: float, evaluate: bool) -> bool:
        if self.stopped:
            return False
        step = self.step_count + 1
        epoch, batch = self.plan.position(step)
        idx = self.plan.indices(epoch, batch)
        X, y = self.X[idx], self.y[idx]
        fwd = forward(self.params, X)
        loss = mse_loss(fwd.A2, y)
        if not loss <= EXPLOSION_FACTOR * self._reference_loss:  # also catches NaN and inf
            self._stop(Divergence(step, epoch, batch, self._explain_loss(loss)))
            return False
        new = sgd_update(self.params, backward(self.params, X, y, fwd), lr)
        if not self.history.append(new, lr, loss):
            what = "the update made a weight overflow to infinity or NaN"
            self._stop(Divergence(step, epoch, batch, what))
            return False
        self.params = new
        if evaluate or batch == self.plan.n_batches:
            m = self.metrics()
            self.history.set_eval(step, m.train.loss, m.test.loss)
        return True

    def _stop(self, divergence: Divergence) -> None:
        """Stop before the bad step, with train and test loss recorded at the last good one."""
        self.divergence = divergence
        if self.step_count:
            m = self.metrics()
            self.history.set_eval(self.step_count, m.train.loss, m.test.loss)

    def _explain_loss(self, loss: float) -> str:
        if not math.isfinite(loss):
            return f"the batch loss became {loss} (not a finite number)"
        return (
            f"the batch loss exploded to {loss:.3g}, over a million times "
            f"{self._reference_loss:.3g} (the training loss at step 0, or 1 if that was smaller)"
        )

    def record(self, step: int) -> StepRecord:
        """Rebuild step `step` (1-based) from history, bit-identical to when it ran."""
        if not 1 <= step <= self.step_count:
            raise IndexError(f"Step {step} is not in the history (1 to {self.step_count}).")
        epoch, batch = self.plan.position(step)
        idx = self.plan.indices(epoch, batch)
        X, y = self.X[idx], self.y[idx]
        before = self.history.params_after(step - 1)
        after = self.history.params_after(step)
        fwd = forward(before, X)
        return StepRecord(
            step=step,
            epoch=epoch,
            batch=batch,
            n_batches=self.plan.n_batches,
            lr=self.history.value(step, "lr"),
            indices=_read_only(idx),
            X=_read_only(X),
            y=_read_only(y),
            params_before=before,
            fwd=Forward(*(_read_only(a) for a in fwd)),
            grads=Backward(*(_read_only(a) for a in backward(before, X, y, fwd))),
            params_after=after,
            loss_before=mse_loss(fwd.A2, y),
            loss_after=mse_loss(forward(after, X).A2, y),
            train_loss=self.history.value(step, "train_loss"),
            test_loss=self.history.value(step, "test_loss"),
        )


class TrainTest(NamedTuple):
    train: Metrics
    test: Metrics


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a
