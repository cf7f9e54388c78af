"""One run's set-up: a data set split and scaled, an initialised network and its trainer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.chalkboard import hand_params
from core.datasets import Dataset, Scaling, Split, fit_scaling, split_train_test
from core.network import init_params
from core.trainer import Trainer

HAND = "hand"  # the initialisation scheme of weights typed in by hand


@dataclass(frozen=True)
class RunSettings:
    """Everything except the learning rate that fixes a run; changing any of it restarts."""

    test_fraction: float = 0.2
    split_seed: int = 0
    standardise_inputs: bool = True
    standardise_target: bool = True
    n_hidden: int = 3
    init_scheme: str = "xavier"
    init_scale: float | None = None
    init_seed: int = 0
    batch_size: int | None = 16  # None: full batch, every training row in every step
    shuffle: bool = True
    shuffle_seed: int = 0
    # With init_scheme "hand": the initial weights, flat as W1 (row by row), b1, W2, b2.
    init_weights: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Experiment:
    """The data as the network sees it (split, then scaled with training statistics).

    Immutable, its arrays read-only: one Experiment may serve every session that asks for the
    same generated or sample data with the same settings."""

    dataset: Dataset
    settings: RunSettings
    split: Split
    scaling: Scaling
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def batch_size(self) -> int:
        """The requested batch size capped at the training rows (all of them for full batch)."""
        m, requested = self.X_train.shape[0], self.settings.batch_size
        return m if requested is None else min(requested, m)

    def new_trainer(self) -> Trainer:
        s = self.settings
        n_in = self.X_train.shape[1]
        if s.init_scheme == HAND:
            params = hand_params(s.init_weights or (), n_in, s.n_hidden)
        else:
            params = init_params(s.init_scheme, n_in, s.n_hidden, s.init_seed, s.init_scale)
        return Trainer(
            self.X_train,
            self.y_train,
            params,
            batch_size=self.batch_size,
            shuffle=s.shuffle,
            shuffle_seed=s.shuffle_seed,
            X_test=self.X_test,
            y_test=self.y_test,
        )


def prepare(dataset: Dataset, settings: RunSettings) -> Experiment:
    """Split the data set, fit the scaling on the training part and apply it to both parts."""
    split = split_train_test(dataset.X, dataset.y, settings.test_fraction, settings.split_seed)
    split = Split(*(_read_only(a) for a in split))
    scaling = fit_scaling(
        split.X_train, split.y_train, settings.standardise_inputs, settings.standardise_target
    )
    return Experiment(
        dataset=dataset,
        settings=settings,
        split=split,
        scaling=scaling,
        X_train=_read_only(scaling.transform_X(split.X_train)),
        y_train=_read_only(scaling.transform_y(split.y_train)),
        X_test=_read_only(scaling.transform_X(split.X_test)),
        y_test=_read_only(scaling.transform_y(split.y_test)),
    )


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a
