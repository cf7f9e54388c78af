"""What only a browser shows of the classroom features: presenter mode's larger type."""

from __future__ import annotations

import pytest

from .server import wait_for_rerun

pytestmark = pytest.mark.browser


def root_font_px(page) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)"))


def test_a_presenter_link_enlarges_text_and_hides_the_named_sections(app, app_url):
    page = app.page
    normal = root_font_px(page)
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_role("heading", name="Data").count() == 1

    page.goto(f"{app_url}/?present=1&hide=data,controls")  # no Step button to wait for here
    page.get_by_role("heading", name="Backprop Step-by-Step").wait_for()
    wait_for_rerun(page)
    assert root_font_px(page) > normal * 1.15
    assert sidebar.get_by_role("heading", name="Data").count() == 0
    assert sidebar.get_by_role("heading", name="Network").count() == 1
    assert page.locator(".st-key-btn_step").count() == 0  # the training buttons are hidden
    app.assert_healthy()
