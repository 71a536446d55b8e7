"""Documents drawn as PDF with reportlab.

- ``receipt``   sale and refund receipts on 80 mm and 58 mm rolls;
- ``roll``      the layout of a receipt roll (wrapping, fonts, page as long as the content);
- ``barcodes``  Code 128 sized to a thermal printer's dots.
"""
