"""Benchmark (not a timed test): the central server's throughput and latency for logging in and
for an authenticated read, beside the raw cost of the same database work.

    python -m tests.perf.bench_server [--seconds S] [--concurrency C] [--workers W] [--quick]

Starts SecantusDB (``--sync-on-commit``, as the embedded database runs) in a temporary directory
and a real ``tillpoint-server`` process on it, creates a user with ``tillpoint-server
create-user``, then drives the server from a second process with C concurrent clients (threads,
one keep-alive HTTP session each) for S seconds per row:

- ``POST /api/v1/auth/login``, and the database work a login does, in raw pymongo from the same
  process with the same concurrency: two rate-limit counters (upsert + read each), find the user
  by e-mail, reset its login counters, and in one transaction the refresh-token family and token;
  plus one bcrypt check at the same cost, which is what dominates a login;
- ``GET /api/v1/auth/me``, and its database work: the revoked-token lookup and the user lookups.

Full mode uses bcrypt cost 12, the production default; ``--quick`` (and the smoke test) cost 4.
Server, database and clients share this machine's CPUs: the figures are for comparison between
runs and rows, not a capacity plan.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from hashlib import sha256
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

DEFAULT_SECONDS = 10.0
DEFAULT_CONCURRENCY = 8
PRODUCTION_BCRYPT = 12
QUICK_BCRYPT = 4
EMAIL, PASSWORD = "bench@shop.test", "bench-password-1"
UNLIMITED = str(10**9)  # the auth rate limits would otherwise turn most logins into 429s
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ROWS = [("login", "POST /api/v1/auth/login"),
        ("raw_login", "  its database work, raw pymongo"),
        ("bcrypt", "  one bcrypt check at the same cost"),
        ("me", "GET /api/v1/auth/me"),
        ("raw_me", "  its database work, raw pymongo")]


def percentile(samples_ns: list[int], pct: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(samples_ns)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1] / 1e6


# -- the clients (run in a second process: ``--drive``) --------------------------------------

def _timed(op: Callable[[Any], bool], setup: Callable[[], Any], *, seconds: float,
           concurrency: int) -> dict[str, float]:
    """Run ``op(state)`` in ``concurrency`` threads (``state = setup()`` each) for ``seconds``
    after one unmeasured warm-up call each; rate and latency of the calls that succeeded."""
    latencies: list[int] = []
    errors = [0]
    lock = threading.Lock()
    window: dict[str, float] = {}

    def open_window() -> None:  # runs once, when every client is warm, before any goes on
        window["start"] = time.perf_counter()
        window["end"] = window["start"] + seconds

    ready = threading.Barrier(concurrency, action=open_window)

    def attempt(state: Any) -> bool:
        try:
            return op(state)
        except Exception:  # noqa: BLE001 - a failed call is counted, and must not stop a client
            return False

    def client() -> None:
        state = setup()
        attempt(state)
        ready.wait()
        mine, failed = [], 0
        while time.perf_counter() < window["end"]:
            started = time.perf_counter_ns()
            if attempt(state):
                mine.append(time.perf_counter_ns() - started)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - window["start"]
    if not latencies:
        raise RuntimeError(f"no call succeeded ({errors[0]} failed)")
    return {"count": len(latencies), "errors": errors[0], "rps": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)}


def _drive(config: dict[str, Any]) -> dict[str, dict[str, float]]:
    import bcrypt
    import requests

    from server.database import connect

    base, seconds, concurrency = config["base_url"], config["seconds"], config["concurrency"]
    client = connect(config["mongo_uri"])  # the server's own client settings (w=majority …)
    db = client[config["database"]]
    user = db.users.find_one({"email": EMAIL})
    login_body = {"email": EMAIL, "password": PASSWORD}
    token = requests.post(f"{base}/api/v1/auth/login", json=login_body, timeout=60).json()
    jti = _jwt_claims(token["access_token"])["jti"]

    def session(auth: bool = False) -> Any:
        s = requests.Session()
        if auth:
            s.headers["Authorization"] = f"Bearer {token['access_token']}"
        return s

    def login(s: Any) -> bool:
        return s.post(f"{base}/api/v1/auth/login", json=login_body, timeout=60).status_code == 200

    def me(s: Any) -> bool:
        return s.get(f"{base}/api/v1/auth/me", timeout=60).status_code == 200

    def raw_login(_: Any) -> bool:  # what server/auth/sessions.login asks of the database
        now = datetime.now(timezone.utc)
        window = math.floor(time.time() / 60) * 60
        for scope, key in (("auth.login.ip", "bench-raw"), ("auth.login.account", EMAIL)):
            doc_id = f"{scope}:{sha256(key.encode()).hexdigest()}:{window}"
            db.rate_limits.update_one({"_id": doc_id}, {"$inc": {"count": 1}, "$setOnInsert": {
                "scope": scope, "expires_at": now + timedelta(minutes=2)}}, upsert=True)
            db.rate_limits.find_one({"_id": doc_id}, {"count": 1})
        found = db.users.find_one({"email": EMAIL})
        db.users.update_one({"_id": found["_id"]}, {"$set": {
            "failed_logins": 0, "locked_until": None, "last_login_at": now}})
        family, expires = secrets.token_urlsafe(16), now + timedelta(days=7)

        def start(s: Any) -> None:
            db.token_families.update_one({"_id": family}, {"$setOnInsert": {
                "user_id": found["_id"], "revoked": False, "created_at": now},
                "$max": {"expires_at": expires}}, upsert=True, session=s)
            db.refresh_tokens.update_one({"_id": sha256(secrets.token_bytes(32)).hexdigest()}, {
                "$setOnInsert": {"family": family, "user_id": found["_id"], "expires_at": expires,
                                 "used_at": None, "created_at": now,
                                 "access_jti": secrets.token_urlsafe(16),
                                 "access_expires_at": now}}, upsert=True, session=s)
            db.token_families.update_one({"_id": family}, {"$max": {"expires_at": expires}},
                                         session=s)

        with client.start_session() as s:
            s.with_transaction(start)
        return True

    def raw_me(_: Any) -> bool:  # server/security/deps._user, then server/auth/sessions.me
        db.revoked_access.find_one({"_id": jti}, {"_id": 1})
        db.users.find_one({"_id": user["_id"]}, {"active": 1, "role": 1, "email": 1})
        return db.users.find_one({"_id": user["_id"]}) is not None

    def check(_: Any) -> bool:
        return bcrypt.checkpw(PASSWORD.encode(), user["password_hash"].encode())

    ops = {"login": (login, session), "raw_login": (raw_login, dict), "bcrypt": (check, dict),
           "me": (me, lambda: session(auth=True)), "raw_me": (raw_me, dict)}
    try:
        return {name: _timed(op, setup, seconds=seconds, concurrency=concurrency)
                for name, (op, setup) in ops.items()}
    finally:
        client.close()


def _jwt_claims(token: str) -> dict[str, Any]:
    import base64

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# -- the server side ----------------------------------------------------------------------

def _wait(check: Callable[[], bool], process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}: "
                               f"{log.read_text()[-2000:]}")
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready in 90 s")


def _ready(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def drive(module: str, config: dict[str, Any], *, timeout: float) -> dict[str, Any]:
    """Run ``python -m <module> --drive`` (the clients, in a second process so that they do not
    share the server's CPU accounting), hand it ``config`` and return the rows it prints."""
    driven = subprocess.run([sys.executable, "-m", module, "--drive"], input=json.dumps(config),
                            cwd=REPO, text=True, capture_output=True, timeout=timeout)
    if driven.returncode != 0:
        raise RuntimeError(f"the client process failed:\n{driven.stderr[-3000:]}")
    return json.loads(driven.stdout)


@contextmanager
def server_stack(tmp_dir: Path, env_extra: dict[str, str], *,
                 workers: int = 1) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A throwaway SecantusDB (``--sync-on-commit``, as the embedded database runs) and a real
    ``tillpoint-server`` on it, under ``tmp_dir``; yields ``(mongo_uri, base_url, env)`` once
    the server answers /ready, and stops both on exit (the server cleanly, the database by
    kill: its data is thrown away)."""
    from server.embedded import free_port, uri_for, wait_until_ready

    started: list[subprocess.Popen] = []
    try:
        db_port, api_port = free_port(), free_port()
        db_log, api_log = tmp_dir / "secantus.log", tmp_dir / "server.log"
        with open(db_log, "wb") as log:
            started.append(subprocess.Popen(
                [str(BIN / "secantusd-py"), "--storage-path", str(tmp_dir / "data"), "--host",
                 "127.0.0.1", "--port", str(db_port), "--sync-on-commit"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        mongo_uri = uri_for(db_port)
        wait_until_ready(mongo_uri, process=started[0])
        env = {k: v for k, v in os.environ.items() if not k.startswith("TILLPOINT_")}
        env.update({"TILLPOINT_MONGODB_URI": mongo_uri, "TILLPOINT_MONGODB_DB": "bench",
                    "TILLPOINT_SERVER_DATA_DIR": str(tmp_dir / "server"),
                    "TILLPOINT_JWT_SECRET": secrets.token_urlsafe(48),
                    "TILLPOINT_EMAIL_WORKER": "0", **env_extra})
        with open(api_log, "wb") as log:
            started.append(subprocess.Popen(
                [str(BIN / "tillpoint-server"), "--port", str(api_port), "--workers",
                 str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{api_port}"
        _wait(lambda: _ready(base + "/ready"), started[1], "tillpoint-server", api_log)
        yield mongo_uri, base, env
    finally:
        if len(started) > 1:
            started[1].terminate()  # the server: a clean stop
            started[1].wait(timeout=60)
        if started:
            started[0].kill()  # its throwaway database: no need to wait for a clean stop
            started[0].wait(timeout=60)


def run(seconds: float = DEFAULT_SECONDS, concurrency: int = DEFAULT_CONCURRENCY, *,
        bcrypt_rounds: int = PRODUCTION_BCRYPT, workers: int = 1, out: TextIO | None = None,
        workdir: Path | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table to ``out`` (default ``sys.stdout`` at call time) and
    return the figures: ``{row}_rps``, ``{row}_p50_ms``, ``{row}_p99_ms``, ``{row}_count``,
    ``{row}_errors`` for each row (``login``, ``raw_login``, ``bcrypt``, ``me``, ``raw_me``)."""
    if seconds <= 0 or concurrency < 1 or workers < 1:
        raise ValueError("seconds must be positive, concurrency and workers at least 1")
    out = out or sys.stdout
    env_extra = {"TILLPOINT_BCRYPT_ROUNDS": str(bcrypt_rounds),
                 "TILLPOINT_AUTH_RATE_PER_MINUTE_IP": UNLIMITED,
                 "TILLPOINT_AUTH_RATE_PER_MINUTE_ACCOUNT": UNLIMITED}
    with tempfile.TemporaryDirectory(prefix="tillpoint-bench-server-", dir=workdir) as tmp, \
            server_stack(Path(tmp), env_extra, workers=workers) as (mongo_uri, base, env):
        subprocess.run([str(BIN / "tillpoint-server"), "create-user", "--email", EMAIL,
                        "--role", "owner"], input=PASSWORD + "\n", env=env, text=True,
                       check=True, capture_output=True, timeout=120)
        config = {"base_url": base, "mongo_uri": mongo_uri, "database": "bench",
                  "seconds": seconds, "concurrency": concurrency}
        rows = drive("tests.perf.bench_server", config, timeout=120 + 10 * seconds)

    figures: dict[str, Any] = {"seconds": seconds, "concurrency": concurrency,
                               "bcrypt_rounds": bcrypt_rounds, "workers": workers}
    for name, row in rows.items():
        figures.update({f"{name}_{key}": value for key, value in row.items()})
    _print(figures, out)
    return figures


def _print(f: dict[str, Any], out: TextIO) -> None:
    cost = f"bcrypt cost {f['bcrypt_rounds']}" + (
        " (the production default)" if f["bcrypt_rounds"] == PRODUCTION_BCRYPT else " (quick mode)")
    print(f"\nTillpoint server benchmark: {f['concurrency']} concurrent clients in a second "
          f"process, {f['seconds']:g} s per row; server: {f['workers']} worker(s), {cost}",
          file=out)
    print(f"SecantusDB --sync-on-commit; Python {platform.python_version()}, {os.cpu_count()} CPUs "
          "shared by server, database and clients", file=out)
    header = f"{'row':<40}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'p50 ×raw':>10}"
    print(header, file=out)
    print("-" * len(header), file=out)
    raw_of = {"login": "raw_login", "me": "raw_me"}
    for name, label in ROWS:
        ratio = "" if name not in raw_of else \
            f"{f[name + '_p50_ms'] / f[raw_of[name] + '_p50_ms']:>10.1f}"
        print(f"{label:<40}{f[name + '_rps']:>10.1f}{f[name + '_p50_ms']:>10.2f}"
              f"{f[name + '_p99_ms']:>10.2f}{f[name + '_errors']:>8}{ratio}", file=out)
    verdict = " — bcrypt dominates login." if f["bcrypt_rps"] < f["raw_login_rps"] else "."
    print(f"A login checks one bcrypt hash (cost {f['bcrypt_rounds']}): alone, at this "
          f"concurrency, that is {f['bcrypt_rps']:.1f}/s at most, against "
          f"{f['raw_login_rps']:.1f}/s for the login's database work{verdict}", file=out)

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_server",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="per row")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--quick", action="store_true",
                        help=f"bcrypt cost {QUICK_BCRYPT} instead of {PRODUCTION_BCRYPT}, "
                             "2 s per row")
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)  # the clients
    args, _ = parser.parse_known_args(argv)  # python -m tests.perf passes its arguments to all
    if args.drive:
        print(json.dumps(_drive(json.loads(sys.stdin.read()))))
        return 0
    seconds = 2.0 if args.quick and args.seconds == DEFAULT_SECONDS else args.seconds
    run(seconds, args.concurrency, workers=args.workers,
        bcrypt_rounds=QUICK_BCRYPT if args.quick else PRODUCTION_BCRYPT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
