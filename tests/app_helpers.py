"""Helpers for the AppTest suite: start the app, press its controls, read what it shows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Element, Node

APP_FILE = Path(__file__).resolve().parent.parent / "streamlit_app.py"
TIMEOUT = 60

# "##### Z1 · hidden pre-activations · shape 16×3"
HEADER = re.compile(r"^#{5} (?P<name>.+?) · .+ · shape (?P<rows>\d+)×(?P<cols>\d+)$")
BATCH_ROW = re.compile(r"^(?P<pos>\d+) · #(?P<idx>\d+)$")
FORWARD = ("X | y", "Z1", "A1", "Z2 = A2")
BACKWARD = ("δ2", "δ1", "∇W2", "∇b2", "∇W1", "∇b1")


def ok(at: AppTest) -> AppTest:
    """The app ran without an exception (AppTest records exceptions instead of raising)."""
    assert not at.exception, "\n\n".join(str(e.value) for e in at.exception)
    return at


def new_app(view: str | None = "Forward pass") -> AppTest:
    """The app after its first run, showing `view`: most tests read the matrices of the Forward
    and Backward views as tables (None keeps the page's own default, the storyboard)."""
    at = ok(AppTest.from_file(str(APP_FILE), default_timeout=TIMEOUT).run())
    return at if view is None else show(at, view)


def run(at: AppTest) -> AppTest:
    return ok(at.run())


def click(at: AppTest, key: str) -> AppTest:
    return ok(at.button(key=key).click().run())


def step(at: AppTest, times: int = 1) -> AppTest:
    for _ in range(times):
        click(at, "btn_step")
    return at


def run_n(at: AppTest, n: int) -> AppTest:
    ok(at.number_input(key="run_n").set_value(n).run())
    return click(at, "btn_run_n")


def show(at: AppTest, view: str) -> AppTest:
    return ok(at.segmented_control(key="view").set_value(view).run())


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    return ok(at.file_uploader(key="upload").set_value((name, data, "text/csv")).run())


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def step_count(at: AppTest) -> int:
    return int(metrics(at)["Step"].replace(",", ""))


def shown_text(markdown: object) -> str:
    """What a Markdown source shows as text: backslash escapes and word joiners removed."""
    return re.sub(r"\\(.)", r"\1", str(markdown)).replace("\u2060", "")


def errors(at: AppTest) -> list[str]:
    return [shown_text(e.value) for e in at.error]


def infos(at: AppTest) -> list[str]:
    return [shown_text(e.value) for e in at.info]


def walk(node: Node) -> Iterator[Node]:
    """The leaf elements under `node`, in page order."""
    if isinstance(node, Block):
        for key in sorted(node.children):
            yield from walk(node.children[key])
    else:
        yield node


@dataclass
class Shown:
    """A table on the page with the heading (or caption) above it."""

    name: str
    frame: pd.DataFrame
    element: Element
    header_shape: tuple[int, int] | None = None
    latex: str = ""


def tables(at: AppTest) -> dict[str, Shown]:
    """Every table of the main area by the name in the heading or caption just above it."""
    out: dict[str, Shown] = {}
    name, shape, latex = "", None, ""
    for el in walk(at.main):
        kind = type(el).__name__
        if kind == "Markdown" and (match := HEADER.match(str(el.value))):
            name, shape, latex = match["name"], (int(match["rows"]), int(match["cols"])), ""
        elif kind == "Caption":
            name, shape, latex = str(el.value), None, ""
        elif kind == "Latex" and not latex:
            latex = str(el.value)
        elif kind == "Dataframe":
            out[name] = Shown(name, el.value, el, shape, latex)
    return out


def frame(at: AppTest, name: str) -> pd.DataFrame:
    return tables(at)[name].frame


def batch_indices(at: AppTest) -> list[int]:
    """Training-set rows of the batch shown, from the row labels of X | y ("3 · #117")."""
    labels = frame(at, "X | y").index
    return [int(BATCH_ROW.match(str(label))["idx"]) for label in labels]


def latex_value(latex: str) -> float:
    """The number after the last '=' of a LaTeX line, e.g. '... = -1.286\\times10^{-3}'."""
    text = latex.strip().strip("$").strip().rsplit("=", 1)[1].strip()
    text = re.sub(r"\\times\s*10\^\{(-?\d+)\}", r"e\1", text)
    return float(text.replace("{", "").replace("}", "").strip("() "))


def csv_bytes(rows: int = 30) -> bytes:
    """A small, exactly representable table: c depends on a and b."""
    lines = ["a,b,c"]
    for i in range(rows):
        a, b = i % 7 - 3, (i * 5) % 11 - 5
        lines.append(f"{a},{b},{2 * a - b + 0.5 * (i % 3)}")
    return ("\n".join(lines) + "\n").encode()


def app_state(at: AppTest):
    """The session's App record (views.state.App): settings, page choices and the run."""
    return at.session_state["app"]


def setting(at: AppTest, key: str):
    """One setting's current value (tuples for the list settings)."""
    return getattr(app_state(at).config, key)


def playing(at: AppTest) -> bool:
    return app_state(at).playing


def explain_select(at: AppTest, axis: str):
    """The Row or Column selectbox of Explain a number (its key names the matrix and its size)."""
    (box,) = [s for s in at.selectbox if str(s.key).startswith(f"explain_{axis}_")]
    return box


def bound(at: AppTest, kind: str, key: str):
    """The widget of this kind bound under `key`: a widget the app re-keys when it changes the
    value itself (views.state.bind's `rekey`) is `key`, then `key__1`, `key__2`, ..."""
    found = [w for w in getattr(at, kind) if w.key == key or str(w.key).startswith(f"{key}__")]
    if not found:
        return None
    return max(found, key=lambda w: int(str(w.key).partition("__")[2] or 0))


def storyboard_data(at: AppTest) -> dict | None:
    """The data the storyboard component was drawn with on the last run, or None."""
    for el in walk(at.main):
        if getattr(el, "key", None) == "storyboard":
            return json.loads(el.proto.json)
    return None


def story_blocks(data: dict) -> dict[str, dict]:
    """Every block of the storyboard (also those inside groups) by its id."""
    out: dict[str, dict] = {}
    for band in data["bands"]:
        for item in band["items"]:
            for block in item["blocks"] if item["kind"] == "group" else [item]:
                if block["kind"] == "block":
                    out[block["id"]] = block
    return out
