"""The storyboard's JSON: every cell is the record's number, and a pick marks what it comes from."""

from __future__ import annotations

import functools
import itertools
import json
import math
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest
from core_helpers import random_problem
from hypothesis import example, given
from hypothesis import strategies as st

from charts.storyboard import (
    ALL,
    MAX_ROWS,
    MINUS,
    NEGATIVE_END,
    NOT_A_NUMBER,
    POSITIVE_END,
    ROWS_NORMAL,
    ROWS_PRESENTING,
    Pick,
    block,
    cell_colour,
    cell_text,
    contrast,
    highlight,
    relative_luminance,
    shown_rows,
    storyboard,
)
from core import Trainer
from core.datasets import Dataset
from core.experiment import RunSettings, prepare
from core.export import input_labels

TEXT_COLOUR = "#111111"  # the cells' near-black text
PARAMS = ("W1", "b1", "W2", "b2")
# Blocks with one row per row of the batch; the others (parameters, gradients) show every row.
BATCH_BLOCKS = ("X", "y", "Z1", "A1", "A2", "delta2", "delta2W2T", "sigma_prime", "delta1")
ALL_BLOCKS = (
    *BATCH_BLOCKS,
    *("dW1", "db1", "dW2", "db2"),
    *(f"{prefix}{name}" for prefix in ("", "change_", "after_") for name in PARAMS),
)
SIZES = list(itertools.product((1, 2, 3, 4), (1, 2, 5, 8)))  # (inputs, hidden units)


# ---------------------------------------------------------------------------------------------
# Records and helpers.
# ---------------------------------------------------------------------------------------------


@functools.cache
def make_record(n_in: int = 2, hidden: int = 3, batch: int = 5, m: int = 40, steps: int = 2):
    """A real (shuffled) step record; by the second step the biases are no longer 0."""
    params, X, y = random_problem(n_in, hidden, m, seed=n_in * 100 + hidden)
    trainer = Trainer(X, y, params, batch_size=batch, shuffle_seed=7)
    rec = None
    for _ in range(steps):
        rec = trainer.step(0.3)
    assert rec is not None
    return rec


def names(n_in: int) -> tuple[str, ...]:
    return tuple(f"x{k + 1}" for k in range(n_in))


def expected_matrices(rec) -> dict[str, np.ndarray]:
    """What each block of the storyboard must hold, straight from the record."""
    g, f, before, after = rec.grads, rec.fwd, rec.params_before, rec.params_after
    mats = {
        "X": rec.X,
        "y": rec.y,
        "Z1": f.Z1,
        "A1": f.A1,
        "A2": f.A2,
        "delta2": g.delta2,
        "delta2W2T": g.delta2 @ before.W2.T,
        "sigma_prime": f.A1 * (1 - f.A1),
        "delta1": g.delta1,
        "dW1": g.dW1,
        "db1": g.db1,
        "dW2": g.dW2,
        "db2": g.db2,
    }
    for name in PARAMS:
        mats[name] = getattr(before, name)
        mats[f"change_{name}"] = -(rec.lr * getattr(g, f"d{name}"))
        mats[f"after_{name}"] = getattr(after, name)
    return mats


def blocks_of(data: dict) -> dict[str, dict]:
    """Every block of the storyboard by id (groups opened), checking the ids are unique."""
    found: dict[str, dict] = {}
    for band in data["bands"]:
        for item in band["items"]:
            inner = item["blocks"] if item["kind"] == "group" else [item]
            for b in inner:
                if b["kind"] != "block":
                    continue
                assert b["id"] not in found, b["id"]
                found[b["id"]] = b
    return found


def full_values(b: dict) -> np.ndarray:
    return np.array([[float(cell[2]) for cell in row] for row in b["cells"]], dtype=float)


def strings_in(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for key, v in obj.items() for s in (*strings_in(key), *strings_in(v))]
    if isinstance(obj, list | tuple):
        return [s for v in obj for s in strings_in(v)]
    return []


def shown_number(text: str) -> Decimal:
    """The number a cell shows, read exactly."""
    return Decimal(text.replace(MINUS, "-"))


