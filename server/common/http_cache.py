"""HTTP caching in place of the original design's Redis: catalogue reads carry an ``ETag``
(derived from what is served, so every worker computes the same one) and ``Cache-Control``;
a request whose ``If-None-Match`` matches gets ``304`` with no body. Nothing is cached in
process memory, so no worker can serve what another worker has made stale."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response


def etag_of(payload: Any) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def _matches(header: str | None, tag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    weak = tag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == weak for t in header.split(","))


def cached_json(request: Request, payload: Any, *, max_age: int,
                private: bool = False) -> Response:
    """``payload`` as JSON with an ETag and ``Cache-Control: max-age``, or 304 when the
    client's copy is current. ``private`` for answers that depend on who asks."""
    tag = etag_of(payload)
    headers = {"ETag": tag,
               "Cache-Control": f"{'private' if private else 'public'}, max-age={max_age}"}
    if _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(payload, headers=headers)
