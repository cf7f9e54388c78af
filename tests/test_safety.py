"""Safety: no pickles or eval of user data, user text never rendered as HTML, XSRF stays on."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from app_helpers import new_app, ok, step, upload, walk

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "settings", "charts", "views")
CODE = [*(p for pkg in PACKAGES for p in ROOT.glob(f"{pkg}/*.py")), ROOT / "streamlit_app.py"]


def test_no_code_path_unpickles_or_evaluates():
    risky = re.compile(r"\bpickle\b|\beval\(|\bexec\(|allow_pickle\s*=\s*True|read_pickle")
    for path in CODE:
        assert not risky.search(path.read_text(encoding="utf-8")), path.name


def test_html_is_only_ever_our_own_constant_css():
    for path in CODE:
        text = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in text, path.name
        for call in re.findall(r"st\.html\(([^)]*)\)", text):
            assert call in ("PAGE_CSS", "PRESENTER_CSS"), (path.name, call)


def test_xsrf_protection_stays_on_and_usage_statistics_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["maxUploadSize"] <= 200
    assert config["client"]["showErrorDetails"] in ("type", "none")  # no tracebacks for visitors


def test_column_names_from_a_file_are_shown_as_text_not_markup():
    evil = "<img src=x onerror=alert(1)>"
    csv = f"{evil},**bold**,target\n" + "".join(f"{i},{i * 2},{i % 7}\n" for i in range(40))
    at = new_app()
    ok(at.radio(key="source").set_value("Upload CSV").run())
    upload(at, "evil.csv", csv.encode())
    step(at)
    for element in walk(at.main):
        if type(element).__name__ in ("Markdown", "Caption"):
            value = str(element.value)
            assert "<img" not in value, value  # escaped as \<img in Markdown
            assert "**bold**" not in value, value
    assert any(evil in str(c) for c in tables_columns(at))


def tables_columns(at) -> list[str]:
    return [c for frame in at.dataframe for c in frame.value.columns]


def test_the_storyboard_script_writes_text_never_html():
    """Feature names from an uploaded file reach the storyboard: it must set them as text."""
    script = (ROOT / "views" / "storyboard.js").read_text(encoding="utf-8")
    assert "textContent" in script
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
