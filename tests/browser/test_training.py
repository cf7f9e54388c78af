"""Training from the browser: Step, Play/Pause and Reset change what the page shows."""

from __future__ import annotations

import pytest

from .server import (
    IDLE,
    button,
    click,
    label_of,
    metric,
    play_button,
    step_count,
    story_columns,
    story_rows,
    wait_for_rerun,
    wait_until,
)

pytestmark = pytest.mark.browser


def test_page_loads_without_errors(app):
    page = app.page
    assert page.get_by_role("heading", name="Backprop Step-by-Step").is_visible()
    assert step_count(page) == 0
    assert button(page, "btn_step").is_enabled()
    page.get_by_test_id("stVegaLiteChart").first.wait_for()  # charts mount a moment later
    assert page.get_by_test_id("stVegaLiteChart").count() > 0
    app.assert_healthy()


def test_step_updates_tables_and_charts(app):
    page = app.page
    assert page.locator("td[data-block]").count() == 0  # no batch yet, so no matrices
    charts = page.get_by_test_id("stVegaLiteChart")
    charts_before = wait_until(lambda: charts.count() == 2 and 2)  # loss, prediction: drawn late

    click(page, "btn_step")
    assert step_count(page) == 1
    page.locator("figure[data-block='X']").wait_for()
    assert story_columns(page, "X") == ["x1", "x2"] and story_columns(page, "y") == ["y"]
    rows = story_rows(page, "X")
    assert len(rows) > 0
    assert page.get_by_test_id("stVegaLiteChart").count() == charts_before  # loss, prediction
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.locator("canvas, svg.marks").first.wait_for()
    box = chart.locator("canvas, svg.marks").first.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100

    click(page, "btn_step")
    assert step_count(page) == 2
    # The next mini-batch holds other rows (the grid redraws a moment after the script ends).
    wait_until(lambda: story_rows(page, "X") != rows)
    app.assert_healthy()


def press_play_pause(page, expected_label: str) -> None:
    """Press Play (or Pause) and check the button then says `expected_label`, and stays so: a
    press must never undo itself (Play and Pause are separate buttons that set the state)."""
    from playwright.sync_api import expect  # imported here: without playwright the tests skip

    page.wait_for_selector(IDLE)
    play_button(page).click()
    wait_for_rerun(page)
    label = label_of(play_button(page))
    expect(label).to_have_text(expected_label, timeout=5_000)
    page.wait_for_timeout(1_000)
    expect(label).to_have_text(expected_label, timeout=1)


def test_play_runs_and_pause_stops(app):
    page = app.page
    press_play_pause(page, "Pause")
    start = step_count(page)
    page.wait_for_timeout(3_000)
    playing_count = step_count(page)
    assert playing_count >= start + 2, f"{playing_count - start} steps in 3 s of Play"

    press_play_pause(page, "Play")
    paused_count = step_count(page)
    assert paused_count >= playing_count
    page.wait_for_timeout(2_000)
    assert step_count(page) == paused_count
    app.assert_healthy()


def test_reset_returns_to_step_zero(app):
    page = app.page
    for _ in range(3):
        click(page, "btn_step")
    assert step_count(page) == 3
    click(page, "btn_reset")
    assert step_count(page) == 0
    assert metric(page, "Batch loss") == "—"
    assert page.locator("td[data-block]").count() == 0  # no step to show any more
    app.assert_healthy()


def test_run_n_and_finish_epoch(app):
    page = app.page
    steps = page.locator(".st-key-run_n input")
    steps.fill("4")
    steps.press("Enter")
    wait_for_rerun(page)
    click(page, "btn_run_n")
    assert step_count(page) == 4
    batches = int(metric(page, "Batch").split(" of ")[1])
    click(page, "btn_epoch")
    assert step_count(page) == batches
    assert metric(page, "Batch") == f"{batches} of {batches}"
    app.assert_healthy()
