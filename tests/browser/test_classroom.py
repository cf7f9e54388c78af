"""What only a browser shows of the classroom features: presenter mode's sections and way out
(its sizes are in test_storyboard.py)."""

from __future__ import annotations

import pytest

from .server import button, wait_for_rerun

pytestmark = pytest.mark.browser


def test_a_presenter_link_hides_the_named_sections_and_shows_the_way_out(app, app_url):
    page = app.page
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_role("heading", name="Data").count() == 1

    page.goto(f"{app_url}/?present=1&hide=data,controls")  # no Step button to wait for here
    leave = button(page, "btn_leave_presenting")
    leave.wait_for()
    wait_for_rerun(page)
    assert sidebar.get_by_role("heading", name="Data").count() == 0
    assert sidebar.get_by_role("heading", name="Network").count() == 1
    assert page.locator(".st-key-btn_step").count() == 0  # the training buttons are hidden
    app.assert_healthy()
    leave.click()
    wait_for_rerun(page)
    sidebar.get_by_role("heading", name="Data").wait_for()
    assert button(page, "btn_step").count() == 1
    assert "present" not in page.url
