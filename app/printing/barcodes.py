"""Code 128 symbols sized for thermal printers.

A receipt printer prints at 203 dpi: a bar that is a whole number of its dots wide prints
crisp, one that falls between dots smears and scans badly, and one-dot bars (0.125 mm) are
finer than most scanners read. So the module (narrowest bar) is three dots, or two where that
does not fit. The bars must fit what the print head reaches; the quiet zones (ten modules each
side, as the standard asks) only need blank paper, so they may lie in the roll's margins.
"""

from __future__ import annotations

import logging

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch

log = logging.getLogger(__name__)

PRINTER_DPI = 203
DOT = inch / PRINTER_DPI
QUIET_MODULES = 10


def code128_for_width(value: str, print_width: float, paper_width: float,
                      bar_height: float) -> Code128 | None:
    """The Code 128 of ``value`` with the widest module that fits, or None when even two-dot
    bars would not fit (the number is then printed as text only)."""
    if not value or not value.isascii() or not value.isprintable():
        raise ValueError(f"{value!r} cannot be a Code 128 barcode (printable ASCII only)")
    for dots in (3, 2):
        module = dots * DOT
        quiet = QUIET_MODULES * module
        symbol = Code128(value, barWidth=module, barHeight=bar_height, humanReadable=False,
                         quiet=1, lquiet=quiet, rquiet=quiet)
        if symbol.width - 2 * quiet <= print_width and symbol.width <= paper_width:
            return symbol
    log.warning("%r is too long for a scannable Code 128 on this roll: printed as text only",
                value)
    return None