def significant_digits(text: str) -> int:
    mantissa = text.lstrip(MINUS).split("e")[0]
    return len(mantissa.replace(".", "").lstrip("0"))


def rounded_3(v: float) -> Decimal:
    """|v| rounded to 3 significant digits (as Python's formatting rounds: half to even)."""
    d = abs(Decimal(v))
    return d.quantize(Decimal(1).scaleb(d.adjusted() - 2), rounding=ROUND_HALF_EVEN)


# ---------------------------------------------------------------------------------------------
# cell_text: one number in a cell.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("v", "text"),
    [
        (0.358, "0.358"),
        (-12.4, "−12.4"),
        (0.0503, "0.0503"),
        (0.01, "0.0100"),  # the lower boundary of the fixed notation
        (0.0099996, "0.0100"),  # rounds up to it
        (0.00503, "5.0e−3"),  # below it: two digits, scientific
        (5.03e-4, "5.0e−4"),
        (-5.03e-4, "−5.0e−4"),
        (1.0, "1.00"),
        (-1.0, "−1.00"),
        (123.456, "123"),
        (0.123456, "0.123"),
        (2.0 / 3.0, "0.667"),
        (1e-3, "1.0e−3"),
        (-1e-3, "−1.0e−3"),
        (9.99e-4, "1.0e−3"),
        (1234.5, "1234"),  # 1000 to 9999 show as whole numbers (4 digits)
        (9999.0, "9999"),
        (-9999.4, "−9999"),
        (1e4, "1.00e4"),  # the upper boundary is scientific
        (-1e4, "−1.00e4"),
        (12345.0, "1.23e4"),
        (6.02e23, "6.02e23"),
        (1e-300, "1.0e−300"),
        (0.0, "0"),
        (-0.0, "0"),
        (math.nan, "NaN"),
        (math.inf, "∞"),
        (-math.inf, "−∞"),
    ],
)
def test_cell_text_examples(v, text):
    assert cell_text(v) == text


@pytest.mark.parametrize("v", [9999.6, 9999.5, 10000.4, -9999.6])
def test_cell_text_rounding_up_to_1e4_turns_scientific(v):
    assert cell_text(v) == ("−" if v < 0 else "") + "1.00e4"


@pytest.mark.parametrize("v", [0.0009996, 0.00099951, -0.0009996])
def test_cell_text_rounding_up_to_1e_minus_3(v):
    """Below 0.01 two digits in scientific notation: 1.0e−3, never 0.001 or 0.000."""
    text = cell_text(v)
    assert text.lstrip(MINUS) == "1.0e−3"
    assert text.startswith(MINUS) == (v < 0)
    assert significant_digits(text) == 2


@pytest.mark.parametrize(
    ("v", "text"),
    [
        (0.0099996, "0.0100"),
        (0.09996, "0.100"),
        (0.9996, "1.00"),
        (9.996, "10.0"),
        (99.96, "100"),
        (-99.96, "−100"),
    ],
)
def test_cell_text_rounding_up_a_decade_keeps_3_digits(v, text):
    assert cell_text(v) == text


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(finite)
@example(1.7976931348623157e308)
@example(5e-324)
@example(-0.0)
def test_cell_text_shows_the_value_to_3_significant_digits(v):
    text = cell_text(v)
    assert "-" not in text  # a true minus sign, U+2212, or none
    assert text.startswith(MINUS) == (v < 0)
    if v == 0:
        assert text == "0"
        return
    assert text == MINUS * (v < 0) + cell_text(abs(v))
    # What it shows is v to within half a unit of its third significant digit (of its second
    # below 0.01).
    d = Decimal(v)
    digits = 3 if rounded_3(v) >= Decimal("0.01") else 2
    assert abs(shown_number(text) - d) <= Decimal(5).scaleb(d.adjusted() - digits)


