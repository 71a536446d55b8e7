"""HTTP to the central server on ``requests``: timeouts, retries with backoff and full jitter,
the device credential, and every failure turned into a :mod:`sync.errors` exception.

Every call is safe to repeat except the pairing exchange: a pull reads, and a push is
idempotent (the server answers ``duplicate`` for a mutation id it applied before), so both are
retried on connection errors, timeouts, cut replies, 429 and 5xx. A pairing code works once, so
:func:`pair_device` never retries (a retry after a lost reply would only hear "already used").
Blocking: never call this on the UI thread.
"""

from __future__ import annotations

import json
import logging
import random
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from app.domain.errors import InvalidInput
from app.domain.sync_protocol import DEFAULT_PULL_LIMIT, DELETE, UPSERT, Status
from sync import errors

log = logging.getLogger(__name__)

API = "/api/v1"
DEFAULT_TIMEOUT = (3.05, 30.0)  # (connect, read) seconds
BACKOFF_BASE_S = 0.25
BACKOFF_CAP_S = 8.0
RETRY_AFTER_CAP_S = 60.0  # a server asking for longer is waited for at most this
#: failures of the connection itself (the request may or may not have reached the server)
_TRANSPORT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
              requests.exceptions.ContentDecodingError)


def normalise_server_url(text: str) -> str:
    """``https://host[:port]`` (a trailing ``/`` or ``/api/v1`` is dropped); InvalidInput
    naming ``server`` for anything else."""
    raw = (text or "").strip()
    example = "the central server's address, like https://tills.example.com or http://10.0.0.5:8000"
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError:
        raise InvalidInput(f"{raw!r} is not {example}", field="server") from None
    path = parts.path.rstrip("/")
    if path == API:
        path = ""
    if parts.scheme not in ("http", "https") or not parts.hostname or path \
            or parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidInput(f"{raw!r} is not {example}", field="server")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}"


class _Transient(Exception):
    """One attempt failed in a way worth another try."""

    def __init__(self, message: str, *, offline: bool, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.offline = offline
        self.status = status
        self.retry_after = retry_after


def _error_body(response: requests.Response) -> tuple[str | None, str | None, Any]:
    try:
        error = response.json().get("error") or {}
        return error.get("code"), error.get("message"), error.get("details")
    except (ValueError, AttributeError):
        return None, None, None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


def _json(response: requests.Response) -> Any:
    # A reply cut inside its headers can parse as an empty 200: an empty or partial body is a
    # failed attempt, not an answer.
    try:
        return response.json()
    except ValueError:
        raise _Transient(f"the server's reply was unreadable ({len(response.content)} bytes, "
                         "cut off?)", offline=False, status=response.status_code) from None


def _interpret(response: requests.Response) -> Any:
    """The reply's JSON, or the right exception for its status."""
    status = response.status_code
    if 200 <= status < 300:
        return _json(response)
    code, message, details = _error_body(response)
    said = message or response.reason or f"HTTP {status}"
    if status in (401, 403):
        raise errors.CredentialRejected(
            f"the server refused this till's credential ({said}): pair it again with "
            "`tillpoint pair`", status=status, code=code)
    if status == 410 and code == "cursor_gone":
        details = details if isinstance(details, dict) else {}
        raise errors.CursorGone(f"the server cannot continue from this till's position ({said})",
                                reason=str(details.get("reason") or "unknown"),
                                feed=details.get("feed"))
    if status == 429 or status >= 500:
        raise _Transient(f"the server answered {status}: {said}", offline=False, status=status,
                         retry_after=_retry_after(response))
    raise errors.ProtocolError(f"the server refused the request ({status} {code or ''}: {said})",
                               status=status, code=code)


class SyncClient:
    """One paired till talking to one server. Thread-compatible, not thread-safe: one client
    per worker (a ``requests.Session`` is not safe to share across threads)."""

    def __init__(self, base_url: str, *, device_id: str, device_key: str,
                 timeout: tuple[float, float] | float = DEFAULT_TIMEOUT, attempts: int = 5,
                 session: requests.Session | None = None, backoff_base: float = BACKOFF_BASE_S,
                 backoff_cap: float = BACKOFF_CAP_S) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.base_url = normalise_server_url(base_url)
        self.device_id = device_id
        self.timeout = timeout
        self.attempts = attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._own_session = session is None
        self.session = session or requests.Session()
        self._headers = {"Authorization": f"Device {device_id}:{device_key}",
                         "Accept": "application/json"}
        #: set once any attempt got an HTTP answer: "online" even if the answer was an error
        self.reached_server = False

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self) -> "SyncClient":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # the protocol -----------------------------------------------------------------------------

    def changes(self, cursor: str | None, limit: int = DEFAULT_PULL_LIMIT) -> dict[str, Any]:
        """One page of ``GET /sync/changes``; ``CursorGone`` when the server answered 410."""
        body = self._call("GET", "/sync/changes", params={"cursor": cursor or "", "limit": limit})
        return check_changes(body)

    def push(self, mutations: list[dict[str, Any]]) -> dict[str, Any]:
        """``POST /sync/push`` of one batch; the reply has one result per mutation, in order."""
        data = encode_json({"mutations": mutations})
        body = self._call("POST", "/sync/push", data=data,
                          headers={"Content-Type": "application/json"})
        return check_push(body, [m["id"] for m in mutations])

    def whoami(self) -> dict[str, Any]:
        """``GET /devices/me``: this till's device, store and register as the server has them."""
        return check_whoami(self._call("GET", "/devices/me"))

    # the retry loop ---------------------------------------------------------------------------

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        jitter = random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))
        return max(jitter, retry_after or 0.0)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.base_url + API + path
        headers = {**self._headers, **kwargs.pop("headers", {})}
        last: _Transient | None = None
        for attempt in range(1, self.attempts + 1):
            if last is not None:
                pause = self._delay(attempt - 1, last.retry_after)
                log.info("%s %s failed (%s); attempt %d of %d in %.2f s", method, path, last,
                         attempt, self.attempts, pause)
                time.sleep(pause)
            try:
                try:
                    response = self.session.request(method, url, headers=headers,
                                                    timeout=self.timeout, **kwargs)
                except _TRANSPORT as exc:
                    raise _Transient(_describe_transport(exc), offline=True) from exc
                self.reached_server = True
                return _interpret(response)
            except _Transient as exc:
                last = exc
        assert last is not None
        if last.offline:
            raise errors.Offline(f"the server at {self.base_url} could not be reached after "
                                 f"{self.attempts} attempts: {last}")
        raise errors.ServerError(f"the server at {self.base_url} failed after {self.attempts} "
                                 f"attempts: {last}", status=last.status)


