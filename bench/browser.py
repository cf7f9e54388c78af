"""Click-to-rendered time of Step in a real browser against `streamlit run`.

`python -m bench.browser [--quick]`. Needs the playwright package and a Chromium binary
(CHROMIUM_PATH, else `chromium` on PATH).
"""

from __future__ import annotations

import time

from bench import CpuMeter, check, cli, fmt, median, p95, result, table
from tests.browser.server import LAUNCH_ARGS, app_server_process, find_chromium, time_to_usable

TARGET_MS = 400
FIRST_LOAD_TARGET_S = 3.0
VIEWPORT = {"width": 1400, "height": 1000}
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
STEP_BUTTON = ".st-key-btn_step button"

# Installed once per page: remembers when the last click reached the page.
INSTALL_JS = """() => {
  if (window.__bench) return;
  window.__bench = {clickAt: null, done: null, longTasks: []};
  document.addEventListener('click', () => { window.__bench.clickAt = performance.now(); }, true);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push([e.startTime, e.duration]);
  }).observe({type: 'longtask', buffered: false});
}"""

# The text of the "Step" metric (as shown, e.g. "1,024"), or null.
STEP_TEXT_JS = """() => {
  for (const m of document.querySelectorAll("[data-testid='stMetric']")) {
    const label = m.querySelector("[data-testid='stMetricLabel']");
    if (label && label.textContent.trim() === 'Step') {
      const v = m.querySelector("[data-testid='stMetricValue']");
      return v ? v.textContent.trim() : null;
    }
  }
  return null;
}"""

# Before a click: a promise (kept on window) that resolves one animation frame after the Step
# metric shows `want` and the app's script state is notRunning, to the ms since the click: in
# total, until the script state turned "running", until the new count was there and idle, and
# the main thread's long tasks (over 50 ms each) in that time.
ARM_JS = (
    """(want) => {
  const stepText = """
    + STEP_TEXT_JS
    + """;
  const ready = () => {
    const app = document.querySelector("[data-testid='stApp']");
    return stepText() === want && app && app.dataset.testScriptState === 'notRunning';
  };
  const b = window.__bench;
  b.clickAt = null;
  b.longTasks = [];
  let runningAt = null;
  b.done = new Promise((resolve) => {
    const finish = (idleAt) => requestAnimationFrame(() => {
      const end = performance.now();
      const busy = b.longTasks.filter(([t]) => t >= b.clickAt).reduce((s, [, d]) => s + d, 0);
      resolve({total: end - b.clickAt, toRunning: (runningAt ?? idleAt) - b.clickAt,
               toIdle: idleAt - b.clickAt, longTasks: busy});
    });
    const observer = new MutationObserver(() => {
      if (b.clickAt === null) return;
      const app = document.querySelector("[data-testid='stApp']");
      if (runningAt === null && app && app.dataset.testScriptState === 'running') {
        runningAt = performance.now();
      }
      if (ready()) { observer.disconnect(); finish(performance.now()); }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true,
                                     attributes: true});
  });
}"""
)
WAIT_JS = "() => window.__bench.done"
COUNT_JS = """() => {
  const n = (sel) => document.querySelectorAll(sel).length;
  return {charts: n("[data-testid='stVegaLiteChart']"), tables: n("[data-testid='stDataFrame']"),
          formulas: n('.katex'), canvases: n('canvas'), svgs: n('svg'), nodes: n('*')};
}"""
HEALTH_TIMEOUT_S = 60.0


def shown(count: int) -> str:
    """How the Step metric shows a count."""
    return f"{count:,}"


