"""What every benchmark smoke test checks of a timed row: it ran, and its figures are sane
(positive, finite, p99 ≥ p50, no failed calls). No time thresholds: machines differ."""

from __future__ import annotations

import math
from typing import Any, Mapping


def check_timed_row(row: Mapping[str, Any], name: str) -> None:
    """``row`` has ``rps``, ``p50_ms``, ``p99_ms``, ``count`` and ``errors``."""
    for key in ("rps", "p50_ms", "p99_ms"):
        value = row[key]
        assert isinstance(value, float) and math.isfinite(value) and value > 0, (name, key, value)
    assert row["p99_ms"] >= row["p50_ms"], name
    assert row["count"] >= 1, name
    assert row["errors"] == 0, name


def prefixed_row(figures: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The ``{name}_{key}`` figures of one row, as a row."""
    return {key: figures[f"{name}_{key}"] for key in ("rps", "p50_ms", "p99_ms", "count",
                                                      "errors")}
