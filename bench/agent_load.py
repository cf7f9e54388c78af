"""A class of students stepping through the app over Streamlit's agent API, without browsers.

`python -m bench.agent_load [--quick] [--sessions N] [--interval S] [--seconds T] [--url URL]
[--pids P,Q] [--sweep] [--replicas N] [--watch S] [--ttl S] [--option KEY=VALUE] [--no-split]
[--json PATH]`

- Load: N agent sessions (one thread each) on one local server started here (127.0.0.1, a free
  port), or on `--url` (loopback only: a server or a balancer someone else runs). Each presses
  Step every `interval` seconds from a jittered start; about 1 request in 20 is Run N (N = 2-9)
  and 1 in 20 a change of view. Every request has a timeout and the whole run a hard limit.
  Reported: interactions, errors (HTTP, timeouts, app exceptions in the tree), whether each
  session's Step metric equals the steps it asked for (on every response and at the end),
  latency per kind of interaction, server CPU per interaction and RSS, and the RSS after the
  sessions end (the server started here gets a short `server.agentSessionTTL`, `--ttl`).
- Split (local server only): where one agent Step's time goes, from a server started with
  timers around Streamlit's agent code (the script run and the garbage collection after it,
  the snapshot build, the JSON encoding, the waits between them), against the same app's Step
  in AppTest, a one-button app, and the app without the collection after every run.
- `--sweep`: the largest class (10, 20, 40, ... sessions, a fresh server each) whose
  interactions stay at p95 ≤ 300 ms with every student stepping every `interval` seconds.
- `--replicas N`: the load run or the sweep on N servers behind HAProxy, started with
  deploy/run.sh as a deployment starts them (the sweep then tries 10, 20, 40 and 60 × N).
- `--option runner.postScriptGC=false`: any Streamlit option for the servers started here.

Before the class, one first visitor per server process does once what the class will do (Step,
Run N, every view), so the baseline memory is a server that has shown every page once.
With `--url` or `--replicas`, every request carries `X-Student: <session name>` (the balancer's
stickiness key); with `--url`, server CPU and memory are measured only for the `--pids` given.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import ipaddress
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench import (
    ROOT,
    check,
    cpu_seconds,
    fmt,
    median,
    p95,
    result,
    rss_mb,
    table,
    to_markdown,
)

SESSIONS, QUICK_SESSIONS = 20, 10
SECONDS, QUICK_SECONDS, SWEEP_SECONDS = 60.0, 15.0, 45.0
INTERVAL = 2.0
TTL, QUICK_TTL = 15, 5  # server.agentSessionTTL of the server started here, seconds
WATCH, QUICK_WATCH = 45.0, 20.0  # how long to watch the memory after the sessions end
SPLIT_STEPS, QUICK_SPLIT_STEPS = 20, 8
SWEEP_LEVELS = (10, 20, 40, 60, 80, 100)
BISECTIONS = 3  # levels tried between the last class that met the bar and the first that missed
P95_TARGET_MS = 300.0
MEMORY_TARGET = 1.10  # back within 10 % of the baseline
REQUEST_TIMEOUT_S = 40.0  # above the server's agentWaitTimeout (30 s): a slow run answers 202
CREATE_WORKERS = 4
GRACE_S = 60.0  # beyond the run time, before the run is abandoned
VIEWS = ("Storyboard", "Forward pass", "Backward pass", "Update", "Explain a number")
RUN_VIEW = "Network & units"
TITLE = "Load: a class over the agent API"
KINDS = ("create", "step", "run_n", "view", "collect", "read")
INTERACT = "/_stcore/agent/interact"

# A one-button app with the same shape as the real one's training panel (a fragment holding the
# button and the metric): the agent API's fixed cost per interaction.
TINY_APP = """
import streamlit as st

if "n" not in st.session_state:
    st.session_state.n = 0


def step():
    st.session_state.n += 1


@st.fragment
def panel():
    st.button("Step", key="btn_step", on_click=step)
    st.metric("Step", f"{st.session_state.n:,}")


panel()
"""


# ---- talking to the agent API --------------------------------------------------------------------


def loopback_url(url: str) -> str:
    """`url` without a trailing slash, if it is http and its host is this machine; else raise."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"not an http URL: {url}")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 80)}
    except socket.gaierror as err:
        raise ValueError(f"cannot resolve {parts.hostname}: {err}") from err
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise ValueError(f"refusing a non-loopback host: {parts.hostname} ({sorted(addresses)})")
    return url.rstrip("/")


@dataclass
class Reply:
    kind: str
    ms: float
    status: int | None = None  # HTTP status; None when no response came
    body: dict | None = None
    size: int = 0
    error: str | None = None  # an HTTP error code, "timeout", or a connection error
    sent_at: float = 0.0  # time.monotonic() when the request was sent


