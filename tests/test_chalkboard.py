"""A typed-in table and weights by hand: every bad cell is named by row and column."""

from __future__ import annotations

import numpy as np
import pytest

from core.chalkboard import hand_params, typed_table, weight_names
from core.loader import DataError


def test_a_typed_table_keeps_the_numbers_and_the_order():
    table = typed_table(["x1", "x2", "y"], [[1, 0, 1], ["0,5", 1, 0]])
    assert table.columns == ("x1", "x2", "y")
    np.testing.assert_array_equal(table.frame.to_numpy(), [[1, 0, 1], [0.5, 1, 0]])


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("abc", "Row 2, column “x2” is not a number"),
        (None, "Row 2, column “x2” is empty"),
        ("", "Row 2, column “x2” is empty"),
        (float("nan"), "Row 2, column “x2” is empty"),  # a cell emptied in the page's editor
        (float("inf"), "Row 2, column “x2” is not a finite number"),
        ("nan", "Row 2, column “x2” is not a finite number"),
        (1e308, r"Row 2, column “x2” is 1e\+308, beyond"),
    ],
)
def test_a_bad_cell_is_named_by_its_row_and_column(cell, message):
    with pytest.raises(DataError, match=message):
        typed_table(["x1", "x2", "y"], [[1, 2, 3], [4, cell, 6]])


@pytest.mark.parametrize(
    ("columns", "rows", "message"),
    [
        (["x"], [[1]], "Give 2 to 5 columns"),
        (["x", ""], [[1, 2]], "Column 2 has no name"),
        (["x", "x"], [[1, 2]], "same name"),
        (["x", "y"], [], "no rows"),
        (["x", "y"], [[1, 2, 3]], "Row 1 has 3 cells for 2 columns"),
    ],
)
def test_a_badly_shaped_table_says_what_to_fix(columns, rows, message):
    with pytest.raises(DataError, match=message):
        typed_table(columns, rows)


def test_hand_weights_take_the_flat_order_w1_b1_w2_b2():
    flat = [0.5, -0.5, 1, 1, 0.5, -0.5, 0, 0, 0, 1, -1, 0.5, 0]
    params = hand_params(flat, 2, 3)
    np.testing.assert_array_equal(params.W1, [[0.5, -0.5, 1], [1, 0.5, -0.5]])
    np.testing.assert_array_equal(params.W2, [[1], [-1], [0.5]])
    assert params.b1.shape == (1, 3) and params.b2.shape == (1, 1)
    assert weight_names(2, 3)[:2] == ["W1[1,1]", "W1[1,2]"] and weight_names(2, 3)[-1] == "b2[1,1]"


@pytest.mark.parametrize(
    ("flat", "message"),
    [
        ([0.5] * 12, "have 12 numbers; a 2-3-1 network needs 13"),
        ([0.5] * 12 + ["x"], "b2\\[1,1\\] is not a number"),
        ([float("nan")] + [0.0] * 12, "W1\\[1,1\\] must be a number between"),
        ([0.0] * 9 + [101.0] + [0.0] * 3, "W2\\[1,1\\] must be a number between"),
    ],
)
def test_bad_hand_weights_are_refused_with_the_entry_named(flat, message):
    with pytest.raises(DataError, match=message):
        hand_params(flat, 2, 3)
