"""Both console scripts of the contract exist and answer --version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app import __version__

BIN = Path(sys.executable).parent


def test_tillpoint_server_reports_its_version():
    result = subprocess.run([str(BIN / "tillpoint-server"), "--version"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == f"tillpoint-server {__version__}"


def test_tillpoint_server_refuses_a_bad_worker_count():
    result = subprocess.run([str(BIN / "tillpoint-server"), "--workers", "0"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "--workers must be at least 1" in result.stderr
