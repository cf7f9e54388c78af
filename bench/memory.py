"""Memory per session: what one student's session holds on the server, part by part, whether it
comes back when the session ends, and the history export of the largest run.

`python -m bench.memory [--quick]`:

- in this process (AppTest, tracemalloc): the memory one session adds, new, after 10 Steps,
  after every view, after 100,000 steps (Run N pressed until then), where it was allocated and
  which parts of the session hold it;
- the history CSV of 100,000 steps of the largest network (4 inputs, 8 hidden units): time and
  peak memory, against the one-DataFrame way it was written before;
- a real `streamlit run` server, with sessions made over its websocket the way a browser makes
  them (without a browser): the server's resident memory per session, and after they end.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import mmap
import os
import sys
import tempfile
import time
import tracemalloc
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from bench import APP_FILE, ROOT, check, cli, fmt, median, result, rss_mb, table

TIMEOUT = 300
IDLE_TARGET_MB = 5.0  # a session after 10 Steps with the default settings
HISTORY_TARGET_MB = 25.0  # a session holding 100,000 steps of the default network (2-3-1)
HISTORY_STEPS = 100_000
RUN_N = 20_000  # the most one Run N press asks for
EXPORT_TARGET_S = 5.0
EXPORT_SLACK = (1.25, 16.0)  # peak ≤ 1.25 × the file + 16 MB: the file itself and one piece
LEFT_TARGET_MB = 1.0  # still traced once a session is dropped
SERVER_TTL_S = 3  # server.disconnectedSessionTTL of the server started here
HISTORY_ROW_BYTES = (13 + 4) * 8  # one step of the default network: 13 parameters, 4 fields
RELEASE_SHARE = 0.9  # of the ended sessions' histories, at least this much goes back
MB = 1e6
TRACE_FRAMES = 12  # enough to reach our code or Streamlit's from inside numpy or pandas


def ok(at: AppTest) -> AppTest:
    if at.exception:
        raise RuntimeError("The app raised: " + "\n".join(str(e.value) for e in at.exception))
    return at


def new_app() -> AppTest:
    return ok(AppTest.from_file(str(APP_FILE), default_timeout=TIMEOUT).run())


# ---- what a session holds ---------------------------------------------------------------------

_NOT_FOLLOWED = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
    types.FrameType,
)
_LEAVES = (str, bytes, bytearray, int, float, complex, bool)


def deep_size(obj: object, seen: set[int]) -> int:
    """Bytes reachable from `obj` that are not in `seen` yet (which it extends): each object
    once, numpy data once through its base; functions, classes and modules are not followed."""
    total, todo = 0, [obj]
    while todo:
        o = todo.pop()
        if id(o) in seen or isinstance(o, _NOT_FOLLOWED):
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)  # a numpy array that owns its data counts the data too
        if isinstance(o, mmap.mmap):
            total += len(o)  # the mapped pages (a history chunk's data)
        elif isinstance(o, np.ndarray):
            if o.base is not None:
                todo.append(o.base)
        elif isinstance(o, memoryview):
            todo.append(o.obj)
        elif isinstance(o, dict):
            todo += [*o.keys(), *o.values()]
        elif not isinstance(o, _LEAVES):
            todo += gc.get_referents(o)
    return total


PARTS = (
    "training history (float64, one row per step)",
    "data: rows, split, scaled (shared by sessions with the same generated or sample data)",
    "trainer: batch plan, current weights, metrics",
    "settings and page choices",
    "init lab results",
    "loss landscape",
    "rest of the App record",
    "Streamlit session state: widget values, ids",
    "Streamlit fragment storage",
)


def session_parts(at: AppTest) -> list[int]:
    """Bytes of each of PARTS in this session, each object counted in the first part that
    reaches it."""
    state = at._session_state._state  # this session's Streamlit SessionState
    app = state["app"]
    run = app.run
    holders = (
        run.trainer.history,
        run.experiment,
        run.trainer,
        (app.config, app.page),
        app.lab,
        getattr(app, "landscape", None),
        app,
        state,
        at._fragment_storage,
    )
    seen: set[int] = set()
    return [deep_size(holder, seen) for holder in holders]


OURS = ("core", "views", "charts", "settings", "streamlit_app.py")
ORIGINS = ("our code", "Streamlit", "AppTest's copy of the page", "other")


def _origin(frames: tracemalloc.Traceback) -> tuple[str, str]:
    """(kind, file) of an allocation: the innermost frame in our code or in Streamlit's (numpy,
    pandas, protobuf and the standard library allocate for whoever called them)."""
    for frame in reversed(frames):  # the most recent first
        path = Path(frame.filename)
        if path.is_relative_to(ROOT) and path.relative_to(ROOT).parts[0] in OURS:
            return "our code", path.relative_to(ROOT).as_posix()
        if "streamlit" in path.parts:
            inside = path.parts[path.parts.index("streamlit") :]
            return ("AppTest's copy of the page" if "testing" in inside else "Streamlit"), ""
    return "other", ""


def origins(snapshot: tracemalloc.Snapshot, base: tracemalloc.Snapshot) -> tuple[dict, dict]:
    """Traced growth since `base` by kind (ORIGINS) and, for our code, by file."""
    kinds = dict.fromkeys(ORIGINS, 0)
    files: dict[str, int] = {}
    for stat in snapshot.compare_to(base, "traceback"):
        kind, name = _origin(stat.traceback)
        kinds[kind] += stat.size_diff
        if name:
            files[name] = files.get(name, 0) + stat.size_diff
    return kinds, files


class Stages:
    """Traced growth, its origins and the session's parts at each stage of one session."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.traced: list[float] = []
        self.kinds: list[dict] = []
        self.files: dict[str, list[int]] = {}
        self.parts: list[list[int]] = []

    def add(self, name: str, at: AppTest, base: tracemalloc.Snapshot, base_bytes: int) -> None:
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
        self.names.append(name)
        mapped = mapped_bytes(at)
        self.traced.append((tracemalloc.get_traced_memory()[0] - base_bytes + mapped) / MB)
        kinds, files = origins(snapshot, base)
        kinds["our code"] += mapped
        if mapped:
            files["core/history.py"] = files.get("core/history.py", 0) + mapped
        self.kinds.append(kinds)
        for file, size in files.items():
            self.files.setdefault(file, [0] * (len(self.names) - 1)).append(size)
        for sizes in self.files.values():
            sizes += [0] * (len(self.names) - len(sizes))
        self.parts.append(session_parts(at))