class Client:
    """One keep-alive HTTP connection to the agent API (one per session thread)."""

    def __init__(self, url: str, student: str | None = None) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.path = parts.path.rstrip("/") + INTERACT
        self.headers = {"Content-Type": "application/json"}
        if student:
            self.headers["X-Student"] = student
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def interact(self, kind: str, body: dict, extra_headers: dict | None = None) -> Reply:
        data = json.dumps(body).encode()
        headers = {**self.headers, **(extra_headers or {})}
        start = time.monotonic()
        for attempt in (1, 2):  # a keep-alive connection the server closed: reconnect once
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=REQUEST_TIMEOUT_S
                )
            try:
                self.conn.request("POST", self.path, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                ms = (time.monotonic() - start) * 1e3
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as err:
                self.close()
                if attempt == 2:
                    return Reply(kind, (time.monotonic() - start) * 1e3, error=repr(err)[:120])
            except (TimeoutError, OSError, http.client.HTTPException) as err:
                self.close()
                name = "timeout" if isinstance(err, TimeoutError) else repr(err)[:120]
                return Reply(kind, (time.monotonic() - start) * 1e3, error=name, sent_at=start)
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        reply = Reply(kind, ms, response.status, parsed, len(raw), sent_at=start)
        if response.status != 200:
            code = (parsed or {}).get("error", {}).get("code") if isinstance(parsed, dict) else None
            reply.error = f"HTTP {response.status} {code or ''}".strip()
        return reply


def nodes(tree: dict) -> Iterator[dict]:
    yield tree
    for child in tree.get("children", []):
        yield from nodes(child)


def step_shown(body: dict) -> int | None:
    """The value of the `Step` metric in a snapshot, as a number."""
    for node in nodes(body.get("tree", {})):
        if node.get("type") == "metric" and node.get("props", {}).get("label") == "Step":
            value = re.sub(r"[^0-9]", "", str(node["props"].get("value", "")))
            return int(value) if value else None
    return None


def app_failed(body: dict) -> bool:
    return body.get("status") == "error" or any(
        n.get("type") == "exception" for n in nodes(body.get("tree", {}))
    )


# ---- one student -----------------------------------------------------------------------------


@dataclass
class Student:
    name: str
    seed: int
    session_id: str | None = None
    asked: int = 0  # steps asked for by requests that certainly went through
    pending: int = 0  # steps asked for by a request whose outcome is unknown (it failed)
    shown: int | None = None  # the Step metric in the last response
    view: str = VIEWS[0]
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: list[str] = field(default_factory=list)
    app_errors: int = 0
    wrong_counts: int = 0  # responses whose Step metric was not the steps asked for
    late: int = 0  # requests sent later than their slot because the previous one was slow
    bytes_in: int = 0

    def record(self, reply: Reply, steps: int = 0) -> bool:
        """Book a reply; False if it failed (its steps may or may not have happened)."""
        if reply.error is not None or reply.body is None:
            self.errors.append(f"{reply.kind}: {reply.error}")
            self.pending += steps
            return False
        self.latencies[reply.kind].append(reply.ms)
        self.bytes_in += reply.size
        self.session_id = reply.body.get("session_id", self.session_id)
        if app_failed(reply.body):
            self.app_errors += 1
        shown = step_shown(reply.body)
        self.shown = shown
        if self.pending and shown == self.asked + self.pending + steps:
            self.asked += self.pending  # the failed request's steps did happen
        self.pending = 0
        self.asked += steps
        if shown != self.asked:
            self.wrong_counts += 1
        return True

    def create(self, client: Client) -> None:
        self.record(client.interact("create", {}))

    def act(self, client: Client, rng: random.Random) -> None:
        sid = self.session_id
        if self.pending:
            # The last request failed and its run may still be going: collect it (a request with
            # only the session id waits for that run, or reruns the page) before anything else.
            self.record(client.interact("collect", {"session_id": sid}))
            return
        roll = rng.random()
        if roll < 0.05:
            n = rng.randint(2, 9)
            body = {
                "session_id": sid,
                "widget_state": {"run_n": n},
                "trigger": {"key": "btn_run_n"},
            }
            self.record(client.interact("run_n", body), n)
        elif roll < 0.10:
            self.view = rng.choice([v for v in (*VIEWS, RUN_VIEW) if v != self.view])
            self.record(
                client.interact("view", {"session_id": sid, "widget_state": {"view": self.view}})
            )
        else:
            body = {"session_id": sid, "trigger": {"key": "btn_step"}}
            self.record(client.interact("step", body), 1)

    def all_latencies(
        self, kinds: Sequence[str] = ("step", "run_n", "view", "collect")
    ) -> list[float]:
        return [x for k in kinds for x in self.latencies[k]]


def drive(
    url: str,
    students: list[Student],
    interval: float,
    stop_at: float,
    with_header: bool,
) -> list[threading.Thread]:
    """One thread per student: act every `interval` s from a jittered start until `stop_at`."""

    def loop(student: Student) -> None:
        rng = random.Random(student.seed)
        client = Client(url, student.name if with_header else None)
        next_at = time.monotonic() + rng.uniform(0, interval)
        try:
            while True:
                now = time.monotonic()
                if next_at >= stop_at:
                    break
                if next_at > now:
                    time.sleep(next_at - now)
                elif now - next_at > 0.05:
                    student.late += 1
                    next_at = now
                if student.session_id is None:
                    student.create(client)
                else:
                    student.act(client, rng)
                next_at += interval
        finally:
            client.close()

    threads = [threading.Thread(target=loop, args=(s,), daemon=True) for s in students]
    for t in threads:
        t.start()
    return threads


# ---- the server ------------------------------------------------------------------------------


def server_args(sessions: int, ttl: int) -> tuple[str, ...]:
    return (
        "--server.enableAgentApi=true",
        f"--server.agentSessionTTL={ttl}",
        f"--server.agentMaxSessions={sessions + 10}",
        "--logger.level=warning",
    )


@contextlib.contextmanager
def local_server(sessions: int, ttl: int, options: Sequence[str] = ()) -> Iterator[tuple[str, int]]:
    """The app under `streamlit run` with the agent API on, as the browser tests start it;
    `options` are more Streamlit options (`runner.postScriptGC=false`)."""
    from tests.browser.server import app_server_process

    extra = (*server_args(sessions, ttl), *(f"--{o.removeprefix('--')}" for o in options))
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "server.log"
        with app_server_process(log, extra) as (url, proc):
            yield url, proc.pid


@contextlib.contextmanager
def balanced_servers(
    replicas: int, sessions: int, ttl: int, options: Sequence[str] = ()
) -> Iterator[tuple[str, list[int]]]:
    """`replicas` servers behind HAProxy, started by deploy/run.sh exactly as a deployment
    starts them (agent API on); yields the balancer's URL and the replicas' process ids."""
    from tests.browser.server import free_port

    extra = (*server_args(sessions, ttl), *(f"--{o.removeprefix('--')}" for o in options))
    with tempfile.TemporaryDirectory() as folder:
        port, first = free_port(), free_port()
        while not all(port_is_free(first + i) for i in range(replicas)) or port in range(
            first, first + replicas
        ):
            first = free_port()
        command = [
            "bash",
            str(ROOT / "deploy" / "run.sh"),
            f"--replicas={replicas}",
            f"--port={port}",
            f"--replica-port={first}",
            f"--stats-port={free_port()}",
            f"--run-dir={folder}",
            "--background",
            "--",
            *extra,
        ]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=300)
        run_pid = int((Path(folder) / "run.pid").read_text())
        try:
            pids = [int(p) for p in (Path(folder) / "replica.pids").read_text().split()]
            yield f"http://127.0.0.1:{port}", pids
        finally:
            os.kill(run_pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and pid_alive(run_pid):
                time.sleep(0.2)


@contextlib.contextmanager
def servers_for(
    replicas: int, sessions: int, ttl: int, options: Sequence[str] = ()
) -> Iterator[tuple[str, list[int], bool]]:
    """One local server (replicas 0), or that many behind the balancer; yields its URL, the
    server processes and whether requests carry the per-student header the balancer sticks on."""
    if replicas:
        with balanced_servers(replicas, sessions, ttl, options) as (url, pids):
            yield url, pids, True
    else:
        with local_server(sessions, ttl, options) as (url, pid):
            yield url, [pid], False


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def session_entries(url: str) -> float:
    """Streamlit's own count of what the live sessions hold: its metrics endpoint's
    `st_session_state` figure, the number of session-state entries over all sessions (absent,
    so 0, when no session is left)."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return math.nan
    found = re.search(r'cache_type="st_session_state"[^}]*}\s+([0-9.e+]+)', text)
    return float(found.group(1)) if found else 0.0


class Server:
    """What is measured of the server: CPU and RSS summed over its processes (none: not
    measured)."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)

    def cpu(self) -> float:
        return sum(cpu_seconds(p) for p in self.pids) if self.pids else math.nan

    def rss(self) -> float:
        return sum(rss_mb(p) for p in self.pids) if self.pids else math.nan


def load_marks() -> float:
    return os.getloadavg()[0]


# ---- a load run ------------------------------------------------------------------------------


@dataclass
class LoadRun:
    sessions: int
    interval: float
    seconds: float
    students: list[Student] = field(default_factory=list)
    marks: dict[str, float] = field(default_factory=dict)
    memory: list[tuple[float, float, float]] = field(default_factory=list)  # (s, MB, entries)
    loads: list[float] = field(default_factory=list)


def warm_up(url: str, with_header: bool, name: str = "warm-up") -> Student:
    """One session that does once what the class will do (Step, Run N, every view the class
    visits), so that what a server builds once for its first visitor (imports, caches, the
    frozen startup objects) is in the baseline rather than counted against the class."""
    student = Student(name, seed=0)
    client = Client(url, student.name if with_header else None)
    try:
        student.create(client)
        sid = student.session_id
        if sid:
            student.record(
                client.interact("step", {"session_id": sid, "trigger": {"key": "btn_step"}}), 1
            )
            run_n = {
                "session_id": sid,
                "widget_state": {"run_n": 3},
                "trigger": {"key": "btn_run_n"},
            }
            student.record(client.interact("run_n", run_n), 3)
            for view in (*VIEWS[1:], RUN_VIEW, VIEWS[0]):
                body = {"session_id": sid, "widget_state": {"view": view}}
                student.record(client.interact("view", body))
    finally:
        client.close()
    return student


def create_all(url: str, students: list[Student], with_header: bool, limit_s: float) -> None:
    def one(student: Student) -> None:
        client = Client(url, student.name if with_header else None)
        try:
            student.create(client)
        finally:
            client.close()

    with ThreadPoolExecutor(CREATE_WORKERS) as pool:
        futures = [pool.submit(one, s) for s in students]
        deadline = time.monotonic() + limit_s
        for future in futures:
            future.result(timeout=max(1.0, deadline - time.monotonic()))


def load_run(
    url: str,
    server: Server,
    sessions: int,
    interval: float,
    seconds: float,
    *,
    with_header: bool,
    watch: float = 0.0,
    ttl: float | None = None,
    metrics_url: str | None = None,
) -> LoadRun:
    run = LoadRun(sessions, interval, seconds)
    marks = run.marks
    run.loads.append(load_marks())
    marks["rss fresh"] = server.rss()
    # One first visitor per server process: a balancer sends each new one to the least busy.
    for i in range(max(1, len(server.pids))):
        warm = warm_up(url, with_header, f"warm-up-{i + 1}")
        if warm.session_id is None:
            raise RuntimeError(f"cannot create an agent session at {url}: {warm.errors[:1]}")
    time.sleep(1.0)
    marks["rss baseline"] = server.rss()
    run.students = [Student(f"student-{i + 1:03d}", seed=1000 + i) for i in range(sessions)]
    began = time.monotonic()
    create_all(url, run.students, with_header, limit_s=max(120.0, sessions * 3.0))
    marks["create s"] = time.monotonic() - began
    time.sleep(1.0)
    marks["rss created"] = server.rss()
    cpu_before = server.cpu()
    client_before = sum(os.times()[:2])
    start = time.monotonic()
    stop_at = start + seconds
    threads = drive(url, run.students, interval, stop_at, with_header)
    hard_stop = stop_at + GRACE_S
    peak = marks["rss created"]
    while any(t.is_alive() for t in threads) and time.monotonic() < hard_stop:
        time.sleep(0.5)
        if time.monotonic() < stop_at:
            peak = max(peak, server.rss()) if server.pids else peak
    marks["elapsed"] = time.monotonic() - start
    marks["cancelled"] = sum(t.is_alive() for t in threads)
    marks["server cpu"] = server.cpu() - cpu_before
    marks["client cpu"] = sum(os.times()[:2]) - client_before
    marks["rss end"] = server.rss()
    marks["rss peak"] = max(peak, marks["rss end"]) if server.pids else math.nan
    run.loads.append(load_marks())
    # Read every session once more (a full rerun): its final count.
    final = time.monotonic() + 60.0
    for student in run.students:
        if student.session_id is None or time.monotonic() > final:
            continue
        client = Client(url, student.name if with_header else None)
        try:
            student.record(client.interact("read", {"session_id": student.session_id}))
        finally:
            client.close()
    if watch > 0 and server.pids:
        t0 = time.monotonic()
        target = marks["rss baseline"] * MEMORY_TARGET
        while True:
            elapsed = time.monotonic() - t0
            rss = server.rss()
            state = session_entries(metrics_url) if metrics_url else math.nan
            run.memory.append((elapsed, rss, state))
            if rss <= target or elapsed >= watch:
                break
            time.sleep(min(10.0, watch - elapsed + 0.01))
        marks["ttl"] = ttl if ttl is not None and metrics_url else math.nan
        marks["watch"] = watch
    run.loads.append(load_marks())
    return run


# ---- reporting a load run --------------------------------------------------------------------


def latency_rows(students: list[Student]) -> list[list[str]]:
    rows = []
    for kind in KINDS:
        values = [x for s in students for x in s.latencies[kind]]
        if values:
            rows.append(
                [kind, f"{len(values):,}", fmt(median(values)), fmt(p95(values)), fmt(max(values))]
            )
    return rows


def summarise(run: LoadRun) -> dict[str, float]:
    students = run.students
    timed = [x for s in students for x in s.all_latencies()]
    steps = [x for s in students for x in s.latencies["step"]]
    done = len(timed)
    errors = sum(len(s.errors) for s in students)
    return {
        "interactions": done,
        "rate": done / run.marks["elapsed"],
        "offered": len(students) / run.interval,
        "p50": median(timed),
        "p95": p95(timed),
        "max": max(timed, default=math.nan),
        "step p50": median(steps),
        "step p95": p95(steps),
        "errors": errors,
        "app errors": sum(s.app_errors for s in students),
        "wrong": sum(s.shown != s.asked or s.pending > 0 for s in students),
        "wrong responses": sum(s.wrong_counts for s in students),
        "late": sum(s.late for s in students),
        "cpu per": run.marks["server cpu"] / max(done, 1) * 1e3,
        "cores": run.marks["server cpu"] / run.marks["elapsed"],
        "kb": median([s.bytes_in / max(1, sum(map(len, s.latencies.values()))) for s in students])
        / 1e3,
    }


def report_load(res: dict, run: LoadRun, where: str) -> None:
    s, m = summarise(run), run.marks
    check(
        res,
        f"Interactions (Step, Run N, view), {run.sessions} sessions: latency",
        f"{fmt(s['p50'])} ms",
        f"p95 ≤ {P95_TARGET_MS:.0f} ms",
        s["p95"] <= P95_TARGET_MS,
        f"{fmt(s['p95'])} ms",
    )
    check(
        res,
        "Interactions done (offered: one per session every "
        f"{run.interval:g} s); sent late because the last was slow",
        f"{s['interactions']:,} in {m['elapsed']:.0f} s ({s['rate']:.1f}/s of "
        f"{s['offered']:.1f}/s); {s['late']:,}",
        "—",
        "info",
    )
    check(
        res,
        "Errors: HTTP or timeouts, app exceptions in the tree",
        f"{s['errors']}, {s['app errors']}",
        "0, 0",
        s["errors"] == 0 and s["app errors"] == 0,
    )
    check(
        res,
        "Sessions whose final Step metric ≠ the steps they asked for (responses with a wrong "
        "count)",
        f"{s['wrong']} of {run.sessions} ({s['wrong responses']})",
        "0 (0)",
        s["wrong"] == 0 and s["wrong responses"] == 0,
    )
    measured = not math.isnan(m["server cpu"])
    check(
        res,
        "Server CPU per interaction (cores' worth during the run)",
        f"{fmt(s['cpu per'])} ms ({s['cores']:.2f})" if measured else "—",
        "—",
        "info" if measured else None,
    )
    check(
        res,
        "Load generator's own CPU per interaction (same machine)",
        f"{fmt(m['client cpu'] / max(s['interactions'], 1) * 1e3)} ms",
        "—",
        "info",
    )
    if measured:
        per_session = (m["rss created"] - m["rss baseline"]) / run.sessions
        per_session_end = (m["rss end"] - m["rss baseline"]) / run.sessions
        check(
            res,
            "Server RSS: fresh → first visitor (baseline) → all created → peak → end of run",
            f"{fmt(m['rss fresh'])} → {fmt(m['rss baseline'])} → {fmt(m['rss created'])} → "
            f"{fmt(m['rss peak'])} → {fmt(m['rss end'])} MB",
            "—",
            "info",
        )
        check(
            res,
            "RSS per session: created; at the end of the run",
            f"{fmt(per_session)} MB; {fmt(per_session_end)} MB",
            "—",
            "info",
        )
    if run.memory:
        last_t, last_rss, _ = run.memory[-1]
        baseline = m["rss baseline"]
        back = last_rss <= baseline * MEMORY_TARGET
        gone = next((t for t, _, n in run.memory if n == 0), None)
        if math.isnan(m.get("ttl", math.nan)):
            what = "RSS after the last request"
        else:
            what = f"RSS after the sessions end (TTL {m['ttl']:.0f} s; all sessions gone " + (
                f"{gone:.0f} s after the last request)" if gone is not None else "not seen)"
            )
        check(
            res,
            what,
            f"{fmt(last_rss)} MB after {last_t:.0f} s: {last_rss / baseline:.2f}× the baseline, "
            f"{fmt(last_rss - baseline)} MB above it",
            f"≤ {fmt(baseline * MEMORY_TARGET)} MB (baseline + 10 %) within {m['watch']:.0f} s",
            back,
        )
        table(
            res,
            "Server memory after the last request (the sessions idle until the TTL reclaims "
            "them; Streamlit's count of the live sessions' session-state entries):",
            ["seconds after", "RSS MB", "session-state entries"],
            [[f"{t:.0f}", fmt(r), fmt(n)] for t, r, n in run.memory],
        )
    table(
        res,
        "Latency per kind of interaction (ms, request sent to whole response read):",
        ["interaction", "count", "median", "p95", "max"],
        latency_rows(run.students),
    )
    errors = [e for st in run.students for e in st.errors]
    res["notes"].append(
        f"{run.sessions} agent sessions on {where}"
        f", created 4 at a time in {m['create s']:.0f} s after a first visitor per server process "
        "(Step, Run N, each view once); then each acts"
        f" every {run.interval:g} s for {run.seconds:.0f} s from a random start: Step, or (1 in "
        "20 each) Run N with N = 2-9 or a change of view. A session sends its next request only "
        "after its last one has answered (late when that overran its slot). Responses were "
        f"{fmt(s['kb'])} KB (median per session). {m['cancelled']:.0f} sessions cancelled at the "
        f"hard stop. Load average (1 min) before → after the run → after the memory watch: "
        + " → ".join(f"{x:.2f}" for x in run.loads)
        + "."
    )
    if errors:
        res["notes"].append("First errors: " + " | ".join(errors[:5]))


# ---- the split: where one Step's time goes -----------------------------------------------------


def instrumented_server_main(events: str, argv: list[str]) -> None:
    """In the server process: time the phases of every agent interaction (appending JSON lines to
    `events`), profile requests that carry `X-Bench-Profile`, then run Streamlit with `argv`."""
    import cProfile

    from streamlit.elements.lib import agent_spec
    from streamlit.runtime.agent import interaction, snapshot
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.web import cli as streamlit_cli

    lock = threading.Lock()
    out = open(events, "a", buffering=1)  # noqa: SIM115 - open for the server's lifetime
    local = threading.local()
    state = {"deliver": 0.0, "profile": False}
    profilers = {"script": cProfile.Profile(), "build": cProfile.Profile()}

    def emit(kind: str, start: float, end: float, **extra) -> None:
        with lock:
            out.write(json.dumps({"kind": kind, "start": start, "end": end, **extra}) + "\n")

    original_interact = interaction.interact

    async def interact(*args, **kwargs):
        headers = list(kwargs.get("headers") or ())
        kwargs["headers"] = headers
        state["profile"] = any(k.lower() == "x-bench-profile" for k, _ in headers)
        state["deliver"] = 0.0
        start = time.monotonic()
        try:
            return await original_interact(*args, **kwargs)
        finally:
            emit("interact", start, time.monotonic(), deliver=state["deliver"])
            if state["profile"]:
                for name, profiler in profilers.items():
                    profiler.dump_stats(f"{events}.{name}.prof")

    class TimedGc:
        """`gc` as the script runner sees it: its post-run collection timed."""

        def __getattr__(self, name):
            return getattr(gc, name)

        def collect(self, *args):
            start = time.monotonic()
            try:
                return gc.collect(*args)
            finally:
                local.gc = getattr(local, "gc", 0.0) + time.monotonic() - start

    script_runner.gc = TimedGc()
    original_run_script = script_runner.ScriptRunner._run_script

    def run_script(runner, rerun_data) -> None:
        local.describe, local.depth, local.gc = 0.0, 0, 0.0
        profiler = profilers["script"] if state["profile"] else None
        start = time.monotonic()
        if profiler:
            profiler.enable()
        try:
            original_run_script(runner, rerun_data)
        finally:
            if profiler:
                profiler.disable()
            fragment = bool(rerun_data.fragment_id_queue)
            emit(
                "script",
                start,
                time.monotonic(),
                describe=local.describe,
                gc=local.gc,
                fragment=fragment,
            )

    def timed_describe(function):
        def wrapper(*args, **kwargs):
            depth = getattr(local, "depth", 0)
            local.depth = depth + 1
            start = time.monotonic()
            try:
                return function(*args, **kwargs)
            finally:
                local.depth = depth
                if depth == 0:
                    local.describe = getattr(local, "describe", 0.0) + time.monotonic() - start

        return wrapper

    original_build = snapshot.build_snapshot

    def build_snapshot(*args, **kwargs):
        start = time.monotonic()
        try:
            return original_build(*args, **kwargs)
        finally:
            emit("build", start, time.monotonic())

    original_worker = interaction._build_in_worker

    def build_in_worker(ctx, encode, **kwargs):
        def timed_encode(document):
            start = time.monotonic()
            body = encode(document)
            emit("encode", start, time.monotonic(), size=len(body))
            return body

        profiler = profilers["build"] if state["profile"] else None
        if profiler:
            profiler.enable()
        try:
            return original_worker(ctx, timed_encode, **kwargs)
        finally:
            if profiler:
                profiler.disable()

    original_write = interaction.AgentSessionClient.write_forward_msg

    def write_forward_msg(self, msg) -> None:
        start = time.monotonic()
        try:
            original_write(self, msg)
        finally:
            state["deliver"] += time.monotonic() - start

    interaction.interact = interact
    script_runner.ScriptRunner._run_script = run_script
    agent_spec.element = timed_describe(agent_spec.element)
    agent_spec.block = timed_describe(agent_spec.block)
    snapshot.build_snapshot = build_snapshot
    interaction._build_in_worker = build_in_worker
    interaction.AgentSessionClient.write_forward_msg = write_forward_msg
    streamlit_cli.main(args=argv, prog_name="streamlit")


@contextlib.contextmanager
def instrumented_server(
    script: Path, cwd: Path, extra: Sequence[str] = ()
) -> Iterator[tuple[str, int, Path]]:
    """`streamlit run script` with the phase timers, on a free local port."""
    from tests.browser.server import free_port, stop

    with tempfile.TemporaryDirectory() as folder:
        events, log = Path(folder) / "events.jsonl", Path(folder) / "server.log"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "bench.agent_load",
            "--serve-instrumented",
            str(events),
            "--",
            "run",
            str(script),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
            *server_args(5, 600),
            *extra,
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.read().strip() == b"ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "instrumented server did not start: " + log.read_text()[-2000:]
                    )
                time.sleep(0.2)
            yield url, proc.pid, events
        finally:
            stop(proc)