def _describe_transport(exc: Exception) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return "connecting timed out"
    if isinstance(exc, requests.Timeout):
        return "no answer within the read timeout"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return "the reply was cut off"
    text = str(exc)
    if "refused" in text.lower():
        return "connection refused"
    if "reset" in text.lower() or "aborted" in text.lower() or "closed" in text.lower():
        return "the connection was dropped"
    return f"connection failed ({type(exc).__name__})"


# reply shapes --------------------------------------------------------------------------------
# A reply that parses but has the wrong shape is a bug or a version mismatch: never retried.

def _shape(ok: bool, what: str) -> None:
    if not ok:
        raise errors.ProtocolError(f"the server's reply does not follow the sync protocol: {what}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_changes(body: Any) -> dict[str, Any]:
    _shape(isinstance(body, dict) and isinstance(body.get("changes"), list),
           "a changes page needs a list `changes`")
    _shape(isinstance(body.get("cursor"), str), "a changes page needs a text `cursor`")
    _shape(isinstance(body.get("has_more"), bool), "a changes page needs a boolean `has_more`")
    for change in body["changes"]:
        _shape(isinstance(change, dict) and isinstance(change.get("feed"), str)
               and _is_int(change.get("seq")) and isinstance(change.get("entity"), str)
               and isinstance(change.get("entity_id"), str)
               and change.get("op") in (UPSERT, DELETE)
               and (change.get("data") is None or isinstance(change.get("data"), dict)),
               f"a malformed change {str(change)[:200]}")
    return body


def check_push(body: Any, ids: list[str]) -> dict[str, Any]:
    _shape(isinstance(body, dict) and isinstance(body.get("results"), list),
           "a push reply needs a list `results`")
    results = body["results"]
    _shape(len(results) == len(ids), f"{len(results)} results for {len(ids)} mutations")
    statuses = {s.value for s in Status}
    for result, sent in zip(results, ids):
        _shape(isinstance(result, dict) and result.get("id") == sent,
               f"the results are not in the order sent (expected {sent})")
        _shape(result.get("status") in statuses, f"unknown status {result.get('status')!r}")
    return body


def _ids(body: Any, names: tuple[str, ...], what: str) -> dict[str, Any]:
    _shape(isinstance(body, dict) and all(isinstance(body.get(n), str) and body[n] for n in names),
           f"{what} needs {', '.join(names)}")
    return body


def check_whoami(body: Any) -> dict[str, Any]:
    return _ids(body, ("device_id", "store_id", "register_id"), "the device's identity")


def check_pair(body: Any) -> dict[str, Any]:
    return _ids(body, ("device_id", "device_key", "store_id", "register_id"), "a pairing reply")


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON: the bytes counted against MAX_PUSH_BYTES are the bytes sent."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def pair_device(base_url: str, code: str, *, timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
                session: requests.Session | None = None) -> dict[str, Any]:
    """Exchange a one-time pairing code: ``{device_id, device_key, store_id, register_id, …}``.
    Tried once (see the module docstring)."""
    url = normalise_server_url(base_url) + API + "/devices/pair"
    http = session or requests.Session()
    try:
        try:
            response = http.post(url, data=encode_json({"code": code}), timeout=timeout,
                                 headers={"Content-Type": "application/json",
                                          "Accept": "application/json"})
        except _TRANSPORT as exc:
            raise errors.Offline(
                f"the server at {url.removesuffix(API + '/devices/pair')} could not be reached: "
                f"{_describe_transport(exc)}; if it was the connection that failed after the "
                "request went out, the code may be used up: ask for a new one") from exc
        status = response.status_code
        code_, message, _ = _error_body(response)
        if status in (400, 409, 410) and code_ in ("invalid_pairing_code", "pairing_code_used",
                                                   "pairing_code_expired"):
            raise errors.PairingRefused(message or "the server refused the pairing code",
                                        status=status, code=code_)
        if status == 429:
            raise errors.PairingRefused(f"too many pairing attempts from this address: "
                                        f"{message or 'wait a minute and try again'}",
                                        status=status, code=code_)
        try:
            return check_pair(_interpret(response))
        except _Transient as exc:
            raise errors.ServerError(f"pairing failed: {exc}", status=exc.status) from None
    finally:
        if session is None:
            http.close()
