"""Applying a till's pushed mutations: being built (see app.domain.sync_protocol)."""

from __future__ import annotations

from typing import Any

from server.errors import ApiError


def ensure_indexes(db) -> None:
    return None


def apply_batch(db, *, principal, mutations, request_id) -> dict[str, Any]:
    raise ApiError(501, "not_implemented", "push is being built")
