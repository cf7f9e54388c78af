"""The objects alive after the first run are frozen out of the garbage collector, once."""

from __future__ import annotations

import gc
import weakref

import pytest

from tests.app_helpers import new_app
from views import startup_objects


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_app_freezes_its_startup_objects() -> None:
    new_app(view=None)
    assert gc.get_freeze_count() > 10_000  # the libraries and modules, not a handful of objects
    assert startup_objects.freeze_startup_objects() is False  # only ever once per process


def test_garbage_is_collected_before_the_freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(startup_objects, "_frozen", False)
    garbage = Cycle()
    gone = weakref.ref(garbage)
    kept = Cycle()
    del garbage
    frozen_before = gc.get_freeze_count()
    assert startup_objects.freeze_startup_objects() is True
    assert gone() is None  # unreachable cycles go first instead of being frozen for good
    assert gc.get_freeze_count() > frozen_before
    assert startup_objects.freeze_startup_objects() is False
    del kept
