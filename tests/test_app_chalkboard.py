"""Chalkboard mode: a worked example typed in with weights by hand gives the numbers a teacher
computes on the board.

The expected numbers below were worked out by hand (with a calculator, not with this project's
code) for the lesson "A worked example by hand":
  X = [[1, 0], [0, 1]], y = [1, 0], m = 2, W1 = [[0.5, -0.5, 1], [1, 0.5, -0.5]], b1 = 0,
  W2 = [1, -1, 0.5]ᵀ, b2 = 0, η = 0.5.
  Z1 = X W1 = [[0.5, -0.5, 1], [1, 0.5, -0.5]]
  A1 = σ(Z1): σ(0.5) = 0.622459, σ(-0.5) = 0.377541, σ(1) = 0.731059
  A2 = A1 W2: 0.622459 - 0.377541 + 0.5·0.731059 = 0.610448;
              0.731059 - 0.622459 + 0.5·0.377541 = 0.297370
  L = ((0.610448 - 1)² + 0.297370²) / 4 = (0.151751 + 0.088429) / 4 = 0.060045
  δ2 = (A2 - y)/2 = [-0.194776, 0.148685];  ∇b2 = -0.046091
  ∇W2 = A1ᵀ δ2 = [-0.012543, 0.019014, -0.086258]
  A1(1 - A1): σ'(±0.5) = 0.235004, σ'(1) = σ'(-1) = 0.196612
  δ1 = (δ2 W2ᵀ) ⊙ A1(1 - A1) = [[-0.045773, 0.045773, -0.019148], [0.029233, -0.034941, 0.017471]]
  ∇W1 = Xᵀ δ1 = δ1 (X is the identity);  ∇b1 = [-0.016540, 0.010832, -0.001677]
  W2 after = W2 - 0.5 ∇W2 = [1.006271, -1.009507, 0.543129];  b2 after = 0.023046
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from app_helpers import (
    APP_FILE,
    TIMEOUT,
    app_state,
    click,
    errors,
    frame,
    new_app,
    ok,
    show,
    step,
    step_count,
)
from streamlit.testing.v1 import AppTest

from core.worksheet import worksheet_markdown
from settings.presets import PRESETS

BY_HAND = {
    "Z1": [[0.5, -0.5, 1.0], [1.0, 0.5, -0.5]],
    "A1": [[0.622459, 0.377541, 0.731059], [0.731059, 0.622459, 0.377541]],
    "A2": [0.610448, 0.297370],
    "loss": 0.060045,
    "δ2": [-0.194776, 0.148685],
    "∇b2": -0.046091,
    "∇W2": [-0.012543, 0.019014, -0.086258],
    "δ1": [[-0.045773, 0.045773, -0.019148], [0.029233, -0.034941, 0.017471]],
    "∇b1": [-0.016540, 0.010832, -0.001677],
    "W2 after": [1.006271, -1.009507, 0.543129],
    "b2 after": 0.023046,
}
SHOWN = dict(rtol=0, atol=1.5e-6)  # to the last digit the hand computation kept


def worked_example() -> AppTest:
    at = new_app()
    ok(at.selectbox(key="preset_choice").set_value("worked-example").run())
    return click(at, "btn_preset")


def test_the_worked_example_gives_the_numbers_computed_by_hand():
    at = step(worked_example())
    assert not errors(at)
    np.testing.assert_allclose(frame(at, "Z1").to_numpy(), BY_HAND["Z1"], **SHOWN)
    np.testing.assert_allclose(frame(at, "A1").to_numpy(), BY_HAND["A1"], **SHOWN)
    np.testing.assert_allclose(frame(at, "Z2 = A2").to_numpy()[:, 0], BY_HAND["A2"], **SHOWN)
    assert f"{BY_HAND['loss']:.5f}"[:-1] in " ".join(str(x.value) for x in at.latex)
    show(at, "Backward pass")
    np.testing.assert_allclose(frame(at, "δ2").to_numpy().ravel(), BY_HAND["δ2"], **SHOWN)
    np.testing.assert_allclose(frame(at, "δ1").to_numpy(), BY_HAND["δ1"], **SHOWN)
    np.testing.assert_allclose(frame(at, "∇W2").to_numpy().ravel(), BY_HAND["∇W2"], **SHOWN)
    np.testing.assert_allclose(frame(at, "∇b2").to_numpy().ravel(), [BY_HAND["∇b2"]], **SHOWN)
    np.testing.assert_allclose(frame(at, "∇W1").to_numpy(), BY_HAND["δ1"], **SHOWN)
    np.testing.assert_allclose(frame(at, "∇b1").to_numpy().ravel(), BY_HAND["∇b1"], **SHOWN)
    show(at, "Update")
    np.testing.assert_allclose(
        frame(at, "W2 after").to_numpy().ravel(), BY_HAND["W2 after"], **SHOWN
    )
    np.testing.assert_allclose(
        frame(at, "b2 after").to_numpy().ravel(), [BY_HAND["b2 after"]], **SHOWN
    )


def test_the_lesson_text_quotes_the_numbers_computed_by_hand():
    text = PRESETS["worked-example"].look_for
    for quoted in ("(0.6225, 0.3775, 0.7311)", "(0.6104, 0.2974)", "0.06004", "−0.04609"):
        assert quoted in text


def test_the_worked_example_travels_in_a_link_with_its_rows_and_weights():
    at = worked_example()
    assert app_state(at).config.preset == "worked-example"
    other = AppTest.from_file(str(APP_FILE), default_timeout=TIMEOUT)
    other.query_params.update(
        {"src": "typed", "cols": "a,b,t", "rows": "1,0,1;0,1,0", "init": "hand",
         "w": "0.5,-0.5,1,1,0.5,-0.5,0,0,0,1,-1,0.5,0", "stdx": "0", "stdy": "0", "test": "0",
         "full": "1", "shuf": "0"}
    )  # fmt: skip
    step(show(ok(other.run()), "Forward pass"))
    np.testing.assert_allclose(frame(other, "A1").to_numpy(), BY_HAND["A1"], **SHOWN)
    assert app_state(other).config.typed_columns == ("a", "b", "t")


@pytest.mark.parametrize("rows", [1, 2, 4])
def test_typed_tables_of_one_to_four_rows_train(rows):
    at = AppTest.from_file(str(APP_FILE), default_timeout=TIMEOUT)
    data = ";".join(f"{i},{2 * i},{i % 2}" for i in range(rows))
    at.query_params.update({"src": "typed", "rows": data})
    step(show(ok(at.run()), "Forward pass"), 2)
    assert step_count(at) == 2
    train_rows = rows - round(0.2 * rows) if rows > 1 else 1  # the default test share, 0.2
    assert frame(at, "X | y").shape == (train_rows, 3)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"init": "hand", "w": "0.5,0.5"}, "needs 13"),
        ({"init": "hand", "w": "1e300,0,0,0,0,0,0,0,0,0,0,0,0"}, "between"),
        ({"src": "typed", "rows": "1,2,1e308"}, "beyond"),
    ],
)
def test_a_link_whose_table_or_weights_cannot_be_used_opens_the_default_with_a_notice(
    query, message
):
    at = AppTest.from_file(str(APP_FILE), default_timeout=TIMEOUT)
    at.query_params.update(query)
    ok(at.run())
    assert any(message in str(w.value) for w in at.warning), [str(w.value) for w in at.warning]
    step(at)
    assert step_count(at) == 1


def test_the_worksheet_of_the_worked_example_has_the_numbers_computed_by_hand():
    at = step(worked_example())
    record = app_state(at).run.trainer.record(1)
    sheet = worksheet_markdown(record, ("x1", "x2"))
    numbers = [float(x) for x in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", sheet)]

    def present(value: float) -> bool:
        return any(abs(n - value) <= max(1.5e-6, 6e-6 * abs(value)) for n in numbers)  # 6 digits

    for key in ("A1", "δ1"):
        assert all(present(v) for row in BY_HAND[key] for v in row), key
    for key in ("A2", "δ2", "∇W2", "∇b1", "W2 after"):
        assert all(present(v) for v in BY_HAND[key]), key
    for key in ("loss", "∇b2", "b2 after"):
        assert present(BY_HAND[key]), key
    page = frame(at, "A1").to_numpy()  # and the page shows the same A1 as the sheet
    assert all(present(v) for v in page.ravel())