def read_events(path: Path, since: float) -> list[dict]:
    if not path.exists():
        return []
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [e for e in events if e["start"] >= since]


def phases(replies: list[Reply], events: list[dict]) -> dict[str, list[float]]:
    """Each request's timeline, from the server's events inside its client-side window (one
    request at a time)."""
    out: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        out.setdefault(name, []).append(seconds * 1e3)

    for reply in replies:
        end = reply.sent_at + reply.ms / 1e3
        inside = [e for e in events if reply.sent_at <= e["start"] and e["end"] <= end]
        by = {e["kind"]: e for e in inside}
        scripts = [e for e in inside if e["kind"] == "script"]
        if not {"interact", "build", "encode"} <= by.keys() or not scripts:
            continue
        it, build, enc = by["interact"], by["build"], by["encode"]
        first, last = scripts[0], scripts[-1]
        add("client → server", it["start"] - reply.sent_at)
        add("request checked, run started", first["start"] - it["start"])
        add("script run", sum(e["end"] - e["start"] for e in scripts))
        add("of which agent descriptions", sum(e["describe"] for e in scripts))
        add("of which the garbage collection after the run", sum(e["gc"] for e in scripts))
        add("script end → snapshot build starts", build["start"] - last["end"])
        add("of which handing messages to the agent client", it["deliver"])
        add("snapshot build", build["end"] - build["start"])
        add("JSON encoding", enc["end"] - enc["start"])
        add("encoded → interaction returns", it["end"] - enc["end"])
        add("interaction returns → client has the body", end - it["end"])
        add("server: interaction total", it["end"] - it["start"])
        add("client: total", reply.ms / 1e3)
        add("response KB", enc["size"] / 1e6)
        add("scripts per request", len(scripts) / 1e3)
        add("fragment runs", sum(e["fragment"] for e in scripts) / 1e3)
    return out


