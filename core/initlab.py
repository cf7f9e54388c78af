"""The initialisation lab: the same data and the same batch order under up to four schemes.

Every scheme gets its own Trainer on identical training data, batch size, shuffling and learning
rate, and the same initialisation seed, so the runs differ only in their starting weights (with
one seed, "small normal" and "large normal" even start from the same weights up to the scale).
Two diagnostics show why the starting point matters:

- symmetry: how different the hidden units are. Zero initialisation gives every hidden unit the
  same weights, so every unit gets the same gradient and they stay identical forever.
- saturation: how many sigmoid outputs sit near 0 or 1, where its slope A1(1 - A1) is almost 0,
  and how much of the output error δ2 survives the way back to δ1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from core.network import Params, backward, forward, init_params, sigmoid
from core.trainer import Trainer

# Display name -> (scheme of core.network.init_params, scale), in the lab's order.
LAB_SCHEMES: dict[str, tuple[str, float | None]] = {
    "zeros": ("zeros", None),
    "small normal": ("normal", 0.01),
    "xavier": ("xavier", None),
    "he": ("he", None),
    "large normal": ("normal", 5.0),
}
MAX_CHOICES = 4
MAX_STEPS = 100_000
# The train-loss curve is evaluated after every step while that costs at most this many rows
# of forward passes per run; beyond it, at LAB_EVAL_POINTS evenly spaced steps (plus step 0).
LAB_EVAL_ROWS = 2_000_000
LAB_EVAL_POINTS = 50
# Entries per vectorised chunk when evaluating many parameter sets at once.
_CHUNK_ENTRIES = 1_000_000


class Saturation(NamedTuple):
    """How saturated the hidden sigmoids are and how much they shrink the error signal."""

    share_near_0_or_1: float  # share of A1 entries below threshold or above 1 - threshold
    mean_slope: float  # mean of A1(1 - A1): the factor the sigmoid passes on (at most 0.25)
    mean_abs_delta1: float  # mean |δ1| over all rows and hidden units
    mean_abs_delta2: float  # mean |δ2| over all rows
    # mean|δ1| / mean|δ2|: how much of the error signal reaches the hidden layer. It includes the
    # weights W2 as well as the slope, so large W2 can outweigh flat sigmoids. NaN if δ2 is all 0.
    ratio: float


class Diagnostics(NamedTuple):
    """Symmetry and saturation of one set of parameters on the training data."""

    symmetry: float
    identical_units: bool
    saturation: Saturation


class LabRun(NamedTuple):
    """One scheme's run: its curves, how it ended and its diagnostics before and after.

    `steps` and `batch_loss` have one entry per step taken (the batch loss before that step's
    update). `eval_steps` and `train_loss` are the train-loss curve: step 0 (the initial
    weights) and then every step, or evenly spaced steps on large data; the last entry is always
    the last step taken. `trainer` can rebuild any step's record for a closer look (None where a
    caller that keeps runs for long dropped it, with its history, to save memory).
    """

    name: str
    scheme: str
    scale: float | None
    steps: np.ndarray
    batch_loss: np.ndarray
    eval_steps: np.ndarray
    train_loss: np.ndarray
    divergence: str | None
    final_train_loss: float
    final_test_loss: float
    start: Diagnostics
    end: Diagnostics
    trainer: Trainer | None


# ----------------------------------------------------------------------------- diagnostics


def symmetry(params: Params) -> float:
    """The largest difference between any two hidden units' weights and biases.

    That is the maximum over pairs of units a, b of |W1[:,a] - W1[:,b]|, |b1[a] - b1[b]| and
    |W2[a] - W2[b]|; 0 means all hidden units are identical (always so with one hidden unit).
    """
    per_unit = np.vstack([params.W1, params.b1, params.W2.T])  # (n + 2, h): one column per unit
    return float(np.max(np.ptp(per_unit, axis=1)))


def identical_units(params: Params, tol: float = 1e-12) -> bool:
    """True when all hidden units have the same weights and biases (within tol)."""
    return symmetry(params) <= tol


def saturation(params: Params, X: np.ndarray, y: np.ndarray, threshold: float = 0.05) -> Saturation:
    """Saturation of the hidden sigmoids and the error signal's shrinkage on the data (X, y)."""
    if not 0.0 < threshold < 0.5:
        raise ValueError(f"The saturation threshold must be between 0 and 0.5, not {threshold}.")
    fwd = forward(params, X)
    grads = backward(params, X, y, fwd)
    A1 = fwd.A1
    near = float(np.mean(np.minimum(A1, 1.0 - A1) < threshold))  # within threshold of 0 or 1
    d1 = float(np.mean(np.abs(grads.delta1)))
    d2 = float(np.mean(np.abs(grads.delta2)))
    return Saturation(
        share_near_0_or_1=near,
        mean_slope=float(np.mean(A1 * (1.0 - A1))),
        mean_abs_delta1=d1,
        mean_abs_delta2=d2,
        ratio=d1 / d2 if d2 > 0 else math.nan,
    )


