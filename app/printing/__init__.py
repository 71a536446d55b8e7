"""Documents drawn as PDF with reportlab, and the way they reach a printer. Renderers return
PDF bytes and never touch Qt; the window's printing (Qt backend, preview, worker) lives in
``ui/printing``.

Drawing:

- ``fonts``         DejaVu Sans (regular, bold) embedded in every document: accents, Greek,
                    Cyrillic;
- ``roll``          the layout of a receipt roll, 80 mm or 58 mm (wrapping inside the head's
                    reach, a page as long as its content);
- ``barcodes``      Code 128 sized to a thermal printer's dots;
- ``figures``       what every document reads off a sale or refund alike: local time, weighed
                    lines, taxes per rate, tender names;
- ``receipt``       sale and refund receipts, gift receipts, reprints marked COPY;
- ``shift_report``  the Z-report of a closed shift (as frozen at close), the X-report of an
                    open one, on the roll;
- ``page``          the A4/Letter frame: running header, "Page n of m", tables that fit;
- ``invoice``       invoices and credit notes on A4 or Letter;
- ``stock_sheet``   the stock count sheet on A4 or Letter;
- ``label``         4×6 in shipping labels from plain ``LabelData`` (Code 128 tracking, QR order);
- ``sample_page``   a printer's test page on the roll, the invoice paper or a label;
- ``documents``     every kind of document by its reference: which renderer draws it, with which
                    settings, and the printer setting it goes to.

Printing:

- ``queue``           the print queue in the local store (``print_jobs``): jobs survive a
                      restart, failures keep their reason, retry and reprint as a copy;
- ``backends``        the ``PrinterBackend`` protocol, ``PrinterError`` in words, CUPS (``lp``)
                      and a folder of PDFs, and the backend a printer's name stands for;
- ``escpos_backend``  receipt printers over ESC/POS (USB, network, device file) and the
                      cash-drawer kick;
- ``raster``          a PDF as a printer's dots with PDFium (for ESC/POS), and a PDF's title.
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
