"""Give the memory that ended sessions freed back to the operating system.

Streamlit runs each session's script in a thread of its own, and glibc's malloc gives each thread
that allocates a heap of its own (up to eight per core). When a class ends, the sessions' objects
are freed, but the free space sits in holes between the few blocks that stay alive, and glibc only
gives back what is free at the top of a heap. So the server stayed 13-25 % above what it used
before the class. `malloc_trim(0)` hands every whole free page of every heap back: after a
40-session class the server came back to 1.09× instead of 1.25× (docs/benchmarks.md).

A background thread looks every half minute and trims when the server was quiet over that half
minute (under a tenth of a core). So it needs no word of when sessions end, and never trims in
the middle of a class, where the pages given back would be asked for again at once and the trim
would hold each heap's lock while students press. The call runs without Python's interpreter
lock. Where the C library has no `malloc_trim` (macOS, musl), nothing is started.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable

TRIM_EVERY_S = 30.0
QUIET_CORES = 0.1  # the share of one core below which the server counts as quiet
THREAD_NAME = "return-freed-memory"

_lock = threading.Lock()
_started = False  # process-wide, like the heaps it is about; no user's data lives here


def malloc_trim() -> Callable[[], bool] | None:
    """glibc's `malloc_trim(0)` as a function returning whether memory went back, or None."""
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: bool(trim(0))


def start_returning_freed_memory() -> bool:
    """Once per process, where glibc is there: start the thread. True on the call that did."""
    global _started
    with _lock:
        if _started:
            return False
        _started = True
        trim = malloc_trim()
        if trim is None:
            return False
        threading.Thread(target=_every, args=(trim,), name=THREAD_NAME, daemon=True).start()
        return True


def quiet(cpu_seconds: float, wall_seconds: float) -> bool:
    """Whether the process used under `QUIET_CORES` of a core over that time."""
    return cpu_seconds < QUIET_CORES * wall_seconds


def _every(trim: Callable[[], bool]) -> None:
    cpu_before = time.process_time()  # every thread of the process
    while True:
        time.sleep(TRIM_EVERY_S)
        if quiet(time.process_time() - cpu_before, TRIM_EVERY_S):
            trim()
        cpu_before = time.process_time()