@given(finite.filter(lambda v: v != 0))
@example(999.96)
@example(9999.4)
@example(1e-3)
@example(0.0099996)
def test_cell_text_notation_and_digits(v):
    text = cell_text(v)
    shown = abs(shown_number(text))
    small = rounded_3(v) < Decimal("0.01")
    # Fixed point from 0.01 up to what shows as less than 1e4; scientific outside.
    assert ("e" not in text) == (not small and shown < 10_000)
    if "e" in text:
        mantissa, exponent = text.lstrip(MINUS).split("e")
        assert len(mantissa) == (3 if small else 4) and mantissa[1] == "." and mantissa[0] != "0"
        assert str(int(exponent.replace(MINUS, "-"))) == exponent.replace(MINUS, "-")
        assert significant_digits(text) == (2 if small else 3)
    elif shown >= 1000:
        assert text.lstrip(MINUS).isdigit() and significant_digits(text) == 4
    else:
        assert significant_digits(text) == 3


@given(st.floats(min_value=1e-9, max_value=9999.4), st.booleans())
def test_cell_text_fits_a_cell_in_the_usual_range(size, negative):
    """Seven characters at most: what the storyboard's layout on a projector is measured for."""
    assert len(cell_text(-size if negative else size)) <= 7


@given(finite)
@example(-1.23e-10)
@example(-1e-100)
def test_cell_text_is_never_longer_than_9_characters(v):
    """Cells size to their numbers; the longest, such as −1.0e−100, are rare rounding noise."""
    assert len(cell_text(v)) <= 9


# ---------------------------------------------------------------------------------------------
# cell_colour and contrast.
# ---------------------------------------------------------------------------------------------


def hex_of(rgb) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def test_cell_colour_fixed_points():
    assert cell_colour(0.0, 3.0) == "#FFFFFF"
    assert cell_colour(-0.0, 3.0) == "#FFFFFF"
    assert cell_colour(3.0, 3.0) == hex_of(POSITIVE_END) == "#5B9BD5"
    assert cell_colour(-3.0, 3.0) == hex_of(NEGATIVE_END) == "#E8955A"
    assert cell_colour(30.0, 3.0) == "#5B9BD5"  # beyond the limit: the end colour
    assert cell_colour(-30.0, 3.0) == "#E8955A"
    assert cell_colour(1.5, 3.0) == "#ADCDEA"  # halfway from white to the blue end
    assert cell_colour(math.nan, 3.0) == NOT_A_NUMBER == "#D9D9D9"
    assert cell_colour(math.inf, 3.0) == NOT_A_NUMBER
    for limit in (0.0, math.nan, math.inf):
        assert cell_colour(1.0, limit) == "#FFFFFF"


@pytest.mark.parametrize("limit", [1e-6, 1.0, 7.5, 1e6])
def test_cell_colour_is_symmetric_in_sign(limit):
    """+v and −v sit at the same point between white and their own end colour."""
    for t in np.linspace(0, 1, 201):
        for sign, end in ((1, POSITIVE_END), (-1, NEGATIVE_END)):
            colour = cell_colour(sign * t * limit, limit)
            channels = [int(colour[k : k + 2], 16) for k in (1, 3, 5)]
            for c, e in zip(channels, end, strict=True):
                assert abs(c - (255 + t * (e - 255))) <= 0.5 + 1e-9
            r, _, b = channels
            assert (b >= r) if sign > 0 else (r >= b)  # blue above 0, orange below


def test_cell_colour_darkens_with_size():
    for sign in (1, -1):
        lums = [relative_luminance(cell_colour(sign * t, 1.0)) for t in np.linspace(0, 1, 1001)]
        assert all(a >= b for a, b in itertools.pairwise(lums))
        assert lums[0] == pytest.approx(1.0) and lums[-1] < 0.45


