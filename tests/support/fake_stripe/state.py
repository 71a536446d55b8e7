"""The fake's world: every object Stripe would hold, one lock around all of it, and the
errors in Stripe's shape.

Objects are kept as the JSON dicts Stripe returns, so what a test inspects
(``fake.payment_intents[pi]``) is exactly what the SDK was sent.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from typing import Any

try:  # the version the SDK pins, so events look like the ones a real account sends it
    from stripe._api_version import _ApiVersion

    API_VERSION = _ApiVersion.CURRENT
except Exception:  # pragma: no cover - the fake still runs without the SDK installed
    API_VERSION = "2025-01-27.acacia"


class StripeError(Exception):
    """An error Stripe would answer with: ``{"error": {...}}`` and its HTTP status.

    ``saved`` is whether Stripe's idempotency layer keeps the answer: errors raised while an
    endpoint runs are replayed under the same key; parameter validation and authentication
    failures happen before that and are not.
    """

    def __init__(self, status: int, type_: str, message: str, *, code: str | None = None,
                 param: str | None = None, decline_code: str | None = None,
                 saved: bool = True, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.saved = saved
        self.extra = extra

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.decline_code:
            error["decline_code"] = self.decline_code
        if self.param:
            error["param"] = self.param
        error.update(copy.deepcopy(self.extra))
        return {"error": error}


def invalid(message: str, *, code: str | None = None, param: str | None = None,
            saved: bool = True, **extra: Any) -> StripeError:
    return StripeError(400, "invalid_request_error", message, code=code, param=param,
                       saved=saved, **extra)


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, "invalid_request_error", f"No such {kind}: '{object_id}'",
                       code="resource_missing", param=param)


class Store:
    """All objects, the events generated, and the lock every change happens under."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._serial = itertools.count(1)
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.payment_methods: dict[str, dict[str, Any]] = {}
        self.readers: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        #: reader id -> (card number, delay) presented automatically after process_payment_intent
        self.auto_present: dict[str, tuple[str, float]] = {}
        #: the request being applied (its id and idempotency key go on the events it causes)
        self.current_request: dict[str, Any] = {"id": None, "idempotency_key": None}

    def clear(self) -> None:
        with self.lock:
            for table in (self.payment_intents, self.charges, self.refunds,
                          self.payment_methods, self.readers, self.auto_present):
                table.clear()
            self.events.clear()

    def new_id(self, prefix: str) -> str:
        # a serial keeps ids in creation order (handy when reading a failing test's dump);
        # the random tail keeps them unique across fakes and resets, like Stripe's
        return f"{prefix}_{next(self._serial):06d}{secrets.token_hex(6)}"

    def emit(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": now(),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 0,
            "request": dict(self.current_request),
            "type": event_type,
        }
        self.events.append(event)
        return event

    def find(self, object_id: str) -> dict[str, Any] | None:
        """Any stored object by id (what ``expand[]`` resolves)."""
        for table in (self.payment_intents, self.charges, self.refunds, self.payment_methods,
                      self.readers):
            if object_id in table:
                return table[object_id]
        return None

    def expanded(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        """A copy of ``obj`` with each dotted ``expand`` path's id replaced by its object."""
        result = copy.deepcopy(obj)
        for path in paths:
            self._expand_path(result, path.split("."), path)
        return result

    def _expand_path(self, node: dict[str, Any], parts: list[str], whole: str) -> None:
        head, rest = parts[0], parts[1:]
        if head not in node:
            raise invalid(f"This property cannot be expanded ({whole}).", param="expand")
        value = node[head]
        if isinstance(value, str):
            target = self.find(value)
            if target is None:
                raise invalid(f"This property cannot be expanded ({whole}).", param="expand")
            value = node[head] = copy.deepcopy(target)
        if rest and isinstance(value, dict):
            self._expand_path(value, rest, whole)


def now() -> int:
    return int(time.time())
