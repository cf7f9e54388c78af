"""Run the app with `streamlit run`, find a Chromium and drive the page.

Shared by the browser tests and `make_screenshots.py`; nothing here imports pytest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The whole app has finished a rerun (the way Streamlit's own end-to-end tests wait).
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
HEALTH_TIMEOUT_S = 30.0


def find_chromium() -> str | None:
    """CHROMIUM_PATH if set, else a `chromium` (or Chrome) found on PATH."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def stop(proc: subprocess.Popen) -> None:
    """Terminate the server; kill it if it does not stop within 10 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextlib.contextmanager
def app_server_process(
    log_path: Path | None = None, extra_args: Sequence[str] = ()
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run `streamlit run streamlit_app.py` on a free local port; yield its URL and process.
    `extra_args` go to Streamlit (e.g. "--server.enableAgentApi=true").

    The server's output goes to `log_path` (default test-artifacts/streamlit-server.log) and is
    quoted in the error when the server does not become healthy in time.
    """
    log_path = log_path or ARTIFACTS / "streamlit-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
        *extra_args,
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + HEALTH_TIMEOUT_S
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    stop(proc)
                    output = log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(
                        f"The Streamlit server did not become healthy at {url} within "
                        f"{HEALTH_TIMEOUT_S:.0f} s (exit code {proc.returncode}). Its output:\n"
                        f"{output}"
                    )
                time.sleep(0.2)
            yield url, proc
        finally:
            stop(proc)


@contextlib.contextmanager
def app_server(log_path: Path | None = None, extra_args: Sequence[str] = ()) -> Iterator[str]:
    """`app_server_process`, yielding only the URL."""
    with app_server_process(log_path, extra_args) as (url, _):
        yield url


def wait_until(condition, timeout_s: float = 10.0, interval_s: float = 0.2):
    """Call `condition` until it returns something truthy; return that, or raise on timeout.

    For what the browser draws a little after the script is idle (grids, charts).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout_s} s: {condition}")
        time.sleep(interval_s)


def wait_for_rerun(page, timeout_ms: float = 30_000) -> None:
    """Give the click time to start a rerun, then wait until the script is idle again."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def open_app(page, url: str, timeout_ms: float = 30_000) -> None:
    """Load the app and wait for its first run to finish."""
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    wait_for_rerun(page, timeout_ms)
    button(page, "btn_step").wait_for(timeout=timeout_ms)
    # The page's own CSS (st.html) arrives in a script loaded on demand, up to a few hundred ms
    # after the buttons on a busy machine; until then everything sits 120 px lower.
    page_css = page.locator("[data-testid='stHtml'] style").first
    page_css.wait_for(state="attached", timeout=timeout_ms)


# ---- driving the page ---------------------------------------------------------------------------


def button(page, key: str):
    """The button with this widget key (Streamlit puts `st-key-<key>` on its container).

    A button with a tooltip is rendered twice, one copy hidden: take the visible one.
    """
    return page.locator(f".st-key-{key} button").filter(visible=True)


def play_button(page):
    """The Play/Pause button (one key `btn_play`, or `btn_play` and `btn_pause` in turn)."""
    return (
        page.locator(".st-key-btn_play, .st-key-btn_pause").locator("button").filter(visible=True)
    )


def label_of(button_locator):
    """A button's text without its icon (a Material icon's text is the icon's name)."""
    return button_locator.get_by_test_id("stMarkdownContainer")


def click(page, key: str) -> None:
    button(page, key).click()
    wait_for_rerun(page)


def metric(page, label: str) -> str:
    """The shown value of the `st.metric` with this label."""
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return box.get_by_test_id("stMetricValue").inner_text().strip()


def step_count(page) -> int:
    return int(metric(page, "Step").replace(",", ""))


def show(page, view: str) -> None:
    """Pick a view in the "Show" segmented control."""
    page.locator(".st-key-view").get_by_role("radio", name=view, exact=True).click()
    wait_for_rerun(page)


def grid_text(dataframe) -> tuple[list[str], list[list[str]]]:
    """Column headers and cell texts of an `st.dataframe`.

    The grid is drawn on a canvas; its accessible table (inside the canvas) is only built once
    the canvas has focus, so focus it first.
    """
    canvas = dataframe.get_by_test_id("data-grid-canvas")
    canvas.focus()
    dataframe.locator("th[role='columnheader']").first.wait_for(state="attached")
    headers = [h.strip() for h in dataframe.locator("th[role='columnheader']").all_text_contents()]
    rows = [
        [c.strip() for c in row.locator("td").all_text_contents()]
        for row in dataframe.locator("tbody tr").all()
    ]
    return headers, rows


def time_to_usable(page, url: str, timeout_ms: float = 60_000) -> dict[str, float]:
    """A first visit as a newcomer makes it: seconds from navigation to the first paint of the
    app, to an enabled Step button, and to the first run finished (script idle), and the
    browser's console warnings on the way."""
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    app_at = time.perf_counter()
    page.locator(".st-key-btn_step button:not([disabled])").filter(visible=True).first.wait_for(
        timeout=timeout_ms
    )
    step_at = time.perf_counter()
    wait_for_rerun(page, timeout_ms)
    idle_at = time.perf_counter() - 0.3  # wait_for_rerun's own pause
    return {
        "app": app_at - start,
        "step": step_at - start,
        "idle": max(idle_at - start, step_at - start),
        "warnings": float(len(warnings)),
    }


def story_columns(page, block: str) -> list[str]:
    """The column headers of one block (matrix) of the storyboard."""
    return page.locator(f"figure[data-block='{block}'] th[scope='col']").all_inner_texts()


def story_rows(page, block: str) -> list[list[str]]:
    """The row labels (if any) and cell texts of one block of the storyboard, row by row."""
    rows = page.locator(f"figure[data-block='{block}'] tbody tr:not(.more)")
    return [row.locator("th, td").all_inner_texts() for row in rows.all()]


def run_steps(page, n: int) -> None:
    """Type n into the Steps N box and press Run N."""
    box = page.locator(".st-key-run_n input")
    box.fill(str(n))
    box.press("Enter")
    wait_for_rerun(page)
    click(page, "btn_run_n")


def choose_in_menu(page, view: str) -> None:
    """Pick a view in presenter mode's view menu."""
    page.locator(".st-key-view_menu").click()
    page.get_by_role("option", name=view).click()
    wait_for_rerun(page)
