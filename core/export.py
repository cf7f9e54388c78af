"""Downloads of a run: one step's matrices, the history, the weights and a reproduction script.

Every function returns bytes or text ready to hand to a download button; nothing here touches the
UI. Numbers are always written so that they read back bit for bit: CSV cells use the shortest text
that round-trips a float64, JSON floats do the same, and the .npz and the script carry the raw
float64 values. Text cells of a CSV go through `csv_safe`, so a spreadsheet never runs a feature
name as a formula.

Counting: steps, epochs, batches, batch rows and training rows count from 1 in every text file
(CSV, README, JSON, script header and output), as on the page; only the .npz's `indices` count
from 0, so that `X_train[indices]` is the batch (its `README` field says so).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import math
import zipfile
from collections.abc import Iterator, Sequence
from typing import NamedTuple, TypeVar

import numpy as np
import pandas as pd

from core.batches import BatchPlan
from core.experiment import Experiment
from core.history import FIELDS
from core.network import Params
from core.trainer import StepRecord, Trainer

T = TypeVar("T")

# A text cell starting with one of these is run as a formula by common spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PARAM_NAMES = ("W1", "b1", "W2", "b2")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same step always gives the same bytes
SCRIPT_LAST_STEPS = 5
SCRIPT_FILE_NAME = "reproduce_backprop.py"  # the download's name, and the header's run command


# --- CSV safety ---------------------------------------------------------------------------------


def csv_safe(value: T) -> T | str:
    """A text cell a spreadsheet would run as a formula gets a leading single quote.

    Only strings are touched: the number -3 stays a number, the text "-3" becomes "'-3".
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV, every header and text cell neutralised, floats at full precision.

    pandas writes float64 with numpy's shortest round-trip repr, so the text reads back exactly.
    """
    safe = frame.rename(columns=lambda name: csv_safe(str(name)))
    for i in range(safe.shape[1]):
        column = safe.iloc[:, i]
        if not pd.api.types.is_numeric_dtype(column):
            safe.isetitem(i, column.map(csv_safe))
    return safe.to_csv(index=False, lineterminator="\n")


# --- one step -----------------------------------------------------------------------------------


class MatrixSpec(NamedTuple):
    """One matrix of a step: its name, what its rows and columns are, and how it is computed."""

    name: str
    rows: str  # "sample", "input", "hidden" or "bias" (a single row)
    cols: str  # "input", "hidden", "out" (the output unit) or "y"
    formula: str


STEP_MATRICES = (
    MatrixSpec("X", "sample", "input", "the batch inputs, scaled as the network sees them"),
    MatrixSpec("y", "sample", "y", "the batch targets, scaled as the network sees them"),
    MatrixSpec("W1", "input", "hidden", "first-layer weights this step used (before the update)"),
    MatrixSpec("b1", "bias", "hidden", "first-layer biases this step used (before the update)"),
    MatrixSpec("W2", "hidden", "out", "second-layer weights this step used (before the update)"),
    MatrixSpec("b2", "bias", "out", "second-layer bias this step used (before the update)"),
    MatrixSpec("Z1", "sample", "hidden", "Z1 = X W1 + b1"),
    MatrixSpec("A1", "sample", "hidden", "A1 = sigmoid(Z1) = 1 / (1 + exp(-Z1))"),
    MatrixSpec("Z2", "sample", "out", "Z2 = A1 W2 + b2"),
    MatrixSpec("A2", "sample", "out", "A2 = Z2 (linear output: the prediction)"),
    MatrixSpec("delta2", "sample", "out", "delta2 = (A2 - y) / m"),
    MatrixSpec(
        "delta1", "sample", "hidden", "delta1 = (delta2 W2^T) * A1 * (1 - A1), * element-wise"
    ),
    MatrixSpec("dW2", "hidden", "out", "dW2 = A1^T delta2"),
    MatrixSpec("db2", "bias", "out", "db2 = rowsum(delta2), the sum over the batch rows"),
    MatrixSpec("dW1", "input", "hidden", "dW1 = X^T delta1"),
    MatrixSpec("db1", "bias", "hidden", "db1 = rowsum(delta1), the sum over the batch rows"),
    MatrixSpec("W1_after", "input", "hidden", "W1_after = W1 - lr * dW1"),
    MatrixSpec("b1_after", "bias", "hidden", "b1_after = b1 - lr * db1"),
    MatrixSpec("W2_after", "hidden", "out", "W2_after = W2 - lr * dW2"),
    MatrixSpec("b2_after", "bias", "out", "b2_after = b2 - lr * db2"),
)
SHAPE_SYMBOLS = {"sample": "m", "input": "n", "hidden": "h", "bias": "1", "out": "1", "y": "1"}


def step_arrays(rec: StepRecord) -> dict[str, np.ndarray]:
    """Every matrix of the step by its seed name (parameters before the step keep the bare name)."""
    before = rec.params_before._asdict()
    after = {f"{name}_after": a for name, a in rec.params_after._asdict().items()}
    arrays = {"X": rec.X, "y": rec.y, **before, **rec.fwd._asdict(), **rec.grads._asdict()}
    arrays.update(after)
    return {spec.name: np.asarray(arrays[spec.name]) for spec in STEP_MATRICES}


def input_labels(feature_names: Sequence[str]) -> list[str]:
    """x1, x2, ... with the column's own name where it has one."""
    return [
        f"x{k + 1}" if name == f"x{k + 1}" else f"x{k + 1} {name}"
        for k, name in enumerate(feature_names)
    ]


