"""Memory freed by ended sessions goes back to the operating system (glibc's malloc_trim)."""

from __future__ import annotations

import ctypes
import threading

import pytest

from tests.app_helpers import new_app
from views import freed_memory

trim = freed_memory.malloc_trim()
needs_glibc = pytest.mark.skipif(trim is None, reason="the C library has no malloc_trim")


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


@needs_glibc
def test_trim_gives_back_the_holes_left_between_live_blocks() -> None:
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    blocks = [libc.malloc(16_384) for _ in range(4_000)]  # 64 MB, below the mmap threshold
    for block in blocks:
        libc.memset(block, 1, 16_384)  # touched, so resident
    kept = blocks[::50]  # one block in 50 stays alive: the heap cannot shrink from its top
    for block in blocks:
        if block not in kept:
            libc.free(block)
    before = resident_mb()
    assert trim() is True
    assert before - resident_mb() > 30  # most of the 63 MB freed in the holes went back
    for block in kept:
        libc.free(block)


@needs_glibc
def test_the_app_starts_one_trimming_thread_per_process() -> None:
    new_app(view=None)
    named = [t for t in threading.enumerate() if t.name == freed_memory.THREAD_NAME]
    assert len(named) == 1 and named[0].daemon
    assert freed_memory.start_returning_freed_memory() is False  # only ever once
    assert 0 < freed_memory.TRIM_EVERY_S <= 60  # soon after a class, not hours later


def test_it_trims_only_after_a_quiet_half_minute() -> None:
    assert freed_memory.quiet(cpu_seconds=0.4, wall_seconds=30)  # sessions gone, a health check
    assert not freed_memory.quiet(cpu_seconds=3.0, wall_seconds=30)  # a tenth of a core: a class
    assert not freed_memory.quiet(cpu_seconds=25.0, wall_seconds=30)