def open_app(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.locator(STEP_BUTTON).first.wait_for(timeout=60_000)
    page.wait_for_function(STEP_TEXT_JS, timeout=60_000)
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.evaluate(INSTALL_JS)


def step_once(page, count: int) -> dict[str, float]:
    """Click Step at step `count`; the in-page times (see ARM_JS) and `driver`, the ms from the
    driver's click call to the new count rendered."""
    page.evaluate(ARM_JS, shown(count + 1))
    start = time.perf_counter()
    page.locator(STEP_BUTTON).filter(visible=True).click()
    times = page.evaluate(WAIT_JS)
    times["driver"] = (time.perf_counter() - start) * 1e3
    return times


def run(quick: bool = False) -> dict:
    res = result("browser", "Browser: Step click to rendered (Chromium, `streamlit run`)")
    chromium = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        check(res, "Step click to rendered", "—", f"≤ {TARGET_MS} ms", None)
        res["notes"].append("Not measured: no Chromium, or the playwright package is missing.")
        return res
    warmup, clicks = 3, 15 if quick else 40
    samples: dict[str, list[float]] = {}
    with app_server_process() as (url, server), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.set_default_timeout(60_000)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            open_app(page, url)
            cpu = CpuMeter(server.pid)
            for i in range(warmup + clicks):
                if i == warmup:
                    cpu.start()
                times = step_once(page, i)
                if i >= warmup:
                    for name, value in times.items():
                        samples.setdefault(name, []).append(value)
            cpu.poll()
            final = page.evaluate(STEP_TEXT_JS)
            counts = page.evaluate(COUNT_JS)
            exceptions = page.get_by_test_id("stException").count()
            loads = []
            for _ in range(3 if quick else 8):  # each a new session, as a newcomer's first visit
                context = browser.new_context(viewport=VIEWPORT)
                loads.append(time_to_usable(context.new_page(), url))
                context.close()
        finally:
            browser.close()
    if final != shown(warmup + clicks) or exceptions or errors:
        raise RuntimeError(f"after the clicks: Step {final}, {exceptions} exceptions, {errors}")
    first = [load["step"] for load in loads[1:]]  # the first load also warms the server
    check(
        res,
        "First visit: navigation to a usable Step button",
        f"{fmt(median(first))} s",
        f"≤ {FIRST_LOAD_TARGET_S:g} s",
        median(first) <= FIRST_LOAD_TARGET_S,
        f"{fmt(max(first))} s",
    )
    table(
        res,
        f"First visits ({len(loads)} new sessions; the first one after the server started):",
        ["", "first visit", "median of the others", "max of the others"],
        [
            [what, f"{fmt(loads[0][key])}", f"{fmt(median([x[key] for x in loads[1:]]))}",
             f"{fmt(max(x[key] for x in loads[1:]))}"]
            for what, key in (
                ("app painted, s", "app"),
                ("**Step button usable, s**", "step"),
                ("first run finished, s", "idle"),
                ("console warnings", "warnings"),
            )
        ],
    )  # fmt: skip
    in_page = samples["total"]
    server_cpu, browser_cpu = cpu.used()
    check(
        res,
        "Step click to rendered (in the page)",
        f"{fmt(median(in_page))} ms",
        f"≤ {TARGET_MS} ms",
        median(in_page) <= TARGET_MS,
        f"{fmt(p95(in_page))} ms",
    )
    table(
        res,
        f"{clicks} clicks after {warmup} warm-up clicks, default settings, one session:",
        ["", "median ms", "p95 ms", "min ms", "max ms"],
        [
            [name, fmt(median(v)), fmt(p95(v)), fmt(min(v)), fmt(max(v))]
            for name, v in (
                ("**click event → rendered** (the target's measure)", in_page),
                ("click event → script state running", samples["toRunning"]),
                ("click event → new count shown, script idle", samples["toIdle"]),
                ("main-thread long tasks (> 50 ms) in that time", samples["longTasks"]),
                ("driver's click call → rendered", samples["driver"]),
            )
        ],
    )
    table(
        res,
        "CPU time per click (all clicks' total divided by the clicks):",
        ["server process", "browser processes", "what the page shows after a step"],
        [
            [
                f"{fmt(server_cpu / clicks * 1e3)} ms",
                f"{fmt(browser_cpu / clicks * 1e3)} ms",
                f"{counts['charts']} Vega-Lite charts, {counts['tables']} dataframes, "
                f"{counts['formulas']} formulas; {counts['canvases']} canvases, {counts['svgs']} "
                f"SVGs, {counts['nodes']:,} DOM nodes",
            ]
        ],
    )
    res["notes"] += [
        "In the page: from the click event (a capturing listener) to one animation frame after "
        "the Step metric shows the new count and the app's script state is notRunning (a "
        "MutationObserver). The driver's measure adds Playwright's actionability checks and "
        "round trips.",
        "A Step click reruns only the training panel (a fragment), not the sidebar.",
        f"Headless Chromium with {', '.join(LAUNCH_ARGS)}; viewport "
        f"{VIEWPORT['width']}×{VIEWPORT['height']}; server and browser share the machine.",
    ]
    return res


def main() -> None:
    cli(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
