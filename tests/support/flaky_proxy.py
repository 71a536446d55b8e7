"""A real TCP proxy between a till and the server that misbehaves like a bad shop network:
it refuses or resets connections, forwards a request and drops the reply (the server did the
work, the till never hears of it), cuts a reply in half, or delays it. Faults are drawn from a
seeded random generator, so a failing run can be replayed with its seed.

Each accepted connection gets one fate, decided when it is accepted:
``ok`` forward both ways; ``refuse`` close at once; ``drop_request`` read the request and close
without forwarding; ``drop_reply`` forward the request, read the reply and close without
sending any of it; ``cut_reply`` send half of the reply's first chunk and close; ``delay``
forward, but hold the reply for ``delay_s`` first (longer than a client's read timeout when
``delay_s`` is large).
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field

FATES = ("ok", "refuse", "drop_request", "drop_reply", "cut_reply", "delay")


@dataclass
class FaultPlan:
    """Probabilities of each fate (the rest is ``ok``)."""

    refuse: float = 0.0
    drop_request: float = 0.0
    drop_reply: float = 0.0
    cut_reply: float = 0.0
    delay: float = 0.0
    delay_s: float = 0.2

    def draw(self, rng: random.Random) -> str:
        roll = rng.random()
        for fate in FATES[1:]:
            roll -= getattr(self, fate)
            if roll < 0:
                return fate
        return "ok"


@dataclass
class FlakyProxy:
    upstream_host: str
    upstream_port: int
    seed: int = 0
    plan: FaultPlan = field(default_factory=FaultPlan)
    fates: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="flaky-proxy", daemon=True)

    def start(self) -> "FlakyProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        try:
            self._listener.close()
        except OSError:
            pass

    def __enter__(self) -> "FlakyProxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan

    def _draw(self) -> str:
        with self._lock:
            fate = self.plan.draw(self._rng)
            self.fates[fate] += 1
            return fate

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(downstream, self._draw()),
                             daemon=True).start()

    def _serve(self, downstream: socket.socket, fate: str) -> None:
        upstream: socket.socket | None = None
        try:
            if fate == "refuse":
                _reset(downstream)
                return
            if fate == "drop_request":
                downstream.settimeout(2)
                try:
                    downstream.recv(65536)
                except OSError:
                    pass
                _reset(downstream)
                return
            upstream = socket.create_connection((self.upstream_host, self.upstream_port),
                                                timeout=60)
            pump = threading.Thread(target=_copy, args=(downstream, upstream), daemon=True)
            pump.start()
            self._reply(upstream, downstream, fate)
        except OSError:
            pass
        finally:
            # shutdown before close: the pump thread blocked in recv on ``downstream`` would
            # otherwise keep it open, and a till whose server died (or closed an idle
            # keep-alive connection) waited out its read timeout instead of seeing it closed
            for sock in (downstream, upstream):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    with contextlib.suppress(OSError):
                        sock.close()

    def _reply(self, upstream: socket.socket, downstream: socket.socket, fate: str) -> None:
        first = True
        while True:
            chunk = upstream.recv(65536)
            if not chunk:
                return
            if first:
                first = False
                if fate == "drop_reply":
                    _reset(downstream)
                    return
                if fate == "cut_reply":
                    downstream.sendall(chunk[: max(1, len(chunk) // 2)])
                    _reset(downstream)
                    return
                if fate == "delay":
                    self._stopped.wait(self.plan.delay_s)
            downstream.sendall(chunk)


def _copy(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                target.shutdown(socket.SHUT_WR)
                return
            target.sendall(chunk)
    except OSError:
        return


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0), the way a dropped Wi-Fi link looks to the client."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        # shutdown first: the pump thread blocked in recv on this socket would otherwise keep
        # the connection open after close()
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
