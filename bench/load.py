"""Ten browser sessions pressing Step at once against one local server (127.0.0.1 only).

`python -m bench.load [--quick] [--sessions N] [--seconds S]`: one Chromium with one context
(a Streamlit session) per user; each presses Step, waits for the new count, and presses again
until the time is up; every wait and the whole run have hard limits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import (
    CpuMeter,
    check,
    fmt,
    median,
    p95,
    result,
    rss_mb,
    table,
    to_markdown,
)
from bench.browser import (
    ARM_JS,
    IDLE,
    INSTALL_JS,
    LAUNCH_ARGS,
    STEP_BUTTON,
    STEP_TEXT_JS,
    VIEWPORT,
    WAIT_JS,
    shown,
)
from tests.browser.server import app_server_process, find_chromium

SESSIONS, SECONDS, QUICK_SECONDS = 10, 60.0, 15.0
CLICK_TIMEOUT_S = 30.0  # one click's wait for its result
GRACE_S = 120.0  # beyond the run time, before everything is cancelled


@dataclass
class Session:
    name: str
    latencies: list[float] = field(default_factory=list)
    to_running: list[float] = field(default_factory=list)
    long_tasks: list[float] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    clicks_done: int = 0
    shown_at_end: str | None = None
    exceptions: int = 0


async def user(browser, url: str, session: Session, start: asyncio.Event, stop_at: list[float]):
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        page = await context.new_page()
        page.set_default_timeout(60_000)
        page.on(
            "console",
            lambda m: session.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: session.console_errors.append(str(e)))
        await page.goto(url)
        await page.wait_for_selector(IDLE)
        await page.locator(STEP_BUTTON).first.wait_for()
        await page.wait_for_function(STEP_TEXT_JS)
        await page.evaluate(INSTALL_JS)
        session.shown_at_end = await page.evaluate(STEP_TEXT_JS)
        await start.wait()
        while time.monotonic() < stop_at[0]:
            await page.evaluate(ARM_JS, shown(session.clicks_done + 1))
            try:
                await page.locator(STEP_BUTTON).filter(visible=True).click(timeout=15_000)
                times = await asyncio.wait_for(page.evaluate(WAIT_JS), CLICK_TIMEOUT_S)
            except Exception as err:  # a timeout or a closed page: counted, then this user stops
                session.failures.append(f"click {session.clicks_done + 1}: {err!r}"[:300])
                break
            session.clicks_done += 1
            session.latencies.append(times["total"])
            session.to_running.append(times["toRunning"])
            session.long_tasks.append(times["longTasks"])
        await page.wait_for_timeout(500)
        session.shown_at_end = await page.evaluate(STEP_TEXT_JS)
        session.exceptions = await page.get_by_test_id("stException").count()
    finally:
        await context.close()


async def settle(cpu: CpuMeter, limit_s: float = 30.0) -> None:
    """Wait (at most `limit_s`) until the freshly loaded pages stop rendering: the browser uses
    under a fifth of a core over one second."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        cpu.start()
        await asyncio.sleep(1.0)
        cpu.poll()
        if cpu.used()[1] < 0.2:
            return


async def drive(
    url: str, chromium: str, sessions: list[Session], seconds: float, server_pid: int
) -> dict:
    from playwright.async_api import async_playwright

    def rss() -> float:
        return rss_mb(server_pid)

    cpu = CpuMeter(server_pid)
    marks: dict[str, float] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            start = asyncio.Event()
            stop_at = [float("inf")]
            tasks = [asyncio.create_task(user(browser, url, s, start, stop_at)) for s in sessions]
            # Let every session load before the clock starts.
            deadline = time.monotonic() + 120
            while (
                any(s.shown_at_end is None for s in sessions)
                and time.monotonic() < deadline
                and not all(t.done() for t in tasks)
            ):
                await asyncio.sleep(0.2)
            await settle(cpu)
            marks["after loading"] = marks["at the end"] = rss()
            cpu.start()
            stop_at[0] = time.monotonic() + seconds
            began = time.monotonic()
            start.set()
            hard_stop = began + seconds + GRACE_S
            while not all(t.done() for t in tasks) and time.monotonic() < hard_stop:
                if time.monotonic() < stop_at[0]:
                    cpu.poll()
                    marks["at the end"] = rss()
                await asyncio.sleep(0.5)
            cpu.poll()
            pending = [t for t in tasks if not t.done()]
            for task in pending:
                task.cancel()
            marks["elapsed"] = time.monotonic() - began
            marks["cancelled"] = len(pending)
            for task, session in zip(tasks, sessions, strict=True):
                if task.done() and not task.cancelled() and task.exception() is not None:
                    session.failures.append(repr(task.exception())[:300])
            marks["server cpu"], marks["browser cpu"] = cpu.used()
        finally:
            await browser.close()
    return marks


