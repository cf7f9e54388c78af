"""Unit tests of core.export: exact CSV, npz and JSON round trips, CSV safety, the script."""

from __future__ import annotations

import ast
import csv
import io
import json
import subprocess
import sys
import time
import zipfile

import numpy as np
import pandas as pd
import pytest

from core.datasets import Dataset, generate
from core.experiment import RunSettings, prepare
from core.export import (
    HISTORY_COLUMNS,
    SCRIPT_FILE_NAME,
    STEP_MATRICES,
    csv_safe,
    history_csv,
    history_csv_bytes,
    history_csv_parts,
    param_labels,
    params_sha256,
    reproduce_script,
    run_lengths,
    run_meta,
    step_arrays,
    step_csv_zip,
    step_npz,
    weights_json,
)
from core.history import FIELDS
from core.network import Params

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MB = 1_000_000
SEED_NAMES = ("X", "y", "W1", "b1", "W2", "b2", "Z1", "A1", "Z2", "A2", "delta2", "delta1")
SEED_NAMES += ("dW1", "db1", "dW2", "db2", "W1_after", "b1_after", "W2_after", "b2_after")


def experiment(batch_size=7, shuffle=True, n_inputs=2, n_hidden=3, m=50):
    """m rows of the sine ripple; 80% (40 of 50) go to training."""
    dataset = generate("sine", m, 0.1, seed=3, n_inputs=n_inputs)
    return prepare(dataset, RunSettings(batch_size=batch_size, shuffle=shuffle, n_hidden=n_hidden))


def trained(exp, steps_per_lr=((9, 0.5), (9, 0.2))):
    trainer = exp.new_trainer()
    for steps, lr in steps_per_lr:
        assert trainer.run(steps, lr) == steps
    return trainer


@pytest.fixture(scope="module")
def run():
    exp = experiment()
    return exp, trained(exp)


@pytest.fixture(scope="module")
def record(run):
    exp, _ = run
    trainer = trained(exp, ((5, 0.3),))
    return trainer.step(0.3)  # step 6: the last, shorter batch (40 rows = 5 x 7 + 5)


def read_zip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


# ---------------------------------------------------------------------------------------------
# csv_safe.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("-3", "'-3"),
        ("+A1", "'+A1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ('=HYPERLINK("http://example.com","x")', '\'=HYPERLINK("http://example.com","x")'),
        ("x1", "x1"),
        ("a=b", "a=b"),
        ("", ""),
        ("'=already", "'=already"),
    ],
)
def test_csv_safe_neutralises_formula_text(value, expected):
    assert csv_safe(value) == expected


@pytest.mark.parametrize("number", [-3, -3.5, 0, 2.0, np.float64(-1.25), np.int64(-7)])
def test_csv_safe_leaves_numbers_alone(number):
    out = csv_safe(number)
    assert out is number


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_no_formula_cells(text: str) -> None:
    """Every cell a spreadsheet would run as a formula must be a plain number."""
    for cell in cells(text):
        if cell.startswith(FORMULA_STARTS):
            float(cell)  # raises for text such as =1+2


# ---------------------------------------------------------------------------------------------
# One step as CSV files in a zip.


def test_zip_holds_every_matrix_and_a_readme(record):
    files = read_zip(step_csv_zip(record, ("x1", "x2")))
    assert set(files) == {"README.txt", *(f"{name}.csv" for name in SEED_NAMES)}
    readme = files["README.txt"]
    for spec in STEP_MATRICES:
        assert f"{spec.name}.csv" in readme
    assert "Z1 = X W1 + b1" in readme and "delta2 = (A2 - y) / m" in readme
    assert f"step {record.step} " in readme and "(m, h) = (5, 3)" in readme


def test_zip_csvs_read_back_to_the_exact_arrays(record):
    files = read_zip(step_csv_zip(record, ("x1", "x2")))
    arrays = step_arrays(record)
    assert record.X.shape[0] == 5  # a shorter last batch
    for spec in STEP_MATRICES:
        n_index = 2 if spec.rows == "sample" else 1
        frame = pd.read_csv(io.StringIO(files[f"{spec.name}.csv"]), index_col=list(range(n_index)))
        back = frame.to_numpy(dtype=np.float64)
        assert back.shape == arrays[spec.name].shape, spec.name
        assert np.array_equal(back, arrays[spec.name]), spec.name