def test_relative_luminance_and_contrast_known_values():
    assert relative_luminance("#FFFFFF") == pytest.approx(1.0)
    assert relative_luminance("#000000") == 0.0
    assert contrast("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # WCAG's AA grey
    assert contrast("#5B9BD5", "#5B9BD5") == pytest.approx(1.0)


def test_every_cell_colour_keeps_aa_contrast_with_the_text():
    colours = {NOT_A_NUMBER, "#FFFFFF"}
    for t in np.linspace(0, 1, 20_001):
        colours.add(cell_colour(t, 1.0))
        colours.add(cell_colour(-t, 1.0))
    assert len(colours) > 100
    worst = min(contrast(c, TEXT_COLOUR) for c in colours)
    assert worst >= 4.5


@given(st.floats(), st.floats())
def test_any_cell_colour_keeps_aa_contrast(v, limit):
    colour = cell_colour(v, limit)
    assert len(colour) == 7 and colour.startswith("#")
    assert contrast(colour, TEXT_COLOUR) >= 4.5


# ---------------------------------------------------------------------------------------------
# block: one matrix.
# ---------------------------------------------------------------------------------------------


def test_block_colours_span_the_whole_matrix_and_mark_nan():
    M = np.array([[math.nan, 1.0], [2.0, -0.5], [-8.0, 0.0]])
    b = block("X", "X", "inputs", M, ["a", "b"], ["#1", "#2", "#3"], shown=2)
    assert b["shape"] == "3×2"
    assert b["hidden_rows"] == 1
    assert b["rows"] == ["#1", "#2"]
    assert b["cols"] == ["a", "b"]
    assert b["cells"] == [
        [["NaN", NOT_A_NUMBER, "nan"], ["1.00", cell_colour(1.0, 8.0), "1.0"]],
        [["2.00", cell_colour(2.0, 8.0), "2.0"], ["−0.500", cell_colour(-0.5, 8.0), "-0.5"]],
    ]
    everything = block("X", "X", "inputs", M, None, shown=99)
    assert everything["hidden_rows"] == 0 and len(everything["cells"]) == 3
    assert everything["cells"][2][0][1] == "#E8955A"  # the largest size gets the end colour
    assert everything["cols"] is None and everything["rows"] is None


# ---------------------------------------------------------------------------------------------
# storyboard: the whole step.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n_in", "hidden"), SIZES)
def test_every_cell_is_the_records_number(n_in, hidden):
    rec = make_record(n_in, hidden, batch=7)
    data = storyboard(rec, names(n_in), expanded=True)
    found = blocks_of(data)
    assert set(found) == set(ALL_BLOCKS)
    for block_id, M in expected_matrices(rec).items():
        b = found[block_id]
        assert b["shape"] == f"{M.shape[0]}×{M.shape[1]}", block_id
        assert b["hidden_rows"] == 0
        values = full_values(b)
        assert values.shape == M.shape, block_id
        assert np.array_equal(values, M), block_id  # the full value, exactly
        limit = np.abs(M).max()
        for i, j in np.ndindex(M.shape):
            text, colour, _ = b["cells"][i][j]
            assert text == cell_text(float(M[i, j]))
            assert colour == cell_colour(float(M[i, j]), limit)
    # The update reads as before + (−η∇) = after, exactly.
    for name in PARAMS:
        before, change, after = (full_values(found[p + name]) for p in ("", "change_", "after_"))
        assert np.array_equal(before + change, after)
        gradient = full_values(found[f"d{name}"])
        assert np.array_equal(change, -(rec.lr * gradient))


@pytest.mark.parametrize(("n_in", "hidden"), [(1, 1), (2, 3), (4, 8)])
def test_labels_line_up_with_the_matrices(n_in, hidden):
    rec = make_record(n_in, hidden, batch=9)
    data = storyboard(rec, names(n_in))
    found = blocks_of(data)
    inputs, units = input_labels(names(n_in)), [f"h{j + 1}" for j in range(hidden)]
    for b in found.values():
        rows, cols = (int(s) for s in b["shape"].split("×"))
        if b["cols"] is not None:
            assert len(b["cols"]) == cols, b["id"]
        assert len(b["cells"]) + b["hidden_rows"] == rows, b["id"]
        if b["rows"] is not None:
            assert len(b["rows"]) == len(b["cells"]), b["id"]
        assert all(len(row) == cols for row in b["cells"])
    assert found["X"]["cols"] == inputs
    for block_id in ("Z1", "A1", "delta2W2T", "sigma_prime", "delta1", "dW1", "db1", "W1"):
        assert found[block_id]["cols"] == units, block_id
    for block_id in ("dW1", "W1", "change_W1", "after_W1"):
        assert found[block_id]["rows"] == inputs, block_id
    for block_id in ("dW2", "W2", "change_W2", "after_W2"):
        assert found[block_id]["rows"] == units, block_id


@pytest.mark.parametrize("batch", [1, 3, 4, 5, 6, 7, 64, 70])
@pytest.mark.parametrize("presenting", [False, True])
@pytest.mark.parametrize("expanded", [False, True])
def test_rows_shown(batch, presenting, expanded):
    rec = make_record(2, 3, batch=batch, m=100, steps=1)
    assert len(rec.indices) == batch
    data = storyboard(rec, names(2), expanded=expanded, presenting=presenting)
    default = ROWS_PRESENTING if presenting else ROWS_NORMAL
    k = min(MAX_ROWS if expanded else default, batch)
    assert shown_rows(presenting, expanded) == (MAX_ROWS if expanded else default)
    assert (data["rows_shown"], data["batch_rows"], data["more_rows"]) == (k, batch, batch - k)
    assert (data["presenting"], data["expanded"]) == (presenting, expanded)
    found = blocks_of(data)
    mats = expected_matrices(rec)
    for block_id, M in mats.items():
        b = found[block_id]
        if block_id in BATCH_BLOCKS:
            assert len(b["cells"]) == k and b["hidden_rows"] == batch - k, block_id
            assert np.array_equal(full_values(b), M[:k]), block_id
        else:
            assert len(b["cells"]) == M.shape[0] and b["hidden_rows"] == 0, block_id
    # Training-set row numbers, 1-based, for the shown rows of the batch.
    assert found["X"]["rows"] == [f"#{int(i) + 1}" for i in rec.indices[:k]]
    assert len(set(rec.indices[:k].tolist())) == k


def test_rows_shown_constants():
    assert (ROWS_PRESENTING, ROWS_NORMAL, MAX_ROWS) == (4, 6, 64)
    assert shown_rows(presenting=True, expanded=True) == MAX_ROWS


def test_small_batch_shows_every_row():
    rec = make_record(2, 3, batch=3, m=30, steps=1)
    for presenting in (False, True):
        data = storyboard(rec, names(2), presenting=presenting)
        assert data["rows_shown"] == 3 and data["more_rows"] == 0
        assert all(b["hidden_rows"] == 0 for b in blocks_of(data).values())


def test_row_labels_follow_the_shuffled_batch():
    """The last, shorter batch of an epoch: its rows are wherever the shuffle put them."""
    rec = make_record(2, 3, batch=7, m=40, steps=6)  # 40 = 5 × 7 + 5
    assert len(rec.indices) == 5
    data = storyboard(rec, names(2))
    assert data["rows_shown"] == 5 and data["more_rows"] == 0
    X = blocks_of(data)["X"]
    assert X["rows"] == [f"#{int(i) + 1}" for i in rec.indices]
    assert X["rows"] != [f"#{k + 1}" for k in range(5)]  # really shuffled rows
    assert all(isinstance(label, str) for label in X["rows"])


def test_colours_do_not_depend_on_the_rows_shown():
    rec = make_record(3, 4, batch=20, m=40, steps=2)
    few = blocks_of(storyboard(rec, names(3), presenting=True))
    many = blocks_of(storyboard(rec, names(3), expanded=True))
    for block_id in BATCH_BLOCKS:
        assert few[block_id]["cells"] == many[block_id]["cells"][:ROWS_PRESENTING]


def test_eta_and_bands():
    rec = make_record(2, 3)
    data = storyboard(rec, names(2))
    assert data["eta"] == "η = 0.3"
    assert [band["id"] for band in data["bands"]] == ["forward", "backward", "update"]
    assert "0.3" in data["bands"][2]["title"]
    for band in data["bands"]:
        for item in band["items"]:
            assert item["kind"] in ("block", "op", "group")
            if item["kind"] == "op":
                assert isinstance(item["symbol"], str) and item["symbol"]


def hostile_record():
    """A two-input data set whose column names look like markup, through a real experiment."""
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, (30, 2))
    y = X @ np.array([[0.7], [-0.2]])
    data = Dataset(X, y, ("<b>x</b>", "a & b"), "t<script>", "test")
    exp = prepare(data, RunSettings(batch_size=8, n_hidden=3))
    trainer = exp.new_trainer()
    trainer.step(0.5)
    return trainer.step(0.5), data.feature_names