def run(quick: bool = False, sessions: int = SESSIONS, seconds: float | None = None) -> dict:
    seconds = seconds or (QUICK_SECONDS if quick else SECONDS)
    res = result("load", f"Load: {sessions} browser sessions pressing Step for {seconds:.0f} s")
    chromium = find_chromium()
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        chromium = None
    if chromium is None:
        check(res, "Sessions' numbers correct, no errors", "—", "all", None)
        res["notes"].append("Not measured: no Chromium, or the playwright package is missing.")
        return res
    users = [Session(f"user {i + 1}") for i in range(sessions)]
    with app_server_process() as (url, proc):
        rss_start = rss_mb(proc.pid)
        marks = asyncio.run(drive(url, chromium, users, seconds, proc.pid))
        time.sleep(3)
        rss_closed = rss_mb(proc.pid)
    report(res, users, seconds, marks, rss_start, rss_closed)
    return res


def report(res, users, seconds, marks, rss_start, rss_closed) -> None:
    latencies = [x for s in users for x in s.latencies]
    clicks = sum(s.clicks_done for s in users)
    wrong = [s for s in users if s.shown_at_end != shown(s.clicks_done)]
    failures = sum(len(s.failures) for s in users)
    exceptions = sum(s.exceptions for s in users)
    console = sum(len(s.console_errors) for s in users)
    check(
        res,
        "Step click to rendered, all sessions",
        f"{fmt(median(latencies))} ms",
        "— (browser target for one session: ≤ 400 ms)",
        "info",
        f"{fmt(p95(latencies))} ms",
    )
    check(
        res,
        "of which: click event → script state running",
        f"{fmt(median([x for s in users for x in s.to_running]))} ms",
        "—",
        "info",
        f"{fmt(p95([x for s in users for x in s.to_running]))} ms",
    )
    check(
        res,
        "of which: the page's main-thread long tasks (> 50 ms each)",
        f"{fmt(median([x for s in users for x in s.long_tasks]))} ms",
        "—",
        "info",
        f"{fmt(p95([x for s in users for x in s.long_tasks]))} ms",
    )
    elapsed, per_click = marks["elapsed"], max(clicks, 1)
    check(
        res,
        "CPU used during the run: server, browser (cores' worth; ms per click)",
        f"{marks['server cpu']:.1f} s ({marks['server cpu'] / elapsed:.2f}; "
        f"{fmt(marks['server cpu'] / per_click * 1e3)}), "
        f"{marks['browser cpu']:.1f} s ({marks['browser cpu'] / elapsed:.2f}; "
        f"{fmt(marks['browser cpu'] / per_click * 1e3)})",
        "—",
        "info",
    )
    check(
        res,
        "Clicks completed (all sessions)",
        f"{clicks:,} ({clicks / marks['elapsed']:.1f}/s)",
        "—",
        "info",
    )
    check(
        res,
        "Errors: app exceptions, console errors, failed or timed-out clicks",
        f"{exceptions}, {console}, {failures}",
        "0, 0, 0",
        exceptions == console == failures == 0,
    )
    check(
        res,
        "Sessions whose Step metric ≠ their completed clicks",
        f"{len(wrong)} of {len(users)}",
        "0",
        not wrong,
    )
    check(
        res,
        "Server RSS: start → all loaded → end → 3 s after the sessions closed",
        f"{fmt(rss_start)} → {fmt(marks['after loading'])} → {fmt(marks['at the end'])} → "
        f"{fmt(rss_closed)} MB",
        "—",
        "info",
    )
    table(
        res,
        "Per session:",
        ["session", "clicks", "Step shown", "median ms", "p95 ms", "max ms", "errors"],
        [
            [
                s.name,
                str(s.clicks_done),
                s.shown_at_end or "—",
                fmt(median(s.latencies)),
                fmt(p95(s.latencies)),
                fmt(max(s.latencies, default=float("nan"))),
                str(s.exceptions + len(s.console_errors) + len(s.failures)),
            ]
            for s in users
        ],
    )
    samples = [e for s in users for e in (s.failures + s.console_errors)][:5]
    res["notes"] += [
        f"One server on 127.0.0.1 and one headless Chromium with one context per session, all "
        f"on this machine's {fmt_cores()} cores. Once every page has loaded and the browser "
        f"has gone quiet (at most 30 s), each session clicks Step, waits for its new "
        f"count to render (as in the browser benchmark), then clicks again, for {seconds:.0f} s "
        f"(ran {marks['elapsed']:.1f} s; {marks['cancelled']} sessions cancelled at the hard "
        "stop). Latency is click event to rendered, measured in the page.",
        "The browser's rendering competes with the server for the same cores, so these "
        "latencies are an upper bound for the server's share.",
    ]
    if samples:
        res["notes"].append("First errors: " + " | ".join(x.replace("|", "/") for x in samples))


def fmt_cores() -> str:
    return str(os.cpu_count())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS:.0f} s")
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--json", type=Path, help="write the result as JSON to this file")
    args = parser.parse_args()
    res = run(args.quick, max(1, min(args.sessions, 20)), args.seconds)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    else:
        sys.stdout.write(to_markdown(res))


if __name__ == "__main__":
    main()
