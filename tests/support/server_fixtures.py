"""Server test fixtures: one real SecantusDB process per test session (it takes 10–20 s to stop
cleanly, so it is killed at the end: its data is throwaway), a database name per test, the
app in-process over the real database, real server processes, and a real SMTP sink."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Iterator

import pymongo
import pytest
import requests

from server.config import ServerSettings
from server.database import Mongo
from server.embedded import free_port, uri_for, wait_until_ready

BIN = Path(sys.executable).parent
FAST_BCRYPT = 4  # tests hash many passwords; one test checks that the default cost is 12


#: SecantusDB's daemon has no flag for it: its server class takes the idle lifetime after which
#: an open transaction is aborted (mongod's ``transactionLifetimeLimitSeconds``, 60 s)
_WITH_TRANSACTION_LIFETIME = (
    "import functools, sys\n"
    "import secantus.cli as cli\n"
    "lifetime = float(sys.argv.pop(1))\n"
    "cli.SecantusDBServer = functools.partial(cli.SecantusDBServer,"
    " transaction_lifetime_seconds=lifetime)\n"
    "sys.exit(cli.main())\n")


@contextmanager
def secantus(storage: Path, *, transaction_lifetime_s: float | None = None) -> Iterator[str]:
    """A SecantusDB process on ``storage`` for as long as the block runs; its URI. Killed at
    the end (a clean stop takes 10–20 s, and the data is throwaway)."""
    storage.mkdir(parents=True, exist_ok=True)
    port = free_port()
    launcher = [str(BIN / "secantusd-py")] if transaction_lifetime_s is None else \
        [sys.executable, "-c", _WITH_TRANSACTION_LIFETIME, str(transaction_lifetime_s)]
    log = open(storage / "secantus.log", "wb")
    process = subprocess.Popen([*launcher, "--storage-path", str(storage / "data"),
                                "--host", "127.0.0.1", "--port", str(port), "--sync-on-commit"],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    uri = uri_for(port)
    try:
        wait_until_ready(uri, process=process)
        yield uri
    finally:
        process.kill()
        process.wait()
        log.close()


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory) -> Iterator[str]:
    with secantus(tmp_path_factory.mktemp("secantus")) as uri:
        yield uri


def _new_db_name() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"


def _layout(db: pymongo.database.Database) -> dict[str, tuple]:
    """Each collection of ``db`` with its kind, options and indexes (not its uuid)."""
    return {info["name"]: (info.get("type"), repr(sorted(info.get("options", {}).items())),
                           sorted(repr(sorted((k, v) for k, v in index.items() if k != "ns"))
                                  for index in db[info["name"]].list_indexes()))
            for info in db.list_collections()}


class AppDatabases:
    """Databases the server app has made its collections and indexes in, emptied for the next
    test that runs the app (``client``). Making the ~75 indexes on a new database took ~1–1.5 s
    per test on SecantusDB and dropping it ~0.6 s; emptying one takes ~0.1 s, and the app's
    ``ensure_indexes`` on it finds every index there. A database is only taken back when it
    has exactly the collections, options and indexes the app makes on a new one (a test that
    added or dropped any gets a fresh one next time), with every document deleted and any
    collection the app does not make dropped: as a new one is once the app started on it."""

    def __init__(self, mongo_uri: str) -> None:
        self.client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri)
        self.free: list[str] = []
        self._reference: dict[str, tuple] | None = None

    def reference(self) -> dict[str, tuple]:
        """What the app makes on a new database (measured once, on one that is then pooled)."""
        if self._reference is None:
            from server.database import ensure_indexes

            name = _new_db_name()
            ensure_indexes(self.client[name])
            self._reference = _layout(self.client[name])
            self.free.append(name)
        return self._reference

    def take(self) -> str:
        reference = self.reference()
        while self.free:
            name = self.free.pop()
            db = self.client[name]
            if all(db[c].estimated_document_count() == 0 for c in reference):
                return name
            self.client.drop_database(name)  # written to after its test: not reused
        return _new_db_name()

    def give_back(self, name: str) -> bool:
        """Empty ``name`` for the next test; False (left as it is) when its layout differs."""
        db, reference = self.client[name], self.reference()
        layout = _layout(db)
        if any(layout.get(c) != shape for c, shape in reference.items()):
            return False
        for collection in layout.keys() - reference.keys():
            db.drop_collection(collection)
        for collection in reference:
            db[collection].delete_many({})
        self.free.append(name)
        return True


@pytest.fixture(scope="session")
def app_databases(mongo_uri: str) -> Iterator[AppDatabases]:
    pool = AppDatabases(mongo_uri)
    yield pool
    pool.client.close()  # the session's database process and its data are thrown away


def _runs_the_app(request: pytest.FixtureRequest) -> bool:
    """The test uses this module's ``client`` (the app, which makes its indexes at start)."""
    defs = request.node._fixtureinfo.name2fixturedefs.get("client")
    return bool(defs) and getattr(defs[-1].func, "__module__", None) == __name__ \
        and defs[-1].func.__name__ == "client"


