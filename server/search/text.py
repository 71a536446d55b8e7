"""Text folding for the search read model: the till's own (``app.domain.text``), so that a word
folds the same on the server and at the till."""

from __future__ import annotations

from app.domain.text import (MAX_QUERY_CHARS, distance, fold, folded_text, max_typos, nearest,
                             words)

__all__ = ["MAX_QUERY_CHARS", "distance", "fold", "folded_text", "max_typos", "nearest", "words"]