def _labels(kind: str, size: int, inputs: list[str]) -> list[str]:
    if kind == "input":
        return inputs
    if kind == "hidden":
        return [f"h{j + 1}" for j in range(size)]
    return {"bias": ["1"], "out": ["out"], "y": ["y"]}[kind]


def _matrix_frame(
    spec: MatrixSpec, a: np.ndarray, rec: StepRecord, inputs: list[str]
) -> pd.DataFrame:
    """The matrix with its index column(s) first and labelled columns."""
    frame = pd.DataFrame(a, columns=_labels(spec.cols, a.shape[1], inputs))
    if spec.rows == "sample":
        frame.insert(0, "batch_row", np.arange(1, a.shape[0] + 1))
        frame.insert(1, "train_row", np.asarray(rec.indices, dtype=np.int64) + 1)
    else:
        frame.insert(0, "row", _labels(spec.rows, a.shape[0], inputs))
    return frame


def _step_readme(rec: StepRecord, feature_names: Sequence[str]) -> str:
    (m, n), h = rec.X.shape, rec.fwd.Z1.shape[1]
    sizes = {"m": m, "n": n, "h": h, "1": 1}
    names = ", ".join(f"x{k + 1} = {name!r}" for k, name in enumerate(feature_names))
    lines = [
        f"Backprop Step-by-Step: step {rec.step} (epoch {rec.epoch}, "
        f"batch {rec.batch} of {rec.n_batches})",
        "",
        f"m = {m} batch rows, n = {n} inputs, h = {h} hidden units, learning rate lr = {rec.lr!r}",
        f"Inputs: {names}",
        f"Batch loss (1/2m)||A2 - y||^2 before the update: {rec.loss_before!r}",
        f"Batch loss after the update: {rec.loss_after!r}",
        f"Whole training-set loss after the step: {rec.train_loss!r}; test set: {rec.test_loss!r}",
        "",
        "Every number is a float64 written at full precision: it reads back bit for bit.",
        'Files of per-sample matrices start with two index columns (the page\'s "3 · #131" is',
        "batch_row 3, train_row 131):",
        "  batch_row  the row within this batch, 1..m (the seed's row index i)",
        "  train_row  the row of the (split, scaled) training set, counting from 1 as on the page",
        "Parameter-shaped files start with a 'row' column. Column labels: x1..xn the inputs,",
        "h1..hh the hidden units, out the output unit.",
        "",
        "Files (shape in the seed's letters, then in numbers, then what it holds):",
    ]
    for spec in STEP_MATRICES:
        r, c = SHAPE_SYMBOLS[spec.rows], SHAPE_SYMBOLS[spec.cols]
        shape = f"({r}, {c}) = ({sizes[r]}, {sizes[c]})"
        lines.append(f"  {spec.name + '.csv':<14}{shape:<20}{spec.formula}")
    return "\n".join(lines) + "\n"