def diagnose(params: Params, X: np.ndarray, y: np.ndarray) -> Diagnostics:
    """Symmetry and saturation of `params` on (X, y)."""
    return Diagnostics(symmetry(params), identical_units(params), saturation(params, X, y))


# ----------------------------------------------------------------------------- the lab


def check_choices(choices: Sequence[str], steps: int) -> None:
    """Raise ValueError unless there are 1 to 4 distinct known schemes and 1 to 100 000 steps."""
    if isinstance(choices, str):
        raise ValueError("Pass the schemes as a list of names, not one string.")
    if not 1 <= len(choices) <= MAX_CHOICES:
        raise ValueError(f"Choose 1 to {MAX_CHOICES} initialisations, not {len(choices)}.")
    unknown = [c for c in choices if c not in LAB_SCHEMES]
    if unknown:
        raise ValueError(
            f"Unknown initialisation {unknown[0]!r}; choose from {tuple(LAB_SCHEMES)}."
        )
    if len(set(choices)) != len(choices):
        raise ValueError("Each initialisation can be chosen only once.")
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        raise ValueError(f"The number of steps must be a whole number, not {steps!r}.")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"The lab runs 1 to {MAX_STEPS:,} steps, not {steps:,}.")


def compare_inits(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray | None,
    y_test: np.ndarray | None,
    choices: Sequence[str],
    n_hidden: int,
    init_seed: int,
    batch_size: int,
    lr: float,
    shuffle: bool,
    shuffle_seed: int,
    steps: int,
) -> tuple[LabRun, ...]:
    """Train one network per chosen scheme for `steps` steps on identical data and batches."""
    check_choices(choices, steps)
    runs = []
    for name in choices:
        scheme, scale = LAB_SCHEMES[name]
        params = init_params(scheme, X_train.shape[1], n_hidden, init_seed, scale)
        trainer = Trainer(
            X_train,
            y_train,
            params,
            batch_size=batch_size,
            shuffle=shuffle,
            shuffle_seed=shuffle_seed,
            X_test=X_test,
            y_test=y_test,
        )
        trainer.run(int(steps), lr)
        runs.append(_lab_run(name, scheme, scale, trainer))
    return tuple(runs)


def _lab_run(name: str, scheme: str, scale: float | None, trainer: Trainer) -> LabRun:
    columns = trainer.history.columns()
    taken = trainer.step_count
    eval_steps = _eval_steps(taken, trainer.X.shape[0])
    final = trainer.metrics()
    return LabRun(
        name=name,
        scheme=scheme,
        scale=scale,
        steps=_read_only(np.arange(1, taken + 1)),
        batch_loss=_read_only(columns["batch_loss"]),
        eval_steps=_read_only(eval_steps),
        train_loss=_read_only(_train_curve(trainer, eval_steps, columns["train_loss"])),
        divergence=trainer.divergence.message if trainer.divergence else None,
        final_train_loss=final.train.loss,
        final_test_loss=final.test.loss,
        start=diagnose(trainer.history.initial, trainer.X, trainer.y),
        end=diagnose(trainer.params, trainer.X, trainer.y),
        trainer=trainer,
    )


def _eval_steps(taken: int, rows: int) -> np.ndarray:
    """Steps 0..taken where the train loss is shown: all of them if cheap, else evenly spaced."""
    if (taken + 1) * rows <= LAB_EVAL_ROWS:
        return np.arange(taken + 1)
    return np.unique(np.linspace(0, taken, LAB_EVAL_POINTS + 1).round().astype(int))


def _train_curve(trainer: Trainer, eval_steps: np.ndarray, evaluated: np.ndarray) -> np.ndarray:
    """Train loss after each of eval_steps, reusing what the trainer evaluated itself."""
    curve = np.empty(eval_steps.size)
    curve[eval_steps == 0] = trainer.initial_metrics.train.loss
    after = eval_steps[eval_steps > 0]
    known = evaluated[after - 1]
    missing = np.isnan(known)
    known[missing] = _losses(
        trainer.history.param_matrix()[after[missing] - 1], trainer.X, trainer.y
    )
    curve[eval_steps > 0] = known
    return curve


def _losses(flat_params: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The seed's loss on (X, y) for each row of flat parameters, vectorised in chunks."""
    m, n = X.shape
    h = (flat_params.shape[1] - 1) // (n + 2)
    chunk = max(1, _CHUNK_ENTRIES // max(1, m * h))
    out = np.empty(flat_params.shape[0])
    for start in range(0, flat_params.shape[0], chunk):
        rows = flat_params[start : start + chunk]
        W1 = rows[:, : n * h].reshape(-1, n, h)
        b1 = rows[:, n * h : (n + 1) * h].reshape(-1, 1, h)
        W2 = rows[:, (n + 1) * h : (n + 2) * h].reshape(-1, h, 1)
        b2 = rows[:, -1].reshape(-1, 1, 1)
        A2 = sigmoid(X @ W1 + b1) @ W2 + b2  # (chunk, m, 1)
        out[start : start + chunk] = np.sum((A2 - y) ** 2, axis=(1, 2)) / (2 * m)
    return out


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a