def split_case(url: str, pid: int, events: Path, view: str | None, steps: int) -> dict:
    """`steps` Steps in one session, one at a time; their phases and the server's CPU."""
    client = Client(url)
    try:
        created = client.interact("create", {})
        sid = created.body["session_id"]
        if view:
            client.interact("view", {"session_id": sid, "widget_state": {"view": view}})
        for _ in range(3):  # warm-up
            client.interact("step", {"session_id": sid, "trigger": {"key": "btn_step"}})
        time.sleep(0.3)
        since = time.monotonic()
        cpu = cpu_seconds(pid)
        replies = []
        for _ in range(steps):
            replies.append(
                client.interact("step", {"session_id": sid, "trigger": {"key": "btn_step"}})
            )
            time.sleep(0.05)
        cpu = cpu_seconds(pid) - cpu
        time.sleep(0.3)
        bad = [r for r in replies if r.error or r.body is None or app_failed(r.body)]
        found = phases([r for r in replies if r not in bad], read_events(events, since))
        # One more Step, profiled (not timed).
        client.interact(
            "step",
            {"session_id": sid, "trigger": {"key": "btn_step"}},
            extra_headers={"X-Bench-Profile": "1"},
        )
        time.sleep(0.3)
    finally:
        client.close()
    return {"phases": found, "cpu": cpu / steps * 1e3, "errors": len(bad)}


