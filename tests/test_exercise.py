"""Exercise mode: the hidden entry, the numbers given, answer checking and the worked solution."""

from __future__ import annotations

import dataclasses
import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import core
from core.exercise import (
    BATCH_SUMS,
    EXERCISE_KINDS,
    MAX_SUM_ROWS,
    SHOWN_DIGITS,
    Check,
    Exercise,
    accepted_note,
    accepted_range,
    check_answer,
    make_exercise,
    parse_answer,
    solution,
)
from core.explain import explain, matrix_of
from core.trainer import StepRecord

KINDS = ("Z1", "A1", "delta2", "delta1", "dW2", "db2", "dW1", "db1")
SIZES = [(1, 1, 1), (4, 2, 3), (8, 4, 8), (32, 2, 3)]  # (batch, inputs, hidden)


def record_of(params, X, y, step: int = 1, lr: float = 0.3) -> StepRecord:
    """The record of one step from params on the batch (X, y), from core.network's formulas."""
    fwd = core.forward(params, X)
    grads = core.backward(params, X, y, fwd)
    after = core.sgd_update(params, grads, lr)
    m = X.shape[0]
    loss_after = core.mse_loss(core.forward(after, X).A2, y)
    return StepRecord(
        *(step, 1, step, step, lr, np.arange(m), X, y, params, fwd, grads, after),
        *(core.mse_loss(fwd.A2, y), loss_after, math.nan, math.nan),
    )


def make_record(batch: int, n_in: int, hidden: int, seed: int = 0, scheme: str = "xavier"):
    """The second step of a run (so the biases are no longer 0), one new batch a step."""
    rng = np.random.default_rng([seed, batch, n_in, hidden])
    X = rng.normal(0.0, 1.5, size=(2 * batch, n_in))
    y = rng.normal(0.0, 2.0, size=(2 * batch, 1))
    params = core.init_params(scheme, n_in, hidden, seed=seed + 1)
    first = record_of(params, X[:batch], y[:batch])
    return record_of(first.params_after, X[batch:], y[batch:], step=2)


@pytest.fixture(scope="module")
def rec():
    return make_record(4, 2, 3)


def expected_given(rec, kind: str, r: int, c: int) -> dict[str, float]:
    """The numbers each formula needs, read straight from the record, 1-based labels."""
    m, n = rec.X.shape
    X, y, f, g, p = rec.X, rec.y, rec.fwd, rec.grads, rec.params_before
    rows = range(m)
    if kind == "Z1":
        return (
            {f"X[{r + 1},{k + 1}]": X[r, k] for k in range(n)}
            | {f"W1[{k + 1},{c + 1}]": p.W1[k, c] for k in range(n)}
            | {f"b1[{c + 1}]": p.b1[0, c]}
        )
    if kind == "A1":
        return {f"Z1[{r + 1},{c + 1}]": f.Z1[r, c]}
    if kind == "delta2":
        return {f"A2[{r + 1}]": f.A2[r, 0], f"y[{r + 1}]": y[r, 0], "m": m}
    if kind == "delta1":
        return {f"δ2[{r + 1}]": g.delta2[r, 0], f"W2[{c + 1}]": p.W2[c, 0]} | {
            f"A1[{r + 1},{c + 1}]": f.A1[r, c]
        }
    if kind == "dW2":
        return {f"A1[{i + 1},{r + 1}]": f.A1[i, r] for i in rows} | {
            f"δ2[{i + 1}]": g.delta2[i, 0] for i in rows
        }
    if kind == "db2":
        return {f"δ2[{i + 1}]": g.delta2[i, 0] for i in rows}
    if kind == "dW1":
        return {f"X[{i + 1},{r + 1}]": X[i, r] for i in rows} | {
            f"δ1[{i + 1},{c + 1}]": g.delta1[i, c] for i in rows
        }
    return {f"δ1[{i + 1},{c + 1}]": g.delta1[i, c] for i in rows}


