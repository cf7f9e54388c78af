"""Fixtures for the real-browser tests: one `streamlit run` server, one Chromium, a new page each.

Without a Chromium binary the tests are skipped, except under CI (CI=true), where they fail:
CI must never pass without having run them.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from .server import ARTIFACTS, LAUNCH_ARGS, app_server, find_chromium, open_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

DESKTOP = {"width": 1400, "height": 1000}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run, not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        where = os.environ.get("CHROMIUM_PATH")
        _unavailable(
            f"CHROMIUM_PATH={where!r} is not a file."
            if where
            else "No Chromium found: install chromium (Debian/Ubuntu: apt-get install chromium) "
            "or set CHROMIUM_PATH to a Chromium/Chrome binary."
        )
    return path


@pytest.fixture(scope="session")
def app_url(chromium_path: str) -> Iterator[str]:
    """The URL of the app, served by `streamlit run` for the whole session."""
    with app_server() as url:
        yield url


@pytest.fixture(scope="session")
def chromium(chromium_path: str):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The playwright package is not installed (pip install playwright).")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@dataclass
class App:
    """A page with the app loaded in its own session, and what its console reported."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def assert_healthy(self) -> None:
        """No exception box in the app and no error in the browser console."""
        exceptions = self.page.get_by_test_id("stException")
        assert exceptions.count() == 0, exceptions.first.inner_text()
        assert self.errors == []


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")


@pytest.fixture
def open_page(chromium, app_url: str, request):
    """Call with a viewport to get a fresh context (a new Streamlit session) with the app loaded.

    Every page is screenshotted into test-artifacts/ when its test ends, passed or failed.
    """
    opened: list[tuple[object, App]] = []

    def _open(viewport: dict | None = None, **context_args) -> App:
        context = chromium.new_context(viewport=viewport or DESKTOP, **context_args)
        page = context.new_page()
        page.set_default_timeout(30_000)
        app = App(page)
        page.on(
            "console",
            lambda msg: app.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        page.on("pageerror", lambda err: app.errors.append(f"page error: {err}"))
        opened.append((context, app))
        open_app(page, app_url)
        return app

    yield _open
    ARTIFACTS.mkdir(exist_ok=True)
    for i, (context, app) in enumerate(opened):
        suffix = f"-{i + 1}" if len(opened) > 1 else ""
        path = ARTIFACTS / f"{_artifact_name(request.node.nodeid)}{suffix}.png"
        with contextlib.suppress(Exception):  # a crashed page must not hide the test's result
            app.page.screenshot(path=path)
        context.close()


@pytest.fixture
def app(open_page) -> App:
    """The app in a desktop-sized page of its own."""
    return open_page()
