"""Shared helpers for the core tests."""

from __future__ import annotations

import numpy as np

from core import Params


def random_problem(n_in: int, n_hidden: int, m: int, seed: int):
    """Random weights (biases smaller), inputs in [-2, 2] and targets for a seeded network."""
    rng = np.random.default_rng(seed)
    params = Params.of(
        rng.normal(0, 1, (n_in, n_hidden)),
        rng.normal(0, 0.5, (1, n_hidden)),
        rng.normal(0, 1, (n_hidden, 1)),
        rng.normal(0, 0.5, (1, 1)),
    )
    X = rng.uniform(-2, 2, (m, n_in))
    y = rng.normal(0, 1, (m, 1))
    return params, X, y
