"""``EmbeddedDatabase`` edge cases after a crash, without starting SecantusDB: a dead owner's
child still stopping, and a state file left over from the previous run."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from server.embedded import EmbeddedDatabase, free_port, uri_for


def test_a_new_owner_waits_for_the_previous_runs_database_to_stop(tmp_path):
    """While a dead owner's child is still going, it holds WiredTiger's lock: starting another
    on the same files at once would fail ("resource busy")."""
    embedded = EmbeddedDatabase(tmp_path)
    embedded.storage.mkdir(parents=True)
    # Stands in for that child: a process with the storage path in its command line.
    stopping = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5)",
                                 "--storage-path", str(embedded.storage)])
    embedded.state_file.write_text(json.dumps({"port": 1, "pid": stopping.pid, "owner_pid": 1}))
    reaper = threading.Thread(target=stopping.wait)  # our child: reap it, as init would
    reaper.start()
    started = time.monotonic()
    embedded._wait_for_previous_child()
    assert time.monotonic() - started >= 1.0
    reaper.join()
    assert stopping.returncode == 0  # it was waited for, not killed


def test_an_unrelated_process_with_a_reused_pid_is_not_waited_for(tmp_path):
    embedded = EmbeddedDatabase(tmp_path)
    embedded.state_file.parent.mkdir(parents=True, exist_ok=True)
    embedded.state_file.write_text(json.dumps({"port": 1, "pid": os.getpid(), "owner_pid": 1}))
    started = time.monotonic()
    embedded._wait_for_previous_child()
    assert time.monotonic() - started < 0.5


def test_a_second_process_is_not_misled_by_the_previous_runs_state_file(tmp_path, mongo_uri):
    """The owner holds the lock but has not yet rewritten ``embedded.json``, which still names
    the port of the run before: the second process must wait for the new one, not fail."""
    tmp_path.mkdir(exist_ok=True)
    owner_lock = os.open(tmp_path / "embedded.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(owner_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the "owner", still starting
    state_file = tmp_path / "embedded.json"
    state_file.write_text(json.dumps({"port": free_port(), "pid": 1, "owner_pid": 1}))  # stale
    running_port = urlsplit(mongo_uri).port

    def owner_finishes_starting() -> None:
        time.sleep(1)
        state_file.write_text(json.dumps({"port": running_port, "pid": 1, "owner_pid": 1}))

    threading.Thread(target=owner_finishes_starting, daemon=True).start()
    try:
        second = EmbeddedDatabase(tmp_path)
        assert second.connect_or_start() == uri_for(running_port)
        assert not second.owned
        second.stop()  # not the owner: stops nothing, leaves the state file
        assert state_file.exists()
    finally:
        os.close(owner_lock)


def test_a_child_whose_parent_already_died_stops_itself():
    """PDEATHSIG only covers a parent that dies after it is set: a worker importing the app for
    a second may find its supervisor already gone, and must not serve on as an orphan."""
    code = ("import time; from server.embedded import die_with_parent\n"
            "die_with_parent({parent}); time.sleep(10); print('still here')")
    orphan = subprocess.run([sys.executable, "-c", code.format(parent=2**22 + 1)],
                            capture_output=True, text=True, timeout=30)
    assert orphan.returncode == -15 and "still here" not in orphan.stdout
    kept = subprocess.run([sys.executable, "-c", code.format(parent=os.getpid()).replace(
        "time.sleep(10)", "time.sleep(0)")], capture_output=True, text=True, timeout=30)
    assert kept.returncode == 0 and "still here" in kept.stdout
