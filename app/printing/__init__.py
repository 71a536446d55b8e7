"""Documents drawn as PDF with reportlab.

- ``receipt``   sale and refund receipts on 80 mm and 58 mm rolls;
- ``roll``      the layout of a receipt roll (wrapping, fonts, page as long as the content);
- ``barcodes``  Code 128 sized to a thermal printer's dots.
"""


def warm_up() -> None:
    """Load reportlab, the roll's fonts and the barcode code once, by drawing a throwaway
    receipt-sized PDF. The first receipt of the day otherwise pays for it (~0.3 s) on the
    worker that also serves the next customer's scans; call it at start-up off the UI thread."""
    from app.printing import receipt  # noqa: F401 - its imports are the cost
    from app.printing.roll import RollDocument, roll_for

    document = RollDocument(roll_for("80mm"))
    document.text("Tillpoint", align="center", bold=True, scale=1.2)
    document.pair("Warm-up line · ÄÖÜ €", "0.00")
    document.rule()
    document.barcode("S00-R00-000000")
    document.pdf(title="warm-up")
