"""The fonts every document is drawn with: DejaVu Sans, regular and bold, shipped inside the
package (app/printing/fonts/, under the Bitstream Vera licence: LICENSE-DejaVu.txt) and embedded
in each PDF, so a receipt prints the same on any printer and in any language the shop uses —
Latin with accents, Greek, Cyrillic and more (Bitstream Vera, reportlab's own, has no Greek or
Cyrillic). Registered once at import: rendering may run on any worker thread.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT, BOLD = "TillpointSans", "TillpointSans-Bold"
FONT_DIR = Path(__file__).with_name("fonts")

pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)

#: every character the embedded font can draw; others are replaced before drawing
GLYPHS = frozenset(pdfmetrics.getFont(FONT).face.charToGlyph)