def _zip_entry(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, text.encode("utf-8"))


def step_csv_zip(rec: StepRecord, feature_names: Sequence[str]) -> bytes:
    """A zip with one CSV per matrix of the step and a README.txt explaining each file."""
    feature_names = [str(name) for name in feature_names]
    if len(feature_names) != rec.X.shape[1]:
        raise ValueError(f"Expected {rec.X.shape[1]} feature names, got {len(feature_names)}.")
    inputs = input_labels(feature_names)
    arrays = step_arrays(rec)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _zip_entry(archive, "README.txt", _step_readme(rec, feature_names))
        for spec in STEP_MATRICES:
            frame = _matrix_frame(spec, arrays[spec.name], rec, inputs)
            _zip_entry(archive, f"{spec.name}.csv", _csv_text(frame))
    return buffer.getvalue()


NPZ_README = (
    "One step of Backprop Step-by-Step. Arrays by the seed's names (X, y, W1, ..., b2_after; "
    "W1 etc. before the update), float64. indices: the rows of the (split, scaled) training "
    "set in this batch, counting from 0 (NumPy indexing: X_train[indices] is X); add 1 for the "
    "row numbers on the page and in the zip's train_row column. Scalars step, epoch, batch and "
    "n_batches count from 1; lr, loss_before, loss_after (batch loss before and after the "
    "update), train_loss and test_loss (NaN where not evaluated)."
)


def step_npz(rec: StepRecord) -> bytes:
    """np.savez of the step's matrices (seed names), batch indices and scalars; no pickles.

    A `README` text array says what each field holds; `indices` count from 0.
    """
    scalars = {
        "step": rec.step,
        "epoch": rec.epoch,
        "batch": rec.batch,
        "n_batches": rec.n_batches,
        "lr": rec.lr,
        "loss_before": rec.loss_before,
        "loss_after": rec.loss_after,
        "train_loss": rec.train_loss,
        "test_loss": rec.test_loss,
    }
    arrays = step_arrays(rec)
    arrays["indices"] = np.asarray(rec.indices, dtype=np.int64)
    arrays.update({name: np.asarray(value) for name, value in scalars.items()})
    arrays["README"] = np.asarray(NPZ_README)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


# --- history ------------------------------------------------------------------------------------


def param_labels(n_in: int, n_hidden: int) -> list[str]:
    """W1[1,1], ..., b2[1,1]: 1-based like the seed, in the order of Params.flat."""
    shapes = dict(
        zip(PARAM_NAMES, ((n_in, n_hidden), (1, n_hidden), (n_hidden, 1), (1, 1)), strict=True)
    )
    return [
        f"{name}[{i + 1},{j + 1}]"
        for name, (rows, cols) in shapes.items()
        for i in range(rows)
        for j in range(cols)
    ]


HISTORY_COLUMNS = ("step", "epoch", "batch", *FIELDS, "grad_norm_1", "grad_norm_2")
HISTORY_CSV_ROWS = 1024  # rows turned into text at a time


def history_csv_parts(trainer: Trainer) -> Iterator[str]:
    """The history CSV in pieces: the header line, then HISTORY_CSV_ROWS rows at a time, read
    from the history chunk by chunk, so that no copy of the whole history is made and only one
    piece's numbers are held as text at a time.

    One row per step: position, learning rate, losses, gradient norms, parameters after it. Each
    float is written as Python's `repr`, the shortest text that reads back to the same float64
    (the same text pandas writes, through numpy); a loss not evaluated at a step (NaN) is an
    empty cell, as pandas writes it.
    """
    history = trainer.history
    labels = param_labels(history.n_in, history.n_hidden)
    yield _csv_text(pd.DataFrame(columns=[*HISTORY_COLUMNS, *labels]))
    n_batches, n = trainer.plan.n_batches, history.n_params
    for first, block in history.blocks(len(history)):  # the steps taken when the file began
        norms = np.column_stack(history.block_grad_norms(first, block))
        for start in range(0, len(block), HISTORY_CSV_ROWS):
            rows = slice(start, start + HISTORY_CSV_ROWS)
            values = np.concatenate([block[rows, n:], norms[rows], block[rows, :n]], axis=1)
            steps = range(first + start - 1, first + start - 1 + len(values))  # from 0
            positions = [f"{s + 1},{s // n_batches + 1},{s % n_batches + 1}," for s in steps]
            floats = map(",".join, map(_reprs, values.tolist()))
            text = "\n".join(map(str.__add__, positions, floats)) + "\n"
            # "nan" is no part of any other number's repr ("inf" has no second "n"), so this
            # only empties the cells of losses that were not evaluated.
            yield text.replace("nan", "") if np.isnan(values).any() else text


