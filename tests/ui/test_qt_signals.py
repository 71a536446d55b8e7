"""Guards against a Qt binding that corrupts the interpreter when signals are emitted.

PySide6 6.12.0 takes one reference from ``True`` on every emit from Python; on Python 3.11 the
process aborts ("bool_dealloc") after a few thousand emits — a till would die mid-shift. The
dependency is pinned below 6.12; this test fails if an upgrade brings the defect back. It runs
in a child process so a defective binding aborts the child, not the suite.
"""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Source(QObject):
    changed = Signal(object)
source = Source()
received = []
source.changed.connect(received.append)
before = sys.getrefcount(True)
for n in range(5000):
    source.changed.emit(n)
print(len(received), before - sys.getrefcount(True))
"""


def test_emitting_signals_does_not_corrupt_the_interpreter():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert result.returncode == 0, result.stderr[-2000:]
    received, lost = map(int, result.stdout.split())
    assert received == 5000
    assert abs(lost) < 50, f"{lost} references to True lost over 5000 emits"