def apptest_step(steps: int) -> dict[str, float]:
    """The same Step as an AppTest full rerun, in this process (as bench.page times it)."""
    from bench.page import ScriptClock, new_app

    clock = ScriptClock()
    with clock.installed():
        at = new_app()
        for _ in range(3):
            at.button(key="btn_step").click().run()
        clock.runs.clear()
        walls = []
        for _ in range(steps):
            start = time.perf_counter()
            at.button(key="btn_step").click().run()
            walls.append((time.perf_counter() - start) * 1e3)
    if at.exception:
        raise RuntimeError("the app raised in AppTest")
    collections = []
    for _ in range(3):  # what a server's script runner adds after every run; AppTest skips it
        start = time.perf_counter()
        gc.collect(2)
        collections.append((time.perf_counter() - start) * 1e3)
    return {"wall": median(walls), "script": median(clock.runs), "gc": median(collections)}


def top_functions(path: Path, calls: int, limit: int = 12) -> list[list[str]]:
    """The functions with the most own time in a cProfile dump, per profiled request."""
    import pstats

    if not path.exists():
        return []
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values()) or 1.0
    rows = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:limit]
    out = []
    for (filename, _line, name), (_cc, nc, tt, _ct, _callers) in rows:
        where = Path(filename).name if filename != "~" else ""
        label = f"{where}:{name}" if where else name
        for prefix in (str(ROOT), sys.prefix):
            label = label.replace(prefix, ".")
        out.append([label, fmt(nc / calls), fmt(tt / calls * 1e3), f"{tt / total:.0%}"])
    return out


