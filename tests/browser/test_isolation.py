"""Two students on one server: neither ever sees the other's data, state or downloads."""

from __future__ import annotations

from pathlib import Path

import pytest

from .server import IDLE, click, show, step_count, story_columns, wait_for_rerun
from .test_upload import write_csv

pytestmark = pytest.mark.browser


def download_text(page, key: str) -> str:
    """Press a download button; its file is built on the server only when pressed."""
    page.wait_for_selector(IDLE)
    button = page.locator(f".st-key-{key} button").filter(visible=True)
    button.wait_for()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    return Path(info.value.path()).read_text(encoding="utf-8")


def test_two_sessions_keep_their_own_data_settings_and_downloads(open_page, tmp_path):
    teacher, student = open_page(), open_page()
    csv = tmp_path / "flats.csv"
    write_csv(csv)

    # The teacher uploads a file and trains three steps.
    page = teacher.page
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stRadio").get_by_text("Upload CSV", exact=True).click()
    wait_for_rerun(page)
    sidebar.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(csv)
    sidebar.get_by_text("flats.csv").first.wait_for()
    wait_for_rerun(page)
    for _ in range(3):
        click(page, "btn_step")

    # The student, on the same server, has the generated default data and one step.
    click(student.page, "btn_step")
    assert step_count(student.page) == 1 and step_count(teacher.page) == 3
    student_headers = story_columns(student.page, "X")
    teacher_headers = story_columns(teacher.page, "X")
    assert "x1 floor_area" in teacher_headers
    assert not any("floor_area" in h for h in student_headers)

    # Each one's history download holds only their own steps.
    show(teacher.page, "Export")
    show(student.page, "Export")
    teacher_history = download_text(teacher.page, "dl_history")
    student_history = download_text(student.page, "dl_history")
    assert len(teacher_history.strip().splitlines()) == 1 + 3
    assert len(student_history.strip().splitlines()) == 1 + 1
    assert "floor_area" not in student.page.content()
    teacher.assert_healthy()
    student.assert_healthy()
