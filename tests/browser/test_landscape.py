"""What only a browser shows of the loss landscape: the chart draws, in presenter mode on a
projector and on a phone without sideways scrolling."""

from __future__ import annotations

import pytest

from .server import choose_in_menu, open_app, run_steps, show, wait_for_rerun

pytestmark = pytest.mark.browser

LANDSCAPE = "[data-testid='stVegaLiteChart'][aria-label^='Loss landscape']"


def run_and_open(page, steps: int) -> None:
    run_steps(page, steps)
    show(page, "Loss landscape")


def test_the_landscape_draws_with_its_path_and_switches_slice(app):
    page = app.page
    run_and_open(page, 30)
    chart = page.locator(LANDSCAPE)
    chart.locator("canvas, svg.marks").first.wait_for()
    assert "path of 30 steps" in chart.get_attribute("aria-label")
    page.locator(".st-key-land_mode").get_by_text("Two parameters", exact=True).click()
    wait_for_rerun(page)
    page.locator(".st-key-land_x_13").wait_for()
    chart = page.locator(LANDSCAPE)
    chart.locator("canvas, svg.marks").first.wait_for()
    assert "over W1[1,1] and W2[1]" in chart.get_attribute("aria-label")
    app.assert_healthy()


def test_presenting_and_on_a_phone(open_page, app_url):
    app = open_page({"width": 1280, "height": 720})
    page = app.page
    open_app(page, f"{app_url}/?present=1&hide=data,network,training")
    run_steps(page, 10)
    choose_in_menu(page, "Loss landscape")
    page.locator(LANDSCAPE).locator("canvas, svg.marks").first.wait_for()
    app.assert_healthy()

    phone = open_page({"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    run_and_open(phone.page, 5)
    phone.page.locator(LANDSCAPE).locator("canvas, svg.marks").first.wait_for()
    widths = phone.page.evaluate(
        "() => [document.documentElement.scrollWidth, "
        "document.querySelector('[data-testid=stMain]').scrollWidth]"
    )
    assert max(widths) <= 390, widths
    phone.assert_healthy()
