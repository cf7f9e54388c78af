"""Keep Streamlit's garbage collection after every run cheap on a server full of students.

Streamlit runs a full garbage collection after every script run, fragment reruns included. A full
collection walks every object the process holds: Streamlit, pandas, numpy, Altair, this app's
modules and every live session. Here that took about 55 ms of the 80 ms a Step costs, and it holds
the interpreter, so every other student's press waits behind it.

Almost all of those objects are loaded once and live as long as the process. After the first
complete run, when everything a page needs has been imported and built, they are moved out of the
collector's reach with `gc.freeze()`. The collection after each run then looks only at what
sessions created since, which is the garbage it is there for. Frozen objects are still freed the
ordinary way when nothing refers to them; only cycles among them would stay, and those can only
come from what was alive at that one moment (the first session's page).
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False  # process-wide, like the modules it is about; no user's data lives here


def freeze_startup_objects() -> bool:
    """Once per process: collect, then freeze everything alive. True on the call that froze."""
    global _frozen
    with _lock:
        if _frozen:
            return False
        gc.collect()  # this run's garbage goes first, so none of it is frozen for good
        gc.freeze()
        _frozen = True
        return True
