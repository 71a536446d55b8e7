"""A delivery address as the till keeps it and a label prints it: lines, the name first.

Typed at the till as one line ("Ada Lovelace, 12 St James's Square, London SW1Y 4JH") or as
several; kept as newline-separated lines in ``orders.ship_to``. The limits keep every address
that is accepted printable on a 4×6 in label without shrinking below a readable size: postal
services themselves ask for short lines (the UPU recommends no more than about 40 characters),
so a line longer than ``MAX_LINE`` is far more likely a paste error than an address.
"""

from __future__ import annotations

import unicodedata

from app.domain.errors import InvalidInput

MIN_LINES = 2  # a name and where to find them
MAX_LINES = 6
MAX_LINE = 60
EXAMPLE = "Ada Lovelace, 12 St James's Square, London SW1Y 4JH"


def _clean(line: str) -> str:
    kept = "".join(ch if not unicodedata.category(ch).startswith("C") else " " for ch in line)
    return " ".join(kept.split())


def address_lines(text: object, *, field: str = "ship_to") -> tuple[str, ...]:
    """The lines of an address, checked: newlines separate lines, or commas in a one-line
    address; blank lines and spaces around them are dropped."""
    if not isinstance(text, str):
        raise InvalidInput("must be text: the name and address to ship to", field=field)
    raw = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = raw.split("\n") if "\n" in raw.strip() else raw.split(",")
    lines = tuple(line for line in (_clean(p) for p in parts) if line)
    if len(lines) < MIN_LINES:
        raise InvalidInput(f"needs a name and an address, e.g. \"{EXAMPLE}\"", field=field)
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"has {len(lines)} lines; a label takes at most {MAX_LINES} "
                           "(name and address together)", field=field)
    for n, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise InvalidInput(f"line {n} is {len(line)} characters long; at most {MAX_LINE} "
                               "fit a label's line", field=field)
    return lines


def normalise_ship_to(text: object, *, field: str = "ship_to") -> str:
    """The address as ``orders.ship_to`` keeps it (one line per line)."""
    return "\n".join(address_lines(text, field=field))


def sender_lines(name: str, address: str) -> tuple[str, ...]:
    """The shop as a label's sender: its name, then its address split as ``address_lines``
    does (not checked: the shop's own address is printed as it is set, smaller if need be)."""
    raw = (address or "").replace("\r\n", "\n").replace("\r", "\n")
    parts = raw.split("\n") if "\n" in raw.strip() else raw.split(",")
    return tuple(line for line in (_clean(p) for p in [name, *parts]) if line)
