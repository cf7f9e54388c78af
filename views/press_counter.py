"""Every press of Step, Run N and Finish epoch counts, however quickly they come.

Streamlit merges button presses that reach the server while an earlier rerun is still pending
(each press is a one-run trigger, and pending triggers collapse into one). So the browser also
counts the presses, and reports the running totals a moment after the last one; a total is a
state value, which survives merging. The page then carries out any press that was merged away.
The report comes 0.4 s after the last press, after the presses themselves have reached the
server, so a press is never carried out twice. Without a browser (AppTest) nothing reports and
the buttons work as before.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from views import state

COUNTED = ("btn_step", "btn_run_n", "btn_epoch")

# Our own constant script: no user text. The token tells a new server session from the old one,
# so totals counted for an earlier session are never replayed into a new one.
_JS = """
export default function (component) {
  const { setStateValue, data } = component;
  const counted = %s;
  let shared = window.__backpropPresses;
  if (!shared) {
    shared = window.__backpropPresses = { counts: {}, token: null, timer: null, send: null };
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      const holder = button && button.closest("[class*='st-key-']");
      if (!holder || button.disabled) return;
      const key = [...holder.classList].find((c) => c.startsWith("st-key-")).slice(7);
      if (!counted.includes(key)) return;
      shared.counts[key] = (shared.counts[key] || 0) + 1;
      clearTimeout(shared.timer);
      shared.timer = setTimeout(() => shared.send && shared.send(), 400);
    }, true);
  }
  if (shared.token !== data.token) {
    shared.token = data.token;
    shared.counts = {};
  }
  shared.seen = data.seen || {};  // the presses the server has carried out, as of this run
  // Report only while the app is idle, when the browser holds the values of the last run: a
  // report is a rerun too, and one sent mid-run would carry the widgets' older values.
  shared.send = () => {
    const app = document.querySelector("[data-testid='stApp']");
    if (app && app.dataset.testScriptState === "running") {
      clearTimeout(shared.timer);
      shared.timer = setTimeout(() => shared.send(), 150);
      return;
    }
    // Nothing was merged (the usual case): no report, so no extra rerun.
    if (counted.every((key) => (shared.counts[key] || 0) <= (shared.seen[key] || 0))) return;
    setStateValue("presses", { token: shared.token, ...shared.counts });
  };
}
""" % list(COUNTED)  # noqa: UP031 (the braces of the script make % clearer than format)

_counter = st.components.v2.component("backprop_press_counter", js=_JS)


def press_counter() -> None:
    """Mount the counter and carry out presses the server never saw, with a notice."""
    app = state.get()
    result = _counter(
        key="press_counter",
        data={"token": app.session_token, "seen": dict(app.presses)},
        default={"presses": None},
        on_presses_change=lambda: None,
        height=0,
    )
    reported = result.presses if result is not None else None
    if not reported or reported.get("token") != app.session_token:
        return
    merged = []
    for key in COUNTED:
        missing = int(reported.get(key, 0)) - app.presses.get(key, 0)
        for _ in range(max(0, missing)):
            ACTIONS[key]()
        if missing > 0:
            merged.append(f"{missing} of {reported[key]} on {LABELS[key]}")
    if merged:
        app.notice = (
            "Quick presses reached the server merged into fewer reruns and were each carried "
            f"out afterwards ({'; '.join(merged)})."
        )


LABELS = {"btn_step": "Step", "btn_run_n": "Run N", "btn_epoch": "Finish epoch"}
ACTIONS: dict[str, Callable[[], None]] = {
    "btn_step": state.on_step,
    "btn_run_n": state.on_run_n,
    "btn_epoch": state.on_finish_epoch,
}