@pytest.fixture
def db_name(request: pytest.FixtureRequest, app_databases: AppDatabases) -> str:
    """A database of the test's own: new, or for a test running the app, maybe one emptied
    after another such test (``AppDatabases``)."""
    return app_databases.take() if _runs_the_app(request) else _new_db_name()


@pytest.fixture
def mongo(mongo_uri: str, db_name: str, request: pytest.FixtureRequest,
          app_databases: AppDatabases) -> Iterator[Mongo]:
    connection = Mongo.open(mongo_uri, db_name)
    yield connection
    if not (_runs_the_app(request) and app_databases.give_back(db_name)):
        connection.client.drop_database(db_name)
    connection.close()


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps what it receives."""

    port: int
    messages: list[Message] = field(default_factory=list)

    def wait_for(self, to: str, *, subject_contains: str = "", timeout: float = 20.0) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in self.messages:
                if to.lower() in (msg["To"] or "").lower() and subject_contains in (msg["Subject"] or ""):
                    return msg
            time.sleep(0.05)
        raise AssertionError(f"no mail to {to} ({subject_contains!r}) within {timeout} s; "
                             f"got {[m['To'] + ': ' + m['Subject'] for m in self.messages]}")


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
            sink.messages.append(message_from_bytes(envelope.original_content or envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


def make_settings(mongo_uri: str, db_name: str, tmp_path: Path, smtp_port: int = 0,
                  **overrides) -> ServerSettings:
    base = ServerSettings(mongodb_uri=mongo_uri, database=db_name, data_dir=tmp_path / "server",
                          jwt_secret="x" * 48, bcrypt_rounds=FAST_BCRYPT, smtp_host="127.0.0.1",
                          smtp_port=smtp_port, email_worker=False,
                          search_worker=False, cart_worker=False)
    return replace(base, **overrides)


@pytest.fixture
def settings(mongo_uri, db_name, tmp_path, smtp_sink) -> ServerSettings:
    return make_settings(mongo_uri, db_name, tmp_path, smtp_sink.port)


@pytest.fixture
def client(settings: ServerSettings, mongo: Mongo):
    """The app in-process (FastAPI's TestClient) over the real database."""
    from fastapi.testclient import TestClient

    from server.app import create_app

    app = create_app(settings, Mongo.open(settings.mongodb_uri, settings.database))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.mongo.close()


@dataclass
class ServerProcess:
    process: subprocess.Popen
    base_url: str
    env: dict[str, str]
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_env(env_overrides: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The environment of a ``tillpoint-server`` process (or admin command) of the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLPOINT_")}
    env.update({"TILLPOINT_BCRYPT_ROUNDS": str(FAST_BCRYPT), "TILLPOINT_JWT_SECRET": "y" * 48,
                "TILLPOINT_SERVER_DATA_DIR": str(tmp_path / "server-data")})
    env.update(env_overrides)
    return env


def start_server(env_overrides: dict[str, str], tmp_path: Path, *, workers: int = 1,
                 timeout: float = 90) -> ServerProcess:
    """Start ``tillpoint-server`` as a real process and wait for /ready."""
    port = free_port()
    env = server_env(env_overrides, tmp_path)
    log_path = tmp_path / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(BIN / "tillpoint-server"), "--port", str(port),
                                    "--workers", str(workers)], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = ServerProcess(process, f"http://127.0.0.1:{port}", env, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{server.log()[-3000:]}")
        try:
            if requests.get(server.url("/ready"), timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.05)
    server.stop(signal.SIGKILL)
    raise AssertionError(f"server not ready within {timeout} s:\n{server.log()[-3000:]}")


def servers_on(mongo_uri: str, tmp_path: Path, smtp_sink, *, drop: bool,  # noqa: ANN001
               stop_timeout: float = 60) -> Iterator:
    """Yield ``start(workers=, database=, **env)`` for real server processes on one fresh
    database (``start.database``); all are stopped at the end, and the database dropped when
    ``drop`` (SecantusDB drops document by document: 87 s after 1,000 synced sales, so the
    sync fault tests leave theirs to the session's throwaway database process)."""
    started: list[ServerProcess] = []
    name = f"t_{uuid.uuid4().hex[:16]}"

    def start(*, workers: int = 1, database: str | None = None, **env: str) -> ServerProcess:
        overrides = {"TILLPOINT_MONGODB_URI": mongo_uri, "TILLPOINT_MONGODB_DB": database or name,
                     "TILLPOINT_SMTP_HOST": "127.0.0.1", "TILLPOINT_SMTP_PORT": str(smtp_sink.port),
                     **env}
        server = start_server(overrides, tmp_path, workers=workers)
        started.append(server)
        return server

    start.database = name  # type: ignore[attr-defined]
    yield start
    for server in started:
        server.stop(timeout=stop_timeout)
    if drop:
        pymongo.MongoClient(mongo_uri).drop_database(name)


@pytest.fixture
def server_factory(mongo_uri, tmp_path, smtp_sink):
    """Start real server processes on a fresh database; all are stopped at the end."""
    yield from servers_on(mongo_uri, tmp_path, smtp_sink, drop=True)