def test_feature_names_are_plain_text():
    rec, feature_names = hostile_record()
    data = storyboard(rec, feature_names)
    found = blocks_of(data)
    assert found["X"]["cols"] == ["x1 <b>x</b>", "x2 a & b"]
    carrying = [s for s in strings_in(data) if "<b>x</b>" in s]
    assert carrying and set(carrying) == {"x1 <b>x</b>"}
    # The labels reach W1's rows and ∇W1's rows unchanged, and nothing is escaped.
    assert found["W1"]["rows"] == found["dW1"]["rows"] == ["x1 <b>x</b>", "x2 a & b"]
    text = json.dumps(data, ensure_ascii=False)
    assert "&lt;" not in text and "&amp;" not in text and "&gt;" not in text


@pytest.mark.parametrize("pick", [None, Pick("Z1", 1, 2), Pick("after_b2", 0, 0)])
def test_json_serialisable_and_carries_the_pick(pick):
    rec, feature_names = hostile_record()
    data = storyboard(rec, feature_names, pick=pick)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    if pick is None:
        assert data["pick"] is None and data["highlight"] == {}
    else:
        assert data["pick"] == [pick.block, pick.row, pick.col]
        assert data["highlight"] == highlight(pick)
        assert data["highlight"]  # both picks come from something


