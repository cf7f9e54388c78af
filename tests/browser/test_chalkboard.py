"""Chalkboard mode in the browser: a cell emptied in the typed-in table is named, the run kept."""

from __future__ import annotations

import pytest

from .server import click, open_app, step_count, wait_for_rerun

pytestmark = pytest.mark.browser


ROW_HEIGHT = 35  # Streamlit's grid rows (and header) are 35 px high
MARKER_WIDTH = 32  # the row-selection column of an editable grid with rows to add and delete


def cell_centre(editor, row: int, col: int, n_cols: int) -> tuple[float, float]:
    """The centre of data cell (row, col), 0-based, of an st.data_editor grid without index."""
    box = editor.get_by_test_id("data-grid-canvas").bounding_box()
    width = (box["width"] - MARKER_WIDTH) / n_cols
    x = box["x"] + MARKER_WIDTH + width * (col + 0.5)
    return x, box["y"] + ROW_HEIGHT * (row + 1.5)


def test_a_cleared_cell_is_named_and_the_run_is_kept(open_page, app_url):
    app = open_page({"width": 1400, "height": 1000})
    page = app.page
    open_app(page, f"{app_url}/?preset=worked-example")
    click(page, "btn_step")
    assert step_count(page) == 1
    sidebar = page.get_by_test_id("stSidebar")
    editor = sidebar.get_by_test_id("stDataFrame").first
    editor.get_by_test_id("data-grid-canvas").wait_for()
    page.mouse.move(0, 0)  # the Step button's tooltip reaches over the sidebar: let it go
    page.wait_for_timeout(500)
    x, y = cell_centre(editor, 0, 0, n_cols=3)
    page.mouse.click(x, y)  # after a press of Step the first click only focuses the grid
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.keyboard.press("Delete")
    wait_for_rerun(page)
    error = sidebar.get_by_test_id("stAlertContentError")
    error.wait_for()
    assert "Row 1" in error.inner_text() and "is empty" in error.inner_text()
    assert step_count(page) == 1  # the run is kept
    app.assert_healthy()
