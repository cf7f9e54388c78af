"""What only a browser shows of the One sample view: both charts draw, another batch row redraws
them, and on a phone the page does not scroll sideways."""

from __future__ import annotations

import pytest

import views.state

from .server import button, choose_in_menu, click, open_app, show, wait_for_rerun

VIEW = "One sample"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        VIEW not in views.state.STEP_VIEWS,
        reason=f"the {VIEW!r} view is not in views.state.STEP_VIEWS yet",
    ),
]

GRAPH = "[data-testid='stVegaLiteChart'][aria-label*='as a graph of numbers']"
SUMS = "[data-testid='stVegaLiteChart'][aria-label^='How the ']"
PHONE = {"width": 390, "height": 844}


def charts_drawn(page) -> None:
    for selector in (GRAPH, SUMS):
        page.locator(selector).locator("canvas, svg.marks").first.wait_for()


def test_the_charts_draw_and_follow_the_chosen_row(app):
    page = app.page
    click(page, "btn_step")
    show(page, VIEW)
    charts_drawn(page)
    assert page.locator(GRAPH).get_attribute("aria-label").startswith("Batch row 1 of 16")
    box = page.locator(".st-key-sample_row_16")
    box.click()
    page.get_by_role("option", name="row 3 · training row #", exact=False).first.click()
    wait_for_rerun(page)
    charts_drawn(page)
    assert page.locator(GRAPH).get_attribute("aria-label").startswith("Batch row 3 of 16")
    assert "row 3 gives" in page.locator(SUMS).get_attribute("aria-label")
    page.get_by_test_id("stDataFrame").first.wait_for()  # grids mount a moment after the run
    app.assert_healthy()


def test_presenting_on_a_projector(open_page, app_url):
    app = open_page({"width": 1280, "height": 720})
    page = app.page
    open_app(page, f"{app_url}/?present=1&hide=data,network,training")
    click(page, "btn_step")
    choose_in_menu(page, VIEW)
    charts_drawn(page)
    app.assert_healthy()


def test_on_a_phone_the_page_does_not_scroll_sideways(open_page):
    app = open_page(PHONE, is_mobile=True, has_touch=True)
    page = app.page
    button(page, "btn_step").tap()
    wait_for_rerun(page)
    show(page, VIEW)
    charts_drawn(page)
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, "
        "document.querySelector('[data-testid=stMain]').scrollWidth]"
    )
    assert max(widths) <= PHONE["width"], widths
    for selector in (GRAPH, SUMS):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    app.assert_healthy()
