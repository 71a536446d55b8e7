"""Text folding for search, shared by the till and the central server so that both sides fold
identically: accents and case removed (Latin, Greek, Cyrillic), words split out, and the edit
distance that typo correction uses.

The local store's triggers fold with ``db.search_index.fold`` (the db layer may not import
``app``); it is a copy of :func:`fold` whose source a test keeps equal to this one.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

# Letters that Unicode does not decompose into a base letter plus an accent.
_SPECIAL = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "ŀ": "l",
                          "þ": "th", "æ": "ae", "œ": "oe", "ŧ": "t"})
_WORD = re.compile(r"[^\W_]+")
MAX_QUERY_CHARS = 200  # longer queries are cut here: nobody types more, and FTS cost grows with it


def fold(text: str) -> str:
    """``"Crème Brûlée ΚΑΦΈΣ"`` → ``"creme brulee καφεσ"``: casefolded, accents dropped."""
    if text.isascii():  # most catalogue text: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).translate(_SPECIAL)


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order (punctuation and FTS syntax characters are
    separators, so user input can never become query syntax)."""
    return _WORD.findall(fold(text))


def folded_text(*parts: str) -> str:
    return " ".join(w for part in parts for w in words(part))


def max_typos(word: str) -> int:
    """How many edits a correction may make: 1 for short words, 2 for longer ones."""
    return 1 if len(word) <= 5 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap two neighbours),
    or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def nearest(word: str, candidates: Iterable[tuple[str, int]]) -> str | None:
    """The candidate ``(word, count)`` nearest to ``word`` within ``max_typos`` edits; ties go
    to the more frequent, then the first alphabetically. ``None`` when none is near enough."""
    limit = max_typos(word)
    best: tuple[int, int, str] | None = None
    for candidate, count in candidates:
        d = distance(word, candidate, limit)
        if d <= limit and (best is None or (d, -count, candidate) < best):
            best = (d, -count, candidate)
    return best[2] if best else None


def contains_pattern(text: str) -> str:
    """A SQL ``LIKE`` pattern for "contains ``text``", its own ``%``, ``_`` and backslashes
    taken literally (use it with ``escape="\\\\"``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
