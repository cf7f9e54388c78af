"""Server-side time of the page's reruns (AppTest) and the memory one session holds.

`python -m bench.page [--quick] [--profile]`; --profile prints where the script thread spends
the Step reruns (cProfile inside the script runner).
"""

from __future__ import annotations

import contextlib
import cProfile
import gc
import io
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

from bench import APP_FILE, check, cli, fmt, median, p95, result, rss_mb, table

TIMEOUT = 120
STEP_TARGET_MS, UPLOAD_TARGET_MS, MEMORY_TARGET_MB = 120, 300, 150
UPLOAD_ROWS, HISTORY_STEPS = 200_000, 10_000


class ScriptClock:
    """Times (and optionally profiles) every script run inside the script-runner thread."""

    def __init__(self) -> None:
        self.runs: list[float] = []
        self.profiler: cProfile.Profile | None = None
        self.profiles: dict[str, cProfile.Profile] = {}
        self.profile_names: set[str] = set()

    @contextlib.contextmanager
    def installed(self) -> Iterator[ScriptClock]:
        original = script_runner.ScriptRunner._run_script
        clock = self

        def timed(runner, rerun_data) -> None:
            profiler = clock.profiler
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            try:
                original(runner, rerun_data)
            finally:
                if profiler:
                    profiler.disable()
                clock.runs.append((time.perf_counter() - start) * 1e3)

        script_runner.ScriptRunner._run_script = timed
        try:
            yield self
        finally:
            script_runner.ScriptRunner._run_script = original


def ok(at: AppTest) -> AppTest:
    if at.exception:
        raise RuntimeError("The app raised: " + "\n".join(str(e.value) for e in at.exception))
    return at


def new_app() -> AppTest:
    return ok(AppTest.from_file(str(APP_FILE), default_timeout=TIMEOUT).run())


def step_count(at: AppTest) -> int:
    return int(next(m.value for m in at.metric if m.label == "Step").replace(",", ""))


class Sampler:
    """Collects wall time (AppTest's whole .run()) and script-thread time per action."""

    def __init__(self, clock: ScriptClock) -> None:
        self.clock = clock
        self.wall: dict[str, list[float]] = {}
        self.script: dict[str, list[float]] = {}

    def time(self, name: str, action: Callable[[], AppTest]) -> AppTest:
        runs_before = len(self.clock.runs)
        if name in self.clock.profile_names:
            self.clock.profiler = self.clock.profiles.setdefault(name, cProfile.Profile())
        start = time.perf_counter()
        try:
            at = ok(action())
        finally:
            self.clock.profiler = None
        self.wall.setdefault(name, []).append((time.perf_counter() - start) * 1e3)
        self.script.setdefault(name, []).append(sum(self.clock.runs[runs_before:]))
        return at

    def rows(self, names: list[str], target_ms: float) -> list[list[str]]:
        return [
            [
                name,
                str(len(self.wall[name])),
                fmt(median(self.wall[name])),
                fmt(p95(self.wall[name])),
                fmt(median(self.script[name])),
                f"≤ {target_ms}" if target_ms else "—",
            ]
            for name in names
        ]


COLUMNS = ["rerun", "reps", "median ms", "p95 ms", "script thread, median ms", "target ms"]