def _reprs(row: list[float]) -> Iterator[str]:
    return map(float.__repr__, row)


def history_csv(trainer: Trainer) -> str:
    """The whole history CSV as text (see history_csv_parts)."""
    return "".join(history_csv_parts(trainer))


def history_csv_bytes(trainer: Trainer) -> bytes:
    """The history CSV as UTF-8 bytes for a download, encoded piece by piece: besides the file
    itself, at most one piece is held at a time (a 100,000-step history of the largest network
    is about 105 MB of text)."""
    out = io.BytesIO()
    for part in history_csv_parts(trainer):
        out.write(part.encode("utf-8"))
    return out.getvalue()


# --- weights ------------------------------------------------------------------------------------


def _jsonable(value: object) -> object:
    """Plain JSON values: arrays and tuples as lists, numpy scalars as Python, NaN/inf as None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"Cannot write {type(value).__name__} to JSON.")


def _json_text(value: object, level: int = 0) -> str:
    """JSON indented by 2, with each list of plain values (a matrix row) kept on one line."""
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_json_text(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [inner + _json_text(v, level + 1) for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def weights_json(params: Params, meta: dict) -> str:
    """The parameters as nested lists with their shapes, then `meta`; floats round-trip exactly."""
    weights = {name: a.tolist() for name, a in params._asdict().items()}
    clash = set(meta) & {*weights, "shapes"}
    if clash:
        raise ValueError(f"meta may not use the keys {sorted(clash)}.")
    shapes = {name: list(a.shape) for name, a in params._asdict().items()}
    return _json_text(_jsonable({**weights, "shapes": shapes, **meta})) + "\n"


def run_settings_meta(experiment: Experiment, trainer: Trainer) -> dict[str, object]:
    """The run settings with the batch size the trainer used and whether that was full batch.

    A full batch may be requested as `batch_size=None` or any number >= the training rows;
    either way the record holds the rows per batch actually used, never the request.
    """
    settings: dict[str, object] = {}
    for name, value in dataclasses.asdict(experiment.settings).items():
        if name == "batch_size":
            settings["batch_size"] = trainer.plan.batch_size
            settings["full_batch"] = trainer.plan.batch_size >= trainer.plan.m
        else:
            settings[name] = value
    return settings


def run_meta(experiment: Experiment, trainer: Trainer) -> dict[str, object]:
    """What weights_json needs besides the parameters to use them on new raw data.

    `learning_rate` is the one the last step used (None before the first step).
    """
    scaling = experiment.scaling
    lrs = trainer.history.column("lr")
    return {
        "step": trainer.step_count,
        "learning_rate": float(lrs[-1]) if len(lrs) else None,
        "forward": "A2 = sigmoid(X W1 + b1) W2 + b2 on scaled inputs X; unscale A2 for y",
        "feature_names": list(experiment.dataset.feature_names),
        "target_name": experiment.dataset.target_name,
        "source": experiment.dataset.source,
        "settings": run_settings_meta(experiment, trainer),
        "scaling": {
            "x_mean": scaling.x_mean,
            "x_scale": scaling.x_scale,
            "y_mean": scaling.y_mean,
            "y_scale": scaling.y_scale,
            "rule": "X_scaled = (X - x_mean) / x_scale; y = y_scaled * y_scale + y_mean",
        },
    }


# --- reproduction script ------------------------------------------------------------------------


def params_sha256(params: Params) -> str:
    """SHA-256 of W1, b1, W2, b2 as concatenated little-endian float64 bytes (row by row)."""
    return hashlib.sha256(params.flat().astype("<f8").tobytes()).hexdigest()


def run_lengths(values: np.ndarray) -> list[tuple[int, float]]:
    """(count, value) pairs: [0.1, 0.1, 0.05] -> [(2, 0.1), (1, 0.05)]."""
    runs: list[tuple[int, float]] = []
    for value in (float(v) for v in values):
        if runs and runs[-1][1] == value:
            runs[-1] = (runs[-1][0] + 1, value)
        else:
            runs.append((1, value))
    return runs


def _base64_block(name: str, a: np.ndarray) -> str:
    """A constant holding the array's float64 bytes in base64, 76 characters a line."""
    text = base64.encodebytes(np.ascontiguousarray(a, dtype="<f8").tobytes()).decode("ascii")
    return f'{name} = """\n{text}"""'