def run_split(res: dict, quick: bool) -> None:
    steps = QUICK_SPLIT_STEPS if quick else SPLIT_STEPS
    cases: dict[str, dict] = {}
    loads = [load_marks()]
    profiles: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as keep:
        with instrumented_server(ROOT / "streamlit_app.py", ROOT) as (url, pid, events):
            cases["app, Storyboard (the default view)"] = split_case(url, pid, events, None, steps)
            for name in ("script", "build"):
                src = Path(f"{events}.{name}.prof")
                if src.exists():
                    profiles[name] = Path(keep) / f"{name}.prof"
                    profiles[name].write_bytes(src.read_bytes())
            if not quick:
                cases["app, Forward pass (a larger tree)"] = split_case(
                    url, pid, events, "Forward pass", steps
                )
        if not quick:
            app = ROOT / "streamlit_app.py"
            with instrumented_server(app, ROOT, ("--runner.postScriptGC=false",)) as server:
                cases["app, Storyboard; runner.postScriptGC off"] = split_case(*server, None, steps)
            with tempfile.TemporaryDirectory() as folder:
                tiny = Path(folder) / "tiny_app.py"
                tiny.write_text(TINY_APP)
                with instrumented_server(tiny, Path(folder)) as (url, pid, events):
                    cases["tiny app (one button, one metric)"] = split_case(
                        url, pid, events, None, steps
                    )
        loads.append(load_marks())
        names = list(cases)
        rows_order = [
            "client → server",
            "request checked, run started",
            "script run",
            "of which agent descriptions",
            "of which the garbage collection after the run",
            "script end → snapshot build starts",
            "of which handing messages to the agent client",
            "snapshot build",
            "JSON encoding",
            "encoded → interaction returns",
            "interaction returns → client has the body",
            "server: interaction total",
            "client: total",
        ]
        rows = [
            [f"**{r}**" if "total" in r else r]
            + [fmt(median(cases[n]["phases"].get(r, []))) for n in names]
            for r in rows_order
        ]
        rows.append(["server CPU per Step"] + [fmt(cases[n]["cpu"]) for n in names])
        rows.append(
            ["response, KB"]
            + [fmt(median(cases[n]["phases"].get("response KB", []))) for n in names]
        )
        table(
            res,
            f"Where one agent Step goes: one session, {steps} Steps one at a time, medians in ms "
            "(timers inside the server around Streamlit's agent code):",
            ["phase", *names],
            rows,
        )
        main = cases[names[0]]["phases"]
        check(
            res,
            "One agent Step alone: request to whole response (default view)",
            f"{fmt(median(main.get('client: total', [])))} ms",
            "—",
            "info",
            f"{fmt(p95(main.get('client: total', [])))} ms",
        )
        if not quick:
            at = apptest_step(steps)
            check(
                res,
                "The same Step in AppTest (a full rerun, in-process): wall; script thread; one "
                "gc.collect(2) in that process (AppTest's script runner skips it)",
                f"{fmt(at['wall'])} ms; {fmt(at['script'])} ms; {fmt(at['gc'])} ms",
                "—",
                "info",
            )
        for name, title in (
            ("script", "the script thread's own time in one profiled agent Step (fragment run)"),
            ("build", "the snapshot build and encoding in one profiled agent Step"),
        ):
            rows = top_functions(profiles.get(name, Path("-")), calls=1)
            if rows:
                table(
                    res,
                    f"cProfile of {title}, top functions by own time:",
                    ["function", "calls", "ms (profiled)", "share"],
                    rows,
                )
    errors = sum(c["errors"] for c in cases.values())
    res["notes"].append(
        "Split: one server with timers around `interact`, the script run, Streamlit's element "
        "descriptions for the agent API (`agent_spec.element` and `.block`), the snapshot build "
        "and the encoding; the same clock on both sides, one request at a time"
        f"; {errors} failed Steps. Load average before → after: "
        + " → ".join(f"{x:.2f}" for x in loads)
        + "."
    )