def default_page(res: dict, sampler: Sampler, reps: int) -> None:
    at = new_app()
    for _ in range(3):  # warm-up: imports, caches, first charts
        ok(at.button(key="btn_step").click().run())
    ok(at.button(key="btn_run_n").click().run())
    before = step_count(at)
    for _ in range(reps):
        sampler.time("Step", lambda: at.button(key="btn_step").click().run())
    for _ in range(reps):
        sampler.time("Run N (N = 100)", lambda: at.button(key="btn_run_n").click().run())
    ok(at.button(key="btn_play").click().run())
    ok(at.run())
    for _ in range(reps):
        sampler.time("Play tick (1 step)", at.run)
    ok(at.button(key="btn_pause").click().run())
    expected = before + reps + 100 * reps + reps + 2  # the Play click and the run after it tick too
    if step_count(at) != expected:
        raise RuntimeError(f"the page shows step {step_count(at)}, expected {expected}")
    names = ["Step", "Run N (N = 100)", "Play tick (1 step)"]
    table(res, "Default settings (200 generated rows, batch 16):", COLUMNS, sampler.rows(names, 0))
    wall = sampler.wall["Step"]
    check(
        res,
        "Step rerun, default settings",
        f"{fmt(median(wall))} ms",
        f"≤ {STEP_TARGET_MS} ms",
        median(wall) <= STEP_TARGET_MS,
        f"{fmt(p95(wall))} ms",
    )
    for name in names[1:]:
        wall = sampler.wall[name]
        check(
            res,
            f"{name} rerun, default settings",
            f"{fmt(median(wall))} ms",
            f"(≤ {STEP_TARGET_MS} ms, as Step)",
            median(wall) <= STEP_TARGET_MS,
            f"{fmt(p95(wall))} ms",
        )


def write_csv(folder: Path, rows: int = UPLOAD_ROWS) -> bytes:
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (rows, 2))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] + 0.05 * rng.standard_normal(rows)
    path = folder / "upload.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="x1,x2,y", comments="")
    return path.read_bytes()


def upload_session(data: bytes, sampler: Sampler | None) -> AppTest:
    """A new session that uploads the CSV; the upload's rerun is timed when a sampler is given."""
    at = new_app()
    ok(at.radio(key="source").set_value("Upload CSV").run())

    def upload() -> AppTest:
        return at.file_uploader(key="upload").set_value(("upload.csv", data, "text/csv")).run()

    at = sampler.time("upload → interactive", upload) if sampler else ok(upload())
    rows = at.session_state["app"].run.experiment.dataset.X.shape[0]
    if rows != UPLOAD_ROWS:
        raise RuntimeError(f"the upload gave {rows} rows, expected {UPLOAD_ROWS}")
    return at


