"""Microseconds per training step: the core Trainer against a plain numpy loop and PyTorch eager.

Also one whole epoch (100,000 rows, batch 32, history on) against the plain loop. Run it as
`python -m bench.engine [--quick]`.
"""

from __future__ import annotations

import cProfile
import functools
import gc
import math
import pstats
import time
import timeit
from pathlib import Path

import numpy as np

from bench import blas_threads, check, cli, fmt, fmt_ratio, median, result, table
from core.network import forward, init_params
from core.trainer import Trainer

N_IN, N_HIDDEN, LR = 2, 3, 0.1
SIZES = (1_000, 100_000, 1_000_000)
BATCHES = (1, 32, 256, None)  # None: full batch
ENGINE_VS_NUMPY = 1.3  # at batch 32, engine time / plain-loop time at most this
TORCH_VS_ENGINE = 3.0  # at batch 32, torch time / engine time at least this
EPOCH_ROWS, EPOCH_BATCH, EPOCH_VS_NUMPY = 100_000, 32, 1.5


def make_data(m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standardised inputs and a smooth target, like the generated data sets."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, N_IN))
    y = np.sin(X[:, :1]) + 0.5 * X[:, 1:] + 0.05 * rng.standard_normal((m, 1))
    return X, y


def plan(m: int, batch: int | None, quick: bool) -> tuple[int, int]:
    """(steps per repetition, repetitions) for one configuration."""
    if batch is None:
        steps = {1_000: 1_000, 100_000: 30, 1_000_000: 3}[m]
        reps = 3 if m == 1_000_000 else 5
    else:
        steps = 2_000 if batch == 256 else 5_000
        reps = 5
    if quick:
        steps, reps = max(2, steps // 5), 3
    return steps, reps


# ---- the three implementations: each returns seconds for `steps` steps --------------------------


def time_trainer(X: np.ndarray, y: np.ndarray, batch: int, steps: int) -> float:
    """Trainer.run on the fast path; construction and the first step (which draws the first
    epoch's permutation, as the plain loop does outside its timing) are not timed."""
    trainer = Trainer(X, y, init_params("xavier", N_IN, N_HIDDEN, 0), batch)
    trainer.run(1, LR)
    start = time.perf_counter()
    taken = trainer.run(steps, LR)
    elapsed = time.perf_counter() - start
    if taken != steps:
        raise RuntimeError(f"the trainer stopped after {taken} of {steps} steps")
    return elapsed


def time_numpy(X: np.ndarray, y: np.ndarray, batch: int, steps: int) -> float:
    """The seed's formulas in a plain loop: in-place updates, a new permutation each epoch,
    batches sliced from it, no history and no evaluation."""
    m = X.shape[0]
    W1, b1, W2, b2 = (np.array(a) for a in init_params("xavier", N_IN, N_HIDDEN, 0))
    rng = np.random.default_rng(0)
    perm = rng.permutation(m)
    start_row = 0
    with np.errstate(over="ignore"):
        t0 = time.perf_counter()
        for _ in range(steps):
            if start_row >= m:
                perm, start_row = rng.permutation(m), 0
            idx = perm[start_row : start_row + batch]
            start_row += batch
            Xb, yb = X[idx], y[idx]
            k = Xb.shape[0]
            Z1 = Xb @ W1 + b1
            A1 = 1 / (1 + np.exp(-Z1))
            Z2 = A1 @ W2 + b2
            A2 = Z2
            loss = float(np.sum((A2 - yb) ** 2) / (2 * k))
            delta2 = (A2 - yb) / k
            dW2 = A1.T @ delta2
            db2 = np.sum(delta2, axis=0, keepdims=True)
            delta1 = (delta2 @ W2.T) * (A1 * (1 - A1))
            dW1 = Xb.T @ delta1
            db1 = np.sum(delta1, axis=0, keepdims=True)
            W1 -= LR * dW1
            b1 -= LR * db1
            W2 -= LR * dW2
            b2 -= LR * db2
        elapsed = time.perf_counter() - t0
    if not math.isfinite(loss):
        raise RuntimeError("the plain loop diverged")
    return elapsed


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


@functools.cache
def torch_threads() -> int:
    """Torch's default intra-op threads (read before anything changes them)."""
    import torch

    return torch.get_num_threads()


def torch_timer(threads: int | None):
    """time_torch with torch's intra-op threads set to `threads` (None: torch's default)."""

    def timer(X: np.ndarray, y: np.ndarray, batch: int, steps: int) -> float:
        import torch

        default = torch.get_num_threads()
        torch.set_num_threads(threads or torch_threads())
        try:
            return time_torch(X, y, batch, steps)
        finally:
            torch.set_num_threads(default)

    return timer


def time_torch(X: np.ndarray, y: np.ndarray, batch: int, steps: int) -> float:
    """The same network (float64, like the engine) with nn.Linear, autograd and optim.SGD."""
    import torch

    m = X.shape[0]
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(N_IN, N_HIDDEN, dtype=torch.float64),
        torch.nn.Sigmoid(),
        torch.nn.Linear(N_HIDDEN, 1, dtype=torch.float64),
    )
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    perm = torch.randperm(m)
    start_row = 0
    t0 = time.perf_counter()
    for _ in range(steps):
        if start_row >= m:
            perm, start_row = torch.randperm(m), 0
        idx = perm[start_row : start_row + batch]
        start_row += batch
        Xb, yb = Xt[idx], yt[idx]
        loss = ((model(Xb) - yb) ** 2).sum() / (2 * Xb.shape[0])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        value = loss.item()
    elapsed = time.perf_counter() - t0
    if not math.isfinite(value):
        raise RuntimeError("the torch loop diverged")
    return elapsed


def us_per_step(timers: dict, X, y, batch: int, steps: int, reps: int) -> dict[str, float]:
    """Median over repetitions of microseconds per step for each timer. The timers take turns
    within each repetition, so that a change in the machine's load hits them alike; one short
    untimed warm-up run each comes first."""
    for timer in timers.values():
        timer(X, y, batch, min(steps, 50))
    times: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(reps):
        for name, timer in timers.items():
            gc.collect()
            times[name].append(timer(X, y, batch, steps) / steps * 1e6)
    return {name: median(values) for name, values in times.items()}


# ---- the benchmarks -----------------------------------------------------------------------------


def steps_table(res: dict, quick: bool) -> None:
    have_torch = torch_version() is not None
    rows = []
    evaluations = []
    for m in SIZES:
        X, y = make_data(m)
        trainer = Trainer(X, y, init_params("xavier", N_IN, N_HIDDEN, 0), 1)
        evaluations.append(
            [f"{m:,}", fmt(min(timeit.repeat(trainer.metrics, number=1, repeat=3)) * 1e3)]
        )
        del trainer
        for batch in BATCHES:
            size = m if batch is None else batch
            steps, reps = plan(m, batch, quick)
            timers = {"engine": time_trainer, "plain": time_numpy}
            if have_torch:
                timers["torch 1"] = torch_timer(1)
                if batch is None and torch_threads() > 1:  # smaller batches run on one thread
                    timers[f"torch {torch_threads()}"] = torch_timer(None)
            us = us_per_step(timers, X, y, size, steps, reps)
            engine, plain = us["engine"], us["plain"]
            best = min((k for k in us if k.startswith("torch")), key=us.get, default=None)
            torch_us = us[best] if best else math.nan
            torch_text = f"{fmt(torch_us)} ({best.split()[1]} thr.)" if best else "—"
            rows.append(
                [
                    f"{m:,}",
                    "full" if batch is None else str(batch),
                    f"{steps:,} × {reps}",
                    fmt(engine),
                    fmt(plain),
                    torch_text,
                    fmt_ratio(engine / plain),
                    fmt_ratio(torch_us / engine),
                ]
            )
            if batch == 32:
                check(
                    res,
                    f"Engine step, m = {m:,}, batch 32: µs (engine / plain loop)",
                    f"{fmt(engine)} µs ({fmt_ratio(engine / plain)})",
                    f"≤ {ENGINE_VS_NUMPY}x plain loop ({fmt(plain)} µs)",
                    engine <= ENGINE_VS_NUMPY * plain,
                )
                check(
                    res,
                    f"Engine step, m = {m:,}, batch 32: PyTorch eager / engine",
                    fmt_ratio(torch_us / engine) if have_torch else "—",
                    f"≥ {TORCH_VS_ENGINE}x ({fmt(torch_us)} µs)" if have_torch else "≥ 3x",
                    torch_us >= TORCH_VS_ENGINE * engine if have_torch else None,
                )
        del X, y
    table(
        res,
        "Microseconds per step (median over repetitions):",
        [
            "rows m",
            "batch",
            "steps × reps",
            "engine (Trainer.run)",
            "plain numpy loop",
            "PyTorch eager",
            "engine / plain",
            "PyTorch / engine",
        ],
        rows,
    )
    table(
        res,
        "One full-data evaluation (Trainer.metrics: a forward pass over every training row, "
        "best of 3), which the trainer does at some steps:",
        ["rows m", "ms"],
        evaluations,
    )


def time_epoch_trainer(X: np.ndarray, y: np.ndarray) -> float:
    trainer = Trainer(X, y, init_params("xavier", N_IN, N_HIDDEN, 0), EPOCH_BATCH)
    start = time.perf_counter()
    taken = trainer.finish_epoch(LR)
    elapsed = time.perf_counter() - start
    if taken != trainer.plan.n_batches or len(trainer.history) != taken:
        raise RuntimeError("the epoch did not run to its end")
    return elapsed


def epoch_table(res: dict, quick: bool) -> None:
    X, y = make_data(EPOCH_ROWS)
    steps = math.ceil(EPOCH_ROWS / EPOCH_BATCH)
    reps = 3 if quick else 7
    time_epoch_trainer(X, y)
    engine, plain = [], []
    for _ in range(reps):
        gc.collect()
        engine.append(time_epoch_trainer(X, y) * 1e3)
        gc.collect()
        plain.append(time_numpy(X, y, EPOCH_BATCH, steps) * 1e3)
    e, p = median(engine), median(plain)
    check(
        res,
        f"One epoch, {EPOCH_ROWS:,} rows, batch {EPOCH_BATCH} ({steps:,} steps), history on: ms",
        f"{fmt(e)} ms ({fmt_ratio(e / p)})",
        f"≤ {EPOCH_VS_NUMPY}x plain loop ({fmt(p)} ms)",
        e <= EPOCH_VS_NUMPY * p,
    )
    table(
        res,
        f"One epoch (Trainer.finish_epoch from step 0, including its first permutation), "
        f"{reps} repetitions:",
        ["", "median ms", "min ms", "max ms"],
        [
            ["engine", fmt(e), fmt(min(engine)), fmt(max(engine))],
            ["plain numpy loop", fmt(p), fmt(min(plain)), fmt(max(plain))],
        ],
    )


CHUNK_ROWS = 4096


def chunked_loss(params, X: np.ndarray, y: np.ndarray) -> float:
    """The loss over all rows, a chunk at a time: small temporaries instead of (m, h) ones."""
    total = 0.0
    for start in range(0, X.shape[0], CHUNK_ROWS):
        E = forward(params, X[start : start + CHUNK_ROWS]).A2 - y[start : start + CHUNK_ROWS]
        total += float(np.sum(E**2))
    return total / (2 * X.shape[0])


def function_name(key: tuple) -> str:
    """A profile entry as `file.py:function` (no directories) or the built-in's own name."""
    filename, _, name = key
    return name if filename == "~" else f"{Path(filename).name}:{name}"


def breakdown_table(res: dict, quick: bool) -> None:
    """cProfile of Trainer.run at batch 32 on 100,000 rows: the functions where the step's time
    goes (profiling inflates small calls, so compare the shares, not the totals), beside the
    plain loop's whole step and the cost of one full-data evaluation."""
    X, y = make_data(EPOCH_ROWS)
    trainer = Trainer(X, y, init_params("xavier", N_IN, N_HIDDEN, 0), EPOCH_BATCH)
    trainer.run(1, LR)
    steps = 2_000 if quick else 10_000
    profiler = cProfile.Profile()
    profiler.enable()
    trainer.run(steps, LR)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # {key: (calls, ncalls, tottime, cumtime, callers)}
    total = sum(entry[2] for entry in stats.values())
    top = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:14]
    rows = [
        [
            function_name(key),
            f"{entry[1] / steps:.3g}",
            fmt(entry[2] / steps * 1e6),
            f"{entry[2] / total:.0%}",
        ]
        for key, entry in top
    ]
    rows.append(["**all, profiled**", "", fmt(total / steps * 1e6), "100%"])
    table(
        res,
        f"Where an engine step goes: cProfile of Trainer.run({steps:,}) at batch {EPOCH_BATCH} "
        f"on {EPOCH_ROWS:,} rows, own time of the top functions:",
        ["function", "calls per step", "µs per step (profiled)", "share"],
        rows,
    )
    params = trainer.params
    evaluation = min(timeit.repeat(trainer.metrics, number=3, repeat=3)) / 3
    chunked = min(timeit.repeat(lambda: chunked_loss(params, X, y), number=3, repeat=3)) / 3
    plain = min(time_numpy(X, y, EPOCH_BATCH, 2_000) / 2_000 for _ in range(3))
    table(
        res,
        f"For comparison ({EPOCH_ROWS:,} rows, unprofiled, best of 3):",
        ["", "time"],
        [
            ["the plain loop's whole step", f"{fmt(plain * 1e6)} µs"],
            [
                "one evaluation: Trainer.metrics(), a forward pass over every row",
                f"{fmt(evaluation * 1e3)} ms",
            ],
            [f"the same loss computed in {CHUNK_ROWS:,}-row chunks", f"{fmt(chunked * 1e3)} ms"],
        ],
    )