def mapped_bytes(at: AppTest) -> int:
    """The session's history chunks that live in memory maps of their own: tracemalloc does
    not see those pages, so they are added to what it traced."""
    history = at.session_state["app"].run.trainer.history
    return sum(chunk.nbytes for chunk in history._chunks if not chunk.flags.owndata)


def every_view(at: AppTest, lab: bool) -> None:
    views = list(at.segmented_control(key="view").options)
    for view in [*views[1:], views[0]]:
        ok(at.segmented_control(key="view").set_value(view).run())
        if lab and view == "Init lab":
            ok(at.button(key="btn_lab").click().run())


def step_count(at: AppTest) -> int:
    return at.session_state["app"].run.trainer.step_count


def run_to(at: AppTest, steps: int) -> int:
    """Press Run N (N = 20,000, the most one press asks for) until `steps`; returns the presses
    (one press trains for at most 2 s, so it may run fewer)."""
    ok(at.number_input(key="run_n").set_value(RUN_N).run())
    presses = 0
    while step_count(at) < steps:
        ok(at.button(key="btn_run_n").click().run())
        presses += 1
    return presses


def in_process(res: dict) -> None:
    warm = new_app()  # imports, module caches and the shared default data, counted for nobody
    ok(warm.button(key="btn_step").click().run())
    every_view(warm, lab=True)
    del warm
    gc.collect()
    tracemalloc.start(TRACE_FRAMES)
    base, base_bytes = tracemalloc.take_snapshot(), tracemalloc.get_traced_memory()[0]
    stages = Stages()
    at = new_app()
    stages.add("new session", at, base, base_bytes)
    for _ in range(10):
        ok(at.button(key="btn_step").click().run())
    stages.add("after 10 Steps", at, base, base_bytes)
    every_view(at, lab=True)
    stages.add("after 10 Steps and every view (the init lab run)", at, base, base_bytes)
    start = time.perf_counter()
    presses = run_to(at, HISTORY_STEPS)
    seconds = time.perf_counter() - start
    stages.add(f"after {HISTORY_STEPS:,} steps", at, base, base_bytes)
    every_view(at, lab=False)
    stages.add(f"after {HISTORY_STEPS:,} steps and every view", at, base, base_bytes)
    if step_count(at) != HISTORY_STEPS:
        raise RuntimeError(f"the session holds {step_count(at)} steps")
    peak = (tracemalloc.get_traced_memory()[1] - base_bytes) / MB
    del at
    gc.collect()
    left = (tracemalloc.get_traced_memory()[0] - base_bytes) / MB
    tracemalloc.stop()

    short = ["new", "10 Steps", "10 Steps, every view", "100k steps", "100k, every view"]
    table(
        res,
        "Memory one session adds (MB, traced by tracemalloc in this process, plus its history's "
        "memory maps, which tracemalloc does not see), by who allocated it: the innermost frame "
        "in our code or in Streamlit's:",
        ["stage", "total", *ORIGINS],
        [
            [name, fmt(total), *(fmt(kinds[k] / MB) for k in ORIGINS)]
            for name, total, kinds in zip(stages.names, stages.traced, stages.kinds, strict=True)
        ],
    )
    top = sorted(stages.files.items(), key=lambda item: -max(item[1]))[:8]
    table(
        res,
        "Our files that allocated it (kB; the largest 8):",
        ["file", *short],
        [[f"`{file}`", *(fmt(size / 1e3) for size in sizes)] for file, sizes in top],
    )
    table(
        res,
        "What the session holds, part by part (kB, objects reachable from each, counted once):",
        ["part", *short],
        [[part, *(fmt(sizes[i] / 1e3) for sizes in stages.parts)] for i, part in enumerate(PARTS)],
    )
    idle = stages.traced[1:3]
    history = stages.traced[3:5]
    check(
        res,
        "New session, default settings",
        f"{fmt(stages.traced[0])} MB",
        f"≤ {IDLE_TARGET_MB:g} MB",
        stages.traced[0] <= IDLE_TARGET_MB,
    )
    check(
        res,
        "Idle session after 10 Steps (and after every view)",
        f"{fmt(max(idle))} MB",
        f"≤ {IDLE_TARGET_MB:g} MB",
        max(idle) <= IDLE_TARGET_MB,
    )
    check(
        res,
        f"Session with a {HISTORY_STEPS:,}-step history, default network 2-3-1",
        f"{fmt(max(history))} MB",
        f"≤ {HISTORY_TARGET_MB:g} MB",
        max(history) <= HISTORY_TARGET_MB,
    )
    check(
        res,
        "Still traced once the session is dropped",
        f"{fmt(left)} MB",
        f"≤ {LEFT_TARGET_MB:g} MB",
        left <= LEFT_TARGET_MB,
    )
    res["notes"] += [
        f"In-process figures: tracemalloc's growth over one session, after a first session had "
        f"imported everything and filled the shared caches. The {HISTORY_STEPS:,} steps were "
        f"trained by pressing Run N (N = {RUN_N:,}) {presses} times ({seconds:.0f} s under "
        f"tracemalloc); the traced peak over the whole session was {fmt(peak)} MB.",
        "The parts table counts every object reachable from each part once, in the table's "
        "order. Generated and sample data are prepared once per set of settings and shared by "
        "every session that asks for them (uploaded and typed-in data stay per session), so the "
        "data row is not part of what the session adds.",
        "AppTest keeps its own copy of the last page (the element tree) where a real server "
        "sends the page to the browser and keeps nothing: its row is the test harness's.",
    ]


