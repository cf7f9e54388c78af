"""Time to compute the loss landscape: a 41×41 grid over every training row.

`python -m bench.landscape [--quick]`. One core (the grid is numpy in float32; its matrix
products use whatever BLAS threads numpy has, which for two inputs is next to nothing).
"""

from __future__ import annotations

import os
import time

import numpy as np

from bench import blas_threads, check, cli, fmt, median, result, table
from core import landscape as land
from core.network import init_params

TARGETS_S = {1_000: 0.150, 100_000: 1.0}
CASES = ((1_000, 2, 3), (100_000, 2, 3), (100_000, 4, 8))


def time_grid(m: int, n_in: int, n_hidden: int, reps: int) -> list[float]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((m, n_in))
    y = np.sin(X[:, :1]) + 0.05 * rng.standard_normal((m, 1))
    params = init_params("xavier", n_in, n_hidden, 1)
    sl = land.random_slice(params, 0)
    path = params.flat()[None]
    land.landscape(X[:100], y[:100], sl, path, params, params)  # warm-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        land.landscape(X, y, sl, path, params, params, grid=land.MAX_GRID)
        times.append(time.perf_counter() - start)
    return times


def run(quick: bool = False) -> dict:
    res = result("landscape", "Loss landscape: a 41×41 grid over every training row")
    load_before = os.getloadavg()[0]
    rows = []
    for m, n_in, n_hidden in CASES:
        times = time_grid(m, n_in, n_hidden, 3 if quick else 7)
        t = median(times)
        rows.append(
            [f"{m:,}", f"{n_in}-{n_hidden}-1", f"{t * 1000:,.0f} ms", fmt(min(times) * 1000)]
        )
        target = TARGETS_S.get(m)
        if target is not None and (n_in, n_hidden) == (2, 3):
            check(
                res,
                f"Landscape, {m:,} rows, 2-3-1",
                f"{t * 1000:,.0f} ms",
                f"≤ {target * 1000:,.0f} ms",
                t <= target,
            )
    table(
        res, "Median and fastest of the repetitions", ["rows", "network", "median", "min ms"], rows
    )
    res["notes"] += [
        f"41×41 = 1,681 grid points; every point's loss over all rows, in float32, in chunks of "
        f"{land.CHUNK_ELEMENTS:,} grid-point × row × unit values (they stay in the CPU's cache; "
        "chunks of 4,000,000 took four times as long). Computed once per shown step and slice; "
        "a rerun reuses it.",
        f"Load average before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f}.",
    ]
    threads = blas_threads()
    if threads:
        res["notes"].append(f"Thread pools: {threads}.")
    return res


if __name__ == "__main__":
    cli(run, __doc__.splitlines()[0])
