"""The change feed a device pulls: being built (see app.domain.sync_protocol)."""

from __future__ import annotations

from typing import Any

from server.errors import ApiError


def changes_for_device(db, *, principal, cursor: str, limit: int) -> dict[str, Any]:
    raise ApiError(501, "not_implemented", "the change feed is being built")