# ---- the history export -----------------------------------------------------------------------


def largest_run(steps: int):
    """A trainer of the largest network (4 inputs, 8 hidden units) trained `steps` steps."""
    from core.datasets import Dataset
    from core.experiment import RunSettings, prepare

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (500, 4))
    y = np.sin(X.sum(axis=1)) + 0.1 * rng.standard_normal(500)
    data = Dataset(X, y, ("x1", "x2", "x3", "x4"), "y", "four inputs")
    trainer = prepare(data, RunSettings(n_hidden=8)).new_trainer()
    trainer.run(steps // 2, 0.1)
    trainer.run(steps - steps // 2, 0.05)
    return trainer


def one_frame_csv(trainer) -> bytes:
    """The history as it was written before: one DataFrame of everything, written by pandas."""
    import pandas as pd

    from core.export import HISTORY_COLUMNS, _csv_text, param_labels

    history = trainer.history
    steps = np.arange(1, len(history) + 1)
    epoch, batch = np.divmod(steps - 1, trainer.plan.n_batches)
    columns = {"step": steps, "epoch": epoch + 1, "batch": batch + 1, **history.columns()}
    columns["grad_norm_1"], columns["grad_norm_2"] = history.grad_norms()
    frame = pd.DataFrame(columns, columns=HISTORY_COLUMNS)
    labels = param_labels(history.n_in, history.n_hidden)
    params = pd.DataFrame(history.param_matrix(), columns=labels)
    return _csv_text(pd.concat([frame, params], axis=1)).encode("utf-8")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / MB
    return float("nan")


def _reset_peak() -> bool:
    """Reset this process's peak resident memory (Linux); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@contextlib.contextmanager
def peak_memory() -> Iterator[dict]:
    """The peak of this process's resident memory above where it started (Linux, the peak reset
    first), else tracemalloc's peak (much slower: every small object is traced)."""
    out: dict = {}
    gc.collect()
    if _reset_peak():
        start = _status_mb("VmRSS")
        yield out
        out["peak"], out["how"] = _status_mb("VmHWM") - start, "resident"
    else:
        tracemalloc.start()
        yield out
        out["peak"], out["how"] = tracemalloc.get_traced_memory()[1] / MB, "traced"
        tracemalloc.stop()


def export(res: dict, quick: bool) -> None:
    from core.export import history_csv_bytes

    trainer = largest_run(HISTORY_STEPS)
    rows = []
    for name, build in (
        ("in pieces (now)", history_csv_bytes),
        ("one DataFrame through pandas (before)", one_frame_csv),
    ):
        times = []
        for _ in range(1 if quick else 3):
            start = time.perf_counter()
            data = build(trainer)
            times.append(time.perf_counter() - start)
            del data
        with peak_memory() as memory:
            data = build(trainer)
        size = len(data) / MB
        del data
        rows.append([name, fmt(median(times)), fmt(memory["peak"]), fmt(size)])
        if name.endswith("(now)"):
            seconds, peak, file_mb = median(times), memory["peak"], size
    table(
        res,
        f"The history CSV of {HISTORY_STEPS:,} steps of the largest network (4 inputs, 8 hidden "
        "units; 58 columns):",
        ["built", "seconds (median)", f"peak {memory['how']} memory, MB", "file, MB"],
        rows,
    )
    allowed = EXPORT_SLACK[0] * file_mb + EXPORT_SLACK[1]
    check(
        res,
        f"History CSV, {HISTORY_STEPS:,} steps of 4-8-1: time",
        f"{fmt(seconds)} s",
        f"≤ {EXPORT_TARGET_S:g} s",
        seconds <= EXPORT_TARGET_S,
    )
    check(
        res,
        f"History CSV, {HISTORY_STEPS:,} steps of 4-8-1: peak memory",
        f"{fmt(peak)} MB",
        f"≤ {EXPORT_SLACK[0]:g} × the file + {EXPORT_SLACK[1]:g} MB = {fmt(allowed)} MB",
        peak <= allowed,
    )
    res["notes"].append(
        "The export's bytes are the same either way. Streamlit keeps a download's file in memory "
        "until two script runs later and copies it again while sending it, so serving the file "
        "costs about twice its size on top of building it; that part is Streamlit's."
    )


# ---- a real server ----------------------------------------------------------------------------


class Browserless:
    """One session made over the server's websocket as a browser makes it: it asks for runs,
    presses buttons by their key and reads the Step count, without drawing anything."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("http", "ws", 1) + "/_stcore/stream"
        self.widgets: dict[str, tuple[str, str]] = {}  # key -> (widget id, fragment id)
        self.step = 0
        self.socket = None

    async def open(self) -> None:
        import websockets

        self.socket = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None)
        await self.run()

    async def run(self, press: str | None = None, values: dict | None = None) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.SetInParent()  # a rerun with nothing set is still a rerun
        fragment = ""
        changes = {press: True} if press else {}
        for key, value in {**changes, **(values or {})}.items():
            widget_id, fragment = self.widgets[key]
            widget = state.widget_states.widgets.add()
            widget.id = widget_id
            if value is True:
                widget.trigger_value = True
            else:
                widget.int_value = value
        if fragment:
            state.fragment_id = fragment
        await self.socket.send(msg.SerializeToString())
        await self._until_finished()

    async def _until_finished(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await asyncio.wait_for(self.socket.recv(), TIMEOUT))
            kind = msg.WhichOneof("type")
            if kind == "script_finished":
                return
            if kind != "delta" or msg.delta.WhichOneof("type") != "new_element":
                continue
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which in ("button", "number_input"):
                widget_id = getattr(element, which).id
                self.widgets[widget_id.rsplit("-", 1)[-1]] = (widget_id, msg.delta.fragment_id)
            elif which == "metric" and element.metric.label == "Step":
                self.step = int(element.metric.body.replace(",", ""))

    async def run_to(self, steps: int) -> None:
        await self.run(values={"run_n": RUN_N})  # typed in first, as a browser sends it
        while self.step < steps:
            await self.run("btn_run_n")

    async def close(self) -> None:
        await self.socket.close()


async def _server(url: str, pid: int, idle: int, full: int) -> dict[str, float]:
    out: dict[str, float] = {}
    warm = Browserless(url)
    await warm.open()
    await warm.run("btn_step")
    await warm.close()
    await asyncio.sleep(1)
    out["baseline"] = rss_mb(pid)
    sessions = [Browserless(url) for _ in range(idle)]
    for s in sessions:
        await s.open()
    out["new"] = (rss_mb(pid) - out["baseline"]) / idle
    for s in sessions:
        for _ in range(10):
            await s.run("btn_step")
    if any(s.step != 10 for s in sessions):
        raise RuntimeError(f"the sessions show steps {sorted({s.step for s in sessions})}")
    out["10 Steps"] = (rss_mb(pid) - out["baseline"]) / idle
    before = rss_mb(pid)
    long = [Browserless(url) for _ in range(full)]
    for s in long:
        await s.open()
        await s.run_to(HISTORY_STEPS)
    out["100k"] = (rss_mb(pid) - before) / full
    out["all"] = rss_mb(pid)
    for s in sessions + long:
        await s.close()
    await asyncio.sleep(SERVER_TTL_S + 2)
    last = Browserless(url)  # its disconnect makes the server drop the expired sessions
    await last.open()
    await last.close()
    await asyncio.sleep(1)
    later = Browserless(url)  # the collection after its run frees what they were made of
    await later.open()
    await asyncio.sleep(1)
    out["after"] = rss_mb(pid)
    await later.close()
    again = [Browserless(url) for _ in range(full)]  # the memory the ended sessions left
    for s in again:
        await s.open()
        await s.run_to(HISTORY_STEPS)
    out["again"] = (rss_mb(pid) - out["after"]) / full
    for s in again:
        await s.close()
    return out


def server(res: dict, quick: bool) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from browser.server import app_server_process

    idle, full = (10, 1) if quick else (30, 2)
    extra = (f"--server.disconnectedSessionTTL={SERVER_TTL_S}",)
    with (
        tempfile.TemporaryDirectory() as folder,
        app_server_process(Path(folder) / "server.log", extra) as (url, proc),
    ):
        m = asyncio.run(asyncio.wait_for(_server(url, proc.pid, idle, full), 20 * TIMEOUT))
    table(
        res,
        "A real server (`streamlit run`, sessions over its websocket without a browser): its "
        "resident memory (MB):",
        ["measure", "MB"],
        [
            ["after a first session (imports, caches)", fmt(m["baseline"])],
            [f"per session, {idle} new sessions", fmt(m["new"])],
            [f"per session, the same {idle} after 10 Steps each", fmt(m["10 Steps"])],
            [f"per session, {full} more trained to {HISTORY_STEPS:,} steps", fmt(m["100k"])],
            ["with all of them", fmt(m["all"])],
            [
                f"after they ended ({SERVER_TTL_S} s time to live; one more came and went, "
                "another came)",
                fmt(m["after"]),
            ],
            [
                f"per session, {full} new trained to {HISTORY_STEPS:,} steps after that",
                fmt(m["again"]),
            ],
        ],
    )
    check(
        res,
        "Server resident memory per session after 10 Steps",
        f"{fmt(m['10 Steps'])} MB",
        f"≤ {IDLE_TARGET_MB:g} MB",
        m["10 Steps"] <= IDLE_TARGET_MB,
    )
    check(
        res,
        f"Server resident memory per session with {HISTORY_STEPS:,} steps (2-3-1)",
        f"{fmt(m['100k'])} MB",
        f"≤ {HISTORY_TARGET_MB:g} MB",
        m["100k"] <= HISTORY_TARGET_MB,
    )
    returned = m["all"] - m["after"]
    histories = full * HISTORY_STEPS * HISTORY_ROW_BYTES / MB
    check(
        res,
        "Server memory given back to the system once the sessions ended",
        f"{fmt(returned)} MB",
        f"≥ {RELEASE_SHARE:.0%} of their histories' {fmt(histories)} MB",
        returned >= RELEASE_SHARE * histories,
    )
    res["notes"] += [
        "Resident memory is the operating system's view: it includes what the allocator keeps "
        "for reuse. Training histories live in memory maps of their own, which go back to the "
        "system when a session ends; smaller objects go back to the allocator, which uses them "
        "again for new sessions (the last row: a new session then costs about what its history "
        "does). A session whose browser went away is kept "
        f"for `server.disconnectedSessionTTL` (120 s in the shipped configuration, {SERVER_TTL_S} "
        "s here), dropped at the next disconnect after that and freed by the garbage collection "
        "Streamlit runs after the next script run (any session's). Per-session figures of small "
        "sessions are within the allocator's noise (they can come out below 0).",
    ]


def run(quick: bool = False) -> dict:
    res = result("memory", "Memory per session")
    load_before = os.getloadavg()[0]
    in_process(res)
    export(res, quick)
    try:
        server(res, quick)
    except Exception as err:  # no server here: the in-process figures stand alone
        check(res, "the real-server measurement", "—", "runs", None)
        res["notes"].append(f"The real server could not be measured: {type(err).__name__}.")
    res["notes"].append(
        f"Load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after, on "
        f"{os.cpu_count()} CPUs."
    )
    return res


def main() -> None:
    cli(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