# ---------------------------------------------------------------------------------------------
# highlight: a picked number and the cells it is computed from.
# ---------------------------------------------------------------------------------------------


def sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if not math.isnan(z) else math.nan


def recompute(block_id: str, M: dict[str, np.ndarray], i: int, j: int, m: int) -> float:
    """The picked number from the seed's formula, reading only the cells in M."""
    if block_id == "Z1":
        return float(np.sum(M["X"][i, :] * M["W1"][:, j]) + M["b1"][0, j])
    if block_id == "A1":
        return sig(M["Z1"][i, j])
    if block_id == "A2":
        return float(np.sum(M["A1"][i, :] * M["W2"][:, 0]) + M["b2"][0, 0])
    if block_id == "delta2":
        return float((M["A2"][i, 0] - M["y"][i, 0]) / m)
    if block_id == "delta2W2T":
        return float(M["delta2"][i, 0] * M["W2"][j, 0])
    if block_id == "sigma_prime":
        return float(M["A1"][i, j] * (1 - M["A1"][i, j]))
    if block_id == "delta1":
        return float(M["delta2W2T"][i, j] * M["sigma_prime"][i, j])
    if block_id == "dW1":
        return float(np.sum(M["X"][:, i] * M["delta1"][:, j]))
    if block_id == "db1":
        return float(np.sum(M["delta1"][:, j]))
    if block_id == "dW2":
        return float(np.sum(M["A1"][:, i] * M["delta2"][:, 0]))
    if block_id == "db2":
        return float(np.sum(M["delta2"][:, 0]))
    raise AssertionError(block_id)


FORMULA_BLOCKS = ("Z1", "A1", "A2", "delta2", "delta2W2T", "sigma_prime", "delta1")
FORMULA_BLOCKS += ("dW1", "db1", "dW2", "db2")


def cells_of(spec: list[list[int]], shape: tuple[int, int]) -> set[tuple[int, int]]:
    out = set()
    for r, c in spec:
        assert r == ALL or 0 <= r < shape[0]
        assert c == ALL or 0 <= c < shape[1]
        rows = range(shape[0]) if r == ALL else [r]
        cols = range(shape[1]) if c == ALL else [c]
        out.update(itertools.product(rows, cols))
    return out


@pytest.mark.parametrize("batch", [5])
@pytest.mark.parametrize(("n_in", "hidden"), SIZES)
def test_highlight_is_exactly_what_recomputes_the_pick(n_in, hidden, batch):
    rec = make_record(n_in, hidden, batch=batch)
    check_highlights(rec)


