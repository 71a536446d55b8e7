"""What an import will do, worked out before anything is written: each row's action and the
errors, counted for the preview. A kind's ``check`` builds a ``Plan``; its ``apply`` writes it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from app.back_office.data.table import RowError
from app.domain.decimals import scaled_int, to_decimal
from app.domain.errors import DomainError, RuleViolation
from app.domain.money import check_minor, exponent, parse_amount

CREATE, UPDATE, UNCHANGED, REFUSED = "create", "update", "unchanged", "refused"
SAMPLE_ROWS = 20
#: the CLI and the page show this many errors, then a count of the rest
SHOWN_ERRORS = 50

Progress = Callable[[int, int], None]  # (rows written, rows to write)
Cancelled = Callable[[], bool]


@dataclass(frozen=True, slots=True)
class SampleRow:
    row: int
    action: str
    cells: tuple[str, ...]  # one per ``Preview.columns``


@dataclass(frozen=True, slots=True)
class Preview:
    kind: str
    file: str
    sha256: str
    columns: tuple[str, ...]
    rows: int  # records read (refused ones included)
    create: int
    update: int
    unchanged: int
    refused: int
    errors: tuple[RowError, ...]
    sample: tuple[SampleRow, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (f"{self.rows:,} rows: {self.create:,} to create, {self.update:,} to update, "
                f"{self.unchanged:,} unchanged, {self.refused:,} refused")


@dataclass
class Plan:
    """``actions`` are the kind's own records of what to write (only rows without errors)."""

    kind: str
    columns: tuple[str, ...]
    errors: list[RowError] = field(default_factory=list)
    actions: list[Any] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {CREATE: 0, UPDATE: 0,
                                                             UNCHANGED: 0, REFUSED: 0})
    sample: list[SampleRow] = field(default_factory=list)
    rows: int = 0

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def count(self, row: int, action: str, cells: dict[str, str]) -> None:
        self.counts[action] += 1
        if len(self.sample) < SAMPLE_ROWS:
            self.sample.append(SampleRow(row, action,
                                         tuple(cells.get(c, "") for c in self.columns)))

    def preview(self, file: str, sha256: str) -> Preview:
        errors = tuple(sorted(self.errors, key=lambda e: (e.row, e.column)))
        return Preview(kind=self.kind, file=file, sha256=sha256, columns=self.columns,
                       rows=self.rows, create=self.counts[CREATE], update=self.counts[UPDATE],
                       unchanged=self.counts[UNCHANGED], refused=self.counts[REFUSED],
                       errors=errors, sample=tuple(self.sample))


class ImportRefused(RuleViolation):
    """The file has errors: nothing was imported. ``preview`` lists them all."""

    def __init__(self, preview: Preview) -> None:
        shown = "; ".join(str(e) for e in preview.errors[:3])
        more = len(preview.errors) - 3
        super().__init__(f"{len(preview.errors)} error(s), nothing imported: {shown}"
                         + (f" … and {more} more" if more > 0 else ""), field="file")
        self.preview = preview


class ImportCancelled(DomainError):
    code = "cancelled"

    def __init__(self) -> None:
        super().__init__("the import was cancelled: nothing was imported", field="file")


# cell parsing shared by the kinds --------------------------------------------------------------

YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}


def parse_flag(text: str) -> bool:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"{text[:40]!r} is not yes or no")


_PLAIN_WHOLE = re.compile(r"[0-9]{1,12}")


def parse_count(text: str, *, by_weight: bool, limit: int) -> int:
    """A counted quantity in milli-units: zero or more, whole unless sold by weight."""
    if _PLAIN_WHOLE.fullmatch(text):  # the usual "12": what the strict parse would make of it
        milli = int(text) * 1000
    else:
        value = to_decimal(text, field="quantity", what="a quantity")
        milli = scaled_int(value, 3, field="quantity",
                           too_precise=f"{text[:40]!r} has more than three decimal places")
    if milli < 0:
        raise ValueError("a count is what is on the shelf: zero or more")
    if milli > limit:
        raise ValueError("is absurdly large")
    if not by_weight and milli % 1000:
        raise ValueError("must be whole units: the item is sold by the piece")
    return milli


_PLAIN_AMOUNT = re.compile(r"([0-9]{1,12})(?:\.([0-9]{1,3}))?")


def parse_money(text: str, currency: str, *, field: str) -> int:
    """``app.domain.money.parse_amount`` (not negative), with a fast path for the plain
    "12.34" an export writes: the same value or the same refusal, at a tenth of the cost."""
    match = _PLAIN_AMOUNT.fullmatch(text)
    places = exponent(currency)
    if match is None or len(match.group(2) or "") > places:
        return parse_amount(text, currency, field=field)
    fraction = (match.group(2) or "").ljust(places, "0")
    minor = int(match.group(1)) * 10 ** places + (int(fraction) if fraction else 0)
    return check_minor(minor, field=field)


def message(exc: Exception) -> str:
    """An error's words without the field name (the column says where)."""
    return exc.message if isinstance(exc, DomainError) else str(exc)


def chunks(values: list, size: int = 900):
    """Slices small enough for SQLite's bound-parameter limit in an ``IN (…)``."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def bulk_insert(session, table, rows: list[dict]) -> None:  # noqa: ANN001 - Session, Table
    """``INSERT`` many rows of one shape straight through the driver's ``executemany``: an
    import writes 100,000 rows at a time, and SQLAlchemy's per-row statement machinery would
    cost more than SQLite itself. Values are converted as the columns' types would (a
    timestamp through its own type, once per distinct value)."""
    if not rows:
        return
    names = list(rows[0])
    connection = session.connection()
    dialect = connection.dialect
    processors = {}
    for name in names:
        processor = table.c[name].type.bind_processor(dialect)
        if processor is not None:
            processors[name] = processor
    cache: dict = {}

    def convert(name: str, value):  # noqa: ANN001, ANN202
        processor = processors.get(name)
        if processor is None or value is None:
            return value
        key = (name, value)
        if key not in cache:
            cache[key] = processor(value)
        return cache[key]

    converted = [tuple(convert(n, row[n]) if n in processors else row[n] for n in names)
                 for row in rows]
    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})',
                               converted)


def bulk_update(session, table, rows: list[dict], *, key: str = "id") -> None:  # noqa: ANN001
    """``UPDATE … WHERE key = ?`` for many rows, each a dict of ``key`` and the columns to set
    (rows with other columns are grouped apart), through the driver as ``bulk_insert``."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(n for n in row if n != key)), []).append(row)
    connection = session.connection()
    for names, group in groups.items():
        processors = {n: p for n in names
                      if (p := table.c[n].type.bind_processor(connection.dialect)) is not None}
        values = [tuple(processors[n](row[n]) if n in processors and row[n] is not None
                        else row[n] for n in names) + (row[key],) for row in group]
        assignments = ", ".join(f'"{n}" = ?' for n in names)
        connection.exec_driver_sql(f'UPDATE "{table.name}" SET {assignments} WHERE "{key}" = ?',
                                   values)