def test_zip_labels_rows_and_columns(record):
    files = read_zip(step_csv_zip(record, ("x1", "height")))
    z1 = pd.read_csv(io.StringIO(files["Z1.csv"]))
    assert list(z1.columns) == ["batch_row", "train_row", "h1", "h2", "h3"]
    assert z1["batch_row"].tolist() == [1, 2, 3, 4, 5]
    assert z1["train_row"].tolist() == (record.indices + 1).tolist()
    x = pd.read_csv(io.StringIO(files["X.csv"]))
    assert list(x.columns) == ["batch_row", "train_row", "x1", "x2 height"]
    w1 = pd.read_csv(io.StringIO(files["W1.csv"]))
    assert list(w1.columns) == ["row", "h1", "h2", "h3"]
    assert w1["row"].tolist() == ["x1", "x2 height"]
    assert list(pd.read_csv(io.StringIO(files["W2_after.csv"])).columns) == ["row", "out"]


def test_zip_counts_training_rows_from_1_like_the_page(run, record):
    """The page shows "3 · #131" for the 3rd batch row, training row 131 counting from 1."""
    exp, _ = run
    files = read_zip(step_csv_zip(record, ("x1", "x2")))
    readme = files["README.txt"]
    assert "train_row" in readme and "train_index" not in readme
    assert "counting from 1 as on the page" in readme
    x = pd.read_csv(io.StringIO(files["X.csv"]))
    for batch_row, train_row, *values in x.itertuples(index=False):
        assert np.array_equal(exp.X_train[train_row - 1], values), batch_row
        assert batch_row == list(x["batch_row"]).index(batch_row) + 1


def test_zip_neutralises_hostile_feature_names(record):
    names = ("=1+2", '=HYPERLINK("http://example.com","x")')
    files = read_zip(step_csv_zip(record, names))
    for name, text in files.items():
        if name.endswith(".csv"):
            assert_no_formula_cells(text)
    assert "'=1+2" in files["README.txt"]


def test_zip_rejects_the_wrong_number_of_feature_names(record):
    with pytest.raises(ValueError, match="2 feature names"):
        step_csv_zip(record, ("x1",))


def test_zip_is_deterministic(record):
    assert step_csv_zip(record, ("x1", "x2")) == step_csv_zip(record, ("x1", "x2"))


# ---------------------------------------------------------------------------------------------
# One step as .npz.


def test_npz_loads_without_pickle_and_matches_the_record(record):
    with np.load(io.BytesIO(step_npz(record)), allow_pickle=False) as data:
        loaded = {name: data[name] for name in data.files}
    assert set(SEED_NAMES) | {"indices", "lr", "step", "epoch", "batch"} <= set(loaded)
    for name, a in step_arrays(record).items():
        assert loaded[name].dtype == np.float64
        assert np.array_equal(loaded[name], a), name
    assert np.array_equal(loaded["indices"], record.indices)
    assert float(loaded["lr"]) == record.lr == 0.3
    assert int(loaded["step"]) == record.step
    assert float(loaded["loss_before"]) == record.loss_before
    assert np.array_equal(loaded["W1"], record.params_before.W1)
    assert np.array_equal(loaded["W1_after"], record.params_after.W1)


def test_npz_says_its_indices_count_from_0(run, record):
    exp, _ = run
    with np.load(io.BytesIO(step_npz(record)), allow_pickle=False) as data:
        readme, indices, X = str(data["README"]), data["indices"], data["X"]
    assert "indices" in readme and "counting from 0" in readme and "train_row" in readme
    assert np.array_equal(exp.X_train[indices], X)  # NumPy indexing, as the README says


# ---------------------------------------------------------------------------------------------
# History.


def test_history_csv_has_one_exact_row_per_step(run):
    _, trainer = run
    frame = pd.read_csv(io.StringIO(history_csv(trainer)))
    assert len(frame) == trainer.step_count == 18
    labels = param_labels(2, 3)
    assert labels[:2] == ["W1[1,1]", "W1[1,2]"] and labels[-1] == "b2[1,1]"
    norms = ["grad_norm_1", "grad_norm_2"]
    assert list(frame.columns) == ["step", "epoch", "batch", *FIELDS, *norms, *labels]
    for name, column in zip(norms, trainer.history.grad_norms(), strict=True):
        assert np.array_equal(frame[name].to_numpy(), column), name
    assert np.array_equal(frame[labels].to_numpy(), trainer.history.param_matrix())
    for name, column in trainer.history.columns().items():
        assert np.array_equal(frame[name].to_numpy(), column, equal_nan=True), name
    positions = [trainer.plan.position(step) for step in range(1, 19)]
    assert frame["step"].tolist() == list(range(1, 19))
    assert list(zip(frame["epoch"], frame["batch"], strict=True)) == positions
    assert frame["lr"].tolist() == [0.5] * 9 + [0.2] * 9


