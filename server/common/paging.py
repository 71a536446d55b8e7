"""Pagination and sorting for list routes.

Sorting is by an allow-list: a sort or filter on an unknown field is refused with 422 naming
it, never passed to MongoDB. Lists answer ``{items, page, per_page, has_more}`` (one extra row
read instead of a count, which SecantusDB pays for with a scan); routes that promise a
``total`` compute it from a bounded source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from pymongo import ASCENDING, DESCENDING
from pymongo.cursor import Cursor

from server.errors import ApiError

MAX_PAGE = 10_000
MAX_PER_PAGE = 200


@dataclass(frozen=True, slots=True)
class Sort:
    field: str  # the MongoDB field
    direction: int


def parse_sort(text: str | None, allowed: Mapping[str, str], default: str) -> list[tuple[str, int]]:
    """``"name"``, ``"-price"`` or ``"brand,-updated_at"`` → pymongo sort keys. ``allowed``
    maps the public name to the stored field; anything else is a 422 naming the field."""
    spec = (text or default).strip()
    keys: list[tuple[str, int]] = []
    for part in spec.split(","):
        part = part.strip()
        direction = DESCENDING if part.startswith("-") else ASCENDING
        name = part.lstrip("-+")
        if name not in allowed:
            raise ApiError(422, "validation_error",
                           f"sort: cannot sort by {name!r} (allowed: {', '.join(sorted(allowed))})",
                           {"field": "sort", "allowed": sorted(allowed)})
        keys.append((allowed[name], direction))
    if len(keys) > 3:
        raise ApiError(422, "validation_error", "sort: at most three fields", {"field": "sort"})
    return keys


def reject_unknown_filters(params: Iterable[str], allowed: Iterable[str]) -> None:
    """A query parameter that is not a known filter is refused (a typo must not silently list
    everything)."""
    known = set(allowed)
    unknown = sorted(p for p in params if p not in known)
    if unknown:
        raise ApiError(422, "validation_error", f"unknown filter: {', '.join(unknown)}",
                       {"field": unknown[0], "allowed": sorted(known)})


def page_of(cursor: Cursor, *, page: int, per_page: int,
            view: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """Run ``cursor`` for one page and shape the answer."""
    rows = list(cursor.skip((page - 1) * per_page).limit(per_page + 1))
    return {"items": [view(r) for r in rows[:per_page]], "page": page, "per_page": per_page,
            "has_more": len(rows) > per_page}