def _matrix_literal(name: str, a: np.ndarray) -> str:
    rows = ",\n".join(f"    {row!r}" for row in a.tolist())
    return f"{name} = [\n{rows},\n]"


def _script_header(experiment: Experiment, trainer: Trainer) -> str:
    s, plan = experiment.settings, trainer.plan
    epochs = f"{trainer.step_count / plan.n_batches:.4g}"
    lines = [
        "Reproduces a Backprop Step-by-Step training run from scratch, with numpy only.",
        "",
        f"Run it with:  python {SCRIPT_FILE_NAME}",
        "",
        "It holds the training set exactly as the dashboard trained on it (already split and",
        "scaled), the initial weights, the batch size, the shuffling rule and every step's",
        "learning rate. It replays the seed's mini-batch gradient descent step by step and prints",
        f"the batch loss of the last {SCRIPT_LAST_STEPS} steps, the final W1, b1, W2 and b2, and a",
        "SHA-256 of their float64 bytes. With the same numpy build the numbers match the",
        "dashboard bit for bit; elsewhere matrix products may round differently at the end.",
        "",
        f"Data: {experiment.dataset.source!a}",
        f"Inputs: {list(experiment.dataset.feature_names)!a}; "
        f"target: {experiment.dataset.target_name!a}",
        f"Training rows: {plan.m}; hidden units: {trainer.history.n_hidden}; "
        f"initialisation: {s.init_scheme!a} (seed {s.init_seed})",
        f"Batch size: {_batch_text(plan)}",
        f"Steps: {trainer.step_count} ({epochs} epochs of {plan.n_batches} batches)",
        f"Expected last line: final_params_sha256={params_sha256(trainer.params)}",
    ]
    if trainer.divergence is not None:
        lines.append(f"Training then stopped: {trainer.divergence.what!a}")
    return "\n".join(f"# {line}".rstrip() for line in lines)


def _batch_text(plan: BatchPlan) -> str:
    """The rows per batch the run used, in words (full batch, or how the epoch is cut)."""
    if plan.batch_size >= plan.m:
        return f"{plan.batch_size} (full batch: every step uses all {plan.m} training rows)"
    last = plan.m - (plan.n_batches - 1) * plan.batch_size
    shorter = f", the last of {last} rows" if last < plan.batch_size else ""
    return f"{plan.batch_size} ({plan.n_batches} batches per epoch{shorter})"


def _script_constants(trainer: Trainer) -> str:
    plan, initial = trainer.plan, trainer.history.initial
    n_in, n_hidden = trainer.history.n_in, trainer.history.n_hidden
    parts = [
        f"M, N, H = {plan.m}, {n_in}, {n_hidden}  # training rows, inputs, hidden units",
        f"BATCH_SIZE = {plan.batch_size}",
        f"SHUFFLE = {plan.shuffle!r}",
        f"SHUFFLE_SEED = {plan.seed!r}",
        f"N_STEPS = {trainer.step_count}",
        "# (number of steps, learning rate), in order",
        f"LEARNING_RATES = {run_lengths(trainer.history.column('lr'))!r}",
        "",
        "# Initial parameters: W1 (n, h), b1 (1, h), W2 (h, 1), b2 (1, 1)",
        *(_matrix_literal(f"{name}_INIT", a) for name, a in initial._asdict().items()),
        "",
        "# Training set as base64 of little-endian float64 bytes: X_train (M, N), y_train (M, 1)",
        _base64_block("X_TRAIN_BASE64", trainer.X),
        _base64_block("Y_TRAIN_BASE64", trainer.y),
    ]
    return "\n".join(parts)