def recompute(ex: Exercise) -> float:
    """The seed's formula applied to the given numbers only."""
    v = ex.given
    r, c = ex.row + 1, ex.col + 1

    def total(label) -> float:
        return math.fsum(value for key, value in v.items() if re.fullmatch(label, key))

    if ex.kind == "Z1":
        n = sum(key.startswith("X[") for key in v)
        return (
            math.fsum(v[f"X[{r},{k}]"] * v[f"W1[{k},{c}]"] for k in range(1, n + 1)) + v[f"b1[{c}]"]
        )
    if ex.kind == "A1":
        return 1.0 / (1.0 + math.exp(-v[f"Z1[{r},{c}]"]))
    if ex.kind == "delta2":
        return (v[f"A2[{r}]"] - v[f"y[{r}]"]) / v["m"]
    if ex.kind == "delta1":
        a = v[f"A1[{r},{c}]"]
        return (v[f"δ2[{r}]"] * v[f"W2[{c}]"]) * (a * (1 - a))
    m = ex.m
    if ex.kind == "dW2":
        return math.fsum(v[f"A1[{i},{r}]"] * v[f"δ2[{i}]"] for i in range(1, m + 1))
    if ex.kind == "db2":
        return total(r"δ2\[\d+\]")
    if ex.kind == "dW1":
        return math.fsum(v[f"X[{i},{r}]"] * v[f"δ1[{i},{c}]"] for i in range(1, m + 1))
    return total(rf"δ1\[\d+,{c}\]")


# ---------------------------------------------------------------------------------------------
# Making exercises.
# ---------------------------------------------------------------------------------------------


def test_kinds_and_labels():
    assert tuple(EXERCISE_KINDS) == KINDS
    assert set(BATCH_SUMS) == {"dW2", "db2", "dW1", "db1"}
    for label in EXERCISE_KINDS.values():
        assert label and "\\" not in label and "$" not in label


