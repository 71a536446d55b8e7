"""Structured logs of a real server process: one JSON object per line on stderr, and every
request's access-log line carries its request id (the caller's ``X-Request-ID``, or a
generated one), which the response echoes."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import pymongo
import requests

from server.embedded import free_port
from tests.support.server_fixtures import BIN, FAST_BCRYPT


def test_a_server_process_logs_json_lines_with_the_request_id(mongo_uri, tmp_path):
    database = f"t_{uuid.uuid4().hex[:16]}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLPOINT_")}
    env.update({"TILLPOINT_MONGODB_URI": mongo_uri, "TILLPOINT_MONGODB_DB": database,
                "TILLPOINT_BCRYPT_ROUNDS": str(FAST_BCRYPT), "TILLPOINT_JWT_SECRET": "y" * 48,
                "TILLPOINT_EMAIL_WORKER": "0", "TILLPOINT_SERVER_DATA_DIR": str(tmp_path / "data")})
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        process = subprocess.Popen([str(BIN / "tillpoint-server"), "--port", str(port)], env=env,
                                   stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        given = requests.get(base + "/health", headers={"X-Request-ID": "till-7.req_42"}, timeout=5)
        generated = requests.get(base + "/api/v1/nowhere", timeout=5)
        forged = requests.get(base + "/health", headers={"X-Request-ID": "bad id\" {"}, timeout=5)
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0
        pymongo.MongoClient(mongo_uri).drop_database(database)

    assert given.headers["x-request-id"] == "till-7.req_42"
    assert len(generated.headers["x-request-id"]) == 32  # a uuid4, hex
    assert forged.headers["x-request-id"] not in ("bad id\" {", "")  # not echoed: replaced

    assert out.read_bytes() == b""  # logs go to stderr only
    lines = err.read_text().splitlines()
    assert lines, "the server logged nothing"
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(e, dict) and {"ts", "level", "logger", "message", "pid"} <= e.keys()
               for e in entries)
    access = {e["request_id"]: e for e in entries if e["logger"] == "tillpoint.access"}
    assert access["till-7.req_42"]["route"] == "/health"
    assert access["till-7.req_42"]["status"] == 200
    assert access[generated.headers["x-request-id"]]["status"] == 404
    assert access[forged.headers["x-request-id"]]["path"] == "/health"
    assert any(e["logger"].startswith("uvicorn") for e in entries)  # uvicorn's own lines too


def _wait_ready(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited with {process.returncode}"
        try:
            if requests.get(base + "/ready", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError("the server never became ready")
