"""ASGI middleware: request ids, security headers, the request body limit, access logs and
request metrics. Pure ASGI (no ``BaseHTTPMiddleware``) so streaming and cancellation behave."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import uuid
from typing import Any, Awaitable, Callable

from server.errors import error_body
from server.logs import REQUEST_ID

log = logging.getLogger("tillpoint.access")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
# Routes whose bodies may exceed the global limit, with the setting that bounds them instead:
# an image upload is the raw image (a few MB), every other body stays small.
_LARGE_BODIES = [("POST", re.compile(r"^/api/v1/products/[^/]+/images/?$"), "max_image_bytes")]


def _body_limit(scope: Scope, default: int) -> int:
    for method, path, setting in _LARGE_BODIES:
        if scope.get("method") == method and path.match(scope.get("path", "")):
            settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
            return int(getattr(settings, setting, default))
    return default


class _TooLarge(Exception):
    pass


async def _send_json(send: Send, status: int, body: dict[str, Any],
                     extra: list[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), *extra]})
    await send({"type": "http.response.body", "body": payload})


class RequestContext:
    """Request id in and out (``X-Request-ID``), security headers, body limit, access log,
    metrics. One middleware so that every response, errors included, gets the same treatment."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, hsts: bool,
                 observe: Callable[[str, str, int, float], None] | None = None) -> None:
        self.app, self.max_body, self.hsts, self.observe = app, max_body_bytes, hsts, observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        # Every log line of this request carries the id. Not reset at the end: the request runs
        # in its own task (its own context), and the 500 handler, which runs outside this
        # middleware, should still see it.
        REQUEST_ID.set(request_id)
        extra = [(b"x-request-id", request_id.encode())] + SECURITY_HEADERS
        forwarded_tls = headers.get(b"x-forwarded-proto", b"") == b"https"
        if self.hsts and (scope.get("scheme") == "https" or forwarded_tls):
            extra.append(HSTS)
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False, "too_large": False}

        async def send_with_headers(message: dict[str, Any]) -> None:
            if status_holder["too_large"]:
                return  # the app's answer to a cut-off body (often a 400) gives way to the 413
            if message["type"] == "http.response.start":
                status_holder["status"], status_holder["started"] = message["status"], True
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in existing]
            await send(message)

        declared = headers.get(b"content-length")
        max_body = _body_limit(scope, self.max_body)
        try:
            if declared is not None and (not declared.isdigit() or int(declared) > max_body):
                raise _TooLarge
            received = 0

            async def limited_receive() -> dict[str, Any]:
                # Raising here would be swallowed by the framework's body parser (a 400); telling
                # the app the client went away stops it reading, and the 413 is sent below.
                nonlocal received
                if status_holder["too_large"]:
                    return {"type": "http.disconnect"}
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > max_body:
                        status_holder["too_large"] = True
                        return {"type": "http.disconnect"}
                return message

            try:
                await self.app(scope, limited_receive, send_with_headers)
            except Exception:
                if not status_holder["too_large"]:
                    raise
            if status_holder["too_large"]:
                raise _TooLarge
        except _TooLarge:
            status_holder["too_large"] = False
            status_holder["status"] = 413
            await _send_json(send, 413, error_body(
                "payload_too_large", f"the request body is larger than {max_body} bytes",
                {"limit": max_body}), extra)
        except Exception:
            # The 500 that Starlette's outermost error middleware would send bypasses this one,
            # so it would lack the request id and security headers: send it from here (same
            # body as server.errors), then re-raise so that the error handler still logs it.
            if not status_holder["started"]:
                with contextlib.suppress(Exception):  # e.g. the client is gone: keep the cause
                    await _send_json(send, 500, error_body(
                        "internal_error", "something went wrong on the server; it has been logged",
                        {"request_id": request_id}), extra)
            raise
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path_template = getattr(route, "path", None) or "unmatched"
            if self.observe:
                self.observe(scope["method"], path_template, status_holder["status"], elapsed)
            log.info("request", extra={"request_id": request_id, "method": scope["method"],
                                       "path": scope["path"], "route": path_template,
                                       "status": status_holder["status"],
                                       "duration_ms": round(elapsed * 1000, 2)})
