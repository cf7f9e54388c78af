"""Benchmarks of the engine, the page and the server; `python -m bench.run_all` runs them all.

Each benchmark module has `run(quick) -> dict` (a result: title, notes, tables, checks against
targets) and a `main()` that prints its result as Markdown, or writes it as JSON with `--json`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_FILE = ROOT / "streamlit_app.py"


# ---- statistics and formatting ------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def p95(values: Sequence[float]) -> float:
    """The nearest-rank 95th percentile (the largest value for fewer than 20 samples)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def fmt(value: float | None, digits: int = 3) -> str:
    """A number with `digits` significant digits and thousands separators; '—' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.2f}x"


# ---- results ------------------------------------------------------------------------------------


def result(key: str, title: str) -> dict:
    """An empty result; benchmarks fill in notes, tables and checks."""
    return {"key": key, "title": title, "notes": [], "tables": [], "checks": []}


def table(res: dict, caption: str, columns: list[str], rows: list[list[str]]) -> None:
    res["tables"].append({"caption": caption, "columns": columns, "rows": rows})


def check(
    res: dict,
    what: str,
    median_text: str,
    target: str,
    ok: bool | str | None,
    p95_text: str = "—",
) -> None:
    """One measure against its target; ok None means it could not be measured, "info" that it
    has no target."""
    res["checks"].append(
        {"what": what, "median": median_text, "p95": p95_text, "target": target, "ok": ok}
    )


def verdict(ok: bool | str | None) -> str:
    return {True: "PASS", False: "**FAIL**", None: "not measured", "info": "—"}[ok]


def _markdown_table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def to_markdown(res: dict, level: int = 2) -> str:
    lines = [f"{'#' * level} {res['title']}", ""]
    if res["checks"]:
        rows = [
            [c["what"], c["median"], c["p95"], c["target"], verdict(c["ok"])] for c in res["checks"]
        ]
        lines += _markdown_table(["Measure", "Median", "p95", "Target", "Result"], rows)
        lines.append("")
    for t in res["tables"]:
        lines += [t["caption"], ""] if t["caption"] else []
        lines += _markdown_table(t["columns"], t["rows"])
        lines.append("")
    lines += [f"- {note}" for note in res["notes"]]
    return "\n".join(lines).rstrip() + "\n"


# ---- the machine --------------------------------------------------------------------------------


def blas_threads() -> str:
    """The BLAS/OpenMP thread pools numpy (and torch) use, if threadpoolctl is installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ""
    pools = [
        f"{p.get('internal_api')} {p.get('num_threads')} threads"
        + (f" ({p['architecture']} kernels)" if p.get("architecture") else "")
        for p in threadpool_info()
    ]
    return ", ".join(pools)


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process in MB (psutil if installed, else /proc)."""
    pid = os.getpid() if pid is None else pid
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 1e6
    except ImportError:
        pass
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return math.nan


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process so far (Linux /proc), NaN if unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        out += children
        todo += children
    return out


class CpuMeter:
    """CPU seconds used since start() by the server and by this process's other children (the
    browser), polled so that processes which end in between are still counted."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def _sample(self) -> dict[int, float]:
        pids = descendants(os.getpid())
        return {p: t for p in pids if not math.isnan(t := cpu_seconds(p))}

    def start(self) -> None:
        self.first = self._sample()
        self.last = dict(self.first)

    def poll(self) -> None:
        self.last.update(self._sample())

    def used(self) -> tuple[float, float]:
        spent = {p: t - self.first.get(p, 0.0) for p, t in self.last.items()}
        server = spent.pop(self.server_pid, 0.0)
        return server, sum(spent.values())


def machine() -> dict[str, str]:
    import numpy
    import streamlit

    return {
        "cpu_count": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "streamlit": streamlit.__version__,
    }


# ---- command line -------------------------------------------------------------------------------


def cli(run: Callable[[bool], dict], description: str) -> None:
    """`python -m bench.NAME [--quick] [--json PATH]`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short run (fewer repetitions)")
    parser.add_argument("--json", type=Path, help="write the result as JSON to this file")
    args = parser.parse_args()
    res = run(args.quick)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    else:
        sys.stdout.write(to_markdown(res))
