"""The shape of pulled entries and the checks every entity's reader shares.

A page's *structure* (``changes`` a list, a ``cursor``, ``has_more``) that is wrong means the
server and this till disagree on the protocol: the page is refused whole (``BadPage``). One
*entry* whose data is wrong is skipped with a logged reason (``BadEntry``): a single poison
entry must not stop a till from ever syncing again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from app.domain.sync_protocol import DELETE, UPSERT
from sync.errors import ProtocolError

Data = dict[str, Any]
OPS = (UPSERT, DELETE)


class BadPage(ProtocolError):
    """The page is not one this protocol describes: nothing of it is applied."""


class BadEntry(ValueError):
    """One entry's data cannot be applied; ``field`` names what is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(slots=True)
class Entry:
    """One pulled change. ``feed``/``seq`` are empty for an entry applied on its own."""

    entity: str
    entity_id: str
    op: str
    data: Data | None
    feed: str = ""
    seq: int = 0
    raw: Data = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Context:
    """What every writer needs to know about this till. ``now`` stamps ``updated_at`` of every
    row written, which is also how a snapshot tells the rows it saw from the ones it did not."""

    store_id: str
    currency: str
    now: datetime
    stamp: Any = None  # ``now`` as SQLite stores it, for rows written by ``fast_upsert``
    stored_time: Callable[[datetime | None], Any] = lambda value: value  # any time, likewise


@dataclass(slots=True)
class Outcome:
    """What became of a batch of entries."""

    applied: list[Entry] = field(default_factory=list)
    deferred: list[Entry] = field(default_factory=list)
    skipped: list[tuple[Entry, str]] = field(default_factory=list)

    def merge(self, other: "Outcome") -> None:
        self.applied += other.applied
        self.deferred += other.deferred
        self.skipped += other.skipped


def page_entries(page: object) -> tuple[list[Entry], list[tuple[Data, str]]]:
    """A page's entries in order, and the malformed ones with why (those are skipped)."""
    if not isinstance(page, dict):
        raise BadPage("the server's page is not an object")
    changes = page.get("changes")
    if not isinstance(changes, list):
        raise BadPage("the server's page has no list of changes")
    if not isinstance(page.get("cursor"), str):
        raise BadPage("the server's page has no cursor")
    if not isinstance(page.get("has_more"), bool):
        raise BadPage("the server's page does not say whether more follows")
    good: list[Entry] = []
    bad: list[tuple[Data, str]] = []
    for raw in changes:
        try:
            good.append(entry_from(raw))
        except BadEntry as exc:
            bad.append((raw if isinstance(raw, dict) else {"entry": repr(raw)[:200]}, str(exc)))
    return good, bad


def entry_from(raw: object) -> Entry:
    if not isinstance(raw, dict):
        raise BadEntry("change", "is not an object")
    feed, seq = raw.get("feed"), raw.get("seq")
    if not isinstance(feed, str) or not feed:
        raise BadEntry("feed", "is missing")
    if not is_int(seq) or seq < 1:
        raise BadEntry("seq", "is not a positive whole number")
    entity, entity_id, op = raw.get("entity"), raw.get("entity_id"), raw.get("op")
    if not isinstance(entity, str) or not entity:
        raise BadEntry("entity", "is missing")
    if not isinstance(entity_id, str) or not entity_id or len(entity_id) > 100:
        raise BadEntry("entity_id", "is missing or longer than 100 characters")
    if op not in OPS:
        raise BadEntry("op", f"is {op!r}, not one of {', '.join(OPS)}")
    data = raw.get("data")
    if op == UPSERT and not isinstance(data, dict):
        raise BadEntry("data", "an upsert carries the entity's view as an object")
    return Entry(entity, entity_id, op, data if op == UPSERT else None, feed, seq, raw)


# --- value checks shared by the entity readers --------------------------------------------

def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def text(data: Data, name: str, *, default: str | None = None, optional: bool = False,
         max_len: int = 5000) -> str | None:
    value = data.get(name, default)
    if value is None:
        if optional:
            return None
        raise BadEntry(name, "is missing")
    if not isinstance(value, str):
        raise BadEntry(name, "is not text")
    if len(value) > max_len:
        raise BadEntry(name, f"is longer than {max_len} characters")
    return value


def whole(data: Data, name: str, *, default: int | None = None, optional: bool = False,
          minimum: int | None = None) -> int | None:
    value = data.get(name, default)
    if value is None:
        if optional:
            return None
        raise BadEntry(name, "is missing")
    if not is_int(value):
        raise BadEntry(name, "is not a whole number")
    if minimum is not None and value < minimum:
        raise BadEntry(name, f"is below {minimum}")
    return value


def flag(data: Data, name: str, *, default: bool = False) -> bool:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadEntry(name, "is not true or false")
    return value


def when(data: Data, name: str) -> datetime | None:
    """An ISO time; the server's naive times are UTC (pymongo hands them out that way)."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadEntry(name, "is not an ISO date and time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadEntry(name, "is not an ISO date and time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def check_id(data: Data, entry: Entry) -> None:
    """The view's own ``id`` must be the entry's: anything else is a server bug."""
    if data.get("id", entry.entity_id) != entry.entity_id:
        raise BadEntry("id", f"is {data.get('id')!r} but the entry is for {entry.entity_id!r}")


def read_upserts(entries: list[Entry], read, outcome: Outcome) -> list[tuple[Entry, Any]]:  # noqa: ANN001
    """``read`` each upsert entry into its row; a bad one is skipped with its reason (never
    failing the page)."""
    good = []
    for entry in entries:
        if entry.op == DELETE:
            continue
        try:
            check_id(entry.data, entry)
            good.append((entry, read(entry)))
        except BadEntry as exc:
            outcome.skipped.append((entry, str(exc)))
    return good
