"""Start the app with `streamlit run` and find a Chromium: shared by the tests and the screenshots.

Nothing here imports pytest, so `make_screenshots.py` can use it as a plain script.
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
from collections.abc import Iterator
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
def app_server(log_path: Path | None = None) -> Iterator[str]:
    """Run `streamlit run streamlit_app.py` on a free local port; yield its URL.

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
            yield url
        finally:
            stop(proc)


def wait_for_rerun(page, timeout_ms: float = 30_000) -> None:
    """Give the click time to start a rerun, then wait until the script is idle again."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def open_app(page, url: str, timeout_ms: float = 30_000) -> None:
    """Load the app and wait for its first run to finish."""
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    wait_for_rerun(page, timeout_ms)
