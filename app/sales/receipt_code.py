"""What a sale receipt's barcode holds: the sale's number followed by a four-digit check made
from the order's id, which is never printed.

A return "with the receipt" is one where the barcode was scanned. Telling that from a number
typed by hand by how fast the keys came is a guess (a quick typist passes, a slow Bluetooth
scanner does not); the check makes it a fact: the printed number alone, however it is typed,
finds the sale as a return without the receipt, and only the barcode carries the check.

Digits straight after the number's own digits, with no separator: Code 128 packs a run of
digits two to a symbol, so ``S01-R01-000042`` + ``7315`` still fits a 58 mm roll at two
printer dots per bar (a separator and letters made it too wide to scan).
"""

from __future__ import annotations

import hashlib
import hmac

CHECK_DIGITS = 4  # one in 10,000: nobody guesses it at the till


def receipt_check(order_id: str) -> str:
    digest = hashlib.sha256(f"tillpoint-receipt:{order_id}".encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10 ** CHECK_DIGITS:0{CHECK_DIGITS}d}"


def receipt_code(order_id: str, number: str) -> str:
    """The barcode's value: ``S01-R01-0000427315`` for sale ``S01-R01-000042``."""
    return f"{number}{receipt_check(order_id)}"


def readings(text: str) -> list[tuple[str, str | None]]:
    """What ``text`` may be, most literal first: ``(the sale's number or id, None)`` as typed,
    then ``(number, check)`` when it ends in the digits a barcode adds."""
    text = text.strip()
    out: list[tuple[str, str | None]] = [(text, None)]
    tail = text[-CHECK_DIGITS:]
    if len(text) > CHECK_DIGITS and tail.isascii() and tail.isdigit():
        out.append((text[:-CHECK_DIGITS], tail))
    return out


def check_matches(order_id: str, check: str) -> bool:
    return hmac.compare_digest(receipt_check(order_id), check)