# ---- the sweep -------------------------------------------------------------------------------


def sweep(
    res: dict,
    interval: float,
    seconds: float,
    levels: Sequence[int],
    options: Sequence[str] = (),
    replicas: int = 0,
) -> None:
    rows: list[list[str]] = []
    best, missed = 0, 0
    todo = list(levels)

    def first_miss(rows: list[list[str]]) -> int:
        return next(i for i, row in enumerate(rows) if row[-1] != "yes") + 1

    while todo:
        n = todo.pop(0)
        before = load_marks()
        with servers_for(replicas, n, TTL, options) as (url, pids, header):
            run = load_run(url, Server(pids), n, interval, seconds, with_header=header)
        s = summarise(run)
        ok = (
            s["p95"] <= P95_TARGET_MS
            and s["errors"] == 0
            and s["app errors"] == 0
            and not s["wrong"]
        )
        m = run.marks
        rows.append(
            [
                str(n),
                f"{s['interactions']:,} ({s['rate']:.1f}/s of {s['offered']:.1f}/s)",
                fmt(s["p50"]),
                fmt(s["p95"]),
                fmt(s["max"]),
                f"{s['errors']}, {s['app errors']}, {s['wrong']}",
                f"{fmt(s['cpu per'])} ({s['cores']:.2f})",
                fmt((m["rss created"] - m["rss baseline"]) / n),
                f"{before:.2f} → {load_marks():.2f}",
                "yes" if ok else "**no**",
            ]
        )
        print(f"  {n} sessions: p95 {fmt(s['p95'])} ms, ok {ok}", file=sys.stderr, flush=True)
        if ok:
            best = max(best, n)
        else:
            missed = min(missed or n, n)
        if missed:
            # After the first miss, halve the gap between the largest class that met the bar and
            # the smallest that missed, at most BISECTIONS more levels.
            half = (best + missed + 1) // 2
            todo = (
                [half] if best < half < missed and len(rows) < first_miss(rows) + BISECTIONS else []
            )
    check(
        res,
        f"Largest class on {where(replicas)}: every session acts every {interval:g} s, p95 ≤ "
        f"{P95_TARGET_MS:.0f} ms, no errors, every count right",
        f"{best} sessions"
        + (" (the largest tried)" if best == levels[-1] else f" ({missed} missed)"),
        "—",
        "info",
    )
    table(
        res,
        f"Sweep: {where(replicas, fresh=True)} per level, {seconds:.0f} s each; after the first "
        "miss, up "
        f"to {BISECTIONS} levels halving the gap:",
        [
            "sessions",
            "interactions (rate of offered)",
            "p50 ms",
            "p95 ms",
            "max ms",
            "errors, app errors, wrong counts",
            "server CPU ms per interaction (cores)",
            "RSS MB per session",
            "load avg",
            "meets",
        ],
        rows,
    )


