"""User text (file names, column names, link values) shows as plain text: no link, image or
formatting that the text asks for ever reaches the page."""

from __future__ import annotations

import pytest

from .server import open_app, wait_for_rerun

pytestmark = pytest.mark.browser

IMAGE_URL = "http://127.0.0.1:9/col.png"
HOSTILE_HEADER = f"![t]({IMAGE_URL}) **bold**"
AUTOLINK_HEADER = "www.example.com/login"
MAIL_HEADER = "student@example.org"


def notes(where, *test_ids: str):
    """The elements where the page quotes user text (headings carry anchor links, and our own
    info boxes bold a button's name, so the check looks only where user text goes)."""
    return where.locator(", ".join(f"[data-testid='{test_id}']" for test_id in test_ids))


def assert_inert(page, where, texts: list[str]) -> None:
    """The texts are shown as typed (the invisible word joiners that keep "www." and "http:"
    from becoming links aside), and nothing inside `where` became a link, image or bold."""
    where.first.wait_for()
    shown = " ".join(where.all_inner_texts()).replace("\u2060", "")
    for text in texts:
        assert text in shown, (text, shown[:2000])
    assert where.locator("a").count() == 0, where.locator("a").first.inner_html()
    assert where.locator("img").count() == 0
    assert where.locator("strong").count() == 0


def test_link_values_in_notices_are_plain_text(open_page, app_url):
    app = open_page()
    page = app.page
    open_app(
        page,
        f"{app_url}/?fn=www.example.com/login&sample=http://2130706433/login&target={MAIL_HEADER}",
    )
    alerts = page.get_by_test_id("stAlert")
    alerts.first.wait_for()
    assert_inert(
        page,
        notes(page.get_by_test_id("stMain"), "stAlertContentWarning"),
        ["www.example.com", "2130706433/login"],
    )


def test_file_and_column_names_from_an_upload_are_plain_text(app, tmp_path):
    page = app.page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    header = f"{HOSTILE_HEADER},{AUTOLINK_HEADER},{MAIL_HEADER},note,target"
    rows = [f"{i},{i % 3},{i % 5},word{i},{2 * i}" for i in range(30)]
    good = tmp_path / "good.csv"
    good.write_text("\n".join([header, *rows]) + "\n")
    bad = tmp_path / "[x](https:__example.com) www.evil.com.csv"
    bad.write_bytes(bytes(range(256)) * 4)

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stRadio").get_by_text("Upload CSV", exact=True).click()
    wait_for_rerun(page)
    dropzone = sidebar.get_by_test_id("stFileUploaderDropzoneInput")
    dropzone.set_input_files(good)
    wait_for_rerun(page)
    sidebar.get_by_text("30 usable rows").wait_for()
    dropzone.set_input_files(bad)
    wait_for_rerun(page)
    sidebar.get_by_test_id("stAlertContentError").wait_for()
    assert_inert(
        page,
        notes(sidebar, "stAlertContentError", "stCaptionContainer"),
        ["www.evil.com.csv", "30 usable rows"],
    )
    assert not [url for url in requests if "127.0.0.1:9" in url]
    app.assert_healthy()
