"""Exercise mode: the hidden entry, the numbers given, answer checking and the worked solution."""

from __future__ import annotations

import dataclasses
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
    Check,
    Exercise,
    check_answer,
    make_exercise,
    parse_answer,
    solution,
)
from core.explain import explain, matrix_of

KINDS = ("Z1", "A1", "delta2", "delta1", "dW2", "db2", "dW1", "db1")
SIZES = [(1, 1, 1), (4, 2, 3), (8, 4, 8), (32, 2, 3)]  # (batch, inputs, hidden)


def make_record(batch: int, n_in: int, hidden: int, seed: int = 0, scheme: str = "xavier"):
    """The second step of a real run (so the biases are no longer 0)."""
    rng = np.random.default_rng([seed, batch, n_in, hidden])
    X = rng.normal(0.0, 1.5, size=(64, n_in))
    y = rng.normal(0.0, 2.0, size=(64, 1))
    params = core.init_params(scheme, n_in, hidden, seed=seed + 1)
    trainer = core.Trainer(X, y, params, batch_size=batch, lr=0.3, shuffle_seed=seed)
    trainer.step()
    return trainer.step()


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
    first = core.Trainer(rec.X, rec.y, core.init_params("zeros", 2, 3), batch_size=4, lr=0.3)
    ex = make_exercise(first.step(), "delta1", 0)
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