# ---- entry points ----------------------------------------------------------------------------


def run(
    quick: bool = False,
    sessions: int | None = None,
    interval: float = INTERVAL,
    seconds: float | None = None,
    url: str | None = None,
    pids: Sequence[int] = (),
    do_sweep: bool = False,
    watch: float | None = None,
    split: bool = True,
    ttl: int | None = None,
    options: Sequence[str] = (),
    replicas: int = 0,
) -> dict:
    sessions = sessions or (QUICK_SESSIONS if quick else SESSIONS)
    seconds = seconds or (QUICK_SECONDS if quick else SECONDS)
    res = result("agent_load", TITLE)
    setting = f" (server options: {', '.join(options)})" if options else ""
    if do_sweep:
        if url:
            raise SystemExit("--sweep starts its own servers; it does not take --url")
        levels = SWEEP_LEVELS if not replicas else tuple(n * replicas for n in SWEEP_LEVELS[:4])
        per_level = seconds if seconds != SECONDS else SWEEP_SECONDS
        sweep(res, interval, per_level, levels, options, replicas)
        res["notes"].append(f"Sweep{setting}.")
        return res
    if url:
        loaded = load_run(
            loopback_url(url),
            Server(pids),
            sessions,
            interval,
            seconds,
            with_header=True,
            watch=watch or 0.0,
            ttl=ttl,
        )
        report_load(res, loaded, "the server or balancer at --url")
        return res
    ttl = ttl or (QUICK_TTL if quick else TTL)
    watch = (QUICK_WATCH if quick else WATCH) if watch is None else watch
    with servers_for(replicas, sessions, ttl, options) as (local_url, server_pids, header):
        loaded = load_run(
            local_url,
            Server(server_pids),
            sessions,
            interval,
            seconds,
            with_header=header,
            watch=watch,
            ttl=ttl,
            metrics_url=None if replicas else local_url,
        )
    report_load(res, loaded, where(replicas))
    if setting:
        res["notes"].append(f"Load run{setting}.")
    if split and not replicas:
        run_split(res, quick)
    return res


def where(replicas: int, fresh: bool = False) -> str:
    start = "a fresh " if fresh else "one "
    if not replicas:
        return start + "local server"
    return (
        f"{'fresh ' if fresh else ''}{replicas} replicas behind HAProxy (deploy/run.sh, sticky on "
        "the X-Student header)"
    )


def main() -> None:
    if "--serve-instrumented" in sys.argv:  # internal: the split's server process
        at, rest = sys.argv.index("--serve-instrumented"), sys.argv.index("--")
        instrumented_server_main(sys.argv[at + 1], sys.argv[rest + 1 :])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    parser.add_argument("--sessions", type=int, help=f"default {SESSIONS} ({QUICK_SESSIONS} quick)")
    parser.add_argument("--interval", type=float, default=INTERVAL, help="seconds between acts")
    parser.add_argument(
        "--seconds", type=float, help=f"default {SECONDS:.0f} ({SWEEP_SECONDS:.0f} per sweep level)"
    )
    parser.add_argument("--url", help="drive this server or balancer (loopback only)")
    parser.add_argument("--pids", help="with --url: server processes to measure, comma-separated")
    parser.add_argument("--sweep", action="store_true", help="the largest class at p95 ≤ 300 ms")
    parser.add_argument(
        "--watch", type=float, help=f"seconds to watch the memory (default {WATCH:.0f})"
    )
    parser.add_argument("--ttl", type=int, help=f"server.agentSessionTTL here (default {TTL})")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        help="another Streamlit option for the server started here, e.g. runner.postScriptGC=false",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="start this many servers behind HAProxy with deploy/run.sh instead of one",
    )
    parser.add_argument("--no-split", action="store_true", help="skip the per-Step split")
    parser.add_argument("--json", type=Path, help="write the result as JSON to this file")
    args = parser.parse_args()
    if args.url and (args.option or args.replicas):
        parser.error("--option and --replicas are for the servers started here, not with --url")
    if args.url:
        try:
            loopback_url(args.url)
        except ValueError as err:
            parser.error(str(err))
    res = run(
        quick=args.quick,
        sessions=max(1, min(args.sessions, 500)) if args.sessions else None,
        interval=max(0.2, args.interval),
        seconds=args.seconds and max(1.0, min(args.seconds, 900.0)),
        url=args.url,
        pids=[int(p) for p in args.pids.split(",")] if args.pids else [],
        do_sweep=args.sweep,
        watch=None if args.watch is None else max(0.0, min(args.watch, 600.0)),
        split=not args.no_split,
        ttl=args.ttl and max(1, min(args.ttl, 3600)),
        options=args.option,
        replicas=max(0, min(args.replicas, 16)),
    )
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    else:
        sys.stdout.write(to_markdown(res))


if __name__ == "__main__":
    main()
