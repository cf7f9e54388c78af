"""Explain one number: every entry's explanation matches the record and is well-formed LaTeX."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import core
from core.explain import (
    EXPLAINABLE,
    UPDATABLE,
    Explanation,
    explain,
    explain_A1,
    explain_A2,
    explain_db1,
    explain_db2,
    explain_delta1,
    explain_delta2,
    explain_dW1,
    explain_dW2,
    explain_update,
    explain_Z1,
    explain_Z2,
    fmt,
    matrix_of,
)

SIZES = list(itertools.product((1, 5, 32), (1, 2, 4), (1, 3, 8)))  # (batch, inputs, hidden)
TRAIN_ROWS = 64


def make_record(batch: int, n_in: int, hidden: int, seed: int = 0, steps: int = 2):
    """A real step record; the second step has non-zero biases."""
    rng = np.random.default_rng([seed, batch, n_in, hidden])
    X = rng.normal(0.0, 1.5, size=(TRAIN_ROWS, n_in))
    y = rng.normal(0.0, 2.0, size=(TRAIN_ROWS, 1))
    params = core.init_params("xavier", n_in, hidden, seed=seed + 1)
    trainer = core.Trainer(X, y, params, batch_size=batch, shuffle_seed=seed)
    rec = None
    for _ in range(steps):
        rec = trainer.step(0.3)
    return rec


def braces_balanced(text: str) -> bool:
    depth = 0
    for ch in text.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def parens_balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


# A raw Python float in LaTeX ("1e-05", "nan", "inf") would be a formatting bug.
RAW_FLOAT = re.compile(r"\d[eE][+-]?\d|\bnan\b|\binf\b")


def check(e: Explanation, expected: float, indices: tuple[int, ...]) -> None:
    assert isinstance(e, Explanation)
    assert e.value == expected  # exactly the stored entry
    assert math.isclose(e.terms_value, e.value, rel_tol=1e-12, abs_tol=1e-12)
    assert e.substituted.endswith(f"= {fmt(e.value)}")
    assert e.substituted.startswith(e.symbol)
    if indices:
        assert f"[{','.join(str(i + 1) for i in indices)}]" in e.symbol
    for latex in (e.symbol, e.formula, e.substituted):
        assert braces_balanced(latex), latex
        assert parens_balanced(latex), latex
        assert not RAW_FLOAT.search(latex), latex
    assert e.note and "\\" not in e.note and "$" not in e.note


def entries(rec):
    """(explanation, stored value, displayed indices) for every entry of every matrix."""
    m, n = rec.X.shape
    h = rec.params_before.W1.shape[1]
    f, g = rec.fwd, rec.grads
    for i in range(m):
        yield explain_Z2(rec, i), f.Z2[i, 0], (i,)
        yield explain_A2(rec, i), f.A2[i, 0], (i,)
        yield explain_delta2(rec, i), g.delta2[i, 0], (i,)
        for j in range(h):
            yield explain_Z1(rec, i, j), f.Z1[i, j], (i, j)
            yield explain_A1(rec, i, j), f.A1[i, j], (i, j)
            yield explain_delta1(rec, i, j), g.delta1[i, j], (i, j)
    yield explain_db2(rec), g.db2[0, 0], ()
    for j in range(h):
        yield explain_dW2(rec, j), g.dW2[j, 0], (j,)
        yield explain_db1(rec, j), g.db1[0, j], (j,)
        for k in range(n):
            yield explain_dW1(rec, k, j), g.dW1[k, j], (k, j)


@pytest.mark.parametrize(("batch", "n_in", "hidden"), SIZES)
def test_every_entry_matches_the_record(batch, n_in, hidden):
    rec = make_record(batch, n_in, hidden)
    for e, expected, indices in entries(rec):
        check(e, expected, indices)


@pytest.mark.parametrize(("batch", "n_in", "hidden"), SIZES)
def test_every_update_matches_the_record(batch, n_in, hidden):
    rec = make_record(batch, n_in, hidden)
    for name in UPDATABLE:
        before = getattr(rec.params_before, name)
        after = getattr(rec.params_after, name)
        for index in np.ndindex(before.shape):
            e = explain_update(rec, name, index)
            shown = {"W1": index, "b1": index[1:], "W2": index[:1], "b2": ()}[name]
            check(e, after[index], shown)
            assert e.terms_value == e.value  # same operations as the network's update
            assert r"\leftarrow" in e.substituted and fmt(before[index]) in e.substituted


@pytest.mark.parametrize(("batch", "n_in", "hidden"), [(1, 1, 1), (5, 2, 3), (32, 4, 8)])
def test_dispatch_covers_every_explainable_name(batch, n_in, hidden):
    rec = make_record(batch, n_in, hidden)
    direct = {
        "Z1": explain_Z1,
        "A1": explain_A1,
        "Z2": lambda r, i, _: explain_Z2(r, i),
        "A2": lambda r, i, _: explain_A2(r, i),
        "delta2": lambda r, i, _: explain_delta2(r, i),
        "delta1": explain_delta1,
        "dW2": lambda r, j, _: explain_dW2(r, j),
        "db2": lambda r, _i, _j: explain_db2(r),
        "dW1": explain_dW1,
        "db1": lambda r, _, j: explain_db1(r, j),
    }
    assert list(EXPLAINABLE) == list(direct)
    assert all(isinstance(label, str) and label for label in EXPLAINABLE.values())
    for name in EXPLAINABLE:
        array = matrix_of(rec, name)
        for row, col in np.ndindex(array.shape):
            e = explain(rec, name, row, col)
            assert e == direct[name](rec, row, col)
            assert e.value == array[row, col]


def test_dispatch_rejects_bad_names_and_indices():
    rec = make_record(5, 2, 3)
    with pytest.raises(ValueError, match="Unknown matrix"):
        explain(rec, "W3", 0, 0)
    with pytest.raises(ValueError, match="Unknown matrix"):
        matrix_of(rec, "loss")
    bad = [("Z1", 5, 0), ("Z1", 0, 3), ("Z1", -1, 0), ("Z2", 0, 1), ("db1", 1, 0), ("db2", 0, 1)]
    bad += [("dW1", 2, 0), ("dW2", 3, 0), ("delta1", 0, -1)]
    for name, row, col in bad:
        with pytest.raises(IndexError):
            explain(rec, name, row, col)
    with pytest.raises(ValueError, match="Unknown parameter"):
        explain_update(rec, "W3", (0, 0))
    with pytest.raises(IndexError):
        explain_update(rec, "W1", (0,))
    with pytest.raises(IndexError):
        explain_update(rec, "b1", (0, 3))


def test_update_accepts_short_indices_for_vectors():
    rec = make_record(5, 2, 3)
    assert explain_update(rec, "b1", 2) == explain_update(rec, "b1", (0, 2))
    assert explain_update(rec, "W2", (1,)) == explain_update(rec, "W2", (1, 0))
    assert explain_update(rec, "b2") == explain_update(rec, "b2", (0, 0))
    assert explain_update(rec, "b2").symbol == "b_2"


@pytest.mark.parametrize("batch", [6, 7, 32])
def test_long_batch_sums_are_abbreviated_with_the_term_count(batch):
    rec = make_record(batch, 2, 3, steps=1)
    for e in (explain_dW2(rec, 1), explain_db2(rec), explain_dW1(rec, 1, 2), explain_db1(rec, 0)):
        if batch <= 6:
            assert r"\cdots" not in e.substituted and "underbrace" not in e.substituted
            assert e.substituted.count(" + ") == batch - 1
        else:
            assert r"\underbrace{" in e.substituted
            assert rf"}}_{{m={batch}\text{{ terms}}}}" in e.substituted
            assert e.substituted.count(" + ") == 4  # three terms, \cdots, the last term
            assert r"+ \cdots +" in e.substituted
    # The first and last terms shown are the first and last rows of the batch.
    e = explain_dW1(rec, 1, 2)
    first = f"({fmt(rec.X[0, 1])})({fmt(rec.grads.delta1[0, 2])})"
    last = f"({fmt(rec.X[-1, 1])})({fmt(rec.grads.delta1[-1, 2])})"
    assert first in e.substituted and last in e.substituted


def test_sums_over_inputs_and_hidden_units_are_shown_in_full():
    rec = make_record(32, 4, 8)
    assert explain_Z1(rec, 0, 0).substituted.count(" + ") == 4  # 4 inputs + bias
    assert explain_Z2(rec, 0).substituted.count(" + ") == 8  # 8 hidden units + bias
    assert r"\cdots" not in explain_Z2(rec, 31).substituted


def hand_record():
    """A one-row batch with round numbers, to check the exact LaTeX."""
    X = np.array([[1.0, -2.0]])
    y = np.array([[0.5]])
    before = core.Params.of(
        np.array([[0.5, -1.0], [0.25, 0.0]]), np.array([[0.0, 0.125]]), np.array([[2.0], [-1.0]]),
        np.array([[-0.5]]),
    )  # fmt: skip
    fwd = core.forward(before, X)
    grads = core.backward(before, X, y, fwd)
    after = core.sgd_update(before, grads, 0.1)
    loss = core.mse_loss(fwd.A2, y)
    return core.StepRecord(
        step=1, epoch=1, batch=1, n_batches=1, lr=0.1, indices=np.array([6]), X=X, y=y,
        params_before=before, fwd=fwd, grads=grads, params_after=after, loss_before=loss,
        loss_after=core.mse_loss(core.forward(after, X).A2, y), train_loss=loss, test_loss=loss,
    )  # fmt: skip


def test_exact_latex_on_a_hand_made_record():
    rec = hand_record()
    z = explain_Z1(rec, 0, 1)
    assert z.symbol == "Z_1[1,2]"
    assert z.formula == r"Z_1[i,j] = \sum_{k=1}^{n} X[i,k]\,W_1[k,j] + b_1[j]"
    assert z.substituted == "Z_1[1,2] = (1.000)(-1.000) + (-2.000)(0) + 0.1250 = -0.8750"
    assert z.value == -0.875
    assert "batch row 1 (training sample 7)" in z.note
    a = explain_A1(rec, 0, 1)
    assert a.substituted.startswith(r"A_1[1,2] = \sigma(-0.8750) = \frac{1}{1 + e^{-(-0.8750)}}")
    d = explain_delta2(rec, 0)
    assert d.substituted.startswith(r"\delta_2[1] = \frac{")
    assert d.substituted.endswith(rf" - 0.5000}}{{1}} = {fmt(d.value)}")
    u = explain_update(rec, "W1", (0, 0))
    assert u.symbol == "W_1[1,1]"
    assert u.formula == r"W_1[k,j] \leftarrow W_1[k,j] - \eta\,\nabla W_1[k,j]"
    g = rec.grads.dW1[0, 0]
    assert u.substituted == rf"W_1[1,1] \leftarrow 0.5000 - (0.1000)({fmt(g)}) = {fmt(u.value)}"
    assert "goes down" in u.note if g > 0 else "goes up" in u.note
    b = explain_db2(rec)
    assert b.substituted == rf"\nabla b_2 = {fmt(rec.grads.delta2[0, 0])} = {fmt(b.value)}"


def test_zero_gradient_update_says_it_stays():
    rec = hand_record()
    grads = rec.grads._replace(dW1=np.zeros_like(rec.grads.dW1))
    rec = rec._replace(grads=grads, params_after=rec.params_before)
    e = explain_update(rec, "W1", (1, 1))
    assert "stays" in e.note and e.value == e.terms_value == 0.0


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (0.5, "0.5000"),
        (-0.231, "-0.2310"),
        (1.0, "1.000"),
        (1234.5678, "1235"),
        (12345.678, r"1.235\times10^{4}"),
        (-12345.678, r"-1.235\times10^{4}"),
        (1e-7, r"1.000\times10^{-7}"),
        (-2.5e-5, r"-2.500\times10^{-5}"),
        (0.000123456, "0.0001235"),
        (1e300, r"1.000\times10^{300}"),
        (9999.7, r"1.000\times10^{4}"),
        (float("nan"), r"\text{NaN}"),
        (float("inf"), r"\infty"),
        (float("-inf"), r"-\infty"),
        (np.float32(0.25), "0.2500"),
    ],
)
def test_fmt(x, text):
    assert fmt(x) == text


def test_fmt_wraps_negatives_when_asked():
    assert fmt(-0.231, paren=True) == "(-0.2310)"
    assert fmt(0.231, paren=True) == "0.2310"
    assert fmt(-1e-7, paren=True) == r"(-1.000\times10^{-7})"
    assert fmt(float("-inf"), paren=True) == r"(-\infty)"
    assert fmt(float("nan"), paren=True) == r"\text{NaN}"


SCI = re.compile(r"^(-?\d\.\d{3})\\times10\^\{(-?\d+)\}$")


@given(st.floats(min_value=-1e308, max_value=1e308))  # 1.798e308 would read back as inf
def test_fmt_reads_back_to_four_significant_digits(x):
    text = fmt(x)
    assert not RAW_FLOAT.search(text) and braces_balanced(text)
    match = SCI.match(text)
    back = float(f"{match[1]}e{match[2]}" if match else text)
    assert math.isclose(back, x, rel_tol=5.001e-4)
    if x:
        digits = re.sub(r"\\times10\^\{-?\d+\}|[-.]", "", text).lstrip("0")
        assert len(digits) == 4