@pytest.mark.parametrize(("n_in", "hidden", "batch"), [(2, 3, 1), (1, 8, 2), (4, 2, 9)])
def test_highlight_other_batch_sizes(n_in, hidden, batch):
    check_highlights(make_record(n_in, hidden, batch=batch))


def check_highlights(rec):
    """For every cell of every block with a formula: the formula, reading the highlighted cells
    only (every other cell NaN), gives the record's number; and drops to NaN if any one of the
    highlighted cells is taken away, so none is highlighted for nothing."""
    mats = expected_matrices(rec)
    m = len(rec.indices)
    for block_id in FORMULA_BLOCKS:
        for i, j in np.ndindex(mats[block_id].shape):
            sources = highlight(Pick(block_id, i, j))
            assert sources, (block_id, i, j)
            assert block_id not in sources
            assert set(sources) <= set(mats)
            masked = {name: np.full_like(M, math.nan) for name, M in mats.items()}
            cells = []
            for name, spec in sources.items():
                for r, c in cells_of(spec, mats[name].shape):
                    masked[name][r, c] = mats[name][r, c]
                    cells.append((name, r, c))
            value = recompute(block_id, masked, i, j, m)
            assert math.isclose(value, mats[block_id][i, j], rel_tol=1e-9, abs_tol=1e-13), (
                block_id,
                i,
                j,
            )
            for name, r, c in cells:
                masked[name][r, c] = math.nan
                assert math.isnan(recompute(block_id, masked, i, j, m)), (block_id, name, r, c)
                masked[name][r, c] = mats[name][r, c]


@pytest.mark.parametrize(("n_in", "hidden"), [(1, 1), (2, 3), (4, 8)])
def test_highlight_spot_checks(n_in, hidden):
    """A few picks written out by hand."""
    last_input, last_unit = n_in - 1, hidden - 1
    assert highlight(Pick("Z1", 3, last_unit)) == {
        "X": [[3, ALL]],
        "W1": [[ALL, last_unit]],
        "b1": [[0, last_unit]],
    }
    assert highlight(Pick("A2", 2, 0)) == {"A1": [[2, ALL]], "W2": [[ALL, 0]], "b2": [[0, 0]]}
    assert highlight(Pick("delta2", 4, 0)) == {"A2": [[4, 0]], "y": [[4, 0]]}
    assert highlight(Pick("delta1", 1, last_unit)) == {
        "delta2W2T": [[1, last_unit]],
        "sigma_prime": [[1, last_unit]],
    }
    assert highlight(Pick("dW1", last_input, last_unit)) == {
        "X": [[ALL, last_input]],
        "delta1": [[ALL, last_unit]],
    }
    assert highlight(Pick("db1", 0, last_unit)) == {"delta1": [[ALL, last_unit]]}
    assert highlight(Pick("dW2", last_unit, 0)) == {"A1": [[ALL, last_unit]], "delta2": [[ALL, 0]]}
    assert highlight(Pick("db2", 0, 0)) == {"delta2": [[ALL, 0]]}


@pytest.mark.parametrize("block_id", ["X", "y"])
def test_inputs_and_targets_come_from_nothing(block_id):
    assert highlight(Pick(block_id, 0, 0)) == {}


@pytest.mark.parametrize(("n_in", "hidden"), [(1, 1), (3, 5), (4, 8)])
def test_weight_pick_highlights_its_update(n_in, hidden):
    rec = make_record(n_in, hidden)
    mats = expected_matrices(rec)
    for name in PARAMS:
        family = {name, f"d{name}", f"change_{name}", f"after_{name}"}
        for picked in (name, f"change_{name}", f"after_{name}"):
            for i, j in np.ndindex(mats[name].shape):
                sources = highlight(Pick(picked, i, j))
                assert sources == {other: [[i, j]] for other in sorted(family - {picked})}
                # ... and those cells are the update of this one weight.
                w, d = mats[name][i, j], mats[f"d{name}"][i, j]
                change, after = mats[f"change_{name}"][i, j], mats[f"after_{name}"][i, j]
                assert change == -(rec.lr * d) and w + change == after
