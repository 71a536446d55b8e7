"""Saying when the register is ready, for measuring cold start (``tests/perf/bench_till.py``).

Off unless ``TILLPOINT_READY_FILE`` names a path. Then, once the till's sign-in page has its
staff list loaded and the window has been painted with it, the seconds since the process started
are written to that file (``"1.234\\n"``, written whole then renamed into place, so a reader
never sees half a number); with ``TILLPOINT_EXIT_WHEN_READY=1`` the application then quits with
exit code 0. Nothing else changes: the window behaves exactly as without the variables.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

ENV_READY_FILE = "TILLPOINT_READY_FILE"
ENV_EXIT_WHEN_READY = "TILLPOINT_EXIT_WHEN_READY"

_IMPORTED = time.monotonic()  # the fallback origin where the process start is not known


def seconds_since_process_start() -> float:
    """From the kernel's record of when this process started (Linux, 10 ms ticks); elsewhere
    from when this module was imported, which misses the interpreter's own start."""
    try:
        stat = Path("/proc/self/stat").read_text()
        # the fields after the command name, which may itself hold spaces and parentheses
        started_ticks = int(stat[stat.rindex(")") + 2:].split()[19])
        since_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
        return max(0.0, since_boot - started_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _IMPORTED


def install(window: QWidget, till_screen: QWidget | None) -> None:
    """Watch ``till_screen`` (a RegisterScreen) for its first loaded staff list; no-op when
    ``TILLPOINT_READY_FILE`` is unset or there is no till screen."""
    target = os.environ.get(ENV_READY_FILE)
    if not target or till_screen is None:
        return
    exit_after = os.environ.get(ENV_EXIT_WHEN_READY) == "1"
    done = False

    def ready(_count: int) -> None:
        nonlocal done
        if done:
            return
        done = True
        window.repaint()  # painted with the list before we call it ready
        path = Path(target)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(f"{seconds_since_process_start():.3f}\n")
        partial.replace(path)
        if exit_after:
            app = QApplication.instance()
            if app is not None:
                app.exit(0)  # not quit(): a close confirmation must not hold the measurement

    till_screen.signin_page.staff_loaded.connect(ready)