def test_history_csv_leaves_unevaluated_losses_empty():
    exp = experiment(batch_size=50, m=400)  # 7 batches: the fast path evaluates step 5 and 7
    trainer = trained(exp, ((5, 0.1), (2, 0.1)))
    frame = pd.read_csv(io.StringIO(history_csv(trainer)))
    train_loss = trainer.history.column("train_loss")
    assert np.isnan(train_loss).any() and not np.isnan(train_loss).all()
    assert np.array_equal(frame["train_loss"].to_numpy(), train_loss, equal_nan=True)
    assert np.array_equal(frame[param_labels(2, 3)].to_numpy(), trainer.history.param_matrix())


def test_history_csv_before_any_step_is_just_the_header():
    trainer = experiment().new_trainer()
    text = history_csv(trainer)
    assert text.count("\n") == 1 and text.startswith("step,epoch,batch,lr,")
    assert_no_formula_cells(text)


def pandas_history_csv(trainer) -> str:
    """The history as one DataFrame written by pandas: how the CSV was made before it was built
    in pieces, kept as the reference its bytes must match."""
    history = trainer.history
    steps = np.arange(1, len(history) + 1)
    epoch, batch = np.divmod(steps - 1, trainer.plan.n_batches)
    columns = {"step": steps, "epoch": epoch + 1, "batch": batch + 1, **history.columns()}
    columns["grad_norm_1"], columns["grad_norm_2"] = history.grad_norms()
    frame = pd.DataFrame(columns, columns=HISTORY_COLUMNS)
    labels = param_labels(history.n_in, history.n_hidden)
    frame = pd.concat([frame, pd.DataFrame(history.param_matrix(), columns=labels)], axis=1)
    return frame.to_csv(index=False, lineterminator="\n")


def four_inputs(m: int = 40, n_hidden: int = 8, batch_size=7):
    """The largest network: 4 inputs, 8 hidden units."""
    X = np.random.default_rng(4).uniform(-1, 1, (m, 4))
    data = Dataset(X, np.sin(X.sum(axis=1)), ("a", "b", "c", "d"), "y", "four inputs")
    return prepare(data, RunSettings(batch_size=batch_size, n_hidden=n_hidden))


@pytest.mark.parametrize(
    "make",
    [
        lambda: trained(experiment()),  # a learning-rate change, batches of 7 and a last of 5
        lambda: trained(experiment(batch_size=50, m=400), ((5, 0.1), (2, 0.1))),  # empty losses
        lambda: trained(experiment(), ((2, 1000.0),)),  # stopped on divergence, large numbers
        lambda: trained(experiment(), ((3, 1e-9),)),  # tiny steps
        # 5,000 steps: across the history's growing chunks and the CSV's pieces of 1,024 rows
        lambda: trained(four_inputs(), ((2_500, 0.3), (2_500, 0.05))),
    ],
    ids=["lr-change", "unevaluated-losses", "diverged", "tiny-steps", "4-8-1-5000-steps"],
)
def test_history_csv_is_byte_identical_to_the_pandas_frame(make):
    trainer = make()
    expected = pandas_history_csv(trainer)
    assert history_csv(trainer) == expected
    assert history_csv_bytes(trainer) == expected.encode("utf-8")
    assert "".join(history_csv_parts(trainer)) == expected