def run(quick: bool = False) -> dict:
    res = result("engine", "Engine: time per training step and per epoch")
    steps_table(res, quick)
    epoch_table(res, quick)
    breakdown_table(res, quick)
    version = torch_version()
    res["notes"] += [
        f"Network {N_IN}-{N_HIDDEN}-1 in float64, learning rate {LR}, standard-normal inputs. "
        "The engine's time is Trainer.run(steps) as the app calls it, so it includes whatever "
        "the trainer does besides the maths (read-only records, checks, the history row, "
        "evaluations over every row): a full-data evaluation at the end of a run or an epoch "
        "is spread over that run's steps.",
        "The plain loop and PyTorch draw a new permutation each epoch and gather the batch's "
        "rows with it (as the engine does); their first permutation, like the engine's first "
        "step, is outside the timing.",
        f"PyTorch {version}, CPU, eager mode (nn.Linear + Sigmoid, autograd, optim.SGD, "
        "loss.item() each step), float64, with 1 intra-op thread; at full batch also with its "
        f"default ({torch_threads()}), the faster shown. Batches of up to 256 rows are too "
        "small for torch to split across threads, and on a busy machine its idle OpenMP "
        "threads made it many times slower."
        if version
        else "PyTorch is not installed: its column is empty and its targets are not measured.",
    ]
    threads = blas_threads()
    if threads:
        res["notes"].append(f"Thread pools: {threads}.")
    return res


def main() -> None:
    cli(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