def upload_page(res: dict, sampler: Sampler, data: bytes, reps: int, sessions: int) -> None:
    for _ in range(sessions):
        at = upload_session(data, sampler)
    views = list(at.segmented_control(key="view").options)
    ok(at.button(key="btn_step").click().run())
    for _ in range(reps):
        sampler.time("Step", lambda: at.button(key="btn_step").click().run())
    for _ in range(reps):
        sampler.time("Run N (N = 100)", lambda: at.button(key="btn_run_n").click().run())
    cycles = max(1, reps // 5)
    for _ in range(cycles):
        for view in [*views[1:], views[0]]:
            sampler.time(
                f"view: {view}", lambda v=view: at.segmented_control(key="view").set_value(v).run()
            )
    names = ["upload → interactive", "Step", "Run N (N = 100)"] + [f"view: {v}" for v in views]
    table(
        res,
        f"After uploading a {UPLOAD_ROWS:,}-row CSV ({len(data) / 1e6:.1f} MB; 2 features + "
        f"target; upload timed in {sessions} new sessions, each view {cycles}×):",
        COLUMNS,
        sampler.rows(names, UPLOAD_TARGET_MS),
    )
    for name in names:
        wall = sampler.wall[name]
        check(
            res,
            f"{UPLOAD_ROWS:,}-row upload: {name}",
            f"{fmt(median(wall))} ms",
            f"≤ {UPLOAD_TARGET_MS} ms",
            median(wall) <= UPLOAD_TARGET_MS,
            f"{fmt(p95(wall))} ms",
        )


def session_memory(build: Callable[[], AppTest]) -> dict[str, float]:
    """Memory traced while building one session and training it HISTORY_STEPS steps."""
    gc.collect()
    rss_before = rss_mb()
    tracemalloc.start()
    at = build()
    ok(at.number_input(key="run_n").set_value(HISTORY_STEPS).run())
    ok(at.button(key="btn_run_n").click().run())
    ok(at.button(key="btn_step").click().run())
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    run = at.session_state["app"].run
    if run.trainer.step_count != HISTORY_STEPS + 1:
        raise RuntimeError(f"the session holds {run.trainer.step_count} steps")
    exp = run.experiment
    arrays = [exp.dataset.X, exp.dataset.y, exp.X_train, exp.y_train, exp.X_test, exp.y_test]
    arrays += [exp.split.X_train, exp.split.y_train, exp.split.X_test, exp.split.y_test]
    # History chunks in memory maps of their own are not seen by tracemalloc: added here.
    mapped = sum(c.nbytes for c in run.trainer.history._chunks if not c.flags.owndata)
    out = {
        "traced": (current + mapped) / 1e6,
        "peak": peak / 1e6,
        "history": run.trainer.history.nbytes / 1e6,
        "arrays": sum(a.nbytes for a in arrays) / 1e6,
        "rss": rss_mb() - rss_before,
    }
    del at, run, exp, arrays
    gc.collect()
    out["left"] = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    return out


def memory(res: dict, data: bytes) -> None:
    rows, worst = [], 0.0
    for name, build in (
        ("default settings (200 generated rows)", new_app),
        (f"{UPLOAD_ROWS:,}-row upload", lambda: upload_session(data, None)),
    ):
        m = session_memory(build)
        worst = max(worst, m["traced"])
        rows.append(
            [
                name,
                fmt(m["traced"]),
                fmt(m["peak"]),
                fmt(m["history"]),
                fmt(m["arrays"]),
                fmt(m["rss"]),
                fmt(m["left"]),
            ]
        )
    table(
        res,
        f"Memory of one session holding a {HISTORY_STEPS:,}-step history (MB):",
        [
            "session",
            "traced (tracemalloc)",
            "traced peak",
            "history arrays",
            "data arrays",
            "process RSS growth",
            "still traced after the session is dropped",
        ],
        rows,
    )
    check(
        res,
        f"Memory of a session with a {HISTORY_STEPS:,}-step history (the larger of the two)",
        f"{fmt(worst)} MB",
        f"≤ {MEMORY_TARGET_MB} MB",
        worst <= MEMORY_TARGET_MB,
    )


def run(quick: bool = False, profile: bool = False) -> dict:
    res = result("page", "Page: server-side reruns (AppTest) and session memory")
    reps = 15 if quick else 30
    clock = ScriptClock()
    if profile:
        clock.profile_names = {"Step", "upload → interactive", "view: Forward pass"}
    with clock.installed(), tempfile.TemporaryDirectory() as folder:
        data = write_csv(Path(folder))
        ok(new_app().button(key="btn_step").click().run())  # warm-up: imports and caches
        memory(res, data)
        default_page(res, Sampler(clock), reps)
        if profile:
            report(clock.profiles.pop("Step"), "Step, default settings")
        upload_page(res, Sampler(clock), data, reps, 2 if quick else 3)
        for name, profiler in clock.profiles.items():
            report(profiler, f"{name}, after the {UPLOAD_ROWS:,}-row upload")
    res["notes"] += [
        "Wall time is AppTest's whole `.run()`: the script plus AppTest's own work (a new "
        "script-runner thread, turning the messages into an element tree). The script-thread "
        "column is the script run alone. AppTest reruns the whole script on every click; in the "
        "browser a click inside the training panel reruns only that fragment.",
        f"Medians over {reps} repetitions after warm-up; p95 is nearest-rank.",
        "Memory: Python allocations traced while the session was built and trained (numpy "
        "arrays included), with AppTest's last element tree; RSS growth is of this process "
        "and includes memory the allocator keeps.",
    ]
    return res


def report(profiler: cProfile.Profile, title: str) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(20)
    stats.print_callers("thread.py.*submit")
    sys.stderr.write(f"\n==== cProfile of the script thread: {title} ====\n{out.getvalue()}")


def main() -> None:
    if "--profile" in sys.argv:
        sys.argv.remove("--profile")
        cli(lambda quick: run(quick, profile=True), __doc__.splitlines()[0])
    else:
        cli(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