@pytest.mark.parametrize(("batch", "n_in", "hidden"), SIZES)
def test_answer_and_given_numbers_come_from_the_record(batch, n_in, hidden):
    rec = make_record(batch, n_in, hidden)
    for kind in KINDS:
        for seed in range(6):
            ex = make_exercise(rec, kind, seed)
            assert ex.kind == kind and ex.m == batch
            assert ex.answer == matrix_of(rec, kind)[ex.row, ex.col]
            expected = expected_given(rec, kind, ex.row, ex.col)
            assert list(ex.given) == list(expected)  # in the formula's order
            assert all(ex.given[key] == value for key, value in expected.items())
            assert all(type(value) is float for value in ex.given.values())
            assert math.isclose(recompute(ex), ex.answer, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("kind", KINDS)
def test_prompt_names_the_entry_and_its_numbers_one_based(kind):
    rec = make_record(4, 2, 3)
    for seed in range(10):
        ex = make_exercise(rec, kind, seed)
        r, c = ex.row + 1, ex.col + 1
        symbol = {
            "Z1": f"Z1[{r},{c}]",
            "A1": f"A1[{r},{c}]",
            "delta2": f"δ2[{r}]",
            "delta1": f"δ1[{r},{c}]",
            "dW2": f"∇W2[{r}]",
            "db2": "∇b2",
            "dW1": f"∇W1[{r},{c}]",
            "db1": f"∇b1[{c}]",
        }[kind]
        assert ex.symbol == symbol
        assert ex.prompt.startswith(f"Compute {symbol}")
        assert not re.search(r"[\[,]0[\],]", ex.prompt)  # no 0-based index anywhere
        if kind in BATCH_SUMS:
            assert "[4" in ex.prompt and " to " in ex.prompt  # the whole batch, rows 1 to m
        else:
            assert all(label in ex.prompt for label in ex.given)
        assert "\\" not in ex.prompt and "$" not in ex.prompt


def test_specific_prompts(rec):
    ex = make_exercise(rec, "Z1", seed=0)
    r, c = ex.row + 1, ex.col + 1
    assert ex.prompt.endswith(f"You need X[{r},1], X[{r},2], W1[1,{c}], W1[2,{c}] and b1[{c}].")
    ex = make_exercise(rec, "dW2", seed=0)
    assert ex.prompt.endswith(
        f"You need A1[1,{ex.row + 1}] to A1[4,{ex.row + 1}] and δ2[1] to δ2[4]."
    )
    one = make_exercise(make_record(1, 1, 1), "db2", seed=0)
    assert one.prompt.endswith("You need δ2[1].") and one.given_lines() == [
        f"δ2[1] = {one.answer:.6g}"
    ]


def test_same_seed_same_exercise_and_seeds_vary(rec):
    for kind in (None, *KINDS):
        assert make_exercise(rec, kind, 11) == make_exercise(rec, kind, 11)
    picks = {(e.kind, e.row, e.col) for e in (make_exercise(rec, None, s) for s in range(40))}
    assert len(picks) > 10


def test_random_kind_avoids_batch_sums_on_big_batches():
    small, big = make_record(MAX_SUM_ROWS, 2, 3), make_record(MAX_SUM_ROWS + 1, 2, 3)
    assert {make_exercise(small, None, s).kind for s in range(100)} == set(KINDS)
    big_kinds = {make_exercise(big, None, s).kind for s in range(100)}
    assert big_kinds == {"Z1", "A1", "delta2", "delta1"}
    # Asked for by name, a sum over a big batch is still available.
    ex = make_exercise(make_record(32, 2, 3), "dW1", seed=1)
    assert len(ex.given) == 64 and "X[32,1]" in ex.prompt and "δ1[32," in ex.prompt


def test_unknown_kind_is_rejected(rec):
    with pytest.raises(ValueError, match="Unknown exercise 'Z2'"):
        make_exercise(rec, "Z2", 0)


def test_exercise_is_immutable(rec):
    ex = make_exercise(rec, "A1", 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ex.answer = 0.5


# ---------------------------------------------------------------------------------------------
# Checking answers.
# ---------------------------------------------------------------------------------------------


def exercise_with(answer: float, kind: str = "Z1", m: int = 4, pitfalls=()) -> Exercise:
    return Exercise(kind, 0, 0, "Z1[1,1]", "Compute Z1[1,1].", {}, answer, m, pitfalls)


@pytest.mark.parametrize("kind", KINDS)
def test_exact_and_nearby_answers_are_accepted(rec, kind):
    ex = make_exercise(rec, kind, 2)
    a = ex.answer
    for text in (repr(a), f"{a:.6g}", f"  {a:.8f} ", f"{a * (1 + 5e-4)!r}", f"{a:.6e}"):
        result = check_answer(ex, text)
        assert result.correct, text
        assert result.parsed == pytest.approx(a, rel=1e-3, abs=1e-4)
        assert result.message.startswith("Correct") and ex.symbol in result.message


def test_lenient_number_formats():
    cases = {
        "0,25": 0.25,
        "+0.25": 0.25,
        "+ 0 . 2 5": 0.25,
        "−0,25": -0.25,
        "– 0.25": -0.25,
        "-.5": -0.5,
        "3.": 3.0,
        "1.2e-3": 1.2e-3,
        "1.2E-3": 1.2e-3,
        "1,2e-3": 1.2e-3,
        "1.2 × 10^-3": 1.2e-3,
        "1.2x10^(-3)": 1.2e-3,
        "1.2*10^{-3}": 1.2e-3,
        "\u00a00.25\u2009": 0.25,
        "1 000": 1000.0,
    }
    for text, value in cases.items():
        assert parse_answer(text) == value, text
        assert check_answer(exercise_with(value), text).correct, text


@pytest.mark.parametrize(
    "text",
    [
        *("", "   ", "abc", "0.25abc", "1.2.3", "1,2,3", "1,234.5", "--1", "+-1", "0x10", "1/4"),
        *("½", "nan", "inf", "-Infinity", "1e999", "e5", ".", "-", "1e", "1_000", "0.1" * 50, "٣"),
    ],
)
def test_garbage_is_rejected_with_the_format_to_use(text):
    result = check_answer(exercise_with(0.25), text)
    assert result == Check(False, None, result.message)
    assert "0,25" in result.message and "1.2e-3" in result.message


def test_wrong_answers_say_how_far_off():
    ex = exercise_with(0.5)
    high, low = check_answer(ex, "0.6"), check_answer(ex, "0.375")
    assert not high.correct and high.parsed == 0.6
    assert "too high by 0.1" in high.message and "20%" in high.message
    assert "too low by 0.125" in low.message and "25%" in low.message
    assert not check_answer(ex, "0.5006").correct  # just outside rel_tol 1e-3
    assert check_answer(ex, "0.5006", rel_tol=1e-2).correct
    zero = exercise_with(0.0)
    assert check_answer(zero, "5e-5").correct  # within abs_tol 1e-4
    assert "too high by 0.001" in check_answer(zero, "0.001").message


@pytest.mark.parametrize("kind", KINDS)
def test_sign_flip_hint(rec, kind):
    ex = make_exercise(rec, kind, 5)
    assert abs(ex.answer) > 1e-4  # so that -answer is outside abs_tol
    result = check_answer(ex, repr(-ex.answer))
    assert not result.correct and "sign" in result.message
    if kind == "delta2":
        assert "(A2 − y) / m" in result.message


@pytest.mark.parametrize("kind", ["delta2", "delta1", "dW2", "db2", "dW1", "db1"])
def test_factor_m_hints(rec, kind):
    ex = make_exercise(rec, kind, 5)
    too_big = check_answer(ex, repr(ex.answer * 4))
    too_small = check_answer(ex, repr(ex.answer / 4))
    assert "m = 4 times too large" in too_big.message
    assert "m = 4 times too small" in too_small.message
    if kind == "delta2":
        assert "forget to divide by m" in too_big.message
    for text in (repr(ex.answer * 4.5), repr(ex.answer * 3)):
        assert "times too" not in check_answer(ex, text).message


def test_no_factor_m_hint_for_the_forward_pass_or_single_rows(rec):
    for kind in ("Z1", "A1"):
        ex = make_exercise(rec, kind, 5)
        assert "times too" not in check_answer(ex, repr(ex.answer * 4)).message
    single = make_exercise(make_record(1, 2, 3), "delta2", 0)
    assert single.m == 1
    assert "times too" not in check_answer(single, repr(single.answer * 2)).message


def test_missing_derivative_hint_for_delta1(rec):
    ex = make_exercise(rec, "delta1", 3)
    v = ex.given
    d2, w2 = v[f"δ2[{ex.row + 1}]"], v[f"W2[{ex.col + 1}]"]
    a = v[f"A1[{ex.row + 1},{ex.col + 1}]"]
    assert "left out the sigmoid's derivative" in check_answer(ex, repr(d2 * w2)).message
    assert "not A1 alone" in check_answer(ex, repr(d2 * w2 * a)).message
    # Rounded the way a student would copy it, the hint still triggers.
    assert "derivative" in check_answer(ex, f"{d2 * w2:.5g}").message


def test_forward_pass_hints(rec):
    a1 = make_exercise(rec, "A1", 1)
    z = next(iter(a1.given.values()))
    assert "apply the sigmoid" in check_answer(a1, repr(z)).message
    assert "sign in the exponent" in check_answer(a1, repr(1 - a1.answer)).message
    z1 = make_exercise(rec, "Z1", 1)
    bias = z1.given[f"b1[{z1.col + 1}]"]
    assert abs(bias) > 1e-3  # the second step has non-zero biases
    assert "forget to add the bias" in check_answer(z1, repr(z1.answer - bias)).message


def test_hints_that_coincide_with_the_answer_are_not_given():
    # Zero initialisation: W2 = 0 at step 1, so δ1 = 0 and so is every pitfall's value.
    rec = make_record(4, 2, 3, scheme="zeros")
    assert rec.step == 2
    ex = make_exercise(record_of(core.init_params("zeros", 2, 3), rec.X, rec.y), "delta1", 0)
    assert ex.answer == 0.0
    assert check_answer(ex, "0").correct and check_answer(ex, "-0").correct
    wrong = check_answer(ex, "0.5")
    assert not wrong.correct and wrong.message == "Not quite: your answer is too high by 0.5."


@given(st.text(max_size=200))
def test_any_text_gets_a_verdict(text):
    result = check_answer(exercise_with(0.25, kind="delta1", pitfalls=((0.5, "hint"),)), text)
    assert isinstance(result, Check) and isinstance(result.message, str) and result.message
    close = result.parsed is not None and math.isclose(
        result.parsed, 0.25, rel_tol=1e-3, abs_tol=1e-4
    )
    assert result.correct == close
    if result.parsed is not None:
        assert math.isfinite(result.parsed)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_float_written_out_is_read_back(x):
    ex = exercise_with(x)
    assert parse_answer(repr(x)) == x
    assert check_answer(ex, repr(x)).correct
    assert check_answer(ex, repr(x).replace(".", ",")).correct
    assert check_answer(ex, repr(x).replace("-", "−")).correct


# ---------------------------------------------------------------------------------------------
# The worked solution.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_solution_is_the_explanation_of_the_entry(rec, kind):
    ex = make_exercise(rec, kind, 4)
    sol = solution(rec, ex)
    assert sol == explain(rec, kind, ex.row, ex.col)
    assert sol.value == ex.answer


def test_solution_refuses_a_record_from_another_step(rec):
    ex = make_exercise(rec, "Z1", 0)
    other = make_record(4, 2, 3, seed=9)
    with pytest.raises(ValueError, match="different step"):
        solution(other, ex)


# ---------------------------------------------------------------------------------------------
# Answers worked from the numbers as shown (SHOWN_DIGITS significant digits).
# ---------------------------------------------------------------------------------------------

PAGE = {"rel_tol": 5e-3, "abs_tol": 1e-12}  # the tolerances the exercise page passes


def shown(value: float) -> float:
    """A given number as the student reads it."""
    return float(f"{value:.{SHOWN_DIGITS}g}")


def by_hand(ex: Exercise) -> float:
    """The formula applied to the given numbers as shown, the way a student works it out."""
    return recompute(dataclasses.replace(ex, given={k: shown(v) for k, v in ex.given.items()}))


def small_record(W1, b1, W2, b2, X, y) -> StepRecord:
    """The record of one step from these parameters on the batch (X, y), given as lists."""
    arrays = (np.array(a, dtype=float) for a in (W1, b1, W2, b2))
    return record_of(core.Params.of(*arrays), np.array(X, float), np.array(y, float))


def test_shown_digits_are_those_of_the_given_lines(rec):
    assert SHOWN_DIGITS == 6
    ex = make_exercise(rec, "Z1", 0)
    assert ex.given_lines() == [f"{k} = {v:.6g}" for k, v in ex.given.items()]


def test_delta2_from_two_nearly_equal_shown_numbers():
    """The user report: Plane, full batch (m = 160), step 1500, δ2[2] = 2.84565e-6."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, (160, 2))
    params = core.init_params("xavier", 2, 3, seed=1)
    # Shift b2 so that A2[2] = 1.190725304, and let y[2] = 1.19027: A2 − y = 4.55304e-4.
    b2 = params.b2 + (1.190725304 - core.forward(params, X).A2[1, 0])
    params = core.Params.of(params.W1, params.b1, params.W2, b2)
    y = core.forward(params, X).A2 + rng.normal(0.0, 0.1, (160, 1))
    y[1, 0] = 1.19027
    rec = record_of(params, X, y)
    ex = make_exercise(
        rec, "delta2", next(s for s in range(999) if make_exercise(rec, "delta2", s).row == 1)
    )
    assert ex.given_lines() == ["A2[2] = 1.19073", "y[2] = 1.19027", "m = 160"]
    assert f"{ex.answer:.6g}" == "2.84565e-06"
    # (1.19073 − 1.19027) / 160 is 1 % off the true value: the shown numbers allow 2.8125e-6 to
    # 2.9375e-6 (A2 − y from 4.5e-4 to 4.7e-4).
    assert by_hand(ex) == pytest.approx(2.875e-6)
    assert ex.shown_range == pytest.approx((2.8125e-6, 2.9375e-6), rel=1e-6)
    for text in (
        "2.875e-6",
        repr(by_hand(ex)),
        "2.88e-6",
        "2.8125e-6",
        "2.9375e-6",
        repr(ex.answer),
    ):
        assert check_answer(ex, text, **PAGE).correct, text
    for text in ("2.78e-6", "2.96e-6", "3e-6"):
        assert not check_answer(ex, text, **PAGE).correct, text
    # The classic mistakes, worked from the shown numbers too, still get their hints.
    mistakes = {
        "-2.875e-6": "Check the sign: δ2 is the prediction minus the target",
        "0.00046": "did you forget to divide by m?",
        repr(2.875e-6 / 160): "don't divide again",
    }
    for text, hint in mistakes.items():
        result = check_answer(ex, text, **PAGE)
        assert not result.correct and hint in result.message, text


def test_z1_from_products_that_nearly_cancel():
    # X[1,1]·W1[1,1] + X[1,2]·W1[2,1] + b1[1] = 0.98765 − 1.48745 + 0.5 = 2.0e-4; each shown
    # number is off by up to half a unit in its 6th digit, which here moves the result by 4 %.
    x1, w1, x2, b = 1.2345649, 0.80000049, -0.98765449, 0.5
    w2 = (2.0e-4 - b - x1 * w1) / x2
    rec = small_record([[w1], [w2]], [[b]], [[0.9]], [[0.1]], [[x1, x2]], [[0.3]])
    ex = make_exercise(rec, "Z1", 0)
    assert ex.given_lines() == [
        *("X[1,1] = 1.23456", "X[1,2] = -0.987654", "W1[1,1] = 0.8", "W1[2,1] = 1.50605"),
        "b1[1] = 0.5",
    ]
    assert ex.answer == pytest.approx(2.0e-4, rel=1e-9)
    student = by_hand(ex)
    assert abs(student / ex.answer - 1) > 0.04  # well outside the page's 0.5 %
    assert check_answer(ex, repr(student), **PAGE).correct
    assert check_answer(ex, f"{student:.3g}", **PAGE).correct
    assert not check_answer(ex, "2.1e-4", **PAGE).correct
    forgot_bias = check_answer(ex, repr(student - 0.5), **PAGE)
    assert not forgot_bias.correct and "forget to add the bias b1[1]" in forgot_bias.message
    flipped = check_answer(ex, repr(-student), **PAGE)
    assert not flipped.correct and "sign is flipped" in flipped.message


def test_delta1_of_a_saturated_hidden_unit():
    # Z1 = 13.4: A1 = 0.9999984… shows as 0.999998, so 1 − A1 reads 2e-6 instead of 1.52e-6.
    rec = small_record([[13.4]], [[0.0]], [[0.7]], [[0.1]], [[1.0]] * 3, [[-1.0]] * 3)
    ex = make_exercise(rec, "delta1", 0)
    assert ex.given_lines()[2].endswith(" = 0.999998") and ex.m == 3
    student = by_hand(ex)
    assert abs(student / ex.answer - 1) > 0.3
    assert check_answer(ex, repr(student), **PAGE).correct
    assert check_answer(ex, f"{student:.3g}", **PAGE).correct
    low, high = ex.shown_range
    assert not check_answer(ex, repr(high * 1.01), **PAGE).correct
    assert not check_answer(ex, repr(low * 0.99), **PAGE).correct
    d2, w2, a = (shown(v) for v in ex.given.values())
    mistakes = {
        repr(d2 * w2): "left out the sigmoid's derivative",
        repr(-student): "sign is flipped",
        repr(3 * student): "m = 3 times too large",
        repr(student / 3): "m = 3 times too small",
    }
    for text, hint in mistakes.items():
        result = check_answer(ex, text, **PAGE)
        assert not result.correct and hint in result.message, text
    # δ2·W2·(1 − A1) differs from the answer by the factor A1 = 0.999998: at 6 digits the two
    # cannot be told apart, so it is accepted — because it lies in the shown range itself.
    alone = d2 * w2 * (1 - a)
    assert low <= alone <= high and check_answer(ex, repr(alone), **PAGE).correct


def test_exercise_ranges_hold_the_answer_and_each_pitfall(rec):
    for kind in KINDS:
        ex = make_exercise(rec, kind, 3)
        low, high = ex.shown_range
        assert low <= ex.answer <= high
        # 6 digits: the range is about a millionth of the answer's size on an ordinary record.
        assert high - low < 1e-4 * abs(ex.answer)
        assert len(ex.pitfall_ranges) == len(ex.pitfalls)
        for (value, _), (p_low, p_high) in zip(ex.pitfalls, ex.pitfall_ranges, strict=True):
            assert p_low <= value <= p_high
    with pytest.raises(ValueError, match=r"one \(low, high\) for each pitfall"):
        dataclasses.replace(ex, pitfall_ranges=((0.0, 1.0),) * (len(ex.pitfalls) + 1))


def test_exercise_without_ranges_checks_the_answer_alone():
    ex = exercise_with(0.5, pitfalls=((0.25, "Half of it."),))
    assert ex.shown_range is None and ex.pitfall_ranges == ()
    assert check_answer(ex, "0.5004").correct and not check_answer(ex, "0.5006").correct
    assert "Half of it." in check_answer(ex, "0.2501").message


@pytest.mark.parametrize(("batch", "n_in", "hidden"), SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_pitfalls_are_rejected_with_their_hints_on_ordinary_records(batch, n_in, hidden, kind):
    """The wider range does not swallow a classic mistake: each still gets its own hint (or that
    of a mistake that gives the same number, like forgetting A1(1 − A1) = 0.25 and m = 4)."""
    checked = 0
    for seed in range(3):
        rec = make_record(batch, n_in, hidden, seed=seed)
        for ex_seed in range(4):
            ex = make_exercise(rec, kind, ex_seed)
            for value, hint in ex.pitfalls:
                if math.isclose(value, ex.answer, rel_tol=5e-3):
                    continue  # the old check accepted it too: indistinguishable from the answer
                same = [h for v, h in ex.pitfalls if math.isclose(v, value, rel_tol=5e-3)]
                assert hint in same
                result = check_answer(ex, repr(value), **PAGE)
                assert not result.correct, (kind, value, hint)
                assert any(h in result.message for h in same), (kind, value, hint)
                if len(same) == 1:
                    assert hint in result.message
                if abs(value - ex.answer) > 1e-4:  # outside the default abs_tol
                    result = check_answer(ex, repr(value))
                    assert not result.correct and any(h in result.message for h in same)
                checked += 1
    assert checked >= 12


def test_accepted_range_and_note():
    ex = exercise_with(0.5)
    low, high = accepted_range(ex, 1e-3, 1e-4)
    assert (low, high) == pytest.approx((0.4995, 0.5 / 0.999), rel=1e-12)
    for rel_tol, abs_tol in ((1e-3, 1e-4), (5e-3, 1e-12), (0.0, 0.0), (1e-3, 0.1)):
        for answer in (0.5, -0.5, 0.0, 3e-7, -2.5e4):
            point = exercise_with(answer)
            low, high = accepted_range(point, rel_tol, abs_tol)
            assert check_answer(point, repr(low), rel_tol, abs_tol).correct
            assert check_answer(point, repr(high), rel_tol, abs_tol).correct
            outside = (math.nextafter(low, -math.inf), math.nextafter(high, math.inf))
            assert not any(check_answer(point, repr(v), rel_tol, abs_tol).correct for v in outside)
    with pytest.raises(ValueError, match="rel_tol < 1"):
        accepted_range(ex, 1.0, 0.0)
    note = accepted_note(ex, 1e-3, 1e-4)
    assert note.startswith("Any answer from 0.4996 to 0.5005 is accepted")  # 0.4995 is a hair out
    assert "rounded to 6 significant digits" in note
    assert accepted_note(ex, 0.0, 0.0).startswith("Any answer from 0.5 to 0.5 is")


@pytest.mark.parametrize("kind", KINDS)
def test_the_note_names_ends_that_are_accepted(kind):
    rec = make_record(4, 2, 3, seed=2)
    for seed in range(5):
        ex = make_exercise(rec, kind, seed)
        note = accepted_note(ex, **PAGE)
        a, b = re.fullmatch(r"Any answer from (\S+) to (\S+) is accepted: .*", note).groups()
        assert float(a) < float(b)
        for end in (a, b):
            assert check_answer(ex, end, **PAGE).correct, (note, end)
        low, high = accepted_range(ex, **PAGE)
        assert low <= float(a) and float(b) <= high


# Random records, some with numbers that nearly cancel or a saturated hidden unit.
@st.composite
def records(draw, max_batch: int = 4) -> StepRecord:
    m, n, h = draw(st.integers(1, max_batch)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.3, 1.0, 8.0]))  # 8: sigmoids near 0 or 1
    W1, b1 = rng.normal(0.0, scale, (n, h)), rng.normal(0.0, 0.5, (1, h))
    W2, b2 = rng.normal(0.0, 1.0, (h, 1)), rng.normal(0.0, 0.5, (1, 1))
    X = rng.uniform(-2.0, 2.0, (m, n))
    tiny = 10.0 ** draw(st.integers(-8, -2)) * draw(st.sampled_from([-1.0, 1.0]))
    cancel = draw(st.sampled_from(["none", "Z1", "delta2", "sum"]))
    if cancel == "Z1":  # X[1,:]·W1 + b1 ≈ 0 for every hidden unit
        b1 = -(X[:1] @ W1) + tiny
    A2 = core.forward(core.Params.of(W1, b1, W2, b2), X).A2
    y = A2 + rng.normal(0.0, 1.0, (m, 1))
    if cancel == "delta2":  # A2 ≈ y on every row
        y = A2 + tiny * rng.uniform(0.5, 1.0, (m, 1))
    if cancel == "sum":  # the δ2 of all rows add up to about 0
        y[-1, 0] = A2[-1, 0] + (A2[:-1, 0] - y[:-1, 0]).sum() - tiny
    return record_of(core.Params.of(W1, b1, W2, b2), X, y)


def brute_range(ex: Exercise) -> tuple[float, float]:
    """The formula's smallest and largest value over every corner of the shown numbers' box
    (and A1 = 1/2 for δ1, where A1(1 − A1) peaks), with the answer itself."""
    boxes = []
    for label, value in ex.given.items():
        s = shown(value)
        exponent = int(f"{s:.5e}".split("e")[1])
        half = 0.0 if label == "m" or s == 0 else 0.5 * 10.0 ** (exponent - 5)
        points = {s - half, s + half}
        if ex.kind == "delta1" and label.startswith("A1") and s - half < 0.5 < s + half:
            points.add(0.5)
        boxes.append(sorted(points))
    values = [
        recompute(dataclasses.replace(ex, given=dict(zip(ex.given, corner, strict=True))))
        for corner in itertools.product(*boxes)
    ]
    return min(*values, ex.answer), max(*values, ex.answer)


@given(records(), st.integers(0, 99))
def test_an_answer_worked_from_the_shown_numbers_is_always_accepted(rec, seed):
    for kind in KINDS:
        ex = make_exercise(rec, kind, seed)
        student = by_hand(ex)
        assert check_answer(ex, repr(student), **PAGE).correct, (kind, ex.given_lines())
        assert check_answer(ex, f"{student:.6g}", **PAGE).correct  # and typed with 6 digits
        assert check_answer(ex, repr(ex.answer), **PAGE).correct


@given(records(max_batch=3), st.integers(0, 99))
def test_the_range_is_what_the_shown_numbers_allow_and_no_more(rec, seed):
    """shown_range is the formula's exact range over the shown numbers, so a pitfall is
    accepted only when numbers that show the same digits give it (within the tolerance)."""
    for kind in KINDS:
        ex = make_exercise(rec, kind, seed)
        low, high = brute_range(ex)
        slack = 1e-5 * (high - low) + 1e-13
        assert ex.shown_range == pytest.approx((low, high), abs=slack)
        for value, _ in ex.pitfalls:
            if check_answer(ex, repr(value), **PAGE).correct:
                nearest = min(max(value, low), high)
                assert math.isclose(
                    value, nearest, rel_tol=PAGE["rel_tol"] * (1 + 1e-9), abs_tol=slack + 1e-12
                )
