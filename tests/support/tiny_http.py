"""A tiny real HTTP server in a thread whose answers a test scripts: fail N times, answer
late, answer nothing, cut the body. For the sync client's retry and timeout tests (the real
server cannot be made to misbehave on cue)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # bytes as they are; anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    drop: bool = False  # close the connection without a word
    hold: threading.Event | None = None  # answer only once this is set

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return b"" if self.body is None else json.dumps(self.body).encode()


Script = Callable[[Seen], Reply]


def error(status: int, code: str, message: str = "", details: Any = None, **headers: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message or code, "details": details}},
                 headers=headers)


class TinyServer:
    """``with TinyServer(script) as server:`` then ``server.url``; ``server.seen`` lists the
    requests in arrival order."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, self.path, dict(self.headers.items()),
                            self.rfile.read(length) if length else b"", time.monotonic())
                with outer._lock:
                    outer.seen.append(seen)
                reply = outer.script(seen)
                if reply.hold is not None:
                    reply.hold.wait(30)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    return
                body = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server's names

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)

    def __enter__(self) -> "TinyServer":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def requests_to(self, path_prefix: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path.startswith(path_prefix)]


def failing(times: int, then: Reply, failure: Callable[[], Reply]) -> Script:
    """Answer ``failure()`` the first ``times`` requests, then ``then``."""
    count = {"n": 0}
    lock = threading.Lock()

    def script(_seen: Seen) -> Reply:
        with lock:
            count["n"] += 1
            n = count["n"]
        return failure() if n <= times else then

    return script
