"""Reading an import file into rows the checks can walk, and saying precisely what is wrong.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
Nothing here refuses the whole file unless it must (no header, none of the kind's columns, a
required column missing): a byte that is not UTF-8 or a row with too many fields is an error
of that row, so one pass tells the user about every mistake at once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from app.exports import unguarded

#: the delimiters a spreadsheet writes "CSV" with (Excel in much of Europe uses ";")
DELIMITERS = (",", ";", "\t")
MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # the header is row 1
    column: str  # "" when the row (or the file) as a whole is at fault
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Table:
    """The file's records: ``rows`` are ``(row number, {column: text})`` for the records that
    could be read; unreadable records are in ``errors`` instead."""

    columns: tuple[str, ...]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    sha256: str = ""
    delimiter: str = ","


def _decode(data: bytes) -> str:
    # surrogateescape keeps a stray byte as a marker, so the record and column holding it can
    # be named (a file saved as Latin-1 or Windows-1252 by a spreadsheet)
    text = data.decode("utf-8", errors="surrogateescape")
    return text[1:] if text.startswith("\ufeff") else text


def _bad_bytes(value: str) -> str | None:
    found = [c for c in value if "\udc80" <= c <= "\udcff"]
    if not found:
        return None
    return " ".join(f"0x{ord(c) - 0xDC00:02X}" for c in found[:3])


def _bad_bytes_anywhere(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: a byte surrogateescape kept
        return True
    return False


def _header_delimiter(first_line: str, known: set[str]) -> str:
    """The delimiter under which the header names the most known columns (commas first)."""
    best, best_hits = ",", -1
    for delimiter in DELIMITERS:
        names = next(csv.reader([first_line], delimiter=delimiter), [])
        hits = sum(name.strip().lower() in known for name in names)
        if hits > best_hits:
            best, best_hits = delimiter, hits
    return best


def read_table(path: Path, *, columns: tuple[str, ...], required: tuple[str, ...]) -> Table:
    """Read ``path`` as a CSV of ``columns`` (a subset, in any order; ``required`` must be there).
    Raises ``OSError`` only when the file cannot be read at all."""
    data = Path(path).read_bytes() if Path(path).stat().st_size <= MAX_FILE_BYTES else None
    if data is None:
        table = Table(columns=())
        table.errors.append(RowError(1, "", f"the file is larger than "
                                            f"{MAX_FILE_BYTES // 2**20} MB: split it"))
        return table
    digest = hashlib.sha256(data).hexdigest()
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    known = set(columns)
    delimiter = _header_delimiter(first_line, known)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    header_row = next(reader, None)
    table = Table(columns=(), sha256=digest, delimiter=delimiter)
    if not header_row or not any(cell.strip() for cell in header_row):
        table.errors.append(RowError(1, "", "the file is empty: the first row must name the "
                                            f"columns ({', '.join(columns)})"))
        return table
    header = [cell.strip().lower() for cell in header_row]
    problems = _header_problems(header, columns, required)
    if problems:
        table.errors.extend(problems)
        return table
    table.columns = tuple(header)
    width = len(header)
    number = 1
    # one C-speed pass tells whether any byte was not UTF-8; only then is each value looked at
    clean = _bad_bytes_anywhere(text) is False
    # an export writes a formula-like cell after a ' (CSV injection): taken off again here,
    # only looked for when the file holds a ' at all
    quoted = "'" in text
    for record in reader:
        number += 1
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line: spreadsheets leave them at the end
        if len(record) != width:
            table.errors.append(RowError(
                number, "", f"has {len(record)} fields where the header has {width}: a "
                            f"stray '{delimiter}' or quote?"))
            continue
        if quoted:
            record = [unguarded(value) for value in record]
        row = dict(zip(header, record))
        if clean:
            table.rows.append((number, row))
            continue
        bad = [(name, _bad_bytes(value)) for name, value in row.items()]
        bad = [(name, found) for name, found in bad if found]
        if bad:
            for name, found in bad:
                table.errors.append(RowError(number, name, f"is not UTF-8 text (byte {found}): "
                                                           "save the file as 'CSV UTF-8'"))
            continue
        table.rows.append((number, row))
    return table


def _header_problems(header: list[str], columns: tuple[str, ...],
                     required: tuple[str, ...]) -> list[RowError]:
    problems: list[RowError] = []
    seen: set[str] = set()
    for name in header:
        if not name:
            problems.append(RowError(1, "", "a column has no name"))
        elif name in seen:
            problems.append(RowError(1, name, "is named twice"))
        elif name not in columns:
            problems.append(RowError(1, name, f"is not a column of this file "
                                              f"(columns: {', '.join(columns)})"))
        seen.add(name)
    for name in required:
        if name not in seen:
            problems.append(RowError(1, name, "is missing: the file must have this column"))
    if len(header) == 1 and any(d in header[0] for d in "|:;\t, "):
        problems.insert(0, RowError(1, "", "the columns are not separated by commas, "
                                           "semicolons or tabs"))
    return problems