def _peak_rss_reset() -> bool:
    """Reset this process's peak resident memory (Linux); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024 / MB


def test_history_csv_of_100000_steps_of_the_largest_network_is_fast_and_bounded(monkeypatch):
    """Once 29 s and 300 MB: now a few seconds, and besides the file itself (about 100 MB of
    text) only one piece of it; no copy of the whole history is made on the way."""
    trainer = four_inputs().new_trainer()
    history = trainer.history
    rng = np.random.default_rng(7)
    for step, flat in enumerate(rng.normal(size=(100_000, history.n_params)), start=1):
        history.append(Params.from_flat(flat, 4, 8), lr=0.1 if step <= 50_000 else 0.05)
        if step % 6 == 0:
            history.set_eval(step, 1.0 / step, 2.0 / step)

    def whole_history(*_):
        raise AssertionError("the export copied the whole history")

    for name in ("param_matrix", "param_path", "columns", "column", "grad_norms"):
        monkeypatch.setattr(history, name, whole_history)
    measured = _peak_rss_reset()
    rss_before = _status_mb("VmRSS") if measured else 0.0
    start = time.perf_counter()
    data = history_csv_bytes(trainer)
    seconds = time.perf_counter() - start
    peak = _status_mb("VmHWM") - rss_before if measured else 0.0

    assert seconds < 15, f"{seconds:.1f} s"
    size = len(data) / MB
    assert 95 < size < 110
    if measured:
        assert peak < 1.2 * size + 30, f"peak {peak:.0f} MB for a {size:.0f} MB file"
    assert data.count(b"\n") == 100_001
    labels = param_labels(4, 8)
    header = data[: data.index(b"\n")].decode()
    assert header.startswith("step,epoch,batch,lr,batch_loss,train_loss,test_loss,grad_norm_1,")
    assert len(next(csv.reader([header]))) == len(HISTORY_COLUMNS) + len(labels) == 58
    for step in (1, 4_032, 4_033, 50_001, 100_000):  # chunk edges and the change of η
        at = data.index(f"\n{step},".encode()) + 1
        row = data[at : data.index(b"\n", at)].decode().split(",")
        assert row[:3] == [str(step), str((step - 1) // 5 + 1), str((step - 1) % 5 + 1)]
        lr, batch_loss, train_loss, test_loss = row[3:7]
        assert float(lr) == (0.1 if step <= 50_000 else 0.05) and batch_loss == ""
        assert (train_loss == "") == (test_loss == "") == (step % 6 != 0)
        params = np.array([float(cell) for cell in row[9:]])
        assert np.array_equal(params, history.params_after(step).flat())


# ---------------------------------------------------------------------------------------------
# Weights as JSON.


def test_weights_json_round_trips_exactly(run):
    exp, trainer = run
    tricky = Params.of(
        np.array([[0.1 + 0.2, -1e-300, 5e-324], [1 / 3, -0.0, 1e308]]),
        np.array([[np.nextafter(1.0, 2.0), -2.5, 7.0]]),
        np.array([[1e-17], [np.pi], [-np.e]]),
        np.array([[123456789.123456789]]),
    )
    for params in (trainer.params, tricky):
        text = weights_json(params, run_meta(exp, trainer))
        data = json.loads(text)
        for name, a in params._asdict().items():
            back = np.array(data[name], dtype=np.float64)
            assert back.shape == a.shape and np.array_equal(back, a), name
            assert data["shapes"][name] == list(a.shape)
    assert text.startswith('{\n  "W1": [\n    [')


def test_weights_json_carries_the_meta(run):
    exp, trainer = run
    data = json.loads(weights_json(trainer.params, run_meta(exp, trainer)))
    assert data["step"] == 18 and data["learning_rate"] == 0.2
    assert data["feature_names"] == ["x1", "x2"]
    assert data["settings"]["batch_size"] == 7 and data["settings"]["init_scale"] is None
    assert data["scaling"]["x_mean"] == exp.scaling.x_mean.tolist()
    assert data["scaling"]["y_scale"] == exp.scaling.y_scale


@pytest.mark.parametrize("requested", [None, 1_000_000_000, 40, 50])
def test_full_batch_is_recorded_as_the_rows_used_never_a_sentinel(tmp_path, requested):
    """Full batch is batch_size=None or any number >= the 40 training rows."""
    exp = experiment(batch_size=requested)
    assert exp.settings.batch_size == requested
    trainer = trained(exp, ((4, 0.3),))
    assert trainer.plan.batch_size == trainer.plan.m == 40
    text = weights_json(trainer.params, run_meta(exp, trainer))
    data = json.loads(text)
    assert data["settings"]["batch_size"] == 40 and data["settings"]["full_batch"] is True
    assert "1000000000" not in text
    script = reproduce_script(exp, trainer)
    assert "1000000000" not in script and "BATCH_SIZE = 40\n" in script
    assert "# Batch size: 40 (full batch: every step uses all 40 training rows)" in script
    if requested is None:
        assert_script_reproduces(run_script(tmp_path, exp, trainer), trainer)


def test_mini_batches_are_recorded_as_not_full_batch(run):
    exp, trainer = run
    data = json.loads(weights_json(trainer.params, run_meta(exp, trainer)))
    assert data["settings"]["batch_size"] == 7 and data["settings"]["full_batch"] is False
    script = reproduce_script(exp, trainer)
    assert "# Batch size: 7 (6 batches per epoch, the last of 5 rows)" in script


def test_weights_json_before_any_step_has_no_learning_rate():
    exp = experiment()
    trainer = exp.new_trainer()
    data = json.loads(weights_json(trainer.params, run_meta(exp, trainer)))
    assert data["step"] == 0 and data["learning_rate"] is None
    assert data["settings"]["batch_size"] == 7 and data["settings"]["full_batch"] is False


def test_weights_json_refuses_meta_that_would_hide_a_weight(run):
    _, trainer = run
    with pytest.raises(ValueError, match="W1"):
        weights_json(trainer.params, {"W1": 0})


# ---------------------------------------------------------------------------------------------
# The reproduction script.


def test_run_lengths():
    assert run_lengths(np.array([0.1, 0.1, 0.05, 0.1])) == [(2, 0.1), (1, 0.05), (1, 0.1)]
    assert run_lengths(np.array([])) == []


def run_script(tmp_path, exp, trainer) -> list[str]:
    path = tmp_path / SCRIPT_FILE_NAME
    path.write_text(reproduce_script(exp, trainer), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.splitlines()


def assert_script_reproduces(lines: list[str], trainer) -> None:
    losses = trainer.history.column("batch_loss")
    n = trainer.step_count
    last = range(max(1, n - 4), n + 1)
    expected = [f"step {s} batch_loss={float(losses[s - 1])!r}" for s in last]
    assert lines[: len(expected)] == expected
    printed = dict(line.split(" = ", 1) for line in lines[len(expected) : -1])
    for name, a in trainer.params._asdict().items():
        assert np.array_equal(np.array(ast.literal_eval(printed[name])), a), name
    assert lines[-1] == f"final_params_sha256={params_sha256(trainer.params)}"


def test_script_header_names_the_file_the_page_offers(run):
    assert SCRIPT_FILE_NAME == "reproduce_backprop.py"
    header = reproduce_script(*run).split("\n\n")[0]
    assert f"# Run it with:  python {SCRIPT_FILE_NAME}\n" in header
    assert "reproduce.py" not in header


def test_script_reproduces_a_shuffled_run_with_a_learning_rate_change(tmp_path, run):
    exp, trainer = run  # 3 epochs of 6 batches, lr 0.5 then 0.2, batches of 7 with a last of 5
    script = reproduce_script(exp, trainer)
    assert "LEARNING_RATES = [(9, 0.5), (9, 0.2)]" in script
    assert "Z1 = X @ W1 + b1" in script and "delta1 = (delta2 @ W2.T) * (A1 * (1 - A1))" in script
    assert_script_reproduces(run_script(tmp_path, exp, trainer), trainer)


def test_script_reproduces_an_unshuffled_run_with_a_short_last_batch(tmp_path):
    exp = experiment(batch_size=16, shuffle=False, n_inputs=1, n_hidden=4)  # batches 16, 16, 8
    trainer = trained(exp, ((4, 0.3), (3, 1.0)))
    assert trainer.plan.n_batches == 3 and not trainer.plan.shuffle
    assert_script_reproduces(run_script(tmp_path, exp, trainer), trainer)


def test_script_before_any_step_prints_the_initial_weights(tmp_path):
    exp = experiment()
    trainer = exp.new_trainer()
    lines = run_script(tmp_path, exp, trainer)
    assert len(lines) == 5
    assert_script_reproduces(lines, trainer)


def test_script_quotes_hostile_text_in_its_comments(run):
    exp, trainer = run
    plane = generate("plane", 20, 0.0, seed=1)
    hostile = Dataset(plane.X, plane.y, ("a\nimport os", "b"), "y\r\nx = 1", "src\nprint('hi')")
    script = reproduce_script(prepare(hostile, exp.settings), trainer)
    compile(script, SCRIPT_FILE_NAME, "exec")
    assert "\nimport os" not in script and "\nprint('hi')" not in script
    assert all(line.startswith("#") for line in script.splitlines()[:15])
