"""The HTTP side of the fake: authentication, idempotency-key replay, scripted faults, and
the request log — in front of the operations in :mod:`routes`.

Every request is applied under the store's one lock; a fault's delay or dropped connection
happens after the lock is released, so a slow answer to one till never stalls another.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import forms, readers, routes
from . import params as p
from .state import API_VERSION, Store, StripeError

FAULT_MODES = ("drop_before", "drop_after", "http_500")  # and "slow_after:<seconds>"
_UNSET: Any = object()


@dataclass
class Recorded:
    """One request as the fake saw it (``status`` None: the connection was dropped)."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    replayed: bool = False
    status: int | None = None
    fault: str | None = None  # "drop_before", "offline", … when a fault took this request


@dataclass
class _Fault:
    method: str
    path_prefix: str
    mode: str
    times: int


@dataclass
class _Saved:
    """What Stripe's idempotency layer keeps for a key: the request and its first answer."""

    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: dict[str, Any]


@dataclass
class _Answer:
    status: int | None  # None: close the connection without a reply
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class StripeFront:
    """Everything between a raw HTTP request and the store (no sockets: see FakeStripe)."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.store = Store()
        self._faults: list[_Fault] = []
        self._saved: dict[str, _Saved] = {}
        self._offline = False
        self._requests: list[Recorded] = []
        self._timers: list[threading.Timer] = []

    # -- one request ------------------------------------------------------------------------
    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Answer:
        split = urlsplit(target)
        key = headers.get("idempotency-key") if method == "POST" else None
        with self.store.lock:
            try:
                query = forms.decode(split.query)
                params = forms.decode(body.decode()) if method == "POST" else query
                if method == "POST" and "expand" in query:
                    params.setdefault("expand", query["expand"])
            except (forms.FormError, UnicodeDecodeError) as exc:
                params, parse_error = {}, exc
            else:
                parse_error = None
            record = Recorded(method, split.path, copy.deepcopy(params), key)
            self._requests.append(record)
            fault = self._take_fault(method, split.path)
            record.fault = fault
            if fault in ("offline", "drop_before"):
                return _Answer(None)
            if fault == "http_500":
                record.status = 500
                return _Answer(500, StripeError(500, "api_error", "An unknown error occurred "
                                                "on Stripe's end.", saved=False).body())
            answer = self._apply(method, split.path, params, headers, key, parse_error, record)
            record.status = answer.status
        if fault == "drop_after":
            record.status = None
            return _Answer(None)
        if fault and fault.startswith("slow_after:"):
            answer.delay_s = float(fault.split(":", 1)[1])
        return answer

    def _apply(self, method: str, path: str, params: dict[str, Any], headers: dict[str, str],
               key: str | None, parse_error: Exception | None, record: Recorded) -> _Answer:
        request_id = self.store.new_id("req")
        reply_headers = {"Request-Id": request_id}
        if key:
            reply_headers["Idempotency-Key"] = key
        try:
            self._authenticate(headers.get("authorization", ""))
            if parse_error is not None:
                raise StripeError(400, "invalid_request_error", str(parse_error), saved=False)
            operation, ids = routes.resolve(method, path)
            if key and key in self._saved:
                record.replayed = True
                return self._replay(key, method, path, params, reply_headers)
            self.store.current_request = {"id": request_id, "idempotency_key": key}
            expand = p.expand_paths(params)
            result = operation(self.store, ids, params)
            status, body = 200, self.store.expanded(result, expand)
            self._after(path, result)
        except StripeError as error:
            status, body = error.status, error.body()
            if not error.saved:
                return _Answer(status, body, reply_headers)
        if key:
            self._saved[key] = _Saved(method, path, copy.deepcopy(params), status,
                                      copy.deepcopy(body))
        return _Answer(status, body, reply_headers)

    def _replay(self, key: str, method: str, path: str, params: dict[str, Any],
                headers: dict[str, str]) -> _Answer:
        saved = self._saved[key]
        if (saved.method, saved.path) != (method, path):
            error = StripeError(400, "idempotency_error",
                                "Keys for idempotent requests can only be used for the same "
                                f"endpoint they were first used for ('{saved.method} "
                                f"{saved.path}' vs '{method} {path}'). Try using a key other "
                                f"than '{key}' if you meant to execute a different request.")
            return _Answer(400, error.body(), headers)
        if saved.params != params:
            error = StripeError(400, "idempotency_error",
                                "Keys for idempotent requests can only be used with the same "
                                "parameters they were first used with. Try using a key other "
                                f"than '{key}' if you meant to execute a different request.")
            return _Answer(400, error.body(), headers)
        return _Answer(saved.status, copy.deepcopy(saved.body),
                       {**headers, "Idempotent-Replayed": "true"})

    def _authenticate(self, header: str) -> None:
        if not header:
            raise StripeError(401, "invalid_request_error",
                              "You did not provide an API key. You need to provide your API "
                              "key in the Authorization header, using Bearer auth (e.g. "
                              "'Authorization: Bearer YOUR_SECRET_KEY').", saved=False)
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":  # curl -u sk_test_…:
            value = base64.b64decode(value.encode()).decode(errors="replace").split(":")[0]
        elif scheme.lower() != "bearer":
            raise p.bad_key()
        if not value.startswith(("sk_test_", "rk_test_")):
            raise p.bad_key()

    def _after(self, path: str, result: dict[str, Any]) -> None:
        """A reader told to present a card by itself does so once its delay has passed."""
        if not path.endswith("/process_payment_intent"):
            return
        reader_id = result["id"]
        auto = self.store.auto_present.get(reader_id)
        if auto is None:
            return
        number, delay = auto
        intent_id = result["action"]["process_payment_intent"]["payment_intent"]
        timer = threading.Timer(delay, self._auto_present, (reader_id, intent_id, number))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _auto_present(self, reader_id: str, intent_id: str, number: str) -> None:
        with self.store.lock:
            reader = self.store.readers.get(reader_id)
            action = reader and reader["action"]
            if not (action and action["status"] == "in_progress"
                    and action["process_payment_intent"]["payment_intent"] == intent_id):
                return  # cancelled, or another payment by now: the customer walked away
            self.store.current_request = {"id": None, "idempotency_key": None}
            try:
                readers.present(self.store, reader_id, {"card_present": {"number": number}})
            except StripeError:
                pass  # the reader went offline meanwhile

    # -- faults -------------------------------------------------------------------------------
    def fail_next(self, method: str, path_prefix: str, mode: str, times: int = 1) -> None:
        if mode not in FAULT_MODES and not mode.startswith("slow_after:"):
            raise ValueError(f"mode: one of {FAULT_MODES} or 'slow_after:<seconds>', not {mode!r}")
        if mode.startswith("slow_after:"):
            float(mode.split(":", 1)[1])  # a bad number fails here, not mid-request
        if times < 1:
            raise ValueError(f"times: at least 1, not {times}")
        with self.store.lock:
            self._faults.append(_Fault(method.upper(), path_prefix, mode, times))

    def set_offline(self, offline: bool) -> None:
        with self.store.lock:
            self._offline = offline

    def _take_fault(self, method: str, path: str) -> str | None:
        if self._offline:
            return "offline"
        for fault in self._faults:
            if fault.method == method and path.startswith(fault.path_prefix):
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault.mode
        return None

    def requests(self) -> list[Recorded]:
        with self.store.lock:
            return list(self._requests)

    def clear(self) -> None:
        with self.store.lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
            self._faults.clear()
            self._saved.clear()
            self._requests.clear()
            self._offline = False
            self.store.clear()


def make_http_server(front: StripeFront, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = front.answer(self.command, self.path, headers, body)
            if answer.status is None:
                self.close_connection = True  # no reply at all: the client sees the line drop
                return
            if answer.delay_s:
                time.sleep(answer.delay_s)
            payload = json.dumps(answer.body, indent=2).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Stripe-Version", API_VERSION)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (its read timeout): the change stands

        do_GET = do_POST = do_DELETE = _handle  # noqa: N815 - http.server's names

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