SCRIPT_BODY = '''
def decode(text, rows, cols):
    """float64 values from base64 text."""
    raw = base64.b64decode("".join(text.split()))
    return np.frombuffer(raw, dtype="<f8").astype(np.float64).reshape(rows, cols)


def sigmoid(Z):
    """1 / (1 + e^-z) element-wise; below z = -709 e^-z overflows to inf and the result is 0."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-Z))


def epoch_order(epoch):
    """The training-row order of epoch `epoch` (1, 2, ...)."""
    if SHUFFLE:
        return np.random.default_rng([SHUFFLE_SEED, epoch]).permutation(M)
    return np.arange(M)


def main():
    X_train = decode(X_TRAIN_BASE64, M, N)
    y_train = decode(Y_TRAIN_BASE64, M, 1)
    W1, b1, W2, b2 = (np.array(v, dtype=np.float64) for v in (W1_INIT, b1_INIT, W2_INIT, b2_INIT))
    learning_rates = [lr for count, lr in LEARNING_RATES for _ in range(count)]
    n_batches = math.ceil(M / BATCH_SIZE)  # the last, shorter batch is kept

    for step in range(1, N_STEPS + 1):
        epoch, batch = (step - 1) // n_batches + 1, (step - 1) % n_batches + 1
        if batch == 1:
            order = epoch_order(epoch)
        idx = order[(batch - 1) * BATCH_SIZE : batch * BATCH_SIZE]
        X, y = X_train[idx], y_train[idx]
        m = X.shape[0]
        lr = learning_rates[step - 1]

        # Forward pass
        Z1 = X @ W1 + b1  # (m, n)(n, h) + (1, h) -> (m, h)
        A1 = sigmoid(Z1)  # (m, h)
        Z2 = A1 @ W2 + b2  # (m, h)(h, 1) + (1, 1) -> (m, 1)
        A2 = Z2  # (m, 1), linear output
        loss = float(((A2 - y) ** 2).sum() / (2 * m))  # (1/2m)||A2 - y||^2

        # Backward pass
        delta2 = (A2 - y) / m  # (m, 1)
        dW2 = A1.T @ delta2  # (h, m)(m, 1) -> (h, 1)
        db2 = delta2.sum(axis=0, keepdims=True)  # (1, 1), rowsum(delta2)
        delta1 = (delta2 @ W2.T) * (A1 * (1 - A1))  # (m, 1)(1, h) * (m, h) -> (m, h)
        dW1 = X.T @ delta1  # (n, m)(m, h) -> (n, h)
        db1 = delta1.sum(axis=0, keepdims=True)  # (1, h), rowsum(delta1)

        # Update: theta <- theta - lr * gradient
        W1 = W1 - lr * dW1
        b1 = b1 - lr * db1
        W2 = W2 - lr * dW2
        b2 = b2 - lr * db2

        if step > N_STEPS - LAST_STEPS:
            print(f"step {step} batch_loss={loss!r}")

    for name, value in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)):
        print(f"{name} = {value.tolist()!r}")
    flat = np.concatenate([W1.ravel(), b1.ravel(), W2.ravel(), b2.ravel()])
    print("final_params_sha256=" + hashlib.sha256(flat.astype("<f8").tobytes()).hexdigest())


if __name__ == "__main__":
    main()
'''


def reproduce_script(experiment: Experiment, trainer: Trainer) -> str:
    """A standalone numpy script that replays the run and prints its final numbers."""
    imports = "import base64\nimport hashlib\nimport math\n\nimport numpy as np"
    return (
        "\n\n".join(
            [
                _script_header(experiment, trainer),
                imports,
                f"LAST_STEPS = {SCRIPT_LAST_STEPS}  # steps whose batch loss is printed",
                _script_constants(trainer),
                SCRIPT_BODY.strip("\n"),
            ]
        )
        + "\n"
    )
