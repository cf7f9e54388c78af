"""A CSV uploaded through the browser's file input becomes the training data."""

from __future__ import annotations

import numpy as np
import pytest

from .server import click, step_count, story_columns, story_rows, wait_for_rerun

pytestmark = pytest.mark.browser


def write_csv(path, rows: int = 40) -> None:
    rng = np.random.default_rng(7)
    area = rng.uniform(30, 150, rows)
    rooms = rng.integers(1, 6, rows)
    price = 2.0 * area + 15.0 * rooms + rng.normal(0, 5, rows)
    lines = ["floor_area,room_count,price_k"]
    lines += [f"{a:.1f},{r},{p:.2f}" for a, r, p in zip(area, rooms, price, strict=True)]
    path.write_text("\n".join(lines) + "\n")


def test_uploaded_csv_trains(app, tmp_path):
    page = app.page
    csv = tmp_path / "flats.csv"
    write_csv(csv)

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stRadio").get_by_text("Upload CSV", exact=True).click()
    wait_for_rerun(page)
    dropzone = sidebar.get_by_test_id("stFileUploaderDropzoneInput")
    dropzone.set_input_files(csv)
    sidebar.get_by_text("flats.csv").first.wait_for()
    wait_for_rerun(page)
    assert not sidebar.get_by_test_id("stAlertContentError").count()

    click(page, "btn_step")
    assert step_count(page) == 1
    page.locator("figure[data-block='X']").wait_for()
    # Last numeric column is the target, the first two are the inputs.
    assert story_columns(page, "X") == ["x1 floor_area", "x2 room_count"]
    rows = story_rows(page, "X")
    assert rows and all(len(row) == 3 for row in rows)  # the row's label and two inputs
    app.assert_healthy()
